import { randomUUID } from 'node:crypto';
import { SESSION_STATUSES, type SessionState } from '@cinder/contract';
import { StoreInputError } from '@cinder/store';
import { KINDS, storePerSuite } from './targets';

const sid = () => `s-${randomUUID()}`;

describe.each(KINDS)('sessions and jobs on %s', (kind) => {
  const store = storePerSuite(kind);

  it('reports its back end', () => {
    expect(store.kind).toBe(kind);
  });

  it('creates an unknown session as waiting on first join', async () => {
    const id = sid();
    expect(await store.getSession(id)).toBeNull();
    const before = Date.now();
    const s = await store.joinSession(id, { id: 'stu', name: 'Sam', role: 'student' });
    expect(s).toEqual({
      session_id: id,
      status: 'waiting',
      current_step: null,
      coach: null,
      student: { id: 'stu', name: 'Sam' },
      updated_at: expect.any(Number),
    });
    expect(s.updated_at).toBeGreaterThanOrEqual(before);
    expect(await store.getSession(id)).toEqual(s);
  });

  it('keeps the first coach and the first student, also after others join', async () => {
    const id = sid();
    await store.joinSession(id, { id: 'c1', name: 'Coach One', role: 'coach' });
    await store.joinSession(id, { id: 'c2', name: 'Coach Two', role: 'coach' });
    await store.joinSession(id, { id: 's1', name: 'Stu One', role: 'student' });
    const last = await store.joinSession(id, { id: 's2', name: 'Stu Two', role: 'student' });
    expect(last.coach).toEqual({ id: 'c1', name: 'Coach One' });
    expect(last.student).toEqual({ id: 's1', name: 'Stu One' });
    expect(await store.getSession(id)).toEqual(last);
  });

  it('gives the seat to exactly one of many simultaneous first joiners', async () => {
    const id = sid();
    const joins = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.joinSession(id, { id: `c${i}`, name: `C${i}`, role: 'coach' })),
    );
    const seat = (await store.getSession(id))?.coach;
    expect(seat).not.toBeNull();
    for (const s of joins) expect(s.coach).toEqual(seat);
  });

  it('refuses bad join input without creating anything', async () => {
    const id = sid();
    await expect(store.joinSession(id, { id: 'x', name: 'X', role: 'admin' as never })).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.joinSession(id, { id: '', name: 'X', role: 'coach' })).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.joinSession('', { id: 'x', name: 'X', role: 'coach' })).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.joinSession(id, { id: 'x', name: 'a\u0000b', role: 'coach' })).rejects.toBeInstanceOf(StoreInputError);
    expect(await store.getSession(id)).toBeNull();
  });

  const activate = (s: SessionState) => ({ state: { ...s, status: 'active' as const, current_step: 'warmup' } });
  const stateMessage = (s: SessionState) => ({
    session_id: s.session_id,
    type: 'session_state' as const,
    author_role: 'coach' as const,
    author_id: s.coach?.id ?? 'unknown',
    message: s.status,
    meta: { status: s.status, current_step: s.current_step },
  });

  it('updates a session and stores its session_state message together', async () => {
    const id = sid();
    const joined = await store.joinSession(id, { id: 'c', name: 'C', role: 'coach' });
    const result = await store.updateSession(id, activate, stateMessage);
    if ('error' in result) throw new Error(result.error);
    expect(result.session).toMatchObject({ session_id: id, status: 'active', current_step: 'warmup', coach: joined.coach });
    expect(result.session.updated_at).toBeGreaterThanOrEqual(joined.updated_at);
    expect(result.message).toMatchObject({ session_id: id, type: 'session_state', author_id: 'c', message: 'active' });
    expect(await store.getSession(id)).toEqual(result.session);
    expect(await store.latestMessages(id, 10)).toEqual([result.message]);
  });

  it('writes nothing when the mutation refuses', async () => {
    const id = sid();
    const joined = await store.joinSession(id, { id: 'c', name: 'C', role: 'coach' });
    const result = await store.updateSession(id, () => ({ error: 'invalid_transition' }), stateMessage);
    expect(result).toEqual({ error: 'invalid_transition' });
    expect(await store.getSession(id)).toEqual(joined);
    expect(await store.latestMessages(id, 10)).toEqual([]);
  });

  it('answers not_found for an unknown session', async () => {
    const id = sid();
    expect(await store.updateSession(id, activate)).toEqual({ error: 'not_found' });
    expect(await store.getSession(id)).toBeNull();
  });

  it('rolls the state change back when the message cannot be stored', async () => {
    const id = sid();
    const joined = await store.joinSession(id, { id: 'c', name: 'C', role: 'coach' });
    const bad = (s: SessionState) => ({ ...stateMessage(s), meta: { broken: 'a\u0000' } });
    await expect(store.updateSession(id, activate, bad)).rejects.toBeInstanceOf(StoreInputError);
    const throwing = () => {
      throw new Error('message builder failed');
    };
    await expect(store.updateSession(id, activate, throwing)).rejects.toThrow('message builder failed');
    expect(await store.getSession(id)).toEqual(joined);
    expect(await store.latestMessages(id, 10)).toEqual([]);
  });

  it('serialises concurrent updates: each mutation sees the previous one', async () => {
    const id = sid();
    await store.joinSession(id, { id: 'c', name: 'C', role: 'coach' });
    const n = 20;
    const results = await Promise.all(
      Array.from({ length: n }, () =>
        store.updateSession(
          id,
          (s) => ({ state: { ...s, current_step: String(Number(s.current_step ?? '0') + 1) } }),
          stateMessage,
        ),
      ),
    );
    const steps = results.map((r) => ('error' in r ? 'error' : r.session.current_step));
    expect([...steps].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: n }, (_, i) => String(i + 1)));
    expect((await store.getSession(id))?.current_step).toBe(String(n));
    // The stored session_state messages carry the steps in id order.
    const stored = await store.latestMessages(id, n);
    expect(stored.map((m) => m.meta.current_step)).toEqual(Array.from({ length: n }, (_, i) => String(i + 1)));
  });

  it('lists sessions of one status, most recently changed first', async () => {
    const ids = [sid(), sid(), sid()];
    for (const id of ids) await store.joinSession(id, { id: 'c', name: 'C', role: 'coach' });
    await store.updateSession(ids[1], activate);
    const waiting = await store.listSessions('waiting', 500);
    const waitingIds = waiting.map((s) => s.session_id);
    expect(waitingIds).toEqual(expect.arrayContaining([ids[0], ids[2]]));
    expect(waitingIds).not.toContain(ids[1]);
    for (let i = 1; i < waiting.length; i++) expect(waiting[i - 1].updated_at).toBeGreaterThanOrEqual(waiting[i].updated_at);
    expect((await store.listSessions('active', 500)).map((s) => s.session_id)).toContain(ids[1]);
    expect(await store.listSessions('waiting', 1)).toHaveLength(1);
    await expect(store.listSessions('bogus' as never, 10)).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.listSessions('waiting', 0)).rejects.toBeInstanceOf(StoreInputError);
  });

  it('lists sessions of every status without one, in the same order as the filtered lists', async () => {
    const [waiting, active, ended] = [sid(), sid(), sid()];
    for (const id of [waiting, active, ended]) await store.joinSession(id, { id: 'c', name: 'C', role: 'coach' });
    await store.updateSession(active, activate);
    await store.updateSession(ended, (s) => ({ state: { ...s, status: 'ended' as const } }));

    const all = await store.listSessions(undefined, 500);
    const byId = new Map(all.map((s) => [s.session_id, s.status]));
    expect(byId.get(waiting)).toBe('waiting');
    expect(byId.get(active)).toBe('active');
    expect(byId.get(ended)).toBe('ended');
    // One ordering rule for both: each status's slice of the full list is
    // that status's own list, row for row (the suite's database holds fewer
    // than 500 sessions, so nothing is cut off), and the full list is most
    // recently changed first. Tie order is left to the database's collation.
    for (const st of SESSION_STATUSES) {
      expect(all.filter((s) => s.status === st)).toEqual(await store.listSessions(st, 500));
    }
    for (let i = 1; i < all.length; i++) expect(all[i - 1].updated_at).toBeGreaterThanOrEqual(all[i].updated_at);

    expect(await store.listSessions(undefined, 2)).toEqual(all.slice(0, 2));
    await expect(store.listSessions(undefined, 0)).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.listSessions(undefined, 501)).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.listSessions('waiting', 501)).rejects.toBeInstanceOf(StoreInputError);
  });

  it('reads a job never posted as queued at 0 %', async () => {
    expect(await store.getJob('never')).toEqual({
      job_id: 'never',
      status: 'queued',
      percent: 0,
      stage: null,
      message: null,
      result: null,
      error: null,
      updated_at: null,
      owner_id: null,
    });
  });

  it('merges job updates: status always, other fields when given', async () => {
    const job = `j-${randomUUID()}`;
    const { job: first } = await store.updateJob(job, { owner_id: 'u1', status: 'running', percent: 12.5, stage: 'upload' });
    expect(first).toMatchObject({ job_id: job, owner_id: 'u1', status: 'running', percent: 12.5, stage: 'upload', message: null });
    expect(first.updated_at).toEqual(expect.any(Number));
    const { job: second } = await store.updateJob(job, { status: 'running', percent: 60, message: 'analysing' });
    expect(second).toMatchObject({ owner_id: 'u1', percent: 60, stage: 'upload', message: 'analysing' });
    const { job: done } = await store.updateJob(job, { status: 'completed', percent: 100, result: { score: 7, tags: ['a'] } });
    expect(done).toMatchObject({ status: 'completed', percent: 100, result: { score: 7, tags: ['a'] }, error: null });
    expect(await store.getJob(job)).toEqual(done);
  });

  it('tells an exact repeat of a terminal state apart and leaves the row alone', async () => {
    const job = `j-${randomUUID()}`;
    const running = await store.updateJob(job, { status: 'running', percent: 50 });
    expect(running.repeated).toBe(false);
    // progress repeats are ordinary updates
    expect((await store.updateJob(job, { status: 'running', percent: 50 })).repeated).toBe(false);
    const done = await store.updateJob(job, { status: 'completed', percent: 100, result: { score: 7, tags: ['a'] } });
    expect(done.repeated).toBe(false);
    // the same post again (a retry; jsonb compares by value, whatever the key order)
    const again = await store.updateJob(job, { percent: 100, result: { tags: ['a'], score: 7 }, status: 'completed' });
    expect(again).toEqual({ job: done.job, repeated: true });
    expect((await store.updateJob(job, { status: 'completed' })).repeated).toBe(true);
    // a different completion or a failure is a real change
    const other = await store.updateJob(job, { status: 'completed', result: { score: 8 } });
    expect(other.repeated).toBe(false);
    expect(other.job.result).toEqual({ score: 8 });
    const failed = await store.updateJob(job, { status: 'failed', error: { code: 'x' } });
    expect(failed.repeated).toBe(false);
    expect((await store.updateJob(job, { status: 'failed', error: { code: 'x' } })).repeated).toBe(true);
    expect((await store.updateJob(job, { status: 'failed', error: { code: 'y' } })).repeated).toBe(false);
    expect(await store.getJob(job)).toMatchObject({ status: 'failed', error: { code: 'y' } });
  });

  it('refuses bad job updates and keeps the job as it was', async () => {
    const job = `j-${randomUUID()}`;
    const { job: first } = await store.updateJob(job, { status: 'running', percent: 5 });
    await expect(store.updateJob(job, { status: 'done' as never })).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.updateJob(job, { status: 'running', percent: Number.NaN })).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.updateJob(job, { status: 'failed', error: { big: BigInt(1) } })).rejects.toBeInstanceOf(StoreInputError);
    expect(await store.getJob(job)).toEqual(first);
  });
});
