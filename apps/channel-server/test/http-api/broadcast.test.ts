/**
 * POST /api/broadcast (CONTRACT §6): delivery to stock phoenix.js and raw V1
 * subscribers, binary payloads, persisted messages and idempotent retries.
 */
import { waitFor } from '@cinder/testkit';
import { anyone, useApiServer } from './fixture';

const t = useApiServer();
const broadcast = (body: Record<string, unknown>) => t.call('POST', '/api/broadcast', body);
const history = async (sid: string) => (await t.call('GET', `/api/sessions/${sid}/messages?limit=500`)).body.messages as any[];

describe('ephemeral broadcasts', () => {
  it('delivers a JSON event to every subscriber of the topic (V2 phoenix.js and V1 raw) and stores nothing', async () => {
    const sid = t.uid('eph');
    const a = await t.clients.join(anyone('a'), `session:${sid}`);
    const b = await t.clients.join(anyone('b'), `session:${sid}`);
    const other = await t.clients.join(anyone('c'), `session:${t.uid('elsewhere')}`);
    const v1 = await t.rawV1(anyone('d'), `session:${sid}`);

    const r = await broadcast({ topic: `session:${sid}`, event: 'swing:uploaded', payload: { swing_id: 'sw1', frames: [1, 2, 3] } });
    expect(r).toEqual({ status: 200, body: { ok: true } });

    await waitFor(() => a.of('swing:uploaded').length === 1 && b.of('swing:uploaded').length === 1, 'both V2 subscribers');
    expect(a.of('swing:uploaded')).toEqual([{ swing_id: 'sw1', frames: [1, 2, 3] }]);
    expect(b.of('swing:uploaded')).toEqual([{ swing_id: 'sw1', frames: [1, 2, 3] }]);
    const v1frame = await v1.next((f) => f.event === 'swing:uploaded');
    expect(v1frame).toMatchObject({ topic: `session:${sid}`, event: 'swing:uploaded', payload: { swing_id: 'sw1', frames: [1, 2, 3] }, ref: null });
    expect(other.of('swing:uploaded')).toEqual([]);
    expect(await history(sid)).toEqual([]);
  });

  it('delivers an empty object when the payload is omitted', async () => {
    const sub = t.uid('u');
    const u = await t.clients.join(anyone(sub), `user:${sub}`);
    expect((await broadcast({ topic: `user:${sub}`, event: 'ping' })).status).toBe(200);
    await waitFor(() => u.of('ping').length === 1, 'ping');
    expect(u.of('ping')).toEqual([{}]);
  });

  it('delivers payload_base64 as a V2 binary broadcast (ArrayBuffer) and as {"base64"} to V1 sockets', async () => {
    const sid = t.uid('bin');
    const v2 = await t.clients.join(anyone('v2'), `session:${sid}`);
    const v1 = await t.rawV1(anyone('v1'), `session:${sid}`);
    const bytes = Buffer.from([0, 1, 2, 250, 251, 255, 10, 13, 0x7b]);

    const r = await broadcast({ topic: `session:${sid}`, event: 'frame:shared', payload_base64: bytes.toString('base64') });
    expect(r).toEqual({ status: 200, body: { ok: true } });

    await waitFor(() => v2.of('frame:shared').length === 1, 'binary broadcast on V2');
    const got = v2.of('frame:shared')[0];
    expect(got).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(got as ArrayBuffer)).toEqual(bytes);
    const v1frame = await v1.next((f) => f.event === 'frame:shared');
    expect(v1frame.payload).toEqual({ base64: bytes.toString('base64') });
    expect(await history(sid)).toEqual([]);
  });
});

describe('persisted broadcasts', () => {
  it('returns {id} once committed; the delivered payload carries that id and history holds the Message', async () => {
    const sid = t.uid('persist');
    const s = await t.clients.join(anyone('watcher'), `session:${sid}`);
    const payload = { message: 'Your lead wrist is cupped at the top.', swing_id: 'sw9', metrics: { tempo: 3.1 } };

    const r = await broadcast({ topic: `session:${sid}`, event: 'ai:feedback', payload, persist: true });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, id: expect.stringMatching(/^\d+$/) });
    const id = r.body.id;

    // Committed before the answer: history already has it, with no wait.
    const rows = await history(sid);
    expect(rows).toEqual([
      {
        id,
        session_id: sid,
        type: 'ai_feedback',
        author_role: 'ai',
        author_id: expect.any(String),
        message: payload.message,
        meta: { swing_id: 'sw9', metrics: { tempo: 3.1 } },
        inserted_at: expect.any(String),
      },
    ]);
    expect(new Date(rows[0].inserted_at).toISOString()).toBe(rows[0].inserted_at);

    await waitFor(() => s.of('ai:feedback').length === 1, 'persisted delivery');
    expect(s.of('ai:feedback')[0]).toMatchObject({ ...payload, id, session_id: sid, type: 'ai_feedback', author_role: 'ai' });
  });

  it.each([
    ['ai:insight', {}, 'ai_insight', 'ai'],
    ['swing:analyzed', {}, 'swing_analyzed', 'ai'],
    ['system:notice', { type: 'system_notice' }, 'system_notice', 'system'],
    ['system_notice', {}, 'system_notice', 'system'],
    ['analysis:done', { type: 'ai_feedback' }, 'ai_feedback', 'ai'],
    // payload.type wins over the event name
    ['ai:feedback', { type: 'coach_tip' }, 'coach_tip', 'ai'],
  ])('derives the type of %s %j as %s by %s', async (event, extra, type, role) => {
    const sid = t.uid('types');
    const r = await broadcast({ topic: `session:${sid}`, event, payload: { message: 'text', ...extra }, persist: true });
    expect(r.status).toBe(200);
    const [row] = await history(sid);
    expect(row).toMatchObject({ id: r.body.id, type, author_role: role, message: 'text' });
    expect(row.meta).not.toHaveProperty('type');
  });

  it('persists into a session nobody joined yet, creating it as waiting', async () => {
    const sid = t.uid('fresh');
    expect((await broadcast({ topic: `session:${sid}`, event: 'ai:insight', payload: { message: 'first' }, persist: true })).status).toBe(200);
    const waiting = await t.call('GET', '/api/sessions?status=waiting&limit=500');
    expect(waiting.body.sessions.map((x: { session_id: string }) => x.session_id)).toContain(sid);
  });

  it('gives increasing ids in the order the commits are answered', async () => {
    const sid = t.uid('order');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await broadcast({ topic: `session:${sid}`, event: 'ai:insight', payload: { message: `n${i}` }, persist: true })).body.id);
    expect([...ids].sort((x, y) => Number(x) - Number(y))).toEqual(ids);
    expect((await history(sid)).map((m) => m.message)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
  });
});

describe('idempotency_key', () => {
  it('stores and delivers a retried broadcast once and answers the same id every time', async () => {
    const sid = t.uid('idem');
    const s = await t.clients.join(anyone('watcher'), `session:${sid}`);
    const body = { topic: `session:${sid}`, event: 'ai:feedback', payload: { message: 'once' }, persist: true, idempotency_key: 'job-42' };
    const first = await broadcast(body);
    const second = await broadcast(body);
    const third = await broadcast(body);
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(third.body).toEqual(first.body);
    // A marker after the retries: everything before it has been delivered.
    await broadcast({ topic: `session:${sid}`, event: 'marker', payload: {} });
    await waitFor(() => s.of('marker').length === 1, 'marker');
    expect(s.of('ai:feedback').map((p) => p.id)).toEqual([first.body.id]);
    expect((await history(sid)).map((m) => m.id)).toEqual([first.body.id]);
  });

  it('stores and delivers exactly one message for 10 concurrent identical requests', async () => {
    const sid = t.uid('idem-par');
    const s = await t.clients.join(anyone('watcher'), `session:${sid}`);
    const body = { topic: `session:${sid}`, event: 'ai:feedback', payload: { message: 'exactly once' }, persist: true, idempotency_key: 'parallel-key' };
    const answers = await Promise.all(Array.from({ length: 10 }, () => broadcast(body)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    await broadcast({ topic: `session:${sid}`, event: 'marker', payload: {} });
    await waitFor(() => s.of('marker').length === 1, 'marker');
    expect(s.of('ai:feedback').map((p) => p.id)).toEqual([...ids]);
    expect((await history(sid)).map((m) => m.id)).toEqual([...ids]);
  });

  it('keeps keys apart per session and per key', async () => {
    const a = t.uid('idem-a');
    const b = t.uid('idem-b');
    const post = (sid: string, key: string) =>
      broadcast({ topic: `session:${sid}`, event: 'ai:insight', payload: { message: key }, persist: true, idempotency_key: key });
    const a1 = await post(a, 'k1');
    const a2 = await post(a, 'k2');
    const b1 = await post(b, 'k1');
    expect(new Set([a1.body.id, a2.body.id, b1.body.id]).size).toBe(3);
    expect((await history(a)).map((m) => m.message)).toEqual(['k1', 'k2']);
    expect((await history(b)).map((m) => m.message)).toEqual(['k1']);
  });
});
