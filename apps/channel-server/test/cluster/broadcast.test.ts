/**
 * Broadcasts across three nodes behind a round-robin nginx: several
 * publishers (the HTTP API of each node, chat:new from clients on each node)
 * at once to one session topic with subscribers on every node; each
 * subscriber gets every message exactly once and, per publisher, in order.
 * Binary payloads arrive byte-identical, and each node holds one Redis
 * subscription per topic, only while it has local subscribers.
 */
import { randomBytes } from 'node:crypto';
import { pushAndWait, waitFor } from '@cinder/testkit';
import { api } from '../support/cluster-env';
import { eventually, NODE_IDS, startCluster, type Cluster, type NodeId } from './cluster';
import { Members, type Member } from './members';
import { numsub, topicChannel } from './redis-probe';

const API_MESSAGES = 20;
const CHAT_MESSAGES = 10;

describe('cluster broadcasts', () => {
  let cluster: Cluster;
  const members = new Members();
  const sessionId = `bc-${randomBytes(4).toString('hex')}`;
  const topic = `session:${sessionId}`;
  /** two members pinned to each node, three through the balancer */
  let pinned: Record<NodeId, Member[]>;
  let everyone: Member[];

  beforeAll(async () => {
    cluster = await startCluster();
    pinned = {} as Record<NodeId, Member[]>;
    for (const node of NODE_IDS) {
      pinned[node] = [];
      for (const i of [1, 2]) {
        const user = `${node}-user${i}`;
        pinned[node].push(await members.join({ sub: user, name: user, role: 'student', sessions: '*' }, topic, { target: () => cluster.url(node) }));
      }
    }
    const balanced: Member[] = [];
    for (const i of [1, 2, 3]) {
      const user = `lb-user${i}`;
      balanced.push(await members.join({ sub: user, name: user, role: 'student', sessions: '*' }, topic, { target: () => cluster.lb.url }));
    }
    everyone = [...NODE_IDS.flatMap((n) => pinned[n]), ...balanced];
  });

  afterAll(async () => {
    members.closeAll();
    await cluster?.close();
  });

  it('holds one Redis subscription per topic per node, only while the node has local subscribers', async () => {
    // Nine sockets, three nodes: three subscriptions.
    expect(await numsub(cluster.redis.url, [topicChannel(topic)])).toEqual({ [topicChannel(topic)]: 3 });

    const solo = `session:solo-${sessionId}`;
    const alone = await members.join({ sub: 'solo', role: 'student', sessions: '*' }, solo, { target: () => cluster.url('node-b') });
    const second = await members.join({ sub: 'solo2', role: 'student', sessions: '*' }, solo, { target: () => cluster.url('node-b') });
    expect(await numsub(cluster.redis.url, [topicChannel(solo)])).toEqual({ [topicChannel(solo)]: 1 });
    alone.channel.leave();
    second.channel.leave();
    await eventually(() => numsub(cluster.redis.url, [topicChannel(solo)]), (n) => n[topicChannel(solo)] === 0, 'node B to unsubscribe');
  });

  it('delivers every broadcast of concurrent publishers exactly once, in order per publisher, on every node', async () => {
    const apiPublisher = async (node: NodeId) => {
      for (let seq = 1; seq <= API_MESSAGES; seq++) {
        const res = await api(cluster.url(node), 'POST', '/api/broadcast', { topic, event: 'tick', payload: { pub: `api-${node}`, seq } });
        expect(res.status).toBe(200);
      }
    };
    const chatPublisher = async (member: Member) => {
      for (let seq = 1; seq <= CHAT_MESSAGES; seq++) {
        const r = await pushAndWait(member.channel, 'chat:new', { message: `${member.user}#${seq}` });
        expect(r.status).toBe('ok');
      }
    };
    const chatters = NODE_IDS.map((n) => pinned[n][0]);
    await Promise.all([...NODE_IDS.map(apiPublisher), ...chatters.map(chatPublisher)]);

    // Fences: once a member has every node's fence, anything still in flight
    // from the publishers above (a late duplicate included) was delivered before it.
    for (const node of NODE_IDS) {
      expect((await api(cluster.url(node), 'POST', '/api/broadcast', { topic, event: 'fence', payload: { node } })).status).toBe(200);
    }
    await waitFor(() => everyone.every((m) => m.of('fence').length >= 3), 'every fence on every member', 15_000);

    const expected: Record<string, number[]> = {};
    for (const node of NODE_IDS) expected[`api-${node}`] = range(API_MESSAGES);
    for (const c of chatters) expected[c.user] = range(CHAT_MESSAGES);
    for (const m of everyone) {
      const got: Record<string, number[]> = {};
      for (const p of m.of('tick')) (got[p.pub] ??= []).push(p.seq);
      for (const p of m.of('chat:added')) {
        const [author, seq] = String(p.message).split('#');
        expect(p.author_id).toBe(author);
        (got[author] ??= []).push(Number(seq));
      }
      expect({ member: m.user, got }).toEqual({ member: m.user, got: expected });
      expect(m.of('fence').map((p) => p.node).sort()).toEqual([...NODE_IDS]);
    }
  });

  it('keeps the order of a burst of pushes from one client (no waiting for replies) on every node', async () => {
    const sender = pinned['node-c'][1];
    const replies = await Promise.all(range(30).map((i) => pushAndWait(sender.channel, 'chat:new', { message: `burst#${i}` }, 10_000)));
    expect(replies.every((r) => r.status === 'ok')).toBe(true);
    const ids = replies.map((r) => BigInt(r.response.id));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
    const burst = (m: Member) => m.of('chat:added').filter((p) => String(p.message).startsWith('burst#'));
    await waitFor(() => everyone.every((m) => burst(m).length >= 30), 'the burst on every member', 15_000);
    for (const m of everyone) expect(burst(m).map((p) => p.message)).toEqual(range(30).map((i) => `burst#${i}`));
  });

  it('carries binary payloads byte-identical to every node', async () => {
    const bytes = Buffer.concat([Buffer.from(range(256).map((i) => i - 1)), randomBytes(3000)]);
    const res = await api(cluster.url('node-b'), 'POST', '/api/broadcast', { topic, event: 'frame:raw', payload_base64: bytes.toString('base64') });
    expect(res.status).toBe(200);
    await waitFor(() => everyone.every((m) => m.of('frame:raw').length === 1), 'the binary broadcast on every member', 10_000);
    for (const m of everyone) {
      const payload = m.of('frame:raw')[0];
      expect(payload).toBeInstanceOf(ArrayBuffer);
      expect(Buffer.from(payload).equals(bytes)).toBe(true);
    }

    // A client's binary push, shared from node A with the others on every node.
    const frame = randomBytes(2048);
    const sender = pinned['node-a'][0];
    const reply = await pushAndWait(sender.channel, 'frame:share', frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.length));
    expect(reply.status).toBe('ok');
    const others = everyone.filter((m) => m !== sender);
    await waitFor(() => others.every((m) => m.of('frame:shared').length === 1), 'the shared frame on every other member', 10_000);
    for (const m of others) expect(Buffer.from(m.of('frame:shared')[0]).equals(frame)).toBe(true);
    expect(sender.of('frame:shared')).toEqual([]);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
