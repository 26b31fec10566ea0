/**
 * The remaining routes of CONTRACT §6: jobs, session history and lists,
 * presence, and disconnecting a user.
 */
import { pushAndWait, signToken, waitFor } from '@cinder/testkit';
import { openRaw } from '../support/raw-socket';
import { anyone, useApiServer } from './fixture';

const t = useApiServer();
const coach = (sub: string) => ({ sub, name: `Coach ${sub}`, role: 'coach', sessions: '*' as const });

describe('POST /api/jobs/{id}', () => {
  it('answers {job} for every status and publishes progress, completed and failed to job:{id}', async () => {
    const id = t.uid('job');
    const w = await t.clients.join(anyone('w'), `job:${id}`);

    const queued = await t.call('POST', `/api/jobs/${id}`, { status: 'queued', owner_id: 'stu1', stage: 'waiting for a worker' });
    expect(queued.status).toBe(200);
    expect(queued.body).toEqual({
      job: { job_id: id, status: 'queued', percent: 0, stage: 'waiting for a worker', message: null, result: null, error: null, updated_at: expect.any(Number) },
    });
    await waitFor(() => w.of('job:progress').length === 1, 'queued progress');

    const running = await t.call('POST', `/api/jobs/${id}`, { status: 'running', percent: 40, stage: 'pose estimation', message: 'frame 12/30' });
    expect(running.body.job).toMatchObject({ status: 'running', percent: 40, stage: 'pose estimation', message: 'frame 12/30' });
    expect(running.body.job.updated_at).toBeGreaterThanOrEqual(queued.body.job.updated_at);
    await waitFor(() => w.of('job:progress').length === 2, 'running progress');
    expect(w.of('job:progress')).toEqual([
      expect.objectContaining({ status: 'queued', percent: 0, stage: 'waiting for a worker' }),
      expect.objectContaining({ status: 'running', percent: 40, stage: 'pose estimation', message: 'frame 12/30' }),
    ]);

    const result = { swing_id: 'sw1', face_angle: 5.2, tips: ['grip'] };
    const done = await t.call('POST', `/api/jobs/${id}`, { status: 'completed', percent: 100, result });
    // A later update keeps what it does not mention (stage stays).
    expect(done.body.job).toMatchObject({ status: 'completed', percent: 100, stage: 'pose estimation', result });
    await waitFor(() => w.of('job:completed').length === 1, 'job:completed');
    expect(w.of('job:completed')[0]).toMatchObject({ result });

    const other = t.uid('job');
    const w2 = await t.clients.join(anyone('w2'), `job:${other}`);
    const failed = await t.call('POST', `/api/jobs/${other}`, { status: 'failed', error: { code: 'video_unreadable', message: 'codec' } });
    expect(failed.body.job).toMatchObject({ job_id: other, status: 'failed', error: { code: 'video_unreadable', message: 'codec' } });
    await waitFor(() => w2.of('job:failed').length === 1, 'job:failed');
    expect(w2.of('job:failed')[0]).toMatchObject({ error: { code: 'video_unreadable', message: 'codec' } });
    // Events stay on their own job's topic.
    expect(w.of('job:failed')).toEqual([]);
    expect(w2.of('job:progress')).toEqual([]);
  });
});

describe('GET /api/sessions/{id}/messages', () => {
  it('pages through history ascending with after and limit (default 50, at most 500)', async () => {
    const sid = t.uid('hist');
    const ids: string[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const rs = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          t.call('POST', '/api/broadcast', { topic: `session:${sid}`, event: 'ai:insight', payload: { message: `m${batch * 10 + i}` }, persist: true }),
        ),
      );
      ids.push(...rs.map((r) => r.body.id));
    }
    ids.sort((a, b) => Number(a) - Number(b));
    const get = async (q: string) => (await t.call('GET', `/api/sessions/${sid}/messages${q}`)).body.messages.map((m: { id: string }) => m.id);
    expect(await get('')).toEqual(ids.slice(0, 50));
    expect(await get('?limit=500')).toEqual(ids);
    expect(await get('?limit=7')).toEqual(ids.slice(0, 7));
    expect(await get(`?after=${ids[49]}`)).toEqual(ids.slice(50));
    expect(await get(`?after=${ids[9]}&limit=5`)).toEqual(ids.slice(10, 15));
    expect(await get(`?after=${ids[59]}`)).toEqual([]);
    expect((await t.call('GET', `/api/sessions/${t.uid('nobody')}/messages`)).body).toEqual({ messages: [] });
  });
});

describe('GET /api/sessions?status=', () => {
  it('lists the sessions with that status only', async () => {
    const waiting = t.uid('waiting');
    const active = t.uid('active');
    const ended = t.uid('ended');
    await t.clients.join(anyone('s'), `session:${waiting}`);
    const a = await t.clients.join(coach('c1'), `session:${active}`);
    expect((await pushAndWait(a.channel, 'session:control', { status: 'active', current_step: 'warm-up' })).status).toBe('ok');
    const e = await t.clients.join(coach('c2'), `session:${ended}`);
    expect((await pushAndWait(e.channel, 'session:control', { status: 'ended' })).status).toBe('ok');

    const list = async (status: string) => (await t.call('GET', `/api/sessions?status=${status}&limit=500`)).body.sessions as any[];
    const ids = async (status: string) => (await list(status)).map((s) => s.session_id);
    expect(await ids('waiting')).toContain(waiting);
    expect(await ids('waiting')).not.toContain(active);
    expect(await list('active')).toEqual(
      expect.arrayContaining([
        { session_id: active, status: 'active', current_step: 'warm-up', coach: { id: 'c1', name: 'Coach c1' }, student: null, updated_at: expect.any(Number) },
      ]),
    );
    expect(await ids('active')).not.toContain(waiting);
    expect(await ids('ended')).toEqual(expect.arrayContaining([ended]));
    const paused = await ids('paused');
    for (const id of [waiting, active, ended]) expect(paused).not.toContain(id);
    expect((await t.call('GET', '/api/sessions?status=waiting&limit=1')).body.sessions).toHaveLength(1);
  });
});

describe('GET /api/sessions without status', () => {
  const STATUSES = ['waiting', 'active', 'paused', 'ended'];
  const get = (q: string) => t.call('GET', `/api/sessions${q}`);

  it('lists sessions of every status, each status in the order of its own filtered list', async () => {
    const waiting = t.uid('all-waiting');
    const active = t.uid('all-active');
    const ended = t.uid('all-ended');
    await t.clients.join(anyone('s'), `session:${waiting}`);
    const a = await t.clients.join(coach('c1'), `session:${active}`);
    expect((await pushAndWait(a.channel, 'session:control', { status: 'active' })).status).toBe('ok');
    const e = await t.clients.join(coach('c2'), `session:${ended}`);
    expect((await pushAndWait(e.channel, 'session:control', { status: 'ended' })).status).toBe('ok');

    const r = await get('?limit=500');
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['sessions']);
    const all = r.body.sessions as Array<{ session_id: string; status: string; updated_at: number }>;
    const statusOf = new Map(all.map((s) => [s.session_id, s.status]));
    expect([statusOf.get(waiting), statusOf.get(active), statusOf.get(ended)]).toEqual(['waiting', 'active', 'ended']);
    expect(all.find((s) => s.session_id === active)).toEqual({
      session_id: active, status: 'active', current_step: null, coach: { id: 'c1', name: 'Coach c1' }, student: null, updated_at: expect.any(Number),
    });
    // The filter still narrows, and narrows the very same ordered list: one
    // rule (most recently changed first) for both.
    for (const status of STATUSES) {
      const filtered = await get(`?status=${status}&limit=500`);
      expect(filtered.status).toBe(200);
      expect(filtered.body.sessions).toEqual(all.filter((s) => s.status === status));
    }
    for (let i = 1; i < all.length; i++) expect(all[i - 1].updated_at).toBeGreaterThanOrEqual(all[i].updated_at);
  });

  it('takes limit with or without status: 50 by default, 1 to 500', async () => {
    // Persisted broadcasts create sessions as waiting: enough to pass the default.
    for (let batch = 0; batch < 5; batch++) {
      const rs = await Promise.all(
        Array.from({ length: 11 }, (_, i) =>
          t.call('POST', '/api/broadcast', { topic: `session:${t.uid(`many${batch}-${i}`)}`, event: 'ai:insight', payload: { message: 'x' }, persist: true }),
        ),
      );
      for (const x of rs) expect(x.status).toBe(200);
    }
    const full = (await get('?limit=500')).body.sessions as Array<{ session_id: string }>;
    expect(full.length).toBeGreaterThanOrEqual(55);
    expect(full.length).toBeLessThanOrEqual(500);
    expect((await get('')).body.sessions).toEqual(full.slice(0, 50));
    expect((await get('?limit=3')).body.sessions).toEqual(full.slice(0, 3));
    expect((await get('?limit=1')).body.sessions).toHaveLength(1);
    expect((await get('?status=waiting')).body.sessions).toHaveLength(50);
    expect((await get('?status=waiting&limit=2')).body.sessions).toHaveLength(2);
    for (const q of ['?limit=0', '?limit=501', '?limit=abc', '?limit=2.5', '?limit=', '?status=waiting&limit=501']) {
      const bad = await get(q);
      expect([q, bad.status]).toEqual([q, 400]);
      expect(bad.body).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(/^limit: /) } });
    }
  });

  it('answers an unknown status with 400 naming the statuses it knows, with or without limit', async () => {
    // Without a status the route answers, so each refusal below is the bad status alone.
    expect((await get('?limit=1')).status).toBe(200);
    for (const q of ['?status=live', '?status=', '?status=Waiting', '?status=live&limit=5', '?status=waiting&status=active']) {
      const r = await get(q);
      expect([q, r.status]).toEqual([q, 400]);
      expect(r.body).toEqual({ error: { code: 'invalid_request', message: 'status: must be one of waiting, active, paused, ended' } });
    }
  });
});

describe('GET /api/presence/{topic}', () => {
  it('shows who is in a topic, one meta per open tab, and forgets those who left', async () => {
    const sid = t.uid('pres');
    const topic = `session:${sid}`;
    await t.clients.join({ sub: 'ann', name: 'Ann', role: 'golfer', sessions: '*' }, topic);
    await t.clients.join({ sub: 'ann', name: 'Ann', role: 'golfer', sessions: '*' }, topic);
    await t.clients.join(coach('bob'), topic);
    const get = async () => (await t.call('GET', `/api/presence/${encodeURIComponent(topic)}`)).body;

    // The API reads presence as it is tracked; poll until the last join shows.
    let body: any = await get();
    const until = async (done: (b: any) => boolean, what: string) => {
      const deadline = Date.now() + 5000;
      while (!done(body)) {
        if (Date.now() > deadline) throw new Error(`presence never showed ${what}: ${JSON.stringify(body)}`);
        await new Promise((r) => setTimeout(r, 50));
        body = await get();
      }
    };
    await until((b) => b.presence.ann?.metas.length === 2 && b.presence.bob !== undefined, 'both tabs and the coach');
    expect(Object.keys(body.presence).sort()).toEqual(['ann', 'bob']);
    expect(body.presence.ann.metas).toHaveLength(2);
    for (const meta of body.presence.ann.metas) {
      expect(meta).toEqual({ name: 'Ann', role: 'student', online_at: expect.any(Number), phx_ref: expect.any(String) });
    }
    expect(body.presence.bob.metas).toEqual([{ name: 'Coach bob', role: 'coach', online_at: expect.any(Number), phx_ref: expect.any(String) }]);

    // Unencoded colons work too.
    expect((await t.call('GET', `/api/presence/${topic}`)).body).toEqual(body);

    t.clients.closeAll();
    await until((b) => Object.keys(b.presence).length === 0, 'everyone gone');
    expect(body).toEqual({ presence: {} });
    expect((await t.call('GET', `/api/presence/${encodeURIComponent(`session:${t.uid('empty')}`)}`)).body).toEqual({ presence: {} });
  });
});

describe('POST /api/users/{id}/disconnect', () => {
  it("closes every socket of that user with 1001 and leaves other users' sockets open", async () => {
    const url = (sub: string) => `ws://127.0.0.1:${t.server().port}/socket/websocket?token=${signToken(anyone(sub))}&vsn=2.0.0`;
    const victim = t.uid('victim');
    const bystander = t.uid('bystander');
    const tabs = await Promise.all([openRaw(url(victim)), openRaw(url(victim)), openRaw(url(`${victim}x`))]);
    const other = await openRaw(url(bystander));
    try {
      const r = await t.call('POST', `/api/users/${victim}/disconnect`);
      expect(r.status).toBe(200);
      const [c1, c2] = await Promise.all([tabs[0].closed, tabs[1].closed]);
      expect(c1.code).toBe(1001);
      expect(c2.code).toBe(1001);
      // A user whose id merely starts with the same text is someone else.
      for (const s of [tabs[2], other]) {
        s.send([null, '9', 'phoenix', 'heartbeat', {}]);
        expect(await s.next((f) => f[1] === '9')).toEqual([null, '9', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
      }
      // Disconnecting a user with no sockets is not an error.
      expect((await t.call('POST', `/api/users/${t.uid('absent')}/disconnect`)).status).toBe(200);
    } finally {
      for (const s of [...tabs, other]) s.ws.close();
    }
  });
});
