import { referenceServerPerTest } from './server-per-test';
import { joinV2, nextV2, openV1, openV2, OK_JOIN, UNMATCHED } from './sockets';

/*
 * protocol §3.2 (every server frame of the V2 catalogue), §3.3 routing and
 * §12 vectors 1-7 and 11, with hand-written frames.
 */

const server = referenceServerPerTest();

const phxRef = expect.stringMatching(/^[A-Za-z0-9_-]{16}$/);

describe('joins', () => {
  it('an accepted join is answered [JR,R,topic,phx_reply,ok] before anything else of the join', async () => {
    const a = await openV2(server, 'alice');
    await joinV2(a, 'room:first', '1');
    const b = await openV2(server, 'bob');
    b.sendJson(['7', '7', 'room:first', 'phx_join', { role: 'teacher' }]);
    // The join pushes presence_state and sees its own presence_diff: the reply still comes first.
    expect(await nextV2(b)).toEqual(['7', '7', 'room:first', 'phx_reply', OK_JOIN]);
    const rest = [await nextV2(b), await nextV2(b)].sort((x, y) => x[3].localeCompare(y[3]));
    expect(rest).toEqual([
      [null, null, 'room:first', 'presence_diff', { joins: { bob: { metas: [{ phx_ref: phxRef, role: 'teacher' }] } }, leaves: {} }],
      [
        '7',
        null,
        'room:first',
        'presence_state',
        { alice: { metas: [{ phx_ref: phxRef, role: 'student' }] }, bob: { metas: [{ phx_ref: phxRef, role: 'teacher' }] } },
      ],
    ]);
    expect(await nextV2(a)).toEqual([null, null, 'room:first', 'presence_diff', { joins: { bob: expect.anything() }, leaves: {} }]);
    await a.expectQuiet();
    await b.expectQuiet();
  });

  it('a join refused by the channel is [JR,R,topic,phx_reply,error] and registers nothing', async () => {
    const a = await openV2(server);
    a.sendJson(['3', '3', 'session:forbidden', 'phx_join', {}]);
    expect(await nextV2(a)).toEqual(['3', '3', 'session:forbidden', 'phx_reply', { response: { reason: 'unauthorized' }, status: 'error' }]);
    a.sendJson(['3', '4', 'session:forbidden', 'echo', {}]);
    expect(await nextV2(a)).toEqual([null, '4', 'session:forbidden', 'phx_reply', UNMATCHED]);
    await a.expectQuiet();
  });

  it('a join that throws gets "join crashed" and the socket lives on', async () => {
    const a = await openV2(server);
    a.sendJson(['1', '1', 'joincrash:x', 'phx_join', {}]);
    expect(await nextV2(a)).toEqual(['1', '1', 'joincrash:x', 'phx_reply', { response: { reason: 'join crashed' }, status: 'error' }]);
    a.sendJson(['1', '2', 'joincrash:x', 'echo', {}]);
    expect(await nextV2(a)).toEqual([null, '2', 'joincrash:x', 'phx_reply', UNMATCHED]);
    await joinV2(a, 'room:after', '3');
  });

  it('a join to a topic with no route is an unmatched topic with a null JR', async () => {
    const a = await openV2(server);
    a.sendJson(['1', '1', 'nochannel:x', 'phx_join', {}]);
    expect(await nextV2(a)).toEqual([null, '1', 'nochannel:x', 'phx_reply', UNMATCHED]);
    await a.expectQuiet();
  });
});

describe('unjoined topics', () => {
  it('a push to a topic not joined is an unmatched topic with a null JR, whatever JR it carries', async () => {
    const a = await openV2(server);
    a.sendJson(['1', '2', 'room:never', 'echo', { x: 1 }]);
    expect(await nextV2(a)).toEqual([null, '2', 'room:never', 'phx_reply', UNMATCHED]);
    a.sendJson([null, '3', 'room:never', 'echo', { x: 1 }]);
    expect(await nextV2(a)).toEqual([null, '3', 'room:never', 'phx_reply', UNMATCHED]);
  });

  it('a leave of a topic not joined gets ok {} with the JR copied from the message', async () => {
    const a = await openV2(server);
    a.sendJson(['9', '10', 'room:never', 'phx_leave', {}]);
    expect(await nextV2(a)).toEqual(['9', '10', 'room:never', 'phx_reply', { response: {}, status: 'ok' }]);
    a.sendJson([null, '11', 'room:never', 'phx_leave', {}]);
    expect(await nextV2(a)).toEqual([null, '11', 'room:never', 'phx_reply', { response: {}, status: 'ok' }]);
    await a.expectQuiet();
  });

  it('an event other than heartbeat on topic "phoenix" is an unmatched topic', async () => {
    const a = await openV2(server);
    a.sendJson(['1', '5', 'phoenix', 'phx_join', {}]);
    expect(await nextV2(a)).toEqual([null, '5', 'phoenix', 'phx_reply', UNMATCHED]);
    a.sendJson([null, '6', 'phoenix', 'notheartbeat', {}]);
    expect(await nextV2(a)).toEqual([null, '6', 'phoenix', 'phx_reply', UNMATCHED]);
  });
});

describe('heartbeat', () => {
  it('is answered [null,R,"phoenix",phx_reply,ok {}] without a join, whatever JR and payload it has', async () => {
    const a = await openV2(server);
    a.sendJson([null, '7', 'phoenix', 'heartbeat', {}]);
    expect(await nextV2(a)).toEqual([null, '7', 'phoenix', 'phx_reply', { response: {}, status: 'ok' }]);
    a.sendJson(['42', '8', 'phoenix', 'heartbeat', { extra: [1, 2] }]);
    expect(await nextV2(a)).toEqual([null, '8', 'phoenix', 'phx_reply', { response: {}, status: 'ok' }]);
    a.sendJson(['1', 9, 'phoenix', 'heartbeat', {}]);
    expect(await nextV2(a)).toEqual([null, 9, 'phoenix', 'phx_reply', { response: {}, status: 'ok' }]);
  });
});

describe('pushes and replies on a joined channel', () => {
  it("a reply carries the channel's JR, also for a push with a null JR; refs are echoed as sent", async () => {
    const a = await openV2(server);
    await joinV2(a, 'room:r', '4');
    a.sendJson(['4', '5', 'room:r', 'echo', { a: 1 }]);
    expect(await nextV2(a)).toEqual(['4', '5', 'room:r', 'phx_reply', { response: { a: 1 }, status: 'ok' }]);
    a.sendJson([null, '6', 'room:r', 'echo', { b: 2 }]);
    expect(await nextV2(a)).toEqual(['4', '6', 'room:r', 'phx_reply', { response: { b: 2 }, status: 'ok' }]);
    a.sendJson(['4', 7, 'room:r', 'echo', 'text']);
    expect(await nextV2(a)).toEqual(['4', 7, 'room:r', 'phx_reply', { response: 'text', status: 'ok' }]);
    a.sendJson(['4', 'not-a-number', 'room:r', 'echo', null]);
    expect(await nextV2(a)).toEqual(['4', 'not-a-number', 'room:r', 'phx_reply', { response: null, status: 'ok' }]);
  });

  it('a push from the channel is [JR,null,topic,event,payload]', async () => {
    const a = await openV2(server);
    await joinV2(a, 'room:p', '12');
    a.sendJson(['12', '13', 'room:p', 'push_back', { hi: 'there' }]);
    expect(await nextV2(a)).toEqual(['12', null, 'room:p', 'pushed', { hi: 'there' }]);
    await a.expectQuiet();
  });

  it('a broadcast is [null,null,topic,event,payload] and reaches every subscriber, the sender included', async () => {
    const a = await openV2(server, 'alice');
    const b = await openV2(server, 'bob');
    const c = await openV1(server, 'carol');
    await joinV2(a, 'room:b', '1');
    await joinV2(b, 'room:b', '2');
    await a.nextJson(); // bob's presence_diff
    c.sendJson({ topic: 'room:b', event: 'phx_join', payload: {}, ref: '3', join_ref: '3' });
    expect(await c.nextJson()).toEqual({ event: 'phx_reply', payload: { response: { ok: true }, status: 'ok' }, ref: '3', topic: 'room:b' });
    await c.nextJson();
    await c.nextJson();
    await a.nextJson(); // carol's presence_diff
    await b.nextJson();
    a.sendJson(['1', '9', 'room:b', 'shout', { msg: 'hello' }]);
    expect(await nextV2(a)).toEqual([null, null, 'room:b', 'shout', { msg: 'hello' }]);
    expect(await nextV2(b)).toEqual([null, null, 'room:b', 'shout', { msg: 'hello' }]);
    // V1 (protocol §12.11): no join_ref key, ref null.
    expect(await c.nextJson()).toEqual({ event: 'shout', payload: { msg: 'hello' }, ref: null, topic: 'room:b' });
    // shout has no reply
    await a.expectQuiet();
  });
});

describe('normal close and crash', () => {
  it('a leave gets its reply, then [JR,JR,topic,phx_close,{}]; later pushes are unmatched', async () => {
    const a = await openV2(server);
    await joinV2(a, 'room:l', '5');
    a.sendJson(['5', '6', 'room:l', 'phx_leave', {}]);
    expect(await nextV2(a)).toEqual(['5', '6', 'room:l', 'phx_reply', { response: {}, status: 'ok' }]);
    expect(await nextV2(a)).toEqual(['5', '5', 'room:l', 'phx_close', {}]);
    a.sendJson(['5', '7', 'room:l', 'echo', {}]);
    expect(await nextV2(a)).toEqual([null, '7', 'room:l', 'phx_reply', UNMATCHED]);
  });

  it('a leave with a null JR is accepted', async () => {
    const a = await openV2(server);
    await joinV2(a, 'room:l', '5');
    a.sendJson([null, '6', 'room:l', 'phx_leave', {}]);
    expect(await nextV2(a)).toEqual(['5', '6', 'room:l', 'phx_reply', { response: {}, status: 'ok' }]);
    expect(await nextV2(a)).toEqual(['5', '5', 'room:l', 'phx_close', {}]);
  });

  it('a channel that stops itself sends its reply, then phx_close with its JR', async () => {
    const a = await openV2(server);
    await joinV2(a, 'room:s', '2');
    a.sendJson(['2', '3', 'room:s', 'stop', {}]);
    expect(await nextV2(a)).toEqual(['2', '3', 'room:s', 'phx_reply', { response: { stopping: true }, status: 'ok' }]);
    expect(await nextV2(a)).toEqual(['2', '2', 'room:s', 'phx_close', {}]);
    a.sendJson(['2', '4', 'room:s', 'echo', {}]);
    expect(await nextV2(a)).toEqual([null, '4', 'room:s', 'phx_reply', UNMATCHED]);
  });

  it.each(['crash', 'no_such_event'])('"%s" sends [JR,JR,topic,phx_error,channel_crash] and no reply; a rejoin works', async (event) => {
    const a = await openV2(server);
    await joinV2(a, 'room:c', '1');
    a.sendJson(['1', '2', 'room:c', event, {}]);
    expect(await nextV2(a)).toEqual(['1', '1', 'room:c', 'phx_error', { reason: 'channel_crash' }]);
    a.sendJson(['1', '3', 'room:c', 'echo', {}]);
    expect(await nextV2(a)).toEqual([null, '3', 'room:c', 'phx_reply', UNMATCHED]);
    // phoenix.js rejoins with a new JR; presence_state is pushed again (trap 6).
    await joinV2(a, 'room:c', '4');
    a.sendJson(['4', '5', 'room:c', 'echo', { again: true }]);
    expect(await nextV2(a)).toEqual(['4', '5', 'room:c', 'phx_reply', { response: { again: true }, status: 'ok' }]);
  });
});

describe('join_ref checks (§3.3, §12.7)', () => {
  it('drops a push with a stale JR silently: no reply, and the handler never runs', async () => {
    const a = await openV2(server, 'alice');
    const b = await openV2(server, 'bob');
    await joinV2(b, 'room:stale', '1');
    await joinV2(a, 'room:stale', '1');
    await b.nextJson(); // alice's presence_diff
    a.sendJson(['1', '2', 'room:stale', 'phx_leave', {}]);
    await nextV2(a);
    await nextV2(a);
    await b.nextJson(); // alice's leave diff
    await joinV2(a, 'room:stale', '3');
    await b.nextJson(); // alice's second join diff
    // A shout with the old JR would reach bob if the handler ran.
    a.sendJson(['1', '4', 'room:stale', 'shout', { stale: true }]);
    a.sendJson(['1', '5', 'room:stale', 'echo', { stale: true }]);
    await a.expectQuiet();
    await b.expectQuiet();
    // A stale leave is ignored too: the channel is still there.
    a.sendJson(['1', '6', 'room:stale', 'phx_leave', {}]);
    await a.expectQuiet();
    a.sendJson(['3', '7', 'room:stale', 'echo', { current: true }]);
    expect(await nextV2(a)).toEqual(['3', '7', 'room:stale', 'phx_reply', { response: { current: true }, status: 'ok' }]);
    a.sendJson([null, '8', 'room:stale', 'echo', { nulljr: true }]);
    expect(await nextV2(a)).toEqual(['3', '8', 'room:stale', 'phx_reply', { response: { nulljr: true }, status: 'ok' }]);
  });

  it('a duplicate join: new reply and a phx_close carrying the OLD JR (either order); the old JR is then stale', async () => {
    const a = await openV2(server);
    await joinV2(a, 'room:dup', '1');
    a.sendJson(['3', '3', 'room:dup', 'phx_join', {}]);
    const two = [await nextV2(a), await nextV2(a)].sort((x, y) => x[3].localeCompare(y[3]));
    expect(two).toEqual([
      ['1', '1', 'room:dup', 'phx_close', {}],
      ['3', '3', 'room:dup', 'phx_reply', OK_JOIN],
    ]);
    const presence = [await nextV2(a), await nextV2(a)].map((f) => [f[0], f[3]]).sort((x, y) => String(x[1]).localeCompare(String(y[1])));
    expect(presence).toEqual([
      [null, 'presence_diff'],
      ['3', 'presence_state'],
    ]);
    a.sendJson(['1', '4', 'room:dup', 'echo', {}]);
    await a.expectQuiet();
    a.sendJson(['3', '5', 'room:dup', 'echo', {}]);
    expect(await nextV2(a)).toEqual(['3', '5', 'room:dup', 'phx_reply', { response: {}, status: 'ok' }]);
  });

  it('a join reusing the live JR restarts the channel (phx_close with that JR)', async () => {
    const a = await openV2(server);
    await joinV2(a, 'room:dup', '3');
    a.sendJson(['3', '3', 'room:dup', 'phx_join', {}]);
    const two = [await nextV2(a), await nextV2(a)].sort((x, y) => x[3].localeCompare(y[3]));
    expect(two).toEqual([
      ['3', '3', 'room:dup', 'phx_close', {}],
      ['3', '3', 'room:dup', 'phx_reply', OK_JOIN],
    ]);
  });
});

describe('V1 serializer (§2.3, §12.11)', () => {
  it('never sends join_ref; pushes and broadcasts have ref null; phx_close and phx_error carry the JR as ref', async () => {
    const a = await openV1(server);
    a.sendJson({ topic: 'room:v1', event: 'phx_join', payload: {}, ref: '1', join_ref: '1' });
    expect(await a.nextJson()).toEqual({ event: 'phx_reply', payload: OK_JOIN, ref: '1', topic: 'room:v1' });
    const presence = [await a.nextJson(), await a.nextJson()] as Array<Record<string, unknown>>;
    for (const f of presence) {
      expect(Object.keys(f).sort()).toEqual(['event', 'payload', 'ref', 'topic']);
      expect(f.ref).toBeNull();
    }
    a.sendJson({ topic: 'room:v1', event: 'push_back', payload: { x: 1 }, ref: '2', join_ref: '1' });
    expect(await a.nextJson()).toEqual({ event: 'pushed', payload: { x: 1 }, ref: null, topic: 'room:v1' });
    a.sendJson({ topic: 'room:v1', event: 'echo', payload: { y: 2 }, ref: '3' });
    expect(await a.nextJson()).toEqual({ event: 'phx_reply', payload: { response: { y: 2 }, status: 'ok' }, ref: '3', topic: 'room:v1' });
    a.sendJson({ topic: 'room:v1', event: 'crash', payload: {}, ref: '4', join_ref: '1' });
    expect(await a.nextJson()).toEqual({ event: 'phx_error', payload: { reason: 'channel_crash' }, ref: '1', topic: 'room:v1' });
    a.sendJson({ topic: 'room:v1', event: 'phx_join', payload: {}, ref: '5', join_ref: '5' });
    await a.nextJson();
    await a.nextJson();
    await a.nextJson();
    a.sendJson({ topic: 'room:v1', event: 'phx_leave', payload: {}, ref: '6', join_ref: '5' });
    expect(await a.nextJson()).toEqual({ event: 'phx_reply', payload: { response: {}, status: 'ok' }, ref: '6', topic: 'room:v1' });
    expect(await a.nextJson()).toEqual({ event: 'phx_close', payload: {}, ref: '5', topic: 'room:v1' });
    a.sendJson({ topic: 'room:v1', event: 'echo', payload: {}, ref: '7', join_ref: '5' });
    expect(await a.nextJson()).toEqual({ event: 'phx_reply', payload: UNMATCHED, ref: '7', topic: 'room:v1' });
  });
});
