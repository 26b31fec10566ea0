/**
 * A reply `ok` means the data is durable: push many `chat:new`, kill -9 the
 * server the moment acknowledgements arrive, restart it on the same data, and
 * find every acknowledged message in history exactly once — on Postgres and
 * on PGlite.
 */
import { signToken, startServer, waitFor, type ServerProcess } from '@cinder/testkit';
import { WebSocket } from 'ws';
import { BACKENDS } from '../support/backends';
import { api, securedEnv } from '../support/cluster-env';

jest.setTimeout(90_000);

describe.each(BACKENDS)('durability on %s', (_name, backend) => {
  let cleanup: () => Promise<void>;
  let server: ServerProcess | null = null;
  afterAll(async () => {
    await server?.kill();
    await cleanup?.();
  });

  it('keeps every acknowledged message across kill -9', async () => {
    const b = await backend();
    cleanup = b.cleanup;
    server = await startServer(securedEnv(b.env), { store: b.store });
    const env = server.env;
    const port = server.port;
    const sessionId = `durable-${Date.now()}`;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket/websocket?token=${signToken({ sub: 'alice', sessions: '*' })}&vsn=2.0.0`);
    await new Promise((r) => ws.once('open', r));
    const acked = new Map<string, string>();
    let joined = false;
    ws.on('message', (data: Buffer) => {
      const [, ref, , event, payload] = JSON.parse(data.toString());
      if (event !== 'phx_reply') return;
      if (ref === 'join') joined = payload.status === 'ok';
      else if (payload.status === 'ok') acked.set(ref, payload.response.id);
    });
    ws.on('error', () => undefined);
    ws.send(JSON.stringify(['join', 'join', `session:${sessionId}`, 'phx_join', {}]));
    await waitFor(() => joined, 'join');
    for (let i = 0; i < 200; i++) ws.send(JSON.stringify(['join', `m${i}`, `session:${sessionId}`, 'chat:new', { message: `durable ${i}` }]));
    // Kill as soon as a good share is acknowledged, while the rest are in flight.
    await waitFor(() => acked.size >= 40, 'first acknowledgements', 30_000);
    server.child.kill('SIGKILL');
    await server.exited();
    const ackedNow = new Map(acked);
    ws.terminate();

    server = await startServer(env, { port, store: b.store });
    const hist = await api(server.url, 'GET', `/api/sessions/${sessionId}/messages?limit=500`);
    expect(hist.status).toBe(200);
    const stored = hist.body.messages as Array<{ id: string; message: string }>;
    const ids = stored.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [ref, id] of ackedNow) {
      const m = stored.find((x) => x.id === id);
      expect(m?.message).toBe(`durable ${ref.slice(1)}`);
    }
    // Ids increase in commit order, with no message stored twice.
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((x, y) => x - y));
  });
});
