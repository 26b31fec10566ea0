import { referenceServerPerTest } from './server-per-test';
import { joinV2, nextV2, openV2 } from './sockets';

/*
 * Presence on one node as the wire shows it (protocol §6.1, §12.18):
 * presence_state after every join, diffs for joins and leaves, an update as
 * one diff, and a second socket of the same user as a second meta.
 */

const server = referenceServerPerTest();

it('an update is one presence_diff: the new meta (phx_ref_prev = old ref) in joins, the old meta in leaves', async () => {
  const a = await openV2(server, 'alice');
  const b = await openV2(server, 'bob');
  const aliceRef = await joinV2(a, 'room:u', '1');
  await joinV2(b, 'room:u', '1');
  await a.nextJson(); // bob's join diff
  a.sendJson(['1', '2', 'room:u', 'set_role', { role: 'teacher' }]);
  for (const c of [a, b]) {
    const [jr, ref, topic, event, diff] = await nextV2(c);
    expect([jr, ref, topic, event]).toEqual([null, null, 'room:u', 'presence_diff']);
    const d = diff as { joins: { alice: { metas: Array<Record<string, string>> } }; leaves: unknown };
    expect(d.leaves).toEqual({ alice: { metas: [{ phx_ref: aliceRef, role: 'student' }] } });
    expect(d.joins.alice.metas).toEqual([{ phx_ref: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/), phx_ref_prev: aliceRef, role: 'teacher' }]);
    expect(d.joins.alice.metas[0].phx_ref).not.toBe(aliceRef);
  }
  await a.expectQuiet();
  await b.expectQuiet();
});

it('a second socket of the same user adds a second meta under the same key; closing it leaves only that meta', async () => {
  const a = await openV2(server, 'alice');
  const first = await joinV2(a, 'room:tabs', '1', { role: 'teacher' });
  const a2 = await openV2(server, 'alice');
  a2.sendJson(['1', '1', 'room:tabs', 'phx_join', { role: 'assistant' }]);
  await nextV2(a2);
  const frames = [await nextV2(a2), await nextV2(a2)];
  const state = frames.find((f) => f[3] === 'presence_state');
  const metas = (state?.[4] as { alice: { metas: Array<Record<string, string>> } }).alice.metas;
  expect(metas.map((m) => m.role).sort()).toEqual(['assistant', 'teacher']);
  expect(metas.find((m) => m.role === 'teacher')?.phx_ref).toBe(first);
  const second = metas.find((m) => m.role === 'assistant')?.phx_ref;
  expect(await nextV2(a)).toEqual([null, null, 'room:tabs', 'presence_diff', { joins: { alice: { metas: [{ phx_ref: second, role: 'assistant' }] } }, leaves: {} }]);
  a2.close();
  expect(await nextV2(a)).toEqual([null, null, 'room:tabs', 'presence_diff', { joins: {}, leaves: { alice: { metas: [{ phx_ref: second, role: 'assistant' }] } } }]);
  expect(server.tracker.list('room:tabs')).toEqual({ alice: { metas: [{ phx_ref: first, role: 'teacher' }] } });
});

it('pushes presence_state again after a rejoin, with the new join_ref', async () => {
  const a = await openV2(server, 'alice');
  const b = await openV2(server, 'bob');
  await joinV2(b, 'room:re', '1');
  await joinV2(a, 'room:re', '1');
  await b.nextJson();
  a.sendJson(['1', '2', 'room:re', 'crash', {}]);
  expect((await nextV2(a))[3]).toBe('phx_error');
  expect((await nextV2(b))[4]).toEqual({ joins: {}, leaves: { alice: expect.anything() } });
  // joinV2 checks that presence_state comes with the new JR.
  await joinV2(a, 'room:re', '3');
  expect(Object.keys(server.tracker.list('room:re')).sort()).toEqual(['alice', 'bob']);
});
