/**
 * `session:{id}` exactly as CONTRACT §5.1: every event, role rule,
 * transition and error reason, through the stock phoenix.js client, on both
 * PGlite and Postgres.
 */
import { pushAndWait, startServer, waitFor, type ServerProcess } from '@cinder/testkit';
import { BACKENDS } from '../support/backends';
import { api, securedEnv } from '../support/cluster-env';
import { Clients } from '../support/phoenix-session';
import { openRaw } from '../support/raw-socket';
import { signToken } from '@cinder/testkit';

const student = (sub = 'stu1', sessions: string[] | '*' = '*') => ({ sub, name: `Student ${sub}`, role: 'golfer', sessions });
const coach = (sub = 'coach1') => ({ sub, name: `Coach ${sub}`, role: 'instructor', sessions: '*' as const });

describe.each(BACKENDS)('session channel on %s', (_name, backend) => {
  let server: ServerProcess;
  let cleanup: () => Promise<void>;
  const clients = new Clients(() => server.port);
  let n = 0;
  const sid = () => `s${++n}-${Date.now().toString(36)}`;

  beforeAll(async () => {
    const b = await backend();
    cleanup = b.cleanup;
    server = await startServer(securedEnv(b.env), { store: b.store });
  });
  afterAll(async () => {
    await server.kill();
    await cleanup();
  });
  afterEach(() => clients.closeAll());

  describe('join', () => {
    it('creates an unknown session as waiting, with the first coach and student kept after they leave', async () => {
      const id = sid();
      const s = await clients.join(student('stu1', [id]), `session:${id}`);
      expect(s.reply).toEqual({
        session: { session_id: id, status: 'waiting', current_step: null, coach: null, student: { id: 'stu1', name: 'Student stu1' }, updated_at: expect.any(Number) },
        messages: [],
        recovered: true,
      });
      const c = await clients.join(coach(), `session:${id}`);
      expect(c.reply.session.coach).toEqual({ id: 'coach1', name: 'Coach coach1' });
      await clients.join(student('stu2'), `session:${id}`);
      clients.closeAll();
      const again = await clients.join(student('stu3'), `session:${id}`);
      expect(again.reply.session.student).toEqual({ id: 'stu1', name: 'Student stu1' });
      expect(again.reply.session.coach).toEqual({ id: 'coach1', name: 'Coach coach1' });
    });

    it('refuses a session the token does not list, and stores nothing on join', async () => {
      const id = sid();
      await expect(clients.join(student('stu1', ['other']), `session:${id}`)).rejects.toMatchObject({ reply: { reason: 'unauthorized' } });
      const s = await clients.join(student('stu1', [id]), `session:${id}`);
      expect(s.reply.messages).toEqual([]);
      const hist = await api(server.url, 'GET', `/api/sessions/${id}/messages`);
      expect(hist.body.messages).toEqual([]);
    });

    it('returns the latest `history` messages, ascending', async () => {
      const id = sid();
      const a = await clients.join(student(), `session:${id}`);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await pushAndWait(a.channel, 'chat:new', { message: `m${i}` })).response.id);
      const b = await clients.join(coach(), `session:${id}`, { history: 3 });
      expect(b.reply.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(2));
      const c = await clients.join(coach('coach2'), `session:${id}`);
      expect(c.reply.messages.map((m: { message: string }) => m.message)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      await expect(clients.join(coach('coach3'), `session:${id}`, { history: 501 })).rejects.toMatchObject({ reply: { reason: 'invalid_payload' } });
    });

    it('rejoins with `since` from a params function and gets exactly the missed messages', async () => {
      const id = sid();
      let lastSeen: string | null = null;
      const a = await clients.join(student(), `session:${id}`, () => (lastSeen ? { since: lastSeen } : {}));
      const b = await clients.join(coach(), `session:${id}`);
      a.channel.on('chat:added', (m: { id: string }) => (lastSeen = m.id));
      await pushAndWait(b.channel, 'chat:new', { message: 'seen' });
      await waitFor(() => lastSeen !== null, 'first message seen');
      // Join replies carry `session`; collect the ones after the reconnect.
      const joinReplies: any[] = [];
      a.channel.on('phx_reply', (p: any) => {
        if (p?.status === 'ok' && p.response?.session) joinReplies.push(p.response);
      });
      a.socket.disconnect();
      const missed: string[] = [];
      for (let i = 0; i < 4; i++) missed.push((await pushAndWait(b.channel, 'chat:new', { message: `missed ${i}` })).response.id);
      a.socket.connect();
      await waitFor(() => joinReplies.length === 1, 'rejoin reply', 10000);
      const rejoined = Promise.resolve(joinReplies[0]);
      const reply = await rejoined;
      expect(reply.recovered).toBe(true);
      expect(reply.messages.map((m: { id: string }) => m.id)).toEqual(missed);
    });

    it('reports recovered:false with the first 500 when more than 500 were missed', async () => {
      const id = sid();
      const first = await api(server.url, 'POST', '/api/broadcast', { topic: `session:${id}`, event: 'system:notice', payload: { type: 'system_notice', message: 'start' }, persist: true });
      expect(first.status).toBe(200);
      const ids: string[] = [];
      for (let batch = 0; batch < 11; batch++) {
        const rs = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            api(server.url, 'POST', '/api/broadcast', { topic: `session:${id}`, event: 'ai:insight', payload: { message: `n${batch * 50 + i}` }, persist: true }),
          ),
        );
        for (const r of rs) ids.push(r.body.id);
      }
      ids.sort((x, y) => Number(x) - Number(y));
      const s = await clients.join(student(), `session:${id}`, { since: first.body.id });
      expect(s.reply.recovered).toBe(false);
      expect(s.reply.messages).toHaveLength(500);
      expect(s.reply.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 500));
      const rest = await api(server.url, 'GET', `/api/sessions/${id}/messages?after=${ids[499]}&limit=500`);
      expect(rest.body.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(500));
    });
  });

  describe('chat:new', () => {
    it('stores, acknowledges, then delivers chat:added to everyone with identity from the token', async () => {
      const id = sid();
      const a = await clients.join(student(), `session:${id}`);
      const b = await clients.join(coach(), `session:${id}`);
      const r = await pushAndWait(a.channel, 'chat:new', {
        message: 'the face is open',
        meta: { swing_id: 'sw_1' },
        author_id: 'forged',
        author_role: 'coach',
        sender: { id: 'forged', role: 'coach' },
      });
      expect(r.status).toBe('ok');
      expect(Object.keys(r.response).sort()).toEqual(['id', 'inserted_at']);
      await waitFor(() => a.of('chat:added').length === 1 && b.of('chat:added').length === 1, 'chat:added');
      const msg = b.of('chat:added')[0];
      expect(msg).toEqual({
        id: r.response.id,
        session_id: id,
        type: 'chat_message',
        author_role: 'student',
        author_id: 'stu1',
        message: 'the face is open',
        meta: { swing_id: 'sw_1' },
        inserted_at: r.response.inserted_at,
      });
      expect(a.of('chat:added')[0]).toEqual(msg);
    });

    it.each([
      ['student', 'chat_message', 'ok'],
      ['student', 'feeling_update', 'ok'],
      ['student', 'focus_point', 'ok'],
      ['student', 'coach_tip', 'forbidden'],
      ['student', 'ai_insight', 'forbidden'],
      ['student', 'system_notice', 'forbidden'],
      ['coach', 'coach_tip', 'ok'],
      ['coach', 'chat_message', 'ok'],
      ['coach', 'ai_feedback', 'forbidden'],
      ['coach', 'session_state', 'forbidden'],
      ['student', 'no_such_type', 'invalid_payload'],
    ])('%s sending type %s gets %s', async (role, type, expected) => {
      const id = sid();
      const who = role === 'coach' ? coach() : student();
      const s = await clients.join(who, `session:${id}`);
      const r = await pushAndWait(s.channel, 'chat:new', { message: 'x', type });
      if (expected === 'ok') {
        expect(r.status).toBe('ok');
      } else {
        expect(r).toEqual({ status: 'error', response: expect.objectContaining({ reason: expected }) });
      }
    });

    it('validates message length in code points and meta size', async () => {
      const id = sid();
      const s = await clients.join(student(), `session:${id}`);
      const bad = async (payload: unknown) => (await pushAndWait(s.channel, 'chat:new', payload as object)).response.reason;
      expect(await bad({ message: '' })).toBe('invalid_payload');
      expect(await bad({})).toBe('invalid_payload');
      expect(await bad({ message: 42 })).toBe('invalid_payload');
      expect(await bad({ message: 'a'.repeat(4001) })).toBe('invalid_payload');
      expect(await bad({ message: 'ok', meta: 'not an object' })).toBe('invalid_payload');
      expect(await bad({ message: 'ok', meta: { blob: 'x'.repeat(4100) } })).toBe('invalid_payload');
      // 4000 emoji are 8000 UTF-16 units but 4000 code points: allowed.
      expect((await pushAndWait(s.channel, 'chat:new', { message: '⛳'.repeat(2000) + '🏌'.repeat(2000) })).status).toBe('ok');
      const hist = await api(server.url, 'GET', `/api/sessions/${id}/messages`);
      expect(hist.body.messages).toHaveLength(1);
    });
  });

  describe('session:control', () => {
    it('is for coaches only', async () => {
      const id = sid();
      const s = await clients.join(student(), `session:${id}`);
      expect((await pushAndWait(s.channel, 'session:control', { status: 'active' })).response).toEqual({ reason: 'forbidden' });
    });

    it('follows the transition table, broadcasts session:state and stores session_state messages', async () => {
      const id = sid();
      const c = await clients.join(coach(), `session:${id}`);
      const s = await clients.join(student(), `session:${id}`);
      const control = async (payload: object) => pushAndWait(c.channel, 'session:control', payload);
      expect((await control({ status: 'paused' })).response).toEqual({ reason: 'invalid_transition' });
      expect((await control({ status: 'bogus' })).response.reason).toBe('invalid_payload');
      const started = await control({ status: 'active', current_step: 'upload' });
      expect(started).toEqual({
        status: 'ok',
        response: { session_id: id, status: 'active', current_step: 'upload', coach: { id: 'coach1', name: 'Coach coach1' }, student: { id: 'stu1', name: 'Student stu1' }, updated_at: expect.any(Number) },
      });
      expect((await control({ status: 'active', current_step: 'analysis' })).response.current_step).toBe('analysis');
      expect((await control({ status: 'waiting' })).response).toEqual({ reason: 'invalid_transition' });
      expect((await control({ status: 'paused' })).response.status).toBe('paused');
      expect((await control({ status: 'paused' })).status).toBe('ok');
      expect((await control({ status: 'active' })).response.status).toBe('active');
      expect((await control({ status: 'ended' })).response.status).toBe('ended');
      expect((await control({ status: 'active' })).response).toEqual({ reason: 'session_ended' });
      expect((await control({ status: 'ended' })).response).toEqual({ reason: 'session_ended' });
      await waitFor(() => s.of('session:state').length === 6, 'six session:state broadcasts');
      expect(s.of('session:state').map((x: { status: string }) => x.status)).toEqual(['active', 'active', 'paused', 'paused', 'active', 'ended']);
      const hist = await api(server.url, 'GET', `/api/sessions/${id}/messages`);
      const stateMsgs = hist.body.messages.filter((m: { type: string }) => m.type === 'session_state');
      expect(stateMsgs).toHaveLength(6);
      expect(stateMsgs[0]).toMatchObject({ author_role: 'coach', author_id: 'coach1' });
      // In an ended session chat, edit and typing are refused.
      expect((await pushAndWait(s.channel, 'chat:new', { message: 'late' })).response).toEqual({ reason: 'session_ended' });
      expect((await pushAndWait(s.channel, 'typing', { typing: true })).response).toEqual({ reason: 'session_ended' });
      const listed = await api(server.url, 'GET', '/api/sessions?status=ended');
      expect(listed.body.sessions.map((x: { session_id: string }) => x.session_id)).toContain(id);
    });

    it('ends from any state, paused included', async () => {
      const id = sid();
      const c = await clients.join(coach(), `session:${id}`);
      expect((await pushAndWait(c.channel, 'session:control', { status: 'ended' })).response.status).toBe('ended');
    });
  });

  describe('typing, frame:share, unknown events', () => {
    it('sends typing to the others only, with no reply', async () => {
      const id = sid();
      const a = await clients.join(student(), `session:${id}`);
      const b = await clients.join(coach(), `session:${id}`);
      expect((await pushAndWait(a.channel, 'typing', { typing: true }, 300)).status).toBe('timeout');
      expect((await pushAndWait(a.channel, 'typing', { typing: 'yes' })).response.reason).toBe('invalid_payload');
      await waitFor(() => b.of('typing').length === 1, 'typing');
      expect(b.of('typing')[0]).toEqual({ user_id: 'stu1', typing: true });
      expect(a.of('typing')).toHaveLength(0);
    });

    it('relays a binary frame to the others as a V2 binary broadcast, and as base64 to V1 sockets', async () => {
      const id = sid();
      const a = await clients.join(student(), `session:${id}`);
      const b = await clients.join(coach(), `session:${id}`);
      const v1 = await openRaw(`ws://127.0.0.1:${server.port}/socket/websocket?token=${signToken(student('v1user'))}&vsn=1.0.0`);
      v1.send({ topic: `session:${id}`, event: 'phx_join', payload: {}, ref: '1', join_ref: '1' });
      await v1.next((f) => f.event === 'phx_reply');
      const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2, 3]);
      const r = await pushAndWait(a.channel, 'frame:share', bytes.buffer as unknown as object);
      expect(r).toEqual({ status: 'ok', response: {} });
      await waitFor(() => b.of('frame:shared').length === 1, 'binary broadcast');
      const got = b.of('frame:shared')[0];
      expect(got).toBeInstanceOf(ArrayBuffer);
      expect(Array.from(new Uint8Array(got))).toEqual(Array.from(bytes));
      expect(a.of('frame:shared')).toHaveLength(0);
      const v1frame = await v1.next((f) => f.event === 'frame:shared');
      expect(Buffer.from(v1frame.payload.base64, 'base64')).toEqual(Buffer.from(bytes));
      expect((await pushAndWait(a.channel, 'frame:share', { not: 'binary' })).response.reason).toBe('invalid_payload');
      v1.ws.close();
    });

    it('answers unknown events with unknown_event and stays joined', async () => {
      const id = sid();
      const a = await clients.join(student(), `session:${id}`);
      expect((await pushAndWait(a.channel, 'no:such:event', {})).response).toEqual({ reason: 'unknown_event' });
      expect((await pushAndWait(a.channel, 'chat:new', { message: 'still here' })).status).toBe('ok');
    });
  });

  describe('message:edit and message:delete', () => {
    it('lets the author edit, with meta.edited_at, and refuses others', async () => {
      const id = sid();
      const a = await clients.join(student(), `session:${id}`);
      const b = await clients.join(coach(), `session:${id}`);
      const posted = await pushAndWait(a.channel, 'chat:new', { message: 'tyop', meta: { ts: 1 } });
      const mid = posted.response.id;
      expect((await pushAndWait(b.channel, 'message:edit', { id: mid, message: 'coach edit' })).response).toEqual({ reason: 'forbidden' });
      expect((await pushAndWait(a.channel, 'message:edit', { id: '999999999', message: 'x' })).response).toEqual({ reason: 'not_found' });
      expect((await pushAndWait(a.channel, 'message:edit', { id: mid, message: '' })).response.reason).toBe('invalid_payload');
      const before = Date.now();
      const edited = await pushAndWait(a.channel, 'message:edit', { id: mid, message: 'typo' });
      expect(edited.status).toBe('ok');
      await waitFor(() => b.of('message:updated').length === 1, 'message:updated');
      const upd = b.of('message:updated')[0];
      expect(upd).toMatchObject({ id: mid, message: 'typo', author_id: 'stu1', meta: { ts: 1, edited_at: expect.any(Number) } });
      expect(upd.meta.edited_at).toBeGreaterThanOrEqual(before - 1000);
      const hist = await api(server.url, 'GET', `/api/sessions/${id}/messages`);
      expect(hist.body.messages[0].message).toBe('typo');
    });

    it('lets the author or a coach delete; history no longer returns it', async () => {
      const id = sid();
      const a = await clients.join(student(), `session:${id}`);
      const other = await clients.join(student('stu2'), `session:${id}`);
      const c = await clients.join(coach(), `session:${id}`);
      const m1 = (await pushAndWait(a.channel, 'chat:new', { message: 'one' })).response.id;
      const m2 = (await pushAndWait(a.channel, 'chat:new', { message: 'two' })).response.id;
      expect((await pushAndWait(other.channel, 'message:delete', { id: m1 })).response).toEqual({ reason: 'forbidden' });
      expect((await pushAndWait(a.channel, 'message:delete', { id: m1 })).status).toBe('ok');
      expect((await pushAndWait(c.channel, 'message:delete', { id: m2 })).status).toBe('ok');
      expect((await pushAndWait(c.channel, 'message:delete', { id: m2 })).response).toEqual({ reason: 'not_found' });
      await waitFor(() => other.of('message:deleted').length === 2, 'message:deleted');
      expect(other.of('message:deleted')).toEqual([{ id: m1 }, { id: m2 }]);
      const hist = await api(server.url, 'GET', `/api/sessions/${id}/messages`);
      expect(hist.body.messages).toEqual([]);
      const rejoin = await clients.join(student('stu9'), `session:${id}`);
      expect(rejoin.reply.messages).toEqual([]);
    });
  });
});
