/**
 * kill -9 of one node of three: within 15 s the other nodes' clients get the
 * presence_diff leaves of its users and /api/presence drops them; its
 * clients reconnect through the balancer to a surviving node and rejoin
 * with `since`, getting exactly the messages they missed, once, in order;
 * the restarted node rejoins the cluster cleanly (its new clients appear,
 * nothing of its previous life lingers).
 */
import { randomBytes } from 'node:crypto';
import { pushAndWait, waitFor } from '@cinder/testkit';
import { api } from '../support/cluster-env';
import { NODE_IDS, startCluster, waitPresenceEverywhere, type Cluster } from './cluster';
import { Members, sameCounts, type Member } from './members';

const DEAD_NODE_GONE_WITHIN_MS = 15_000;

describe('a node killed with kill -9', () => {
  let cluster: Cluster;
  const members = new Members();
  const sessionId = `fo-${randomBytes(4).toString('hex')}`;
  const topic = `session:${sessionId}`;

  beforeAll(async () => {
    cluster = await startCluster();
  });

  afterAll(async () => {
    members.closeAll();
    await cluster?.close();
  });

  const claims = (user: string) => ({ sub: user, name: user, role: 'student', sessions: '*' as const });

  /** Every message id a member has seen, in arrival order: join (and rejoin) history, then chat:added. */
  function seenIds(m: Member): string[] {
    const ids: string[] = [];
    for (const e of m.events) {
      if (e.event === 'join:ok') ids.push(...e.payload.messages.map((x: any) => x.id));
      if (e.event === 'chat:added') ids.push(e.payload.id);
    }
    return ids;
  }

  function lastSeen(m: Member | undefined): string | null {
    if (!m) return null;
    const ids = seenIds(m);
    return ids.length > 0 ? ids[ids.length - 1] : null;
  }

  async function say(m: Member, text: string): Promise<string> {
    const r = await pushAndWait(m.channel, 'chat:new', { message: text });
    expect(r.status).toBe('ok');
    return r.response.id;
  }

  it('drops its presences everywhere within 15 s, its clients recover what they missed, and it rejoins cleanly', async () => {
    const watchA = await members.join(claims('watch-a'), topic, { target: () => cluster.url('node-a') });
    const watchB = await members.join(claims('watch-b'), topic, { target: () => cluster.url('node-b') });

    // The victims' first connection goes to node C; until `comeBack`, their
    // reconnects go to its (dead) port, so they stay offline while we publish.
    let comeBack = false;
    const victims: Member[] = [];
    for (const user of ['vic-1', 'vic-2']) {
      let self: Member | undefined;
      self = await members.join(claims(user), topic, {
        target: () => (comeBack ? cluster.lb.url : cluster.url('node-c')),
        params: () => {
          const since = lastSeen(self);
          return since === null ? {} : { since };
        },
      });
      victims.push(self);
    }
    const all = { 'watch-a': 1, 'watch-b': 1, 'vic-1': 1, 'vic-2': 1 };
    await waitFor(() => [watchA, watchB, ...victims].every((m) => sameCounts(m.presenceCounts(), all)), 'the union on every client', 10_000);
    await waitPresenceEverywhere(cluster, NODE_IDS, topic, all, 10_000);
    const oldRefs = new Set<string>(
      watchA.presence
        .list((key: string, p: { metas: any[] }) => (key.startsWith('vic-') ? p.metas.map((meta) => meta.phx_ref) : []))
        .flat(),
    );
    expect(oldRefs.size).toBe(2);

    const before = [await say(watchA, 'one'), await say(watchB, 'two'), await say(watchA, 'three')];
    await waitFor(() => victims.every((v) => sameIds(seenIds(v), before)), 'the first messages on the victims', 10_000);

    const killedAt = Date.now();
    await cluster.kill('node-c');
    await waitFor(() => victims.every((v) => v.closes.length > 0), 'the victims to notice', 5000);

    // Published while the victims are offline: they must get exactly these on rejoin.
    const missed = [await say(watchB, 'four'), await say(watchA, 'five'), await say(watchB, 'six'), await say(watchA, 'seven')];

    const leftEverywhere = () =>
      [watchA, watchB].every((w) => {
        const left = new Set(w.of('presence_diff').flatMap((d) => Object.values(d.leaves as Record<string, { metas: any[] }>).flatMap((p) => p.metas.map((meta) => meta.phx_ref))));
        return [...oldRefs].every((ref) => left.has(ref));
      });
    await waitFor(leftEverywhere, 'presence_diff leaves of the dead node on the survivors', DEAD_NODE_GONE_WITHIN_MS - (Date.now() - killedAt));
    for (const w of [watchA, watchB]) expect(w.presenceCounts()).toEqual({ 'watch-a': 1, 'watch-b': 1 });
    await waitPresenceEverywhere(cluster, ['node-a', 'node-b'], topic, { 'watch-a': 1, 'watch-b': 1 }, 1000);
    expect(Date.now() - killedAt).toBeLessThan(DEAD_NODE_GONE_WITHIN_MS);

    // Back online, through the balancer: rejoin with `since` on a surviving node.
    comeBack = true;
    await waitFor(() => victims.every((v) => v.joinReplies.length >= 2), 'the victims to rejoin', 15_000);
    for (const v of victims) {
      expect(v.joinReplies).toHaveLength(2);
      const rejoin = v.joinReplies[1];
      expect(rejoin.recovered).toBe(true);
      expect(rejoin.messages.map((x: any) => x.id)).toEqual(missed);
      expect(rejoin.messages.map((x: any) => x.message)).toEqual(['four', 'five', 'six', 'seven']);
    }
    await waitPresenceEverywhere(cluster, ['node-a', 'node-b'], topic, all, 10_000);

    const after = [await say(victims[0], 'eight'), await say(watchB, 'nine')];
    const everything = [...before, ...missed, ...after];
    for (const m of [watchA, watchB, ...victims]) {
      await waitFor(() => sameIds(seenIds(m), everything), `${m.user} to have every message once, in order`, 10_000);
    }
    const history = await api(cluster.url('node-a'), 'GET', `/api/sessions/${sessionId}/messages?limit=500`);
    expect(history.body.messages.map((x: any) => x.id)).toEqual(everything);

    // The killed node comes back with the same NODE_ID and port: a new replica.
    await cluster.restart('node-c');
    await cluster.waitReady(200);
    const fresh = await members.join(claims('fresh-c'), topic, { target: () => cluster.url('node-c') });
    const final = { ...all, 'fresh-c': 1 };
    await waitPresenceEverywhere(cluster, NODE_IDS, topic, final, 15_000);
    await waitFor(() => [watchA, watchB, fresh, ...victims].every((m) => sameCounts(m.presenceCounts(), final)), 'the union on every client', 10_000);
    for (const node of NODE_IDS) {
      const body = (await api(cluster.url(node), 'GET', `/api/presence/${encodeURIComponent(topic)}`)).body;
      const refs = Object.values(body.presence as Record<string, { metas: any[] }>).flatMap((p) => p.metas.map((meta) => meta.phx_ref));
      expect(refs.filter((r) => oldRefs.has(r))).toEqual([]);
    }
    // It carries broadcasts again; its new client's history (join reply) plus
    // live messages is the whole session, like everyone else's.
    const ten = await say(fresh, 'ten');
    const whole = [...everything, ten];
    await waitFor(() => [watchA, watchB, fresh, ...victims].every((m) => seenIds(m).includes(ten)), 'the new node to reach the others', 10_000);
    for (const m of [watchA, watchB, fresh, ...victims]) expect({ member: m.user, ids: seenIds(m) }).toEqual({ member: m.user, ids: whole });
  }, 90_000);
});

function sameIds(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
