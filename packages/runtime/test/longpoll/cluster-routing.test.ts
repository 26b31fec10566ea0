import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RedisAdapter } from '@cinder/pubsub';
import { jsonBroadcast } from '@cinder/runtime';
import { expectLongPollJson, request, settledWithin, sleep, startNode, waitFor, type TestNode } from './harness';
import { join, push, nextEvent } from './phoenix-helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Socket, LongPoll } = require('phoenix18');

/** A plain round-robin HTTP balancer: each request goes to the next upstream, no stickiness. */
async function roundRobin(ports: number[]): Promise<{ port: number; hits: number[]; close(): Promise<void> }> {
  const hits = ports.map(() => 0);
  let next = 0;
  const server = http.createServer((req, res) => {
    const i = next++ % ports.length;
    hits[i]++;
    const upstream = http.request(
      { host: '127.0.0.1', port: ports[i], path: req.url, method: req.method, headers: req.headers, agent: false },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Two nodes on one Redis, each with its own HTTP server: a raw client sends
 * its requests to either node with one session token, as a round-robin
 * balancer without sticky sessions would.
 */
describe('LongPoll across nodes (no sticky sessions)', () => {
  let a: TestNode;
  let b: TestNode;

  beforeEach(async () => {
    const prefix = `test-lp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const adapterA = new RedisAdapter({ url: REDIS_URL, nodeId: 'node-a', prefix });
    const adapterB = new RedisAdapter({ url: REDIS_URL, nodeId: 'node-b', prefix });
    const longpoll = { windowMs: 400, pubsubTimeoutMs: 500 };
    a = await startNode({ adapter: adapterA, longpoll });
    b = await startNode({ adapter: adapterB, longpoll });
    // The control-bus subscriptions are live once Redis has answered them.
    await Promise.all([adapterA.settled(), adapterB.settled()]);
  });

  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const tokenQuery = (token: string) => `vsn=2.0.0&token=${encodeURIComponent(token)}`;
  const send = (node: TestNode, token: string, body: string, contentType = 'text/plain') =>
    request('POST', node.url(tokenQuery(token)), { headers: { 'content-type': contentType }, body });
  const poll = (node: TestNode, token: string) => request('GET', node.url(tokenQuery(token)));

  test('alternating GETs and POSTs between two nodes drive one session held by the first', async () => {
    const opened = await request('GET', a.url('vsn=2.0.0&user=roamer'));
    expectLongPollJson(opened, { messages: [], status: 410, token: expect.any(String) });
    const token: string = opened.json.token;

    expectLongPollJson(await send(b, token, '["1","1","room:rr","phx_join",{}]'), { status: 200 });
    expectLongPollJson(await poll(b, token), {
      messages: ['["1","1","room:rr","phx_reply",{"response":{"ok":true},"status":"ok"}]'],
      status: 200,
      token,
    });
    expectLongPollJson(await send(a, token, '["1","2","room:rr","echo",{"n":1}]'), { status: 200 });
    expect((await poll(b, token)).json.messages).toEqual(['["1","2","room:rr","phx_reply",{"response":{"n":1},"status":"ok"}]']);
    // kind 0 push: join_ref "1", ref "4", topic "room:rr", event "echo", payload 01 02
    const binaryPush = Buffer.concat([Buffer.from([0, 1, 1, 7, 4]), Buffer.from('14room:rrecho'), Buffer.from([1, 2])]).toString('base64');
    const batch = ['["1","3","room:rr","echo",{"n":2}]', binaryPush, '[null,"5","phoenix","heartbeat",{}]'].join('\n');
    expectLongPollJson(await send(b, token, batch, 'application/x-ndjson'), { status: 200 });
    expect((await poll(a, token)).json.messages).toEqual([
      '["1","3","room:rr","phx_reply",{"response":{"n":2},"status":"ok"}]',
      '["1","4","room:rr","phx_reply",{"response":{"base64":"AQI="},"status":"ok"}]',
      '[null,"5","phoenix","phx_reply",{"response":{},"status":"ok"}]',
    ]);

    // Everything ran on node A; node B only relayed.
    expect(a.longpoll.sessionCount).toBe(1);
    expect(b.longpoll.sessionCount).toBe(0);
    expect(a.observed.received.map((r) => r.payload)).toEqual([{ n: 1 }, { n: 2 }, new Uint8Array([1, 2])]);
    expect(b.observed.received).toEqual([]);
    expect(b.observed.connects).toEqual([]);
  });

  test('a poll held through another node is answered by the owner when frames arrive, or with 204 when the window ends', async () => {
    const token = (await request('GET', a.url('vsn=2.0.0&user=holder'))).json.token as string;
    await send(a, token, '["1","1","room:held","phx_join",{}]');
    await poll(a, token);

    const held = poll(b, token);
    await sleep(100);
    await send(a, token, '["1","2","room:held","echo",{"late":true}]');
    expect((await settledWithin(held, 3000))?.json.messages).toEqual(['["1","2","room:held","phx_reply",{"response":{"late":true},"status":"ok"}]']);

    const started = Date.now();
    expectLongPollJson(await poll(b, token), { messages: [], status: 204, token });
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(a.longpoll.sessionCount).toBe(1);
  });

  test('a newer poll on the owner ends a poll held through another node', async () => {
    const token = (await request('GET', a.url('vsn=2.0.0&user=two'))).json.token as string;
    const older = poll(b, token);
    await sleep(100);
    const newer = poll(a, token);
    expectLongPollJson(await older, { messages: [], status: 204, token });
    await send(b, token, '[null,"1","phoenix","heartbeat",{}]');
    expect((await newer).json.messages).toEqual(['[null,"1","phoenix","phx_reply",{"response":{},"status":"ok"}]']);
  });

  test('frames that arrive after a client aborted a routed poll wait for its next poll', async () => {
    const token = (await request('GET', a.url('vsn=2.0.0&user=aborter'))).json.token as string;
    const controller = new AbortController();
    const aborted = request('GET', b.url(tokenQuery(token)), { signal: controller.signal }).catch((err: Error) => err);
    await sleep(100);
    controller.abort();
    expect(((await aborted) as Error).name).toBe('AbortError');
    await sleep(100);
    await send(b, token, '[null,"1","phoenix","heartbeat",{}]');
    expect((await poll(b, token)).json.messages).toEqual(['[null,"1","phoenix","phx_reply",{"response":{},"status":"ok"}]']);
  });

  test('a session that ended on its owner: POST through another node is 410, GET opens a new session there', async () => {
    const token = (await request('GET', a.url('vsn=2.0.0&user=gone'))).json.token as string;
    a.endpoint.disconnect('user_socket:gone');
    expect(a.longpoll.sessionCount).toBe(0);
    expectLongPollJson(await send(b, token, '[null,"1","phoenix","heartbeat",{}]'), { status: 410 });
    const reopened = await poll(b, token);
    expectLongPollJson(reopened, { messages: [], status: 410, token: expect.any(String) });
    expect(b.longpoll.sessionCount).toBe(1);
    expect(Buffer.from(reopened.json.token.split('.')[0], 'base64url').toString()).toBe('node-b');
  });

  test('an owner that does not answer within pubsub_timeout_ms: POST gets 410 and GET a new session', async () => {
    const token = (await request('GET', a.url('vsn=2.0.0&user=orphan'))).json.token as string;
    await a.close();
    const started = Date.now();
    expectLongPollJson(await send(b, token, '[null,"1","phoenix","heartbeat",{}]'), { status: 410 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    const reopened = await poll(b, token);
    expectLongPollJson(reopened, { messages: [], status: 410, token: expect.any(String) });
    expect(reopened.json.token).not.toBe(token);
    expect(b.longpoll.sessionCount).toBe(1);
  });

  test('stock phoenix.js 1.8 over LongPoll behind a round-robin balancer', async () => {
    const balancer = await roundRobin([a.port, b.port]);
    const socket = new Socket(`ws://127.0.0.1:${balancer.port}/socket`, { transport: LongPoll, timeout: 3000, params: { user: 'rr' } });
    try {
      socket.connect();
      const room = socket.channel('room:balanced', {});
      expect(await join(room)).toEqual({ ok: true });
      for (let n = 0; n < 5; n++) expect(await push(room, 'echo', { n })).toEqual({ status: 'ok', response: { n } });
      // a broadcast from either node reaches the session, wherever its polls land
      for (const node of [a, b]) {
        const got = nextEvent(room, 'shout');
        node.endpoint.pubsub.broadcast(jsonBroadcast('room:balanced', 'shout', { from: node === a ? 'a' : 'b' }));
        expect(await got).toEqual({ from: node === a ? 'a' : 'b' });
      }
      expect(a.longpoll.sessionCount + b.longpoll.sessionCount).toBe(1);
      expect(a.observed.connects.length + b.observed.connects.length).toBe(1);
      await waitFor('requests on both nodes', () => balancer.hits.every((h) => h >= 3));
    } finally {
      socket.disconnect();
      await balancer.close();
    }
  });
});
