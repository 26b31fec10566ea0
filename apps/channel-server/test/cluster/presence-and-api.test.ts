/**
 * Presence is the union of all nodes, as phoenix.js Presence on clients of
 * every node and GET /api/presence on any node see it; the HTTP API's
 * presence and user disconnect act on the whole cluster, whichever node
 * serves the request.
 */
import { randomBytes } from 'node:crypto';
import { waitFor } from '@cinder/testkit';
import { api } from '../support/cluster-env';
import { eventually, NODE_IDS, presenceCounts, startCluster, waitPresenceEverywhere, type Cluster, type NodeId } from './cluster';
import { Members, sameCounts, type Member } from './members';

describe('cluster presence and HTTP API', () => {
  let cluster: Cluster;
  const members = new Members();
  const rand = randomBytes(4).toString('hex');

  beforeAll(async () => {
    cluster = await startCluster();
  });

  afterAll(async () => {
    members.closeAll();
    await cluster?.close();
  });

  const claims = (user: string) => ({ sub: user, name: `Name ${user}`, role: 'student', sessions: '*' as const });

  it('phoenix.js Presence on each node and /api/presence on each node list the users of every node', async () => {
    const topic = `session:union-${rand}`;
    const joined: Member[] = [];
    for (const node of NODE_IDS) joined.push(await members.join(claims(`${node}-u`), topic, { target: () => cluster.url(node) }));
    // Two tabs of one user on different nodes are two metas of one key.
    joined.push(await members.join(claims('node-a-u'), topic, { target: () => cluster.url('node-c') }));
    for (const i of [1, 2]) joined.push(await members.join(claims(`lb-u${i}`), topic, { target: () => cluster.lb.url }));

    const expected = { 'node-a-u': 2, 'node-b-u': 1, 'node-c-u': 1, 'lb-u1': 1, 'lb-u2': 1 };
    await waitFor(() => joined.every((m) => sameCounts(m.presenceCounts(), expected)), 'the union in every client', 10_000);
    await waitPresenceEverywhere(cluster, NODE_IDS, topic, expected, 10_000);

    // A newcomer's presence_state alone already holds the users of every node.
    const newcomer = await members.join(claims('newcomer'), topic, { target: () => cluster.url('node-b') });
    await waitFor(() => newcomer.of('presence_state').length === 1, 'presence_state', 5000);
    expect(Object.keys(newcomer.of('presence_state')[0]).sort()).toEqual(Object.keys(expected).sort());
    newcomer.socket.disconnect();
    await waitPresenceEverywhere(cluster, NODE_IDS, topic, expected, 10_000);

    const body = (await api(cluster.url('node-b'), 'GET', `/api/presence/${encodeURIComponent(topic)}`)).body;
    for (const meta of body.presence['node-c-u'].metas) {
      expect(meta).toEqual({ name: 'Name node-c-u', role: 'student', online_at: expect.any(Number), phx_ref: expect.any(String) });
    }

    // A leave on one node reaches the clients of the others as a presence_diff leave.
    const leaver = joined[2];
    const ref = body.presence['node-c-u'].metas[0].phx_ref;
    leaver.channel.leave();
    const watcher = joined[0];
    await waitFor(
      () => watcher.of('presence_diff').some((d) => d.leaves['node-c-u']?.metas.some((m: any) => m.phx_ref === ref)),
      'the leave on node A',
      10_000,
    );
    const { 'node-c-u': _gone, ...rest } = expected;
    await waitPresenceEverywhere(cluster, NODE_IDS, topic, rest, 10_000);
  });

  it('GET /api/presence on a node with no local subscriber lists the users of the other nodes', async () => {
    const topic = `session:remote-${rand}`;
    await members.join(claims('on-a'), topic, { target: () => cluster.url('node-a') });
    await members.join(claims('on-c'), topic, { target: () => cluster.url('node-c') });
    const seen = await eventually(
      () => presenceCounts(cluster.url('node-b'), topic),
      (p) => sameCounts(p, { 'on-a': 1, 'on-c': 1 }),
      'node B to list both',
    );
    expect(seen).toEqual({ 'on-a': 1, 'on-c': 1 });
  });

  it('POST /api/users/{id}/disconnect on one node closes that user\'s sockets on every node (WebSocket: 1001)', async () => {
    const topic = `session:kick-${rand}`;
    const dora: Member[] = [];
    const spots: NodeId[] = ['node-b', 'node-c'];
    for (const node of spots) dora.push(await members.join(claims('dora'), topic, { target: () => cluster.url(node), reconnectAfterMs: 60_000 }));
    // and a LongPoll socket through the balancer, its session on whichever node took the first GET
    const doraLp = await members.join(claims('dora'), topic, { target: () => cluster.lb.url, longpoll: true, reconnectAfterMs: 60_000 });
    const ed = await members.join(claims('ed'), topic, { target: () => cluster.url('node-b') });
    await waitPresenceEverywhere(cluster, NODE_IDS, topic, { dora: 3, ed: 1 }, 10_000);

    const res = await api(cluster.url('node-a'), 'POST', '/api/users/dora/disconnect');
    expect(res.status).toBe(200);
    await waitFor(() => dora.every((m) => m.closes.length > 0), "dora's sockets to close", 10_000);
    for (const m of dora) expect(m.closes).toEqual([1001]);
    // The LongPoll session is gone: phoenix.js 1.8 learns it on its next poll (a new-session 410) and closes.
    await waitFor(() => doraLp.closes.length > 0, "dora's LongPoll socket to close", 10_000);
    expect(doraLp.closes).toEqual([3410]);
    await waitPresenceEverywhere(cluster, NODE_IDS, topic, { ed: 1 }, 10_000);
    expect(ed.closes).toEqual([]);
    expect(ed.socket.isConnected()).toBe(true);
  });

  it('a "disconnect" broadcast on user_socket:{id} through the HTTP API of one node closes that user\'s sockets everywhere', async () => {
    const topic = `session:kick2-${rand}`;
    const frank: Member[] = [];
    for (const node of ['node-a', 'node-c'] as NodeId[]) {
      frank.push(await members.join(claims('frank'), topic, { target: () => cluster.url(node), reconnectAfterMs: 60_000 }));
    }
    const gus = await members.join(claims('gus'), topic, { target: () => cluster.url('node-c') });
    const res = await api(cluster.url('node-b'), 'POST', '/api/broadcast', { topic: 'user_socket:frank', event: 'disconnect', payload: {} });
    expect(res.status).toBe(200);
    await waitFor(() => frank.every((m) => m.closes.length > 0), "frank's sockets to close", 10_000);
    for (const m of frank) expect(m.closes).toEqual([1001]);
    await waitPresenceEverywhere(cluster, NODE_IDS, topic, { gus: 1 }, 10_000);
    expect(gus.closes).toEqual([]);
  });
});
