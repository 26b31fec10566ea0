import Redis from 'ioredis';
import { jsonBroadcast, type Broadcast, type LinkStatus } from '@cinder/runtime';
import { RedisAdapter } from '@cinder/pubsub';
import { startPrivateRedis, type PrivateRedis } from '@cinder/testkit';
import { waitFor } from './wait';

describe('RedisAdapter through a Redis restart', () => {
  let redis: PrivateRedis;
  const adapters: RedisAdapter[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });

  afterAll(async () => {
    await Promise.all(adapters.map((a) => a.close()));
    await redis.close();
  });

  test('reports the outage, resubscribes by itself, and loses nothing published after recovery', async () => {
    const a = new RedisAdapter({ url: redis.url, nodeId: 'a', prefix: 'outage' });
    const b = new RedisAdapter({ url: redis.url, nodeId: 'b', prefix: 'outage' });
    adapters.push(a, b);
    const got: Broadcast[] = [];
    const control: string[] = [];
    const statuses: LinkStatus[] = [];
    b.onStatusChange((s) => statuses.push(s));
    await a.start(() => {});
    await b.start((m) => got.push(m));
    b.subscribe('before');
    b.subscribe('dropped');
    b.onControl('ctl', (data) => control.push(data.toString()));

    await redis.stop('SIGKILL');
    await waitFor('both adapters to see the outage', () => !a.status().ok && !b.status().ok);
    expect(b.status()).toMatchObject({ ok: false, component: 'redis' });
    expect(statuses.some((s) => !s.ok && s.component === 'redis')).toBe(true);

    // Published into the outage: dropped, not queued for later.
    for (let i = 0; i < 1000; i++) a.publish(jsonBroadcast('before', 'lost', i));
    // Subscribed during the outage: must be live once Redis is back.
    b.subscribe('during');
    // Unsubscribed during the outage: must not come back.
    b.unsubscribe('dropped');
    await a.settled();

    await redis.start();
    await waitFor('both adapters to recover', () => a.status().ok && b.status().ok, 10_000);
    expect(statuses[statuses.length - 1]).toEqual({ ok: true, component: 'redis' });
    const admin = new Redis(redis.url);
    const numsub = (await admin.pubsub('NUMSUB', 'outage:b:before', 'outage:b:during', 'outage:b:dropped')) as unknown[];
    admin.disconnect();
    expect(numsub.map(String)).toEqual(['outage:b:before', '1', 'outage:b:during', '1', 'outage:b:dropped', '0']);

    for (let i = 0; i < 200; i++) {
      a.publish(jsonBroadcast('before', 'after', i));
      a.publish(jsonBroadcast('during', 'after', i));
    }
    a.publishControl('ctl', Buffer.from('hello again'));
    await waitFor('every message after recovery', () => got.length >= 400 && control.length >= 1);
    await a.settled();

    expect(got.filter((m) => m.event === 'lost')).toHaveLength(0);
    const seq = (topic: string) => got.filter((m) => m.topic === topic).map((m) => Number((m.payload as { json: string }).json));
    expect(seq('before')).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(seq('during')).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(control).toEqual(['hello again']);
  });
});
