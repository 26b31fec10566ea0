/**
 * Store failure is visible, not silent: with Postgres stopped under load,
 * `chat:new` gets `unavailable` within 5 s, /readyz says 503 naming the
 * store, nothing half-written remains, and Cinder recovers by itself when
 * Postgres returns.
 */
import { signToken, startPrivatePostgres, startServer, waitFor, type PrivatePostgres, type ServerProcess } from '@cinder/testkit';
import { WebSocket } from 'ws';
import { api, securedEnv } from '../support/cluster-env';

jest.setTimeout(120_000);

const OUTAGES = [
  ['stopped', (pg: PrivatePostgres) => pg.stop('fast'), (pg: PrivatePostgres) => pg.start()],
  // A hung server is the hard case: connections neither fail nor answer.
  ['hung', (pg: PrivatePostgres) => pg.freeze(), (pg: PrivatePostgres) => pg.thaw()],
] as const;

describe.each(OUTAGES)('with Postgres %s', (_mode, breakIt, repairIt) => {
let pg: PrivatePostgres;
let server: ServerProcess;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  server = await startServer(securedEnv({ DATABASE_URL: pg.url }));
});
afterAll(async () => {
  await server?.kill();
  await pg?.close();
});

interface Sent {
  at: number;
  status?: string;
  reason?: string;
  id?: string;
  repliedAt?: number;
}

it('answers unavailable during an outage and recovers without a restart', async () => {
  const sessionId = `outage-${Date.now()}`;
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket/websocket?token=${signToken({ sub: 'alice', sessions: '*' })}&vsn=2.0.0`);
  await new Promise((r) => ws.once('open', r));
  const sent = new Map<string, Sent>();
  let joined = false;
  ws.on('message', (data: Buffer) => {
    const [, ref, , event, payload] = JSON.parse(data.toString());
    if (event !== 'phx_reply') return;
    if (ref === 'join') {
      joined = payload.status === 'ok';
      return;
    }
    const s = sent.get(ref);
    if (!s) return;
    s.status = payload.status;
    s.reason = payload.response?.reason;
    s.id = payload.response?.id;
    s.repliedAt = Date.now();
  });
  ws.send(JSON.stringify(['join', 'join', `session:${sessionId}`, 'phx_join', {}]));
  await waitFor(() => joined, 'join');
  let seq = 0;
  const push = () => {
    const ref = `c${seq++}`;
    sent.set(ref, { at: Date.now() });
    ws.send(JSON.stringify(['join', ref, `session:${sessionId}`, 'chat:new', { message: `load ${ref}` }]));
  };
  // Steady load: 20 pushes a second for the whole test.
  const timer = setInterval(push, 50);
  try {
    await waitFor(() => [...sent.values()].filter((s) => s.status === 'ok').length >= 10, 'acks before the outage', 20_000);
    await breakIt(pg);
    const outageStarted = Date.now();
    await waitFor(() => [...sent.values()].some((s) => s.reason === 'unavailable'), 'unavailable replies', 15_000);
    const ready = await api(server.url, 'GET', '/readyz', undefined, null);
    expect(ready.status).toBe(503);
    expect(ready.body.down).toContain('store');
    // Every push made during the first 3 s of the outage is answered, within 5 s.
    const windowEnd = outageStarted + 3000;
    await new Promise((r) => setTimeout(r, windowEnd + 5200 - Date.now()));
    const during = [...sent.values()].filter((s) => s.at > outageStarted + 100 && s.at < windowEnd);
    expect(during.length).toBeGreaterThan(20);
    for (const s of during) {
      expect(s.status).toBe('error');
      expect(s.reason).toBe('unavailable');
      expect(s.repliedAt! - s.at).toBeLessThanOrEqual(5000);
    }
    await repairIt(pg);
    const backAt = Date.now();
    await waitFor(() => [...sent.values()].some((s) => s.at > backAt && s.status === 'ok'), 'acks after recovery', 30_000);
    const readyAgain = await api(server.url, 'GET', '/readyz', undefined, null);
    expect(readyAgain.status).toBe(200);
  } finally {
    clearInterval(timer);
  }
  await new Promise((r) => setTimeout(r, 500));
  ws.close();
  // Nothing half-written: history holds exactly the acknowledged messages.
  const hist = await api(server.url, 'GET', `/api/sessions/${sessionId}/messages?limit=500`);
  const storedIds = new Set((hist.body.messages as Array<{ id: string }>).map((m) => m.id));
  const ackedIds = [...sent.values()].filter((s) => s.status === 'ok').map((s) => s.id!);
  for (const id of ackedIds) expect(storedIds.has(id)).toBe(true);
  const unavailableTexts = new Set([...sent.entries()].filter(([, s]) => s.reason === 'unavailable').map(([ref]) => `load ${ref}`));
  for (const m of hist.body.messages as Array<{ message: string }>) expect(unavailableTexts.has(m.message)).toBe(false);
});
});
