/**
 * Group commit through the real server: many concurrent `chat:new` pushes are
 * written in few transactions, each `ok` arrives only once its own row is
 * committed (it is readable at once), ids increase in commit order and
 * `chat:added` is delivered in that order.
 */
import { signToken, startServer, waitFor, type ServerProcess } from '@cinder/testkit';
import { WebSocket } from 'ws';
import { api, securedEnv } from '../support/cluster-env';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer(securedEnv());
});
afterAll(async () => {
  await server.kill();
});

async function commitCount(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = /^cinder_store_commit_seconds_count (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

it('writes 400 concurrent pushes in few transactions, acknowledging each after its commit', async () => {
  const sessionId = `gc-${Date.now()}`;
  const SOCKETS = 40;
  const PER_SOCKET = 10;
  const sockets: WebSocket[] = [];
  const acks: Array<{ id: string; at: number }> = [];
  const added: string[][] = [];
  for (let i = 0; i < SOCKETS; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket/websocket?token=${signToken({ sub: `u${i}`, sessions: '*' })}&vsn=2.0.0`);
    await new Promise((r) => ws.once('open', r));
    const mine: string[] = [];
    added.push(mine);
    let joined = false;
    ws.on('message', (data: Buffer) => {
      const [, ref, , event, payload] = JSON.parse(data.toString());
      if (event === 'phx_reply' && ref === 'j') joined = true;
      else if (event === 'phx_reply' && payload.status === 'ok') acks.push({ id: payload.response.id, at: Date.now() });
      else if (event === 'chat:added') mine.push(payload.id);
    });
    ws.send(JSON.stringify(['j', 'j', `session:${sessionId}`, 'phx_join', {}]));
    await waitFor(() => joined, 'join');
    sockets.push(ws);
  }
  const before = await commitCount();
  // All sockets push at once; each socket's own pushes are handled in order.
  for (let k = 0; k < PER_SOCKET; k++) {
    for (let i = 0; i < SOCKETS; i++) sockets[i].send(JSON.stringify(['j', `p${k}`, `session:${sessionId}`, 'chat:new', { message: `u${i} #${k}` }]));
  }
  const total = SOCKETS * PER_SOCKET;
  await waitFor(() => acks.length === total, 'all acknowledgements', 30000);
  await waitFor(() => added.every((a) => a.length === total), 'all chat:added', 30000);
  const commits = (await commitCount()) - before;
  // Few transactions for many rows (exact batching depends on timing).
  expect(commits).toBeGreaterThan(0);
  expect(commits).toBeLessThan(total / 4);

  const ids = acks.map((a) => Number(a.id));
  expect(new Set(ids).size).toBe(total);
  // Every client saw every message once, all in the same (commit/id) order.
  const expectedOrder = [...ids].sort((a, b) => a - b).map(String);
  for (const seen of added) expect(seen).toEqual(expectedOrder);
  // An acknowledged message is readable at once: the ok came after its commit.
  const hist = await api(server.url, 'GET', `/api/sessions/${sessionId}/messages?limit=500`);
  expect(hist.body.messages.map((m: { id: string }) => m.id)).toEqual(expectedOrder);
  for (const ws of sockets) ws.close();
});
