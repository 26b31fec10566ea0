/**
 * Rejoining with `since` while others keep writing: every message is seen
 * exactly once — in a join reply or live, never both, never neither. The
 * channel subscribes before its history query and drops held broadcasts the
 * reply already contains.
 */
import { signToken, startServer, waitFor, type ServerProcess } from '@cinder/testkit';
import { WebSocket } from 'ws';
import { api, securedEnv } from '../support/cluster-env';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer(securedEnv({ RATE_LIMIT: '5000/5000' }));
});
afterAll(async () => {
  await server.kill();
});

/** The highest message id the reader has been given so far. */
function highestSeen(frames: any[]): string | null {
  let max = -1;
  for (const [joinRef, ref, , event, payload] of frames) {
    if (event === 'phx_reply' && ref === joinRef && payload.response?.messages) {
      for (const m of payload.response.messages) max = Math.max(max, Number(m.id));
    } else if (event === 'chat:added') max = Math.max(max, Number(payload.id));
  }
  return max < 0 ? null : String(max);
}

function socket(sub: string): Promise<{ ws: WebSocket; frames: any[] }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket/websocket?token=${signToken({ sub, sessions: '*' })}&vsn=2.0.0`);
    const frames: any[] = [];
    ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString())));
    ws.once('open', () => resolve({ ws, frames }));
  });
}

it('sees every message exactly once across 40 rejoins under concurrent writes', async () => {
  const topic = `session:race-${Date.now()}`;
  const writer = await socket('writer');
  const reader = await socket('reader');
  writer.ws.send(JSON.stringify(['w', 'w', topic, 'phx_join', {}]));
  await waitFor(() => writer.frames.some((f) => f[1] === 'w'), 'writer joined');
  let writing = true;
  let sent = 0;
  const pump = (async () => {
    while (writing) {
      writer.ws.send(JSON.stringify(['w', `m${sent}`, topic, 'chat:new', { message: `m${sent++}` }]));
      await new Promise((r) => setTimeout(r, 2));
    }
  })();

  const seen: string[] = [];
  let lastSeen: string | null = null;
  for (let round = 0; round < 40; round++) {
    const jr = `j${round}`;
    reader.ws.send(JSON.stringify([jr, jr, topic, 'phx_join', lastSeen ? { since: lastSeen } : {}]));
    await waitFor(() => reader.frames.some((f) => f[1] === jr && f[3] === 'phx_reply'), `join ${round}`);
    await new Promise((r) => setTimeout(r, 5 + (round % 7) * 3));
    reader.ws.send(JSON.stringify([jr, `l${round}`, topic, 'phx_leave', {}]));
    await waitFor(() => reader.frames.some((f) => f[1] === `l${round}`), `leave ${round}`);
    lastSeen = highestSeen(reader.frames) ?? lastSeen;
  }
  writing = false;
  await pump;
  // Let the writer's last messages commit, then catch up one final time.
  await waitFor(() => writer.frames.filter((f) => f[3] === 'phx_reply' && String(f[1]).startsWith('m')).length === sent, 'writer acks', 15000);
  reader.ws.send(JSON.stringify(['jf', 'jf', topic, 'phx_join', {}]));

  // Replay what the reader got, generation by generation (frames of a join_ref).
  for (const f of reader.frames) {
    const [joinRef, ref, , event, payload] = f;
    if (event === 'phx_reply' && ref === joinRef && payload.status === 'ok' && payload.response.messages && joinRef !== 'jf') {
      for (const m of payload.response.messages) seen.push(m.id);
    } else if (event === 'chat:added') {
      seen.push(payload.id);
    }
  }
  const all: string[] = [];
  for (;;) {
    const after = all.length > 0 ? `&after=${all[all.length - 1]}` : '';
    const page = await api(server.url, 'GET', `/api/sessions/${topic.slice(8)}/messages?limit=500${after}`);
    all.push(...page.body.messages.map((m: { id: string }) => m.id));
    if (page.body.messages.length < 500) break;
  }
  expect(all.length).toBe(sent);
  // The reader really followed the stream (a vacuous pass is impossible).
  expect(seen.length).toBeGreaterThan(50);
  // Nothing twice…
  const dupes = seen.filter((id, i) => seen.indexOf(id) !== i);
  expect(dupes).toEqual([]);
  // …and nothing missing up to the last message the reader could have seen.
  const maxSeen = Math.max(...seen.map(Number));
  const expected = all.filter((id) => Number(id) <= maxSeen);
  expect([...seen].sort((a, b) => Number(a) - Number(b))).toEqual(expected);
  writer.ws.close();
  reader.ws.close();
});
