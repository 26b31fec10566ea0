import { spawn } from 'node:child_process';
import Redis from 'ioredis';
import { binaryBroadcast, jsonBroadcast, type Broadcast } from '@cinder/runtime';
import { RedisAdapter } from '@cinder/pubsub';
import { uniquePrefix, waitFor } from './wait';

const URL = 'redis://127.0.0.1:6379';

interface Node {
  adapter: RedisAdapter;
  got: Broadcast[];
}

describe('RedisAdapter on one Redis', () => {
  let prefix: string;
  let nodes: Node[] = [];
  let admin: Redis;

  async function node(nodeId: string): Promise<Node> {
    const adapter = new RedisAdapter({ url: URL, nodeId, prefix });
    const n: Node = { adapter, got: [] };
    nodes.push(n);
    await adapter.start((msg) => n.got.push(msg));
    expect(adapter.status()).toEqual({ ok: true, component: 'redis' });
    return n;
  }

  async function numsub(topic: string): Promise<number> {
    const reply = (await admin.pubsub('NUMSUB', `${prefix}:b:${topic}`)) as [string, number];
    return Number(reply[1]);
  }

  beforeEach(() => {
    prefix = uniquePrefix('adapter');
    admin = new Redis(URL);
  });

  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.adapter.close()));
    nodes = [];
    admin.disconnect();
  });

  it('sends the first publish of an event-loop turn at once, not after the rest of the turn', async () => {
    const a = await node('a');
    // A subscriber in another process stamps the arrival while this one is still busy.
    const watcher = spawn(
      process.execPath,
      ['-e', `const R=require('ioredis');const r=new R(process.argv[1]);r.subscribe(process.argv[2]).then(()=>console.log('ready'));r.on('message',()=>{console.log(Date.now());process.exit(0)})`, URL, `${prefix}:b:room:now`],
      { cwd: __dirname, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines: string[] = [];
    watcher.stdout.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    try {
      await waitFor('the watcher to subscribe', () => lines.includes('ready'));
      a.adapter.publish(jsonBroadcast('room:now', 'first', {}));
      const busyUntil = Date.now() + 400; // the rest of the turn: a long local fan-out, say
      while (Date.now() < busyUntil);
      await waitFor('the watcher to see the message', () => lines.length > 1);
      expect(Number(lines[1])).toBeLessThan(busyUntil);
    } finally {
      watcher.kill();
    }
  });

  test('a broadcast reaches each subscribed node exactly once, never its origin nor unsubscribed nodes', async () => {
    const a = await node('a');
    const b = await node('b');
    const c = await node('c');
    a.adapter.subscribe('room:1');
    b.adapter.subscribe('room:1');
    b.adapter.subscribe('room:1'); // idempotent: still one subscription
    c.adapter.subscribe('room:other');
    await Promise.all(nodes.map((n) => n.adapter.settled()));
    expect(await numsub('room:1')).toBe(2);
    expect(await numsub('room:other')).toBe(1);

    for (let i = 0; i < 50; i++) a.adapter.publish(jsonBroadcast('room:1', 'shout', { i }));
    // A marker published after the rest tells us everything before it has arrived.
    a.adapter.publish(jsonBroadcast('room:1', 'end', {}));
    await waitFor('b to receive the end marker', () => b.got.some((m) => m.event === 'end'));

    expect(b.got.map((m) => m.event === 'shout' && JSON.parse((m.payload as { json: string }).json).i).slice(0, 50)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    expect(b.got).toHaveLength(51);
    expect(a.got).toHaveLength(0);

    // c's own broadcast must not come back to it; once Redis has acknowledged
    // it, a marker from a (published later) proves it would have arrived.
    c.adapter.publish(jsonBroadcast('room:other', 'ping', {}));
    await c.adapter.settled();
    a.adapter.publish(jsonBroadcast('room:other', 'marker', {}));
    await waitFor('c to receive the marker', () => c.got.length > 0);
    expect(c.got.map((m) => m.event)).toEqual(['marker']);
  });

  test('after unsubscribe a node gets nothing more and leaves the Redis channel', async () => {
    const a = await node('a');
    const b = await node('b');
    b.adapter.subscribe('t');
    await b.adapter.settled();
    a.adapter.publish(jsonBroadcast('t', 'one', {}));
    await waitFor('first message', () => b.got.length === 1);

    b.adapter.unsubscribe('t');
    await b.adapter.settled();
    expect(await numsub('t')).toBe(0);
    a.adapter.publish(jsonBroadcast('t', 'two', {}));
    // b keeps a probe topic so we know when a's later publishes have been delivered.
    b.adapter.subscribe('probe');
    await b.adapter.settled();
    a.adapter.publish(jsonBroadcast('probe', 'done', {}));
    await waitFor('probe', () => b.got.some((m) => m.event === 'done'));
    expect(b.got.map((m) => m.event)).toEqual(['one', 'done']);
  });

  test('10,000 broadcasts arrive in publish order', async () => {
    const a = await node('a');
    const b = await node('b');
    b.adapter.subscribe('order');
    await b.adapter.settled();
    const N = 10_000;
    for (let i = 0; i < N; i++) a.adapter.publish(jsonBroadcast('order', 'n', i));
    await waitFor('all 10,000', () => b.got.length >= N, 20_000);
    const seq = b.got.map((m) => Number((m.payload as { json: string }).json));
    expect(seq).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  test('payloads cross verbatim: JSON text as sent, binary bytes intact', async () => {
    const a = await node('a');
    const b = await node('b');
    b.adapter.subscribe('bin');
    await b.adapter.settled();
    const bytes = new Uint8Array(512);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 256;
    // Spacing and key order that a parse/re-serialize would not keep.
    const json = '{ "z":1,  "a":"héllo ✓ \\u0000", "n":1.50 }';
    a.adapter.publish(binaryBroadcast('bin', 'blob', bytes));
    a.adapter.publish({ topic: 'bin', event: 'évent ✓', payload: { kind: 'json', json } });
    a.adapter.publish(binaryBroadcast('bin', 'empty', new Uint8Array(0)));
    await waitFor('three messages', () => b.got.length === 3);

    const [blob, text, empty] = b.got;
    expect(blob.event).toBe('blob');
    expect(blob.payload.kind).toBe('binary');
    expect(Buffer.from((blob.payload as { bytes: Uint8Array }).bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(text).toEqual({ topic: 'bin', event: 'évent ✓', payload: { kind: 'json', json } });
    expect(empty.payload.kind).toBe('binary');
    expect((empty.payload as { bytes: Uint8Array }).bytes.byteLength).toBe(0);
  });

  test('control messages: broadcast to every other node, direct to one', async () => {
    const a = await node('a');
    const b = await node('b');
    const c = await node('c');
    const heard: Record<string, Array<[string, string]>> = { a: [], b: [], c: [] };
    for (const [id, n] of [['a', a], ['b', b], ['c', c]] as const) {
      n.adapter.onControl('ctl', (data, from) => heard[id].push([data.toString(), from]));
    }
    await Promise.all(nodes.map((n) => n.adapter.settled()));

    a.adapter.publishControl('ctl', Buffer.from('to all'));
    a.adapter.publishControl('ctl', Buffer.from('to b'), 'b');
    c.adapter.publishControl('ctl', Buffer.from('c to a'), 'a');
    await waitFor('deliveries', () => heard.b.length === 2 && heard.c.length === 1 && heard.a.length === 1);
    await Promise.all(nodes.map((n) => n.adapter.settled()));

    expect(heard.a).toEqual([['c to a', 'c']]);
    expect(heard.b).toEqual([['to all', 'a'], ['to b', 'a']]);
    expect(heard.c).toEqual([['to all', 'a']]);
  });

  test('bad input throws and publishes nothing', async () => {
    const a = await node('a');
    const b = await node('b');
    b.adapter.subscribe('t');
    await b.adapter.settled();
    expect(() => a.adapter.publish(jsonBroadcast('t', 'x'.repeat(70_000), {}))).toThrow(/event name/);
    expect(() => a.adapter.publishControl('bad:name', Buffer.from('x'))).toThrow(/control channel/);
    expect(() => a.adapter.subscribe('')).toThrow(/topic/);
    expect(() => new RedisAdapter({ url: 'http://x', nodeId: 'n' })).toThrow(/url/);
    expect(() => new RedisAdapter({ url: URL, nodeId: '' })).toThrow(/nodeId/);
    // Reserved for SDK publishers: a node with such an id would drop that SDK's broadcasts as its own.
    expect(() => new RedisAdapter({ url: URL, nodeId: 'sdk:abc' })).toThrow(/nodeId/);
    a.adapter.publish(jsonBroadcast('t', 'ok', {}));
    await waitFor('the good message', () => b.got.length === 1);
    await a.adapter.settled();
    expect(b.got.map((m) => m.event)).toEqual(['ok']);
  });
});
