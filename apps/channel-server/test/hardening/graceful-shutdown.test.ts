/**
 * SIGTERM of one node of two (private Redis, one Postgres database, an
 * nginx round-robin in front) while a client streams `chat:new` pushes:
 * - every acknowledged message is in history, every stored one was
 *   acknowledged, and every push was answered `ok` or `unavailable` unless
 *   the socket closed first (then it was not stored): nothing is silently lost;
 * - its sockets close with 1012, so phoenix.js reconnects, through the
 *   balancer to the surviving node, and rejoins;
 * - the other node's clients see the presence leaves at once, long before
 *   the 10 s after which a silent node would be dropped;
 * - the process exits 0.
 */
import {
  createTestDatabase,
  startPrivateRedis,
  startRoundRobin,
  startServer,
  waitFor,
  type LoadBalancer,
  type PrivateRedis,
  type ServerProcess,
} from '@cinder/testkit';
import { api, securedEnv } from '../support/cluster-env';
import { Clients, type Joined } from '../support/phoenix-session';
import { sleep, V2Client } from './wire';

let redis: PrivateRedis;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let nodeA: ServerProcess;
let nodeB: ServerProcess;
let lb: LoadBalancer;
const onA = new Clients(() => nodeA.port);
const onB = new Clients(() => nodeB.port);
const viaLb = new Clients(() => lb.port);

beforeAll(async () => {
  redis = await startPrivateRedis();
  db = await createTestDatabase('cinder_drain');
  const env = (id: string) =>
    securedEnv({ REDIS_URL: redis.url, DATABASE_URL: db.url, NODE_ID: id, LOG_LEVEL: 'info', RATE_LIMIT: '100000/100000' });
  [nodeA, nodeB] = await Promise.all([startServer(env('drain-a')), startServer(env('drain-b'))]);
  lb = await startRoundRobin([nodeA.port, nodeB.port]);
}, 60_000);

afterAll(async () => {
  for (const c of [onA, onB, viaLb]) c.closeAll();
  await Promise.all([nodeA?.kill(), nodeB?.kill()]);
  await lb?.stop();
  await redis?.close();
  await db?.drop();
});

const member = (sub: string) => ({ sub, name: sub, sessions: '*' as const });

/** presence leaves and joins seen by a client, with their arrival time */
function presenceLog(j: Joined) {
  const log: Array<{ at: number; kind: 'join' | 'leave'; key: string }> = [];
  j.channel.on('presence_diff', (d: { joins: object; leaves: object }) => {
    const at = Date.now();
    for (const key of Object.keys(d.leaves)) log.push({ at, kind: 'leave', key });
    for (const key of Object.keys(d.joins)) log.push({ at, kind: 'join', key });
  });
  return log;
}

it('drains a node: nothing acknowledged is lost, sockets close with 1012, presence leaves at once', async () => {
  const sessionId = `drain-${Date.now()}`;
  const topic = `session:${sessionId}`;

  const observer = await onB.join(member('observer'), topic);
  const seen = presenceLog(observer);
  const alice = await onA.join(member('alice'), topic);
  const aliceCloses: number[] = [];
  alice.socket.onClose((e: { code: number }) => void aliceCloses.push(e.code));
  // Two clients through the balancer: round-robin puts one on each node.
  const lbClients = [await viaLb.join(member('lb-1'), topic), await viaLb.join(member('lb-2'), topic)];
  const lbCloses = lbClients.map(() => [] as number[]);
  lbClients.forEach((c, i) => c.socket.onClose((e: { code: number }) => void lbCloses[i].push(e.code)));

  const pusher = await V2Client.open(nodeA.port, member('pusher'));
  const joined = await pusher.join(topic);
  expect(joined.status).toBe('ok');
  await waitFor(() => ['alice', 'lb-1', 'lb-2', 'pusher'].every((k) => seen.some((e) => e.kind === 'join' && e.key === k)), 'everyone present');

  // Stream chat:new with 8 in flight until the socket closes.
  const sent: string[] = [];
  const WINDOW = 8;
  let inFlight = 0;
  const pump = () => {
    while (pusher.isOpen && inFlight < WINDOW) {
      const ref = pusher.push(topic, 'chat:new', { message: `drain #${sent.length}` }, joined.joinRef);
      sent.push(ref);
      inFlight++;
      void pusher.reply(ref, 30_000).then(
        () => {
          inFlight--;
          pump();
        },
        () => undefined,
      );
    }
  };
  pump();
  await waitFor(() => sent.length > 200, 'a stream of acknowledged pushes', 10_000);

  const sigtermAt = Date.now();
  const exit = nodeA.stop(15_000);
  const pusherClosed = await pusher.closed;
  const code = await exit;

  // --- every push answered ok/unavailable, or unanswered because the socket closed
  const replies = sent.map((ref) => ({ ref, reply: pusher.replyNow(ref) }));
  const okRefs = new Set(replies.filter((r) => r.reply?.status === 'ok').map((r) => r.ref));
  const unavailable = replies.filter((r) => r.reply?.status === 'error');
  const unanswered = replies.filter((r) => r.reply === undefined).map((r) => r.ref);
  for (const r of unavailable) expect(r.reply!.response).toEqual({ reason: 'unavailable' });
  expect(okRefs.size).toBeGreaterThan(0);
  expect(unanswered.length).toBeLessThanOrEqual(WINDOW);

  // --- history (read through the surviving node, same database)
  const stored = new Map<string, string>(); // message text -> id
  let after = '';
  for (;;) {
    const page = await api(nodeB.url, 'GET', `/api/sessions/${sessionId}/messages?limit=500${after ? `&after=${after}` : ''}`);
    expect(page.status).toBe(200);
    for (const m of page.body.messages) if (m.author_id === 'pusher') stored.set(m.message, m.id);
    if (page.body.messages.length < 500) break;
    after = page.body.messages[page.body.messages.length - 1].id;
  }
  const textOf = (ref: string) => `drain #${sent.indexOf(ref)}`;
  for (const ref of okRefs) {
    expect(stored.get(textOf(ref))).toBe(pusher.replyNow(ref)!.response.id);
  }
  // nothing stored without its acknowledgement, nothing half-done
  expect(stored.size).toBe(okRefs.size);
  for (const r of [...unavailable.map((u) => u.ref), ...unanswered]) expect(stored.has(textOf(r))).toBe(false);

  // --- sockets closed with 1012, the process exited cleanly
  expect(pusherClosed.code).toBe(1012);
  await waitFor(() => aliceCloses.length > 0, 'alice closed');
  expect(aliceCloses[0]).toBe(1012);
  expect(code).toBe(0);

  // --- presence: the other node's client saw the leaves at once
  await waitFor(() => ['alice', 'pusher'].every((k) => seen.some((e) => e.kind === 'leave' && e.key === k)), 'leaves on the other node', 5000);
  const leaveMs = Math.max(...['alice', 'pusher'].map((k) => seen.find((e) => e.kind === 'leave' && e.key === k)!.at - sigtermAt));
  expect(leaveMs).toBeLessThan(5000);

  // --- the balancer's client on the drained node reconnected to the other one and rejoined
  const moved = lbClients.map((_, i) => i).filter((i) => lbCloses[i].includes(1012));
  expect(moved.length).toBe(1);
  const key = `lb-${moved[0] + 1}`;
  await waitFor(() => seen.filter((e) => e.key === key).map((e) => e.kind).join(',').endsWith('leave,join'), `${key} back through the balancer`, 10_000);
  const presence = await api(nodeB.url, 'GET', `/api/presence/${encodeURIComponent(topic)}`);
  expect(Object.keys(presence.body.presence).sort()).toEqual(['lb-1', 'lb-2', 'observer']);

  // eslint-disable-next-line no-console
  console.log(
    `graceful shutdown: ${sent.length} pushes, ${okRefs.size} ok, ${unavailable.length} unavailable, ${unanswered.length} unanswered (socket closed first); ` +
      `leaves seen on the other node ${leaveMs} ms after SIGTERM; exit code ${code}`,
  );
  await sleep(0);
}, 60_000);
