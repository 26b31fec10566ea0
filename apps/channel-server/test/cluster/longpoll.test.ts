/**
 * LongPoll clients (stock phoenix.js 1.8 and 1.7) behind nginx's plain
 * round-robin, with no sticky sessions: their polls and sends land on every
 * node and are routed over Redis to the node holding the session, so they
 * join, push with replies, receive broadcasts from WebSocket clients on the
 * other nodes and share presence with them.
 */
import { installXhr, removeXhr } from './phoenix17-globals';
import { randomBytes } from 'node:crypto';
import { phoenix17, phoenix18, pushAndWait, waitFor, type PhoenixModule } from '@cinder/testkit';
import { api } from '../support/cluster-env';
import { NODE_IDS, startCluster, waitPresenceEverywhere, type Cluster, type NodeId } from './cluster';
import { Members, sameCounts, type Member } from './members';
import { watchLongPollRouting, type RoutedMessage } from './redis-probe';

const VERSIONS: Array<[string, PhoenixModule, boolean]> = [
  ['1.8', phoenix18, false],
  ['1.7', phoenix17, true],
];

describe('LongPoll through a round-robin balancer', () => {
  let cluster: Cluster;
  let routing: { seen: RoutedMessage[]; stop(): void };
  const members = new Members();
  const rand = randomBytes(4).toString('hex');

  beforeAll(async () => {
    cluster = await startCluster();
    routing = await watchLongPollRouting(cluster.redis.url);
  });

  afterAll(async () => {
    members.closeAll();
    routing?.stop();
    await cluster?.close();
  });

  // What a failed run needs to be understood: the client's own log and the routing it caused.
  let current: { lp?: Member; passed: boolean } = { passed: false };
  beforeEach(() => {
    current = { passed: false };
  });
  afterEach(() => {
    if (current.passed || !current.lp) return;
    const lp = current.lp;
    console.log(
      [
        `LongPoll client ${lp.user}: closes ${JSON.stringify(lp.closes)}, token now ${(lp.socket as any).conn?.token}`,
        ...lp.log.slice(-60),
        'routing:',
        ...routing.seen.slice(-60).map((m) => `${m.from} -> ${m.to}: ${m.t}`),
        cluster.logs(),
      ].join('\n'),
    );
  });

  describe.each(VERSIONS)('phoenix.js %s', (version, phx, needsXhr) => {
    beforeAll(() => {
      if (needsXhr) installXhr();
    });
    afterAll(() => {
      if (needsXhr) removeXhr();
    });

    it('joins, pushes with replies, gets broadcasts and presence from every node, with requests routed between nodes', async () => {
      const topic = `session:lp-${version}-${rand}`;
      const claims = (user: string) => ({ sub: user, name: user, role: 'student', sessions: '*' as const });
      const ws: Record<NodeId, Member> = {} as Record<NodeId, Member>;
      for (const node of NODE_IDS) ws[node] = await members.join(claims(`ws-${node}`), topic, { target: () => cluster.url(node) });

      const firstRouted = routing.seen.length;
      const lpUser = `lp-${version}`;
      const lp = await members.join(claims(lpUser), topic, { target: () => cluster.lb.url, longpoll: true, phx });
      current.lp = lp;
      expect((lp.socket as any).transport).toBe((phx as any).LongPoll);
      const token: string = (lp.socket as any).conn.token;
      const owner = Buffer.from(token.split('.')[0], 'base64url').toString('utf8');
      expect(NODE_IDS).toContain(owner);

      // Pushes with replies; each one a POST and a poll that may land anywhere.
      const ids: string[] = [];
      for (let i = 1; i <= 6; i++) {
        const r = await pushAndWait(lp.channel, 'chat:new', { message: `${lpUser}#${i}` });
        expect(r.status).toBe('ok');
        ids.push(r.response.id);
      }
      // Broadcasts from WebSocket clients on each node and from the HTTP API of each node.
      for (const node of NODE_IDS) {
        expect((await pushAndWait(ws[node].channel, 'chat:new', { message: `ws-${node}#1` })).status).toBe('ok');
        expect((await api(cluster.url(node), 'POST', '/api/broadcast', { topic, event: 'tick', payload: { node } })).status).toBe(200);
      }
      await waitFor(() => lp.of('chat:added').length === 9 && lp.of('tick').length === 3, 'every broadcast on the LongPoll client', 15_000);
      expect(lp.of('chat:added').map((m) => m.message)).toEqual([...[1, 2, 3, 4, 5, 6].map((i) => `${lpUser}#${i}`), 'ws-node-a#1', 'ws-node-b#1', 'ws-node-c#1']);
      expect(lp.of('chat:added').slice(0, 6).map((m) => m.id)).toEqual(ids);
      expect(lp.of('tick').map((p) => p.node)).toEqual([...NODE_IDS]);
      for (const node of NODE_IDS) {
        await waitFor(() => ws[node].of('chat:added').filter((m) => m.author_id === lpUser).length === 6, `the LongPoll pushes on ${node}`, 10_000);
      }

      // Presence both ways.
      const all = { 'ws-node-a': 1, 'ws-node-b': 1, 'ws-node-c': 1, [lpUser]: 1 };
      await waitFor(() => [lp, ...Object.values(ws)].every((m) => sameCounts(m.presenceCounts(), all)), 'presence on every client', 10_000);
      await waitPresenceEverywhere(cluster, NODE_IDS, topic, all, 10_000);

      // The same session all along, though its requests were served by other nodes too.
      expect((lp.socket as any).conn.token).toBe(token);
      expect(lp.closes).toEqual([]);
      const routed = routing.seen.slice(firstRouted).filter((m) => m.t === 'poll' || m.t === 'send');
      expect(routed.length).toBeGreaterThan(0);
      for (const m of routed) {
        expect(m.to).toBe(owner);
        expect(m.from).not.toBe(owner);
      }
      expect(routed.some((m) => m.t === 'poll')).toBe(true);
      expect(routed.some((m) => m.t === 'send')).toBe(true);
      expect(new Set(routed.map((m) => m.from)).size).toBe(2);

      lp.socket.disconnect();
      current.passed = true;
    });
  });

  it('a LongPoll client whose session node is killed starts a new session through the balancer and carries on', async () => {
    const topic = `session:lp-kill-${rand}`;
    const claims = (user: string) => ({ sub: user, name: user, role: 'student', sessions: '*' as const });
    const lp = await members.join(claims('lp-survivor'), topic, { target: () => cluster.lb.url, longpoll: true });
    current.lp = lp;
    const token: string = (lp.socket as any).conn.token;
    const owner = Buffer.from(token.split('.')[0], 'base64url').toString('utf8') as NodeId;
    const others = NODE_IDS.filter((n) => n !== owner);
    const watcher = await members.join(claims('ws-watcher'), topic, { target: () => cluster.url(others[0]) });
    await waitFor(() => sameCounts(watcher.presenceCounts(), { 'lp-survivor': 1, 'ws-watcher': 1 }), 'presence', 10_000);

    await cluster.kill(owner);
    await waitFor(() => lp.joinReplies.length === 2, 'the LongPoll client to rejoin on a new session', 30_000);
    const newToken: string = (lp.socket as any).conn.token;
    expect(Buffer.from(newToken.split('.')[0], 'base64url').toString('utf8')).not.toBe(owner);
    const r = await pushAndWait(lp.channel, 'chat:new', { message: 'still here' });
    expect(r.status).toBe('ok');
    await waitFor(() => watcher.of('chat:added').some((m) => m.id === r.response.id), 'the push on the watcher', 10_000);
    const said = await pushAndWait(watcher.channel, 'chat:new', { message: 'hello again' });
    await waitFor(() => lp.of('chat:added').some((m) => m.id === said.response.id), 'the broadcast on the LongPoll client', 10_000);
    current.passed = true;
  }, 60_000);
});
