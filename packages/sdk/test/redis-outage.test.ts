/**
 * `redisUrl` mode when Redis is not there (CONTRACT §7): a broadcast is
 * answered only once Redis has taken it; when Redis is down, unreachable or
 * silent, it is refused quickly with a typed `unavailable` error and never
 * queued to be sent later; publishing resumes by itself once Redis is back.
 */
import net from 'node:net';
import Redis from 'ioredis';
import { decodeBroadcast } from '@cinder/contract';
import { CinderNetworkError, CinderUnavailableError, createClient } from '@cinder/sdk';
import { freePort, startPrivateRedis, TEST_API_KEY, waitFor } from '@cinder/testkit';
import { rejection } from './rejection';

/** An HTTP url where nothing listens: these clients can only succeed over Redis. */
const nowhere = async () => `http://127.0.0.1:${await freePort()}`;

function expectUnavailable(err: unknown): void {
  expect(err).toBeInstanceOf(CinderUnavailableError);
  // Handlers written for the HTTP path's network failures catch it too.
  expect(err).toBeInstanceOf(CinderNetworkError);
  expect(err).toMatchObject({ name: 'CinderUnavailableError', code: 'unavailable' });
}

/** The events published on one topic's channel, read off Redis. */
async function listen(url: string, topic: string) {
  const conn = new Redis(url, { lazyConnect: true });
  const events: string[] = [];
  conn.on('messageBuffer', (_channel: Buffer, message: Buffer) => events.push(decodeBroadcast(topic, message).event));
  await conn.connect();
  await conn.subscribe(`cinder:b:${topic}`);
  return { events, stop: () => conn.disconnect() };
}

it('Redis stopped: broadcasts are refused at once with "unavailable", none is sent later, and publishing resumes when Redis is back', async () => {
  const redis = await startPrivateRedis();
  const client = createClient({ url: await nowhere(), apiKey: TEST_API_KEY, redisUrl: redis.url });
  const before = await listen(redis.url, 'session:outage');
  try {
    expect(await client.broadcast('session:outage', 'before', { n: 1 })).toEqual({ ok: true });
    await waitFor(() => before.events.length === 1, 'the first broadcast');
    before.stop();

    await redis.stop();
    const started = Date.now();
    const refused = await Promise.all(Array.from({ length: 20 }, (_, i) => rejection(client.broadcast('session:outage', 'during', { i }))));
    expect(Date.now() - started).toBeLessThan(1000);
    refused.forEach(expectUnavailable);
    expect(refused[0].message).toMatch(/Redis/);
    // Well into the outage (reconnect attempts a second apart) a call still does not wait for the next attempt.
    await new Promise((res) => setTimeout(res, 1500));
    const later = Date.now();
    expectUnavailable(await rejection(client.broadcast('session:outage', 'during', {})));
    expect(Date.now() - later).toBeLessThan(100);

    await redis.start();
    const after = await listen(redis.url, 'session:outage');
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const r = await client.broadcast('session:outage', 'after', {}).catch((err) => err);
        if (!(r instanceof Error)) break;
        expectUnavailable(r);
        if (Date.now() > deadline) throw new Error('broadcasts did not resume after Redis came back');
        await new Promise((res) => setTimeout(res, 100));
      }
      await waitFor(() => after.events.length === 1, 'the broadcast after the restart');
      await new Promise((res) => setTimeout(res, 200));
      // Nothing refused during the outage was kept and sent once Redis came back.
      expect(after.events).toEqual(['after']);
    } finally {
      after.stop();
    }
  } finally {
    await client.close();
    await redis.close();
  }
});

it('Redis never reachable: the first broadcast is refused within moments, not after the timeout', async () => {
  const client = createClient({ url: await nowhere(), apiKey: TEST_API_KEY, redisUrl: `redis://127.0.0.1:${await freePort()}`, timeoutMs: 10_000 });
  try {
    const started = Date.now();
    expectUnavailable(await rejection(client.broadcast('session:x', 'ev', {})));
    expectUnavailable(await rejection(client.broadcastBinary('session:x', 'ev', new Uint8Array([1]))));
    expect(Date.now() - started).toBeLessThan(2000);
  } finally {
    await client.close();
  }
});

it('a Redis that accepts the connection but never answers: the broadcast is not taken as sent, and fails after timeoutMs', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
  const port = (silent.address() as net.AddressInfo).port;
  const client = createClient({ url: await nowhere(), apiKey: TEST_API_KEY, redisUrl: `redis://127.0.0.1:${port}`, timeoutMs: 400 });
  try {
    let settled = false;
    const call = client.broadcast('session:x', 'ev', {}).finally(() => (settled = true));
    await new Promise((res) => setTimeout(res, 250));
    expect(settled).toBe(false);
    const started = Date.now();
    expectUnavailable(await rejection(call));
    expect(Date.now() - started).toBeLessThan(2000);
    // Known down now: the next one does not wait again.
    const next = Date.now();
    expectUnavailable(await rejection(client.broadcast('session:x', 'ev', {})));
    expect(Date.now() - next).toBeLessThan(200);
  } finally {
    await client.close();
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

it('a connected Redis that stops answering: the broadcast is not taken as sent, and fails after timeoutMs', async () => {
  const redis = await startPrivateRedis();
  const admin = new Redis(redis.url);
  const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
  admin.disconnect();
  const client = createClient({ url: await nowhere(), apiKey: TEST_API_KEY, redisUrl: redis.url, timeoutMs: 500 });
  try {
    await client.broadcast('session:hung', 'warmup', {});
    process.kill(pid, 'SIGSTOP');
    let settled = false;
    const call = client.broadcast('session:hung', 'ev', {}).finally(() => (settled = true));
    await new Promise((res) => setTimeout(res, 300));
    expect(settled).toBe(false);
    const err = await rejection(call);
    expectUnavailable(err);
    expect(err.message).toMatch(/may or may not have been delivered/);
  } finally {
    process.kill(pid, 'SIGCONT');
    await client.close();
    await redis.close();
  }
});

it('close() lets sent broadcasts finish, then refuses new ones; a client without redisUrl closes as a no-op', async () => {
  const redis = await startPrivateRedis();
  const client = createClient({ url: await nowhere(), apiKey: TEST_API_KEY, redisUrl: redis.url });
  const seen = await listen(redis.url, 'session:closing');
  try {
    await client.broadcast('session:closing', 'warmup', {});
    const last = client.broadcast('session:closing', 'last', {});
    await client.close();
    expect(await last).toEqual({ ok: true });
    expectUnavailable(await rejection(client.broadcast('session:closing', 'late', {})));
    await waitFor(() => seen.events.length === 2, 'both sent broadcasts');
    expect(seen.events).toEqual(['warmup', 'last']);
    await expect(createClient({ url: await nowhere(), apiKey: TEST_API_KEY }).close()).resolves.toBeUndefined();
  } finally {
    seen.stop();
    await redis.close();
  }
});

it('refuses a redisUrl that is not redis:// or rediss:// at createClient', () => {
  expect(() => createClient({ url: 'http://x', apiKey: TEST_API_KEY, redisUrl: 'http://127.0.0.1:6379' })).toThrow(/redisUrl/);
});
