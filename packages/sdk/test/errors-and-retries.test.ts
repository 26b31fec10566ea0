/**
 * Typed errors carrying the server's code, and retries that never duplicate:
 * a persisted broadcast whose answer is lost is retried with the same
 * idempotency key and stored and delivered once.
 */
import { CinderApiError, CinderNetworkError, createClient } from '@cinder/sdk';
import { freePort, startServer, TEST_API_KEY, TEST_JWT_SECRET, waitFor, type ServerProcess } from '@cinder/testkit';
import { FlakyProxy } from './flaky-proxy';
import { subscribe } from './subscriber';
import { rejection } from './rejection';

let server: ServerProcess;
let proxy: FlakyProxy;
const subscribers: Array<{ close(): void }> = [];
let n = 0;
const uid = (p: string) => `${p}-${++n}-${Date.now().toString(36)}`;

beforeAll(async () => {
  server = await startServer({ JWT_SECRET: TEST_JWT_SECRET, SERVER_API_KEY: TEST_API_KEY });
});
beforeEach(async () => {
  proxy = await new FlakyProxy(server.url).start();
});
afterEach(async () => {
  for (const s of subscribers.splice(0)) s.close();
  await proxy.stop();
});
afterAll(async () => {
  await server.kill();
});

describe('typed errors', () => {
  it('a wrong API key surfaces as CinderApiError 401 "unauthorized", on every method, without retries', async () => {
    const bad = createClient({ url: proxy.url, apiKey: 'not-the-key' });
    const calls: Array<() => Promise<unknown>> = [
      () => bad.broadcast('session:x', 'ai:feedback', { message: 'x' }, { persist: true }),
      () => bad.broadcast('session:x', 'note', {}),
      () => bad.broadcastBinary('session:x', 'frame', new Uint8Array([1])),
      () => bad.job('j').progress({ percent: 1 }),
      () => bad.sessionMessages('x'),
      () => bad.sessions({ status: 'waiting' }),
      () => bad.presence('session:x'),
      () => bad.disconnectUser('u'),
    ];
    for (const call of calls) {
      const err = await rejection(call());
      expect(err).toBeInstanceOf(CinderApiError);
      expect(err).toMatchObject({ name: 'CinderApiError', status: 401, code: 'unauthorized' });
      expect(err.message).toMatch(/key/i);
    }
    expect(proxy.forwarded).toHaveLength(calls.length);
  });

  it('bad input surfaces as CinderApiError 400 with the server code, and nothing is stored', async () => {
    const cinder = createClient({ url: proxy.url, apiKey: TEST_API_KEY });
    const sid = uid('s');
    expect(await rejection(cinder.broadcast(`session:${sid}`, 'weird:event', { message: 'x' }, { persist: true }))).toMatchObject({
      status: 400,
      code: 'invalid_type',
    });
    expect(await rejection(cinder.broadcast('user:u1', 'ai:feedback', { message: 'x' }, { persist: true }))).toMatchObject({
      status: 400,
      code: 'invalid_request',
    });
    expect(await rejection(cinder.job(uid('j')).progress({ percent: 150 }))).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await rejection(cinder.sessionMessages(sid, { limit: 501 }))).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await rejection(cinder.sessionMessages(sid, { after: 'abc' }))).toBeInstanceOf(CinderApiError);
    // 4xx answers are final: each call reached the server exactly once.
    expect(proxy.forwarded).toHaveLength(5);
    expect(await cinder.sessionMessages(sid)).toEqual([]);
  });

  it('a wrong base URL surfaces as CinderApiError 404 "not_found"', async () => {
    const misrouted = createClient({ url: `${server.url}/api`, apiKey: TEST_API_KEY });
    const err = await rejection(misrouted.sessionMessages('x'));
    expect(err).toBeInstanceOf(CinderApiError);
    expect(err).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('a dead URL surfaces as CinderNetworkError after the retries', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const cinder = createClient({ url: dead, apiKey: TEST_API_KEY, retries: 1 });
    for (const call of [() => cinder.sessionMessages('x'), () => cinder.broadcast('session:x', 'note', {}), () => cinder.job('j').completed()]) {
      const err = await rejection(call());
      expect(err).toBeInstanceOf(CinderNetworkError);
      expect(err).not.toBeInstanceOf(CinderApiError);
      expect(err.name).toBe('CinderNetworkError');
    }
  });

  it('a server that never answers surfaces as CinderNetworkError after timeoutMs', async () => {
    const { createServer } = await import('node:net');
    const held: Array<{ destroy(): void }> = [];
    const silent = createServer((sock) => held.push(sock)).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const cinder = createClient({ url: `http://127.0.0.1:${port}`, apiKey: TEST_API_KEY, timeoutMs: 200, retries: 0 });
      expect(await rejection(cinder.presence('session:x'))).toBeInstanceOf(CinderNetworkError);
    } finally {
      for (const sock of held) sock.destroy();
      silent.close();
    }
  });
});

describe('retries', () => {
  it('retries a persisted broadcast whose answer was lost, with the same key: stored and delivered once', async () => {
    const sid = uid('s');
    const w = await subscribe(server.port, `session:${sid}`);
    subscribers.push(w);
    const cinder = createClient({ url: proxy.url, apiKey: TEST_API_KEY });
    proxy.dropResponses(1);

    const r = await cinder.broadcast(`session:${sid}`, 'ai:feedback', { message: 'Rotate your hips earlier.' }, { persist: true });

    // The first attempt reached the server and committed; the retry repeated it.
    const posts = proxy.forwarded.filter((f) => f.path === '/api/broadcast').map((f) => JSON.parse(f.body));
    expect(posts).toHaveLength(2);
    expect(posts[0].idempotency_key).toEqual(expect.any(String));
    expect(posts[1]).toEqual(posts[0]);
    const stored = await cinder.sessionMessages(sid);
    expect(stored.map((m) => m.id)).toEqual([r.id]);
    await cinder.broadcast(`session:${sid}`, 'marker', {});
    await waitFor(() => w.of('marker').length === 1, 'marker');
    expect(w.of('ai:feedback').map((p) => p.id)).toEqual([r.id]);
  });

  it('retries idempotent job updates and reads; never an ephemeral broadcast', async () => {
    const cinder = createClient({ url: proxy.url, apiKey: TEST_API_KEY });
    const id = uid('job');
    proxy.dropResponses(1);
    expect(await cinder.job(id).progress({ percent: 30 })).toMatchObject({ job_id: id, percent: 30 });
    proxy.dropResponses(2);
    expect(await cinder.presence('session:none')).toEqual({});
    expect(proxy.forwarded).toHaveLength(5);

    const sid = uid('s');
    const w = await subscribe(server.port, `session:${sid}`);
    subscribers.push(w);
    proxy.dropResponses(1);
    // The server delivered it; the SDK cannot know, so it must not resend.
    expect(await rejection(cinder.broadcast(`session:${sid}`, 'typing:ai', { on: true }))).toBeInstanceOf(CinderNetworkError);
    await cinder.broadcast(`session:${sid}`, 'marker', {});
    await waitFor(() => w.of('marker').length === 1, 'marker');
    expect(w.of('typing:ai')).toEqual([{ on: true }]);
  });
});
