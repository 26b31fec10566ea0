/**
 * Redis goes away under a running three-node cluster and comes back empty:
 * /readyz says 503 naming redis, each node keeps serving its own
 * subscribers, and once Redis is back every node restores its subscriptions
 * and presence by itself (no client does anything) and every broadcast
 * published after the link is back reaches everyone exactly once, in order.
 */
import { randomBytes } from 'node:crypto';
import { pushAndWait, waitFor } from '@cinder/testkit';
import { api } from '../support/cluster-env';
import { eventually, NODE_IDS, startCluster, waitPresenceEverywhere, type Cluster, type NodeId } from './cluster';
import { Members, sameCounts, type Member } from './members';
import { numsub, topicChannel } from './redis-probe';

describe('a Redis outage', () => {
  let cluster: Cluster;
  const members = new Members();
  const rand = randomBytes(4).toString('hex');
  const topic = `session:outage-${rand}`;
  const lateTopic = `session:late-${rand}`;

  beforeAll(async () => {
    cluster = await startCluster();
  });

  afterAll(async () => {
    members.closeAll();
    await cluster?.close();
  });

  const claims = (user: string) => ({ sub: user, name: user, role: 'student', sessions: '*' as const });
  const on = (node: NodeId) => ({ target: () => cluster.url(node) });

  it('is survived locally, shown by /readyz, and repaired by the nodes themselves', async () => {
    const a1 = await members.join(claims('a1'), topic, on('node-a'));
    const a2 = await members.join(claims('a2'), topic, on('node-a'));
    const b1 = await members.join(claims('b1'), topic, on('node-b'));
    const c1 = await members.join(claims('c1'), topic, on('node-c'));
    await waitPresenceEverywhere(cluster, NODE_IDS, topic, { a1: 1, a2: 1, b1: 1, c1: 1 }, 10_000);

    await cluster.redis.stop();
    await cluster.waitReady(503);
    for (const node of NODE_IDS) {
      const r = await cluster.readyz(node);
      expect(r.body.down).toContain('redis');
      expect(r.body.down).not.toContain('store');
    }

    // Local subscribers are still served.
    const local = await pushAndWait(a1.channel, 'chat:new', { message: 'during the outage' });
    expect(local.status).toBe('ok');
    await waitFor(() => a2.of('chat:added').some((m) => m.id === local.response.id), 'the local broadcast on node A', 5000);

    // Changes while Redis is away: a new subscription on C, a join on B, a leave on C.
    const late = await members.join(claims('c2'), lateTopic, on('node-c'));
    const b2 = await members.join(claims('b2'), topic, on('node-b'));
    c1.channel.leave();
    // Past the down period every node shows only its own presences (Phoenix.Tracker does the same).
    await waitFor(() => sameCounts(a1.presenceCounts(), { a1: 1, a2: 1 }), 'node A to see the others as down', 20_000);

    await cluster.redis.start();
    await cluster.waitReady(200);

    // Every node resubscribed by itself, to exactly the topics it has subscribers for.
    expect(await numsub(cluster.redis.url, [topicChannel(topic), topicChannel(lateTopic)])).toEqual({
      [topicChannel(topic)]: 3 - 1, // node C has no subscriber of `topic` left
      [topicChannel(lateTopic)]: 1,
    });

    // Nothing published from here on is lost.
    const watchers: Member[] = [a1, a2, b1, b2];
    const apiPublisher = async (node: NodeId) => {
      for (let seq = 1; seq <= 10; seq++) {
        expect((await api(cluster.url(node), 'POST', '/api/broadcast', { topic, event: 'tick', payload: { pub: node, seq } })).status).toBe(200);
      }
    };
    const chatPublisher = async (m: Member) => {
      for (let seq = 1; seq <= 5; seq++) expect((await pushAndWait(m.channel, 'chat:new', { message: `${m.user}#${seq}` })).status).toBe('ok');
    };
    await Promise.all([...NODE_IDS.map(apiPublisher), chatPublisher(a1), chatPublisher(b2)]);
    expect((await api(cluster.url('node-a'), 'POST', '/api/broadcast', { topic: lateTopic, event: 'hello', payload: { to: 'c2' } })).status).toBe(200);

    const expected: Record<string, number[]> = { 'node-a': range(10), 'node-b': range(10), 'node-c': range(10), a1: range(5), b2: range(5) };
    const received = (m: Member) => {
      const got: Record<string, number[]> = {};
      for (const p of m.of('tick')) (got[p.pub] ??= []).push(p.seq);
      for (const p of m.of('chat:added')) {
        const [author, seq] = String(p.message).split('#');
        if (seq !== undefined) (got[author] ??= []).push(Number(seq));
      }
      return got;
    };
    await waitFor(
      () => watchers.every((m) => Object.values(received(m)).reduce((n, s) => n + s.length, 0) >= 40),
      'every broadcast after the outage on every member',
      15_000,
    );
    for (const m of watchers) expect({ member: m.user, got: received(m) }).toEqual({ member: m.user, got: expected });
    await waitFor(() => late.of('hello').length === 1, 'the broadcast on the topic subscribed during the outage', 5000);
    // b1 was on node B when a1 spoke during the outage: that broadcast is lost, not replayed.
    expect(b1.of('chat:added').some((m) => m.id === local.response.id)).toBe(false);

    // Presence is whole again on every node and every client.
    const now = { a1: 1, a2: 1, b1: 1, b2: 1 };
    await waitPresenceEverywhere(cluster, NODE_IDS, topic, now, 15_000);
    await waitFor(() => watchers.every((m) => sameCounts(m.presenceCounts(), now)), 'presence on every client', 15_000);
    await eventually(
      async () => (await api(cluster.url('node-b'), 'GET', `/api/presence/${encodeURIComponent(lateTopic)}`)).body.presence,
      (p) => Object.keys(p).join() === 'c2',
      'the presence tracked during the outage on node B',
    );
   }, 90_000);

  it('a short crash of Redis under steady publishing: nothing published after the link is back is lost or doubled', async () => {
    const topic2 = `session:steady-${rand}`;
    const pubs: Record<NodeId, Member> = {} as Record<NodeId, Member>;
    for (const node of NODE_IDS) pubs[node] = await members.join(claims(`p-${node}`), topic2, on(node));
    const quiet = await members.join(claims('quiet-c'), topic2, on('node-c'));
    await waitPresenceEverywhere(cluster, NODE_IDS, topic2, { 'p-node-a': 1, 'p-node-b': 1, 'p-node-c': 1, 'quiet-c': 1 }, 10_000);

    // Each publisher pushes non-stop and notes when it sent each message.
    let running = true;
    const sentAt: Record<string, number[]> = {};
    const steady = async (m: Member) => {
      const times: number[] = (sentAt[m.user] = []);
      for (let seq = 1; running; seq++) {
        times[seq] = Date.now();
        expect((await pushAndWait(m.channel, 'chat:new', { message: `${m.user}#${seq}` })).status).toBe('ok');
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const publishing = Promise.all(Object.values(pubs).map(steady));
    const sentSince = (t: number) => Object.values(sentAt).every((times) => times.filter((x) => x > t).length >= 10);
    await waitFor(() => Object.keys(sentAt).length === 3 && sentSince(0), 'some messages before the crash', 10_000);

    await cluster.redis.stop('SIGKILL');
    await cluster.waitReady(503);
    // Presence changes nobody else hears about while Redis is away.
    quiet.channel.leave();
    const newcomer = await members.join(claims('new-b'), topic2, on('node-b'));
    await cluster.redis.start();
    await cluster.waitReady(200);
    const backAt = Date.now();
    await waitFor(() => sentSince(backAt), 'some messages after the link is back', 10_000);
    running = false;
    await publishing;

    const everyone = [...Object.values(pubs), newcomer];
    const received = (m: Member, author: string) =>
      m.of('chat:added').filter((p) => p.author_id === author).map((p) => Number(String(p.message).split('#')[1]));
    for (const author of Object.keys(sentAt)) {
      const last = sentAt[author].length - 1;
      await waitFor(() => everyone.every((m) => received(m, author).includes(last)), `${author}'s last message everywhere`, 10_000);
    }
    for (const m of everyone) {
      for (const author of Object.keys(sentAt)) {
        const got = received(m, author);
        // in order and never twice
        expect(got.every((seq, i) => i === 0 || seq > got[i - 1])).toBe(true);
        const mustHave = sentAt[author].map((t, seq) => (t > backAt ? seq : 0)).filter((x) => x > 0);
        expect({ member: m.user, author, missing: mustHave.filter((seq) => !got.includes(seq)) }).toEqual({ member: m.user, author, missing: [] });
      }
    }
    await waitPresenceEverywhere(cluster, NODE_IDS, topic2, { 'p-node-a': 1, 'p-node-b': 1, 'p-node-c': 1, 'new-b': 1 }, 15_000);
   }, 60_000);
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
