/**
 * Chaos under steady chat load on the three-node cluster: kill -9 one node,
 * restart Redis, restart Postgres, SIGTERM another node. Afterwards every
 * acknowledged message is in history exactly once, nothing refused is, and
 * every client (all stayed or came back, rejoining with `since` = the
 * highest id it has seen) has seen every message exactly once. The one
 * allowance is the contract's: broadcasts published while Redis was down may
 * miss other nodes' clients (§8 promises only "later" broadcasts).
 */
import { randomBytes } from 'node:crypto';
import { startPrivatePostgres, waitFor, type PrivatePostgres } from '@cinder/testkit';
import { api } from '../support/cluster-env';
import { chatSteadily, fullHistory, joinChatter, type Chatter, type Push } from './chat-load';
import { startCluster, type Cluster, type NodeId } from './cluster';
import { Members } from './members';

const CHATTERS = 6;
const GAP_MS = 150;

describe('chaos under steady chat load', () => {
  let pg: PrivatePostgres | undefined;
  let cluster: Cluster | undefined;
  const members = new Members();
  let running = false;
  let load: Promise<unknown> = Promise.resolve();
  const sessionId = `chaos-${randomBytes(4).toString('hex')}`;
  const topic = `session:${sessionId}`;

  beforeAll(async () => {
    // A private Postgres, so the test can restart it.
    pg = await startPrivatePostgres();
    cluster = await startCluster({ databaseUrl: pg.url });
  }, 60_000);

  afterAll(async () => {
    running = false;
    await load; // each chatter has at most one push out, answered or timed out within 5 s
    members.closeAll();
    await cluster?.close();
    await pg?.close();
  }, 30_000);

  it('loses and doubles nothing acknowledged, refused or seen', async () => {
    const c = cluster!;
    const db = pg!;
    const t0 = Date.now();
    const marks: Array<{ phase: string; t: number }> = [];
    const mark = (phase: string) => marks.push({ phase, t: Date.now() - t0 });

    // Two chatters start on each node, so the kill and the SIGTERM each hit
    // two of them; every reconnect goes through the balancer.
    const home: NodeId[] = ['node-a', 'node-a', 'node-b', 'node-b', 'node-c', 'node-c'];
    const chatters: Chatter[] = [];
    for (let i = 0; i < CHATTERS; i++) {
      let pinned = true;
      chatters.push(await joinChatter(members, `chat-${i}`, topic, () => (pinned ? c.url(home[i]) : c.lb.url)));
      pinned = false;
    }

    running = true;
    load = Promise.all(chatters.map((ch) => chatSteadily(ch, () => running, GAP_MS)));
    /** every chatter got an ok for a push it sent after `t` */
    const allAckedSince = async (what: string, t: number, timeoutMs = 20_000) => {
      await waitFor(() => chatters.every((ch) => ch.pushes.some((p) => p.status === 'ok' && p.sentAt > t)), what, timeoutMs);
      mark(`${what}: done`);
    };
    await allAckedSince('load running', t0);
    await new Promise((r) => setTimeout(r, 1000));

    mark('kill -9 node-a');
    await c.kill('node-a');
    await allAckedSince('recovered from the kill', Date.now());
    await c.restart('node-a');
    await c.waitReady(200);
    mark('node-a restarted');

    mark('redis stop');
    const redisDownAt = Date.now();
    await c.redis.stop();
    await c.waitReady(503);
    await new Promise((r) => setTimeout(r, 500));
    await c.redis.start();
    await c.waitReady(200);
    const redisBackAt = Date.now();
    mark('redis back, readyz 200');
    await allAckedSince('recovered from the redis restart', redisBackAt);

    mark('postgres stop');
    await db.stop();
    await c.waitReady(503);
    await new Promise((r) => setTimeout(r, 1000));
    await db.start();
    await c.waitReady(200);
    mark('postgres back, readyz 200');
    await allAckedSince('recovered from the postgres restart', Date.now());

    mark('SIGTERM node-b');
    expect(await c.terminate('node-b')).toBe(0);
    mark('node-b exited');
    await allAckedSince('recovered from the SIGTERM', Date.now());
    await new Promise((r) => setTimeout(r, 1500));

    running = false;
    await load;
    mark('load stopped');
    await quiesce(chatters, c, sessionId);

    // Final catch-up: the server closes every chatter's socket; each
    // reconnects and rejoins with `since`, as after any disconnect.
    const joinsBefore = chatters.map((ch) => ch.member.joinReplies.length);
    for (const ch of chatters) expect((await api(c.url('node-c'), 'POST', `/api/users/${ch.name}/disconnect`)).status).toBe(200);
    await waitFor(
      () => chatters.every((ch, i) => ch.member.joinReplies.length > joinsBefore[i] && ch.member.channel.state === 'joined'),
      'every chatter to rejoin for the final catch-up',
      15_000,
    );
    await quiesce(chatters, c, sessionId);
    mark('final catch-up done');

    const history = await fullHistory(c.url('node-c'), sessionId);
    const pushes = chatters.flatMap((ch) => ch.pushes);
    const byText = new Map(pushes.map((p) => [p.text, p]));
    const historyIds = history.map((m) => m.id);
    const idCounts = countOf(historyIds);
    const textCounts = countOf(history.map((m) => m.message));
    const historyText = new Map(history.map((m) => [m.id, m.message]));
    const acked = pushes.filter((p) => p.status === 'ok');
    const refused = pushes.filter((p) => p.status === 'error');

    // A broadcast published while Redis was down may miss other nodes (contract §8).
    const duringRedisOutage = (p: Push | undefined) => p !== undefined && p.sentAt < redisBackAt && (p.doneAt ?? Infinity) > redisDownAt - 500;
    const pushOf = (id: string) => byText.get(historyText.get(id) ?? '');
    const perClient = chatters.map((ch) => {
      const seen = ch.seenIds();
      const counts = countOf(seen);
      const unseen = historyIds.filter((id) => !counts.has(id));
      return {
        name: ch.name,
        rejoins: ch.member.joinReplies.length - 1,
        sightings: seen.length,
        distinct: counts.size,
        seenTwice: [...counts].filter(([, n]) => n > 1).map(([id, n]) => ({ n, ...diagnose(ch, id, pushOf(id), t0) })),
        notInHistory: [...counts.keys()].filter((id) => !idCounts.has(id)),
        missed: unseen.filter((id) => !duringRedisOutage(pushOf(id))).map((id) => diagnose(ch, id, pushOf(id), t0)),
        missedDuringRedisOutage: unseen.filter((id) => duringRedisOutage(pushOf(id))).length,
      };
    });

    const summary = {
      pushes: pushes.length,
      outcomes: Object.fromEntries(countOf(pushes.map((p) => (p.status === 'error' ? `error:${p.reason}` : String(p.status))))),
      history: history.length,
      unknownInHistory: pushes.filter((p) => p.status === 'timeout' && textCounts.has(p.text)).length,
      marks,
      perClient: perClient.map((pc, i) => ({
        ...pc,
        pushes: Object.fromEntries(countOf(chatters[i].pushes.map((p) => String(p.status)))),
        seenTwice: pc.seenTwice.length, missed: pc.missed.length, notInHistory: pc.notInHistory.length })),
    };
    // The numbers of the run, for whoever reads the log.
    process.stdout.write(`chaos summary ${JSON.stringify(summary)}\n`);

    expect(acked.length).toBeGreaterThan(0);
    expect(refused.filter((p) => p.reason !== 'unavailable')).toEqual([]);
    expect({
      doubledIds: [...idCounts].filter(([, n]) => n > 1),
      doubledTexts: [...textCounts].filter(([, n]) => n > 1),
      ackedMissingOrWrong: acked.filter((p) => historyText.get(p.id!) !== p.text),
      refusedButStored: refused.filter((p) => textCounts.has(p.text)),
      strangers: history.filter((m) => !byText.has(m.message)),
    }).toEqual({ doubledIds: [], doubledTexts: [], ackedMissingOrWrong: [], refusedButStored: [], strangers: [] });
    for (const pc of perClient) {
      expect({ name: pc.name, seenTwice: pc.seenTwice, notInHistory: pc.notInHistory, missed: pc.missed }).toEqual({
        name: pc.name,
        seenTwice: [],
        notInHistory: [],
        missed: [],
      });
    }
  }, 90_000);
});

/** Waits until history and what every chatter has seen stop changing. */
async function quiesce(chatters: Chatter[], c: Cluster, sessionId: string): Promise<void> {
  let last = '';
  let stableSince = Date.now();
  const deadline = Date.now() + 15_000;
  for (;;) {
    const h = await fullHistory(c.url('node-c'), sessionId);
    const now = JSON.stringify([h.length, ...chatters.map((ch) => ch.seenIds().length)]);
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 1000) return;
    if (Date.now() > deadline) throw new Error(`the cluster never went quiet: ${now}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function countOf(xs: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** What a chatter saw around a message it missed or saw twice, in ms since the test start. */
function diagnose(ch: Chatter, id: string, push: Push | undefined, t0: number) {
  const n = BigInt(id);
  const near = ch.sightings.filter((s) => {
    const d = BigInt(s.id) - n;
    return d >= -3n && d <= 3n;
  });
  const first = near.find((s) => s.id === id)?.at ?? push?.sentAt ?? t0;
  return {
    id,
    push: push && { text: push.text, sentAt: push.sentAt - t0, doneAt: (push.doneAt ?? t0) - t0, status: push.status },
    nearbySightings: near.map((s) => ({ ...s, at: s.at - t0 })),
    // the (re)joins around then, with the `since` each sent
    rejoins: ch.rejoins.filter((r) => Math.abs(r.at - first) < 3000).map((r) => ({ ...r, at: r.at - t0 })),
  };
}
