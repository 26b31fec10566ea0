import { Cluster, clientRefs, diffsWith, refs, type TestNode } from './nodes';
import { uniquePrefix, waitFor } from './wait';

const URL = 'redis://127.0.0.1:6379';
const T = 'room:lobby';

describe('Tracker replication over Redis', () => {
  let cluster: Cluster;
  beforeEach(() => {
    cluster = new Cluster(URL, uniquePrefix('presence'));
  });
  afterEach(() => cluster.closeAll());

  /** every node's list() and every node's phoenix.js view agree on `expected` */
  async function converge(nodes: TestNode[], expected: Record<string, string[]>, timeoutMs = 5000): Promise<void> {
    const sorted: Record<string, string[]> = {};
    for (const k of Object.keys(expected).sort()) sorted[k] = [...expected[k]].sort();
    const want = JSON.stringify(sorted);
    try {
      await waitFor(`convergence on ${want}`, () =>
        nodes.every((n) => JSON.stringify(refs(n, T)) === want && JSON.stringify(clientRefs(n, T)) === want),
        timeoutMs,
      );
    } catch (err) {
      const seen = nodes.map((n) => `${n.id}: list=${JSON.stringify(refs(n, T))} client=${JSON.stringify(clientRefs(n, T))}`);
      throw new Error(`${(err as Error).message}\n${seen.join('\n')}`);
    }
  }

  test('three nodes: list() is the union, each change reaches every node as exactly one diff', async () => {
    const a = await cluster.node('a');
    const b = await cluster.node('b');
    const c = await cluster.node('c');
    const alice = {};
    const bob = {};
    const a1 = a.tracker.track(alice, T, 'alice', { role: 'teacher' });
    const b1 = b.tracker.track(bob, T, 'bob', { role: 'student' });
    await converge([a, b, c], { alice: [a1], bob: [b1] });
    expect(c.tracker.list(T).alice.metas).toEqual([{ phx_ref: a1, role: 'teacher' }]);

    const a2 = a.tracker.update(alice, T, 'alice', { role: 'away' });
    await converge([a, b, c], { alice: [a2], bob: [b1] });
    for (const n of [b, c]) {
      const updates = diffsWith(n, 'joins', a2);
      expect(updates).toEqual([
        {
          joins: { alice: { metas: [{ phx_ref: a2, phx_ref_prev: a1, role: 'away' }] } },
          leaves: { alice: { metas: [{ phx_ref: a1, role: 'teacher' }] } },
        },
      ]);
    }

    b.tracker.untrackOwner(bob);
    await converge([a, b, c], { alice: [a2] });
    for (const n of [a, b, c]) {
      expect(diffsWith(n, 'joins', a1)).toHaveLength(1);
      expect(diffsWith(n, 'joins', b1)).toHaveLength(1);
      expect(diffsWith(n, 'leaves', b1)).toEqual([{ joins: {}, leaves: { bob: { metas: [{ phx_ref: b1, role: 'student' }] } } }]);
    }
  });

  test('a killed node (no permdown) disappears from the others with leaves after down_period', async () => {
    const a = await cluster.node('a');
    const b = await cluster.node('b');
    const c = await cluster.node('c');
    const x = a.tracker.track({}, T, 'x', {});
    const y1 = b.tracker.track({}, T, 'y', { tab: 1 });
    const y2 = b.tracker.track({}, T, 'y', { tab: 2 });
    await converge([a, b, c], { x: [x], y: [y1, y2].sort() });

    await b.kill();
    await converge([a, c], { x: [x] });
    for (const n of [a, c]) {
      const leaves = diffsWith(n, 'leaves', y1);
      expect(leaves).toHaveLength(1);
      expect(leaves[0].leaves.y.metas.map((m) => m.phx_ref).sort()).toEqual([y1, y2].sort());
    }
  });

  test('graceful shutdown removes the node at once, without waiting for down_period', async () => {
    const slow = { downPeriodMs: 60_000, permdownPeriodMs: 120_000 };
    const a = await cluster.node('a', slow);
    const b = await cluster.node('b', slow);
    const x = a.tracker.track({}, T, 'x', {});
    await converge([a, b], { x: [x] });
    await a.stop();
    await converge([b], {});
    expect(diffsWith(b, 'leaves', x)).toHaveLength(1);
  });

  test('a node restarted under the same name (new vsn) replaces its old presences at once', async () => {
    const slow = { downPeriodMs: 60_000, permdownPeriodMs: 120_000 };
    const a = await cluster.node('a', slow);
    const b = await cluster.node('b', slow);
    const old = a.tracker.track({}, T, 'alice', { life: 1 });
    await converge([a, b], { alice: [old] });

    await a.kill();
    const a2 = await cluster.node('a', slow);
    expect(a2.tracker.vsn).not.toBe(a.tracker.vsn);
    const fresh = a2.tracker.track({}, T, 'alice', { life: 2 });
    await converge([b], { alice: [fresh] });
    expect(diffsWith(b, 'leaves', old)).toHaveLength(1);
    expect(diffsWith(b, 'joins', fresh)).toHaveLength(1);
    expect(a2.tracker.list(T)).toEqual(b.tracker.list(T));
  });

  test('a late node gets the full state by transfer; big changes travel in several messages', async () => {
    const opts = { maxItemsPerMessage: 3 };
    const a = await cluster.node('a', opts);
    const expected: Record<string, string[]> = {};
    for (let i = 0; i < 10; i++) expected[`u${i}`] = [a.tracker.track({}, T, `u${i}`, { i })];
    const other = a.tracker.track({}, 'room:other', 'z', {});

    const late = await cluster.node('late', opts);
    await converge([a, late], expected);
    expect(refs(late, 'room:other')).toEqual({ z: [other] });

    const owner = {};
    for (let i = 10; i < 17; i++) expected[`u${i}`] = [a.tracker.track(owner, T, `u${i}`, { i })];
    await converge([a, late], expected);
    a.tracker.untrackOwner(owner);
    for (let i = 10; i < 17; i++) delete expected[`u${i}`];
    await converge([a, late], expected);
    // the late node learnt the first 10 by transfer (joins, no double delivery)
    for (let i = 0; i < 10; i++) expect(diffsWith(late, 'joins', expected[`u${i}`][0])).toHaveLength(1);
  });

  test('after a churn of tracks, updates and untracks on every node, all nodes agree', async () => {
    const nodes = [await cluster.node('a'), await cluster.node('b'), await cluster.node('c')];
    // the owning node's truth: owner -> [key, current phx_ref]
    const current = new Map<object, [string, string]>();
    const owners = nodes.map((n) => [0, 1, 2, 3].map((oi) => ({ n, oi, o: {} })));
    for (let round = 0; round < 6; round++) {
      for (const { n, oi, o } of owners.flat()) {
        const key = `k${oi % 2}`;
        if (round === 0) current.set(o, [key, n.tracker.track(o, T, key, { oi })]);
        else if ((round + oi) % 3 === 0) current.set(o, [key, n.tracker.update(o, T, key, (m) => ({ ...m, round }))]);
        else if ((round + oi) % 3 === 1) {
          n.tracker.untrack(o, T, key);
          current.set(o, [key, n.tracker.track(o, T, key, { oi, round })]);
        }
      }
      await new Promise((r) => setTimeout(r, 40));
    }
    const expected: Record<string, string[]> = {};
    for (const [key, ref] of current.values()) (expected[key] ??= []).push(ref);
    await converge(nodes, expected);
    expect(Object.values(expected).flat()).toHaveLength(12);
  });
});
