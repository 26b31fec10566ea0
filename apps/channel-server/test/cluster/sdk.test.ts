/**
 * The SDK against the three-node cluster behind nginx: whichever node serves
 * each request, broadcasts, job progress, presence and disconnects act on
 * every node, and a persisted broadcast retried on another node is stored
 * and delivered once.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from '@cinder/sdk';
import { TEST_API_KEY, waitFor } from '@cinder/testkit';
import { NODE_IDS, startCluster, type Cluster } from './cluster';
import { Members, type Member } from './members';

describe('SDK against the cluster', () => {
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

  const claims = (user: string) => ({ sub: user, name: user, role: 'student', sessions: '*' as const, jobs: '*' as const });

  it('reaches subscribers on every node through the balancer', async () => {
    const topic = `session:sdk-${rand}`;
    const perNode: Member[] = [];
    for (const node of NODE_IDS) perNode.push(await members.join(claims(`sdk-${node}`), topic, { target: () => cluster.url(node) }));
    const sdk = createClient({ url: cluster.lb.url, apiKey: TEST_API_KEY });

    for (let i = 0; i < 6; i++) await sdk.broadcast(topic, 'ai:insight', { message: `tip ${i}` });
    await waitFor(() => perNode.every((m) => m.of('ai:insight').length === 6), 'six insights on every node', 10_000);
    // Round-robin makes each request a different publisher (node), and order
    // is promised per publisher only: every node gets each tip exactly once.
    for (const m of perNode) expect(m.of('ai:insight').map((p) => p.message).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `tip ${i}`));

    // A persisted broadcast retried with the same key — each request served
    // by a different node behind round-robin — is stored and delivered once.
    const key = `feedback-${rand}`;
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await sdk.broadcast(topic, 'ai:feedback', { summary: 'open face' }, { persist: true, idempotencyKey: key }));
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    await waitFor(() => perNode.every((m) => m.of('ai:feedback').length === 1), 'one feedback everywhere', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    for (const m of perNode) expect(m.of('ai:feedback')).toHaveLength(1);
    const history = await sdk.sessionMessages(topic.slice('session:'.length));
    expect(history.filter((m) => m.type === 'ai_feedback').map((m) => m.id)).toEqual([answers[0].id]);

    // Presence through any node is the union (replicas converge within a heartbeat).
    const union = NODE_IDS.map((n) => `sdk-${n}`).sort().join(',');
    const deadline = Date.now() + 10_000;
    let seen = '';
    while (Date.now() < deadline) {
      seen = Object.keys(await sdk.presence(topic)).sort().join(',');
      if (seen === union) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen).toBe(union);
  });

  it('publishes job progress to subscribers on other nodes and disconnects a user everywhere', async () => {
    const jobId = `job-${rand}`;
    const watchers: Member[] = [];
    for (const node of NODE_IDS) watchers.push(await members.join(claims(`watch-${node}`), `job:${jobId}`, { target: () => cluster.url(node) }));
    const sdk = createClient({ url: cluster.lb.url, apiKey: TEST_API_KEY });
    await sdk.job(jobId).progress({ percent: 40, stage: 'pose' });
    await sdk.job(jobId).completed({ score: 78 });
    await waitFor(() => watchers.every((w) => w.of('job:completed').length === 1), 'job:completed on every node', 10_000);
    for (const w of watchers) {
      expect(w.of('job:progress').map((p) => p.percent)).toContain(40);
      expect(w.of('job:completed')[0]).toMatchObject({ job_id: jobId, result: { score: 78 } });
    }

    const victims: Member[] = [];
    for (const node of NODE_IDS) victims.push(await members.join(claims('victim'), `user:victim`, { target: () => cluster.url(node) }));
    await sdk.disconnectUser('victim');
    await waitFor(() => victims.every((v) => v.closes.includes(1001)), 'victim closed on every node', 10_000);
  });
});
