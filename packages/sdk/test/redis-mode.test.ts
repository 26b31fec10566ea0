/**
 * The SDK's `redisUrl` mode (CONTRACT §7) against two real nodes on a
 * private Redis: an ephemeral broadcast published straight onto Redis is
 * delivered to stock phoenix.js and raw WebSocket clients on both nodes
 * exactly as the same call through POST /api/broadcast, is refused
 * client-side exactly when and how that route refuses it, keeps call order,
 * and persisted broadcasts still go through a node.
 *
 * The Redis-mode client points its HTTP `url` at a port where nothing
 * listens: whatever it delivers can only have gone over Redis. The Redis
 * monitor reads each message's origin off the wire to show which path
 * published it.
 */
import { randomBytes } from 'node:crypto';
import { CinderApiError, createClient, type CinderClient } from '@cinder/sdk';
import {
  createTestDatabase,
  freePort,
  startPrivateRedis,
  startServer,
  TEST_API_KEY,
  TEST_JWT_SECRET,
  waitFor,
  type PrivateRedis,
  type ServerProcess,
} from '@cinder/testkit';
import { rawWatch, type RawWatcher } from './raw-frames';
import { monitorBroadcasts } from './redis-monitor';
import { subscribe } from './subscriber';
import { rejection } from './rejection';

const NODES = ['node-a', 'node-b'] as const;
const BODY_LIMIT = 1024 * 1024;

let redis: PrivateRedis;
let db: { url: string; drop(): Promise<void> };
const nodes: ServerProcess[] = [];
let monitor: Awaited<ReturnType<typeof monitorBroadcasts>>;
/** the HTTP path, through node-a */
let http: CinderClient;
/** redis mode, with no reachable HTTP server behind it */
let viaRedis: CinderClient;
const closers: Array<() => unknown> = [];
const rand = randomBytes(4).toString('hex');
let n = 0;
const newTopic = () => `session:redis-${rand}-${++n}`;

beforeAll(async () => {
  redis = await startPrivateRedis();
  db = await createTestDatabase('cinder_sdk_redis');
  for (const id of NODES) {
    nodes.push(
      await startServer({ JWT_SECRET: TEST_JWT_SECRET, SERVER_API_KEY: TEST_API_KEY, REDIS_URL: redis.url, DATABASE_URL: db.url, NODE_ID: id }),
    );
  }
  monitor = await monitorBroadcasts(redis.url);
  http = createClient({ url: nodes[0].url, apiKey: TEST_API_KEY });
  viaRedis = createClient({ url: `http://127.0.0.1:${await freePort()}`, apiKey: TEST_API_KEY, redisUrl: redis.url, retries: 0 });
}, 60_000);
afterEach(() => {
  for (const close of closers.splice(0)) close();
});
afterAll(async () => {
  await viaRedis?.close();
  monitor?.stop();
  await Promise.all(nodes.map((node) => node.kill()));
  await redis?.close();
  await db?.drop();
});

/** On each node: a stock phoenix.js 1.8 client, a raw V2 and a raw V1 WebSocket. */
async function watchEverywhere(topic: string) {
  const perNode: Array<{ phx: Awaited<ReturnType<typeof subscribe>>; v2: RawWatcher; v1: RawWatcher }> = [];
  for (const [i, node] of nodes.entries()) {
    const phx = await subscribe(node.port, topic, `phx-${i}`);
    const v2 = await rawWatch(node.port, topic, '2.0.0', `raw2-${i}`);
    const v1 = await rawWatch(node.port, topic, '1.0.0', `raw1-${i}`);
    closers.push(phx.close, v2.close, v1.close);
    perNode.push({ phx, v2, v1 });
  }
  // Both nodes subscribe on Redis as their first local subscriber joins; a
  // probe through each node proves the other one hears the topic.
  for (const [i, node] of nodes.entries()) {
    await createClient({ url: node.url, apiKey: TEST_API_KEY }).broadcast(topic, 'probe', { i });
  }
  const raws = (): RawWatcher[] => perNode.flatMap((w) => [w.v2, w.v1]);
  await waitFor(() => perNode.every((w) => w.phx.of('probe').length === 2) && raws().every((r) => r.broadcasts.length === 2), 'probes on both nodes');
  for (const r of raws()) r.broadcasts.splice(0);
  for (const w of perNode) w.phx.events.splice(0);
  return {
    perNode,
    raws,
    count: () => Math.min(...raws().map((r) => r.broadcasts.length), ...perNode.map((w) => w.phx.events.length)),
  };
}

describe('ephemeral broadcasts over Redis', () => {
  it('deliver on both nodes the very frames the HTTP path delivers, published by an sdk: origin', async () => {
    const topic = newTopic();
    const w = await watchEverywhere(topic);
    const withToJson = { toJSON: () => ({ replaced: true }) };
    const payloads: Array<Record<string, unknown> | undefined> = [
      { token: 'The', index: 0 },
      // Key order with integer-like keys, numbers a re-encoding could change, nesting.
      { z: 1, '10': 'ten', '2': 'two', a: 1.5, big: 1e21, tiny: 5e-324, neg: -0, nested: { list: [1, 'two', null, true, { deep: 'é' }] } },
      // Escapes: a lone surrogate, line separators, control characters, quotes; emoji.
      { lone: '\ud800', seps: '\u2028\u2029', ctl: '\u0000\n\t"\\', emoji: '🏌️‍♀️' },
      // Values JSON drops or converts, as the HTTP path would have sent them.
      { when: new Date(0), gone: undefined, fn: () => 1, nan: NaN, obj: withToJson },
      // Look like prototype poisoning to a text search but are not.
      { constructor: 'coach', text: '"__proto__": 1', nested: { constructor: { name: 'x' } } },
      {},
      undefined,
      { chunk: 'x'.repeat(200_000) },
    ];
    for (const [i, payload] of payloads.entries()) {
      // One call at a time through each path, each waited for everywhere, so
      // frames pair up: [http 0, redis 0, http 1, redis 1, …].
      await http.broadcast(topic, 'ai:token', payload);
      await waitFor(() => w.count() === 2 * i + 1, `HTTP delivery ${i}`);
      expect(await viaRedis.broadcast(topic, 'ai:token', payload)).toEqual({ ok: true });
      await waitFor(() => w.count() === 2 * i + 2, `Redis delivery ${i}`);
    }

    const reference = w.perNode[0];
    for (const watcher of w.raws()) {
      const frames = watcher.broadcasts;
      expect(frames).toHaveLength(2 * payloads.length);
      for (let i = 0; i < payloads.length; i++) expect(frames[2 * i + 1]).toStrictEqual(frames[2 * i]);
    }
    // Same bytes on both nodes, for V2 and V1 sockets alike.
    expect(w.perNode[1].v2.broadcasts).toStrictEqual(reference.v2.broadcasts);
    expect(w.perNode[1].v1.broadcasts).toStrictEqual(reference.v1.broadcasts);
    for (const { phx } of w.perNode) {
      const got = phx.of('ai:token');
      // toEqual: toStrictEqual would read the payload's own "constructor" key as its type.
      for (let i = 0; i < payloads.length; i++) expect(got[2 * i + 1]).toEqual(got[2 * i]);
    }
    expect(JSON.parse(reference.v2.broadcasts[3] as string)[4]).toStrictEqual({
      z: 1, '10': 'ten', '2': 'two', a: 1.5, big: 1e21, tiny: 5e-324, neg: 0, nested: { list: [1, 'two', null, true, { deep: 'é' }] },
    });

    const origins = (await monitor.on(topic)).map((m) => m.origin);
    // The HTTP call goes out from node-a, the Redis-mode one from the SDK itself.
    expect(origins.filter((o) => o === 'node-a')).toHaveLength(payloads.length + 1);
    const sdkOrigins = new Set(origins.filter((o) => o.startsWith('sdk:')));
    expect(sdkOrigins.size).toBe(1);
    expect(origins.filter((o) => o.startsWith('sdk:'))).toHaveLength(payloads.length);
  });

  it('bytes go as a V2 binary broadcast ({"base64"} on V1), byte-identical to payload_base64 over HTTP', async () => {
    const topic = newTopic();
    const w = await watchEverywhere(topic);
    const backing = new Uint8Array(64).fill(7);
    const png = new Uint8Array([137, 80, 78, 71, 0, 255, 1]);
    backing.set(png, 9);
    // A view into a larger buffer: only the viewed bytes may travel.
    const view = backing.subarray(9, 9 + png.length);
    const calls: Array<(c: CinderClient) => Promise<unknown>> = [
      (c) => c.broadcast(topic, 'frame:shared', view),
      (c) => c.broadcast(topic, 'frame:shared', Buffer.from('a Buffer')),
      (c) => c.broadcastBinary(topic, 'frame:shared', new Uint8Array(0)),
    ];
    for (const [i, call] of calls.entries()) {
      await call(http);
      await waitFor(() => w.count() === 2 * i + 1, `HTTP delivery ${i}`);
      await call(viaRedis);
      await waitFor(() => w.count() === 2 * i + 2, `Redis delivery ${i}`);
    }
    for (const { v2, v1, phx } of w.perNode) {
      expect(v2.broadcasts.every((f) => Buffer.isBuffer(f))).toBe(true);
      for (let i = 0; i < calls.length; i++) {
        expect(v2.broadcasts[2 * i + 1]).toStrictEqual(v2.broadcasts[2 * i]);
        expect(v1.broadcasts[2 * i + 1]).toStrictEqual(v1.broadcasts[2 * i]);
      }
      const got = phx.of('frame:shared');
      expect(got[1]).toBeInstanceOf(ArrayBuffer);
      expect(new Uint8Array(got[1])).toEqual(png);
      expect(JSON.parse(v1.broadcasts[1] as string).payload).toEqual({ base64: Buffer.from(png).toString('base64') });
    }
    expect((await monitor.on(topic)).filter((m) => m.origin.startsWith('sdk:'))).toHaveLength(calls.length);
  });

  it('bad topic, event or payload: refused with the HTTP path\u2019s status and code, and nothing is published', async () => {
    const topic = newTopic();
    const w = await watchEverywhere(topic);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: Array<[string, string, unknown]> = [
      ['', 'ev', {}],
      ['phoenix', 'ev', {}],
      [`${topic}\n`, 'ev', {}],
      ['t'.repeat(256), 'ev', {}],
      [42 as unknown as string, 'ev', {}],
      [topic, '', {}],
      [topic, 'phx_reply', {}],
      [topic, 'phx_join', {}],
      [topic, 'e'.repeat(256), {}],
      [topic, null as unknown as string, {}],
      [topic, 'ev', [1, 2]],
      [topic, 'ev', null],
      [topic, 'ev', 'text'],
      [topic, 'ev', 7],
      [topic, 'ev', new Date(0)],
      [topic, 'ev', JSON.parse('{"a":1,"__proto__":{"admin":true}}')],
      [topic, 'ev', { list: [JSON.parse('{"__proto__":null}')] }],
      [topic, 'ev', { constructor: { prototype: { admin: true } } }],
      [topic, 'ev', { deep: { constructor: { prototype: 1 } } }],
      [topic, 'ev', circular],
      [topic, 'ev', { n: 10n }],
      [topic, 'ev', { huge: 'x'.repeat(BODY_LIMIT) }],
      [topic, 'ev', new Uint8Array(BODY_LIMIT)],
      ['', 'ev', new Uint8Array(3)],
      [topic, 'phx_leave', new Uint8Array(3)],
    ];
    const codes: string[] = [];
    for (const [t, e, payload] of cases) {
      const viaHttp = await rejection(http.broadcast(t, e, payload as any));
      const direct = await rejection(viaRedis.broadcast(t, e, payload as any));
      const what = `${JSON.stringify(t)?.slice(0, 40)} ${JSON.stringify(e)?.slice(0, 40)}`;
      expect([what, viaHttp]).toEqual([what, expect.any(CinderApiError)]);
      expect([what, direct]).toEqual([what, expect.any(CinderApiError)]);
      expect([what, direct.status, direct.code]).toEqual([what, viaHttp.status, viaHttp.code]);
      codes.push(direct.code);
    }
    expect(new Set(codes)).toEqual(new Set(['invalid_request', 'payload_too_large']));

    // A marker published after all of them is the first thing anyone sees.
    await viaRedis.broadcast(topic, 'marker', {});
    await waitFor(() => w.count() === 1, 'the marker');
    await new Promise((r) => setTimeout(r, 200));
    for (const { phx } of w.perNode) expect(phx.events.map((e) => e.event)).toEqual(['marker']);
    expect((await monitor.on(topic)).filter((m) => m.origin.startsWith('sdk:'))).toHaveLength(1);
    // Nor on the refused topics' channels ("cinder:b:", "cinder:b:phoenix", …).
    expect(monitor.seen.filter((m) => m.origin.startsWith('sdk:') && !/^cinder:b:session:redis-[0-9a-f]+-\d+$/.test(m.channel))).toEqual([]);
  });

  it('the body size limit is the server\u2019s to the byte (JSON and binary)', async () => {
    const topic = newTopic();
    const w = await watchEverywhere(topic);
    const jsonBase = Buffer.byteLength(JSON.stringify({ topic, event: 'big', payload: { s: '' } }));
    const fits = { s: 'x'.repeat(BODY_LIMIT - jsonBase) };
    const over = { s: 'x'.repeat(BODY_LIMIT - jsonBase + 1) };
    const binBase = Buffer.byteLength(JSON.stringify({ topic, event: 'big', payload_base64: '' }));
    // Base64 grows in steps of 4 characters per 3 bytes.
    const binFits = new Uint8Array(3 * Math.floor((BODY_LIMIT - binBase) / 4)).fill(1);
    const binOver = new Uint8Array(binFits.length + 3).fill(1);

    for (const [payload, code] of [[over, 'payload_too_large'], [binOver, 'payload_too_large']] as const) {
      expect(await rejection(http.broadcast(topic, 'big', payload))).toMatchObject({ status: 400, code });
      expect(await rejection(viaRedis.broadcast(topic, 'big', payload))).toMatchObject({ status: 400, code });
    }
    let delivered = 0;
    for (const payload of [fits, binFits]) {
      await http.broadcast(topic, 'big', payload);
      await viaRedis.broadcast(topic, 'big', payload);
      delivered += 2;
      await waitFor(() => w.count() === delivered, 'the largest bodies', 10_000);
    }
    for (const { v2 } of w.perNode) {
      expect(v2.broadcasts[1]).toStrictEqual(v2.broadcasts[0]);
      expect(v2.broadcasts[3]).toStrictEqual(v2.broadcasts[2]);
    }
  });

  it('200 rapid broadcasts, the first made while the connection is still opening, arrive in call order on both nodes', async () => {
    const topic = newTopic();
    const w = await watchEverywhere(topic);
    const fresh = createClient({ url: `http://127.0.0.1:${await freePort()}`, apiKey: TEST_API_KEY, redisUrl: redis.url });
    closers.push(() => fresh.close());
    const N = 200;
    const calls = Array.from({ length: N }, (_, i) => fresh.broadcast(topic, 'ai:token', { i, text: `token ${i}` }));
    expect(await Promise.all(calls)).toEqual(Array.from({ length: N }, () => ({ ok: true })));
    await waitFor(() => w.count() === N, 'all 200 on both nodes', 10_000);
    for (const { phx } of w.perNode) expect(phx.of('ai:token').map((p) => p.i)).toEqual(Array.from({ length: N }, (_, i) => i));
    for (const raw of w.raws()) expect(raw.broadcasts).toHaveLength(N);
    expect((await monitor.on(topic)).filter((m) => m.origin.startsWith('sdk:'))).toHaveLength(N);
  });

  it('persist:true, job updates and reads still go through a node; two clients never share an origin', async () => {
    const topic = newTopic();
    const sessionId = topic.slice('session:'.length);
    const w = await watchEverywhere(topic);
    const both = createClient({ url: nodes[1].url, apiKey: TEST_API_KEY, redisUrl: redis.url });
    closers.push(() => both.close());

    const r = await both.broadcast(topic, 'ai:feedback', { message: 'Face opens at impact', swing_id: 'sw1' }, { persist: true });
    expect(r).toEqual({ ok: true, id: expect.stringMatching(/^\d+$/) });
    await waitFor(() => w.count() === 1, 'the stored feedback');
    for (const { phx } of w.perNode) expect(phx.of('ai:feedback')).toEqual([expect.objectContaining({ id: r.id, swing_id: 'sw1', type: 'ai_feedback' })]);
    expect((await both.sessionMessages(sessionId)).map((m) => m.id)).toEqual([r.id]);
    // Bytes cannot be persisted: the node says so, as it would without redisUrl.
    expect(await rejection(both.broadcast(topic, 'frame', new Uint8Array([1]), { persist: true }))).toMatchObject({ status: 400, code: 'invalid_request' });

    await both.broadcast(topic, 'typing', { on: true });
    await viaRedis.broadcast(topic, 'typing', { on: false });
    await waitFor(() => w.count() === 3, 'the ephemeral ones');
    const origins = (await monitor.on(topic)).map((m) => m.origin);
    // Probes came from node-a and node-b; the stored feedback from node-b (HTTP); the ephemeral ones from each SDK client.
    expect(origins.slice(2)).toEqual(['node-b', expect.stringMatching(/^sdk:/), expect.stringMatching(/^sdk:/)]);
    expect(origins[3]).not.toBe(origins[4]);

    const job = await both.job(`job-${rand}`).progress({ percent: 40, stage: 'pose' });
    expect(job).toMatchObject({ status: 'running', percent: 40 });
  });
});
