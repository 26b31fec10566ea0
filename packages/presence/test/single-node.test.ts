import { MemoryAdapter } from '@cinder/pubsub';
import { Tracker, TrackerError, type PresenceDiff } from '@cinder/presence';
import { ClientView, normalize } from './phoenix-client';

const REF = /^[A-Za-z0-9_-]{16}$/;

function setup() {
  const diffs: Array<{ topic: string; diff: PresenceDiff }> = [];
  const tracker = new Tracker({
    nodeId: 'solo',
    adapter: new MemoryAdapter('solo'),
    emitDiff: (topic, diff) => diffs.push({ topic, diff }),
  });
  tracker.start();
  return { tracker, diffs };
}

/** What the diff looks like on the wire. */
const wire = (d: object) => JSON.parse(JSON.stringify(d));

describe('Tracker on a single node', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });
  afterEach(() => t.tracker.shutdown(true));

  test('track emits a join diff with the meta plus a fresh phx_ref', () => {
    const owner = {};
    const ref = t.tracker.track(owner, 'room:1', 'alice', { role: 'teacher' });
    expect(ref).toMatch(REF);
    expect(t.diffs).toHaveLength(1);
    expect(t.diffs[0].topic).toBe('room:1');
    expect(wire(t.diffs[0].diff)).toEqual({ joins: { alice: { metas: [{ role: 'teacher', phx_ref: ref }] } }, leaves: {} });
    // keys come out sorted, as Phoenix's encoder writes them
    expect(JSON.stringify(t.diffs[0].diff)).toBe(
      `{"joins":{"alice":{"metas":[{"phx_ref":"${ref}","role":"teacher"}]}},"leaves":{}}`,
    );
    expect(wire(t.tracker.list('room:1'))).toEqual({ alice: { metas: [{ role: 'teacher', phx_ref: ref }] } });
    expect(wire(t.tracker.list('room:2'))).toEqual({});
  });

  test('a second owner under the same key adds a second meta', () => {
    const r1 = t.tracker.track({}, 'room:1', 'alice', { role: 'teacher' });
    const r2 = t.tracker.track({}, 'room:1', 'alice', { role: 'assistant' });
    expect(r1).not.toBe(r2);
    expect(wire(t.diffs[1].diff)).toEqual({ joins: { alice: { metas: [{ role: 'assistant', phx_ref: r2 }] } }, leaves: {} });
    expect(wire(t.tracker.list('room:1'))).toEqual({
      alice: { metas: [{ role: 'teacher', phx_ref: r1 }, { role: 'assistant', phx_ref: r2 }] },
    });
  });

  test('tracking the same owner, topic and key twice is refused and changes nothing', () => {
    const owner = {};
    t.tracker.track(owner, 'room:1', 'alice', { n: 1 });
    const before = wire(t.tracker.list('room:1'));
    let err: unknown;
    try {
      t.tracker.track(owner, 'room:1', 'alice', { n: 2 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrackerError);
    expect((err as TrackerError).code).toBe('already_tracked');
    expect(t.diffs).toHaveLength(1);
    expect(wire(t.tracker.list('room:1'))).toEqual(before);
    // the same owner may track another key or another topic
    t.tracker.track(owner, 'room:1', 'bob', {});
    t.tracker.track(owner, 'room:2', 'alice', {});
    expect(t.diffs).toHaveLength(3);
  });

  test('update is one diff: new meta with phx_ref_prev in joins, old meta in leaves', () => {
    const owner = {};
    const r1 = t.tracker.track(owner, 'room:1', 'alice', { status: 'online', online_at: '1' });
    const r2 = t.tracker.update(owner, 'room:1', 'alice', { status: 'away', online_at: '1' });
    expect(r2).toMatch(REF);
    expect(r2).not.toBe(r1);
    expect(t.diffs).toHaveLength(2);
    const m1 = { online_at: '1', phx_ref: r1, status: 'online' };
    const m2 = { online_at: '1', phx_ref: r2, phx_ref_prev: r1, status: 'away' };
    expect(wire(t.diffs[1].diff)).toEqual({ joins: { alice: { metas: [m2] } }, leaves: { alice: { metas: [m1] } } });
    expect(JSON.stringify(t.diffs[1].diff.joins.alice.metas[0])).toBe(
      `{"online_at":"1","phx_ref":"${r2}","phx_ref_prev":"${r1}","status":"away"}`,
    );

    // function form sees the current meta; the leave keeps its own phx_ref_prev
    const r3 = t.tracker.update(owner, 'room:1', 'alice', (old) => ({ ...old, status: 'busy' }));
    const m3 = { online_at: '1', phx_ref: r3, phx_ref_prev: r2, status: 'busy' };
    expect(wire(t.diffs[2].diff)).toEqual({ joins: { alice: { metas: [m3] } }, leaves: { alice: { metas: [m2] } } });
    expect(wire(t.tracker.list('room:1'))).toEqual({ alice: { metas: [m3] } });
  });

  test('update of something not tracked is refused', () => {
    expect(() => t.tracker.update({}, 'room:1', 'ghost', {})).toThrow(expect.objectContaining({ code: 'not_tracked' }));
    expect(t.diffs).toHaveLength(0);
  });

  test('untrack leaves with the last meta; a second untrack does nothing', () => {
    const owner = {};
    t.tracker.track(owner, 'room:1', 'alice', { v: 1 });
    const r2 = t.tracker.update(owner, 'room:1', 'alice', { v: 2 });
    const last = t.diffs[1].diff.joins.alice.metas[0];
    expect(t.tracker.untrack(owner, 'room:1', 'alice')).toBe(true);
    expect(wire(t.diffs[2].diff)).toEqual({ joins: {}, leaves: { alice: { metas: [wire(last)] } } });
    expect(last.phx_ref).toBe(r2);
    expect(t.tracker.untrack(owner, 'room:1', 'alice')).toBe(false);
    expect(t.diffs).toHaveLength(3);
    expect(wire(t.tracker.list('room:1'))).toEqual({});
    // once untracked, the same owner may track the key again
    t.tracker.track(owner, 'room:1', 'alice', { v: 3 });
    expect(Object.keys(t.tracker.list('room:1'))).toEqual(['alice']);
  });

  test('untrackOwner removes everything of one channel instance, one diff per topic', () => {
    const tab1 = {};
    const tab2 = {};
    const a1 = t.tracker.track(tab1, 'room:1', 'alice', {});
    const b1 = t.tracker.track(tab1, 'room:1', 'bob', {});
    const a2 = t.tracker.track(tab1, 'room:2', 'alice', {});
    const keep = t.tracker.track(tab2, 'room:1', 'alice', { tab: 2 });
    t.diffs.length = 0;

    t.tracker.untrackOwner(tab1);
    expect(t.diffs.map((d) => d.topic).sort()).toEqual(['room:1', 'room:2']);
    const byTopic = Object.fromEntries(t.diffs.map((d) => [d.topic, wire(d.diff)]));
    expect(byTopic['room:1']).toEqual({ joins: {}, leaves: { alice: { metas: [{ phx_ref: a1 }] }, bob: { metas: [{ phx_ref: b1 }] } } });
    expect(byTopic['room:2']).toEqual({ joins: {}, leaves: { alice: { metas: [{ phx_ref: a2 }] } } });
    expect(wire(t.tracker.list('room:1'))).toEqual({ alice: { metas: [{ phx_ref: keep, tab: 2 }] } });
    expect(wire(t.tracker.list('room:2'))).toEqual({});

    t.tracker.untrackOwner(tab1);
    t.tracker.untrackOwner({});
    expect(t.diffs).toHaveLength(2);
  });

  test('bad input is refused and changes nothing', () => {
    const owner = {};
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const bad: Array<() => unknown> = [
      () => t.tracker.track(owner, 'room:1', 'k', [] as unknown as Record<string, unknown>),
      () => t.tracker.track(owner, 'room:1', 'k', null as unknown as Record<string, unknown>),
      () => t.tracker.track(owner, 'room:1', 'k', circular),
      () => t.tracker.track(owner, 'room:1', 'k', { n: 1n }),
      () => t.tracker.track(owner, '', 'k', {}),
      () => t.tracker.track(owner, 'room:1', 42 as unknown as string, {}),
      () => t.tracker.track('owner' as unknown as object, 'room:1', 'k', {}),
    ];
    for (const call of bad) expect(call).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(t.diffs).toHaveLength(0);
    expect(wire(t.tracker.list('room:1'))).toEqual({});

    t.tracker.track(owner, 'room:1', 'k', { n: 1 });
    expect(() => t.tracker.update(owner, 'room:1', 'k', () => circular)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() =>
      t.tracker.update(owner, 'room:1', 'k', () => {
        throw new Error('app bug');
      }),
    ).toThrow('app bug');
    expect(t.diffs).toHaveLength(1);
    expect(wire(t.tracker.list('room:1'))).toEqual({ k: { metas: [expect.objectContaining({ n: 1 })] } });
  });

  test('the stored meta is a copy: later changes to the caller object are not seen', () => {
    const meta = { role: 'student', tags: ['a'] };
    t.tracker.track({}, 'room:1', 'u', meta);
    meta.role = 'hacker';
    meta.tags.push('b');
    expect(wire(t.tracker.list('room:1')).u.metas[0]).toMatchObject({ role: 'student', tags: ['a'] });
    // caller-supplied refs are replaced by the tracker's own
    const ref = t.tracker.track({}, 'room:1', 'v', { phx_ref: 'forged', phx_ref_prev: 'forged' });
    expect(wire(t.tracker.list('room:1')).v.metas[0]).toEqual({ phx_ref: ref });
  });

  test('keys such as __proto__ are ordinary keys', () => {
    const ref = t.tracker.track({}, 'room:1', '__proto__', { x: 1 });
    t.tracker.track({}, 'room:1', 'constructor', {});
    const list = t.tracker.list('room:1');
    expect(Object.keys(list).sort()).toEqual(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(list))['__proto__']).toEqual({ metas: [{ phx_ref: ref, x: 1 }] });
  });

  test('replaying the diffs in phoenix.js gives exactly list()', () => {
    const view = new ClientView();
    const owners = [{}, {}, {}, {}];
    t.tracker.track(owners[0], 'room:1', 'alice', { d: 'phone' });
    t.tracker.track(owners[1], 'room:1', 'alice', { d: 'laptop' });
    t.tracker.track(owners[2], 'room:1', 'bob', {});
    t.tracker.update(owners[0], 'room:1', 'alice', { d: 'tablet' });
    t.tracker.track(owners[3], 'room:1', 'carol', {});
    t.tracker.untrack(owners[2], 'room:1', 'bob');
    t.tracker.untrackOwner(owners[1]);
    t.tracker.update(owners[3], 'room:1', 'carol', (m) => ({ ...m, away: true }));
    for (const d of t.diffs) view.apply(d.diff);
    expect(view.normalized()).toEqual(normalize(t.tracker.list('room:1')));
    expect(Object.keys(view.normalized())).toEqual(['alice', 'carol']);
  });

  test('options that would flap or never detect a dead node are refused', () => {
    const base = { nodeId: 'n', adapter: new MemoryAdapter('n'), emitDiff: () => {} };
    expect(() => new Tracker({ ...base, downPeriodMs: 1000, idleHeartbeatMs: 3000 })).toThrow(/downPeriodMs/);
    expect(() => new Tracker({ ...base, permdownPeriodMs: 5000 })).toThrow(/permdownPeriodMs/);
    expect(() => new Tracker({ ...base, broadcastPeriodMs: 0 })).toThrow(/broadcastPeriodMs/);
    expect(() => new Tracker({ ...base, nodeId: 'other' })).toThrow(/adapter.nodeId/);
  });
});
