/**
 * `job:{id}` exactly as CONTRACT §5.2: who may subscribe, the latest state in
 * the join reply, coalesced progress and never-coalesced terminal events,
 * refused client pushes. Back ends publish through the HTTP API.
 */
import { pushAndWait, startServer, waitFor, type ServerProcess } from '@cinder/testkit';
import { api, securedEnv } from '../support/cluster-env';
import { Clients } from '../support/phoenix-session';

let server: ServerProcess;
const clients = new Clients(() => server.port);
let n = 0;
const jid = () => `job${++n}-${Date.now().toString(36)}`;
const user = (sub: string, jobs?: string[] | '*') => ({ sub, name: sub, role: 'student', sessions: [] as string[], ...(jobs !== undefined ? { jobs } : {}) });
const post = async (id: string, body: Record<string, unknown>) => {
  const r = await api(server.url, 'POST', `/api/jobs/${id}`, body);
  if (r.status !== 200) throw new Error(`POST /api/jobs/${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.job;
};

beforeAll(async () => {
  server = await startServer(securedEnv());
});
afterAll(async () => {
  await server.kill();
});
afterEach(() => clients.closeAll());

describe('authorization', () => {
  it('lets in a token whose jobs claim lists the job or is "*"', async () => {
    const id = jid();
    await expect(clients.join(user('a', [id]), `job:${id}`)).resolves.toMatchObject({ reply: { job: { job_id: id } } });
    await expect(clients.join(user('b', ['x', id, 'y']), `job:${id}`)).resolves.toMatchObject({ reply: { job: { job_id: id } } });
    await expect(clients.join(user('c', '*'), `job:${id}`)).resolves.toMatchObject({ reply: { job: { job_id: id } } });
  });

  it("lets in the job's owner (owner_id == sub) without a jobs claim", async () => {
    const id = jid();
    await post(id, { status: 'queued', owner_id: 'owner-1' });
    await expect(clients.join(user('owner-1'), `job:${id}`)).resolves.toMatchObject({ reply: { job: { job_id: id, status: 'queued' } } });
    // The owner stays the owner when a later update does not repeat it.
    await post(id, { status: 'running', percent: 20 });
    await expect(clients.join(user('owner-1'), `job:${id}`)).resolves.toMatchObject({ reply: { job: { status: 'running', percent: 20 } } });
  });

  it('refuses everyone else with unauthorized', async () => {
    const id = jid();
    await post(id, { status: 'running', owner_id: 'owner-2', percent: 5 });
    for (const claims of [user('someone'), user('someone', ['other-job']), user('someone', []), user('owner-22', [`${id}x`])]) {
      await expect(clients.join(claims, `job:${id}`)).rejects.toMatchObject({ reply: { reason: 'unauthorized' } });
    }
    // A job nobody posted has no owner: only the jobs claim lets anyone in.
    const unposted = jid();
    await expect(clients.join(user('owner-2'), `job:${unposted}`)).rejects.toMatchObject({ reply: { reason: 'unauthorized' } });
    // An empty job id is no job at all.
    await expect(clients.join(user('all', '*'), 'job:')).rejects.toMatchObject({ reply: { reason: 'unauthorized' } });
  });
});

describe('join reply', () => {
  it('reads queued, 0 %, updated_at null for a job never posted, then receives its events', async () => {
    const id = jid();
    const w = await clients.join(user('early', [id]), `job:${id}`);
    expect(w.reply).toEqual({ job: { job_id: id, status: 'queued', percent: 0, stage: null, message: null, result: null, error: null, updated_at: null } });
    await post(id, { status: 'running', percent: 30, stage: 'upload', message: 'uploading' });
    await waitFor(() => w.of('job:progress').length === 1, 'first progress');
    expect(w.of('job:progress')[0]).toMatchObject({ percent: 30, stage: 'upload', message: 'uploading' });
  });

  it('carries the latest progress to a client that joins after the job started', async () => {
    const id = jid();
    for (const percent of [10, 35, 60]) await post(id, { status: 'running', percent, stage: `stage ${percent}` });
    const late = await clients.join(user('late', '*'), `job:${id}`);
    expect(late.reply.job).toEqual({
      job_id: id,
      status: 'running',
      percent: 60,
      stage: 'stage 60',
      message: null,
      result: null,
      error: null,
      updated_at: expect.any(Number),
    });
  });

  it('carries the result or error to a client that joins after the job finished', async () => {
    const done = jid();
    await post(done, { status: 'running', percent: 90 });
    await post(done, { status: 'completed', percent: 100, result: { score: 78, tips: ['grip'] } });
    const a = await clients.join(user('late', '*'), `job:${done}`);
    expect(a.reply.job).toMatchObject({ status: 'completed', percent: 100, result: { score: 78, tips: ['grip'] }, error: null });

    const broken = jid();
    await post(broken, { status: 'failed', error: { code: 'bad_video' } });
    const b = await clients.join(user('late', '*'), `job:${broken}`);
    expect(b.reply.job).toMatchObject({ status: 'failed', error: { code: 'bad_video' }, updated_at: expect.any(Number) });
    // Nothing is replayed as events: the state is in the reply.
    expect(b.events).toEqual([]);
  });
});

describe('progress coalescing', () => {
  it('lets at most 10 progress events per second through a burst, always ending on the last value', async () => {
    const id = jid();
    const w = await clients.join(user('w', '*'), `job:${id}`);
    const arrivals: number[] = [];
    w.channel.on('job:progress', () => {
      arrivals.push(Date.now());
    });

    // Post as fast as the API answers for well over a second.
    const started = Date.now();
    let percent = 0;
    while (Date.now() - started < 1500 || percent < 20) {
      percent += 0.5;
      await post(id, { status: 'running', percent: Math.min(percent, 99.5), stage: 'burst' });
    }
    const last = Math.min(percent, 99.5);
    const posts = percent / 0.5;
    await waitFor(() => w.of('job:progress').at(-1)?.percent === last, 'the last value');
    const elapsedMs = Date.now() - started;

    const got = w.of('job:progress').map((p) => p.percent);
    // At most one per 100 ms window: 10 a second, plus the one at the start.
    expect(got.length).toBeLessThanOrEqual(Math.floor(elapsedMs / 100) + 2);
    expect(got.length).toBeLessThan(posts);
    expect(got.length).toBeGreaterThanOrEqual(2);
    // Latest-value: never an older value after a newer one.
    expect([...got].sort((a, b) => a - b)).toEqual(got);
    // Any one second of arrivals holds at most 10 (one extra for delivery jitter).
    for (let i = 0; i < arrivals.length; i++) {
      const inWindow = arrivals.filter((x) => x >= arrivals[i] && x < arrivals[i] + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(11);
    }
  });

  it('never coalesces completed or failed, and flushes the last progress before them', async () => {
    const id = jid();
    const w = await clients.join(user('w', '*'), `job:${id}`);
    for (let p = 1; p <= 20; p++) await post(id, { status: 'running', percent: p * 4 });
    await post(id, { status: 'completed', percent: 100, result: { n: 1 } });
    await post(id, { status: 'completed', percent: 100, result: { n: 2 } });
    await post(id, { status: 'failed', error: { code: 'e1' } });
    await post(id, { status: 'failed', error: { code: 'e2' } });
    await waitFor(() => w.of('job:failed').length === 2, 'both failures');

    const names = w.events.map((e) => e.event);
    const firstTerminal = names.indexOf('job:completed');
    // The last progress value arrives, and before the completion.
    expect(w.events[firstTerminal - 1]).toEqual({ event: 'job:progress', payload: expect.objectContaining({ percent: 80 }) });
    expect(names.slice(firstTerminal)).toEqual(['job:completed', 'job:completed', 'job:failed', 'job:failed']);
    expect(w.of('job:completed').map((p) => p.result)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(w.of('job:failed').map((p) => p.error)).toEqual([{ code: 'e1' }, { code: 'e2' }]);
  });

  it('acknowledges a retried terminal post without publishing it again', async () => {
    const id = jid();
    const w = await clients.join(user('w', '*'), `job:${id}`);
    const done = await post(id, { status: 'completed', percent: 100, result: { n: 1 } });
    // what an SDK retry after a lost answer sends: the same post again
    expect(await post(id, { status: 'completed', percent: 100, result: { n: 1 } })).toEqual(done);
    expect(await post(id, { status: 'completed', percent: 100, result: { n: 1 } })).toEqual(done);
    await post(id, { status: 'failed', error: { code: 'late' } });
    await waitFor(() => w.of('job:failed').length === 1, 'the failure after the repeats');
    expect(w.of('job:completed')).toEqual([{ job_id: id, result: { n: 1 } }]);
  });

  it('coalesces each job on its own: interleaved bursts on two jobs each end on their own last value', async () => {
    const a = jid();
    const b = jid();
    const wa = await clients.join(user('w', '*'), `job:${a}`);
    const wb = await clients.join(user('w', '*'), `job:${b}`);
    await Promise.all([
      (async () => {
        for (let p = 1; p <= 10; p++) await post(a, { status: 'running', percent: p * 10 });
      })(),
      (async () => {
        for (let p = 1; p <= 10; p++) await post(b, { status: 'running', percent: p * 5 });
      })(),
    ]);
    await waitFor(() => wa.of('job:progress').at(-1)?.percent === 100 && wb.of('job:progress').at(-1)?.percent === 50, 'both last values');
    // Each topic only ever carried its own job's values.
    expect(wa.of('job:progress').every((p) => p.percent % 10 === 0)).toBe(true);
    expect(wb.of('job:progress').every((p) => p.percent <= 50)).toBe(true);
  });
});

describe('client pushes', () => {
  it('answers every push with forbidden and stays joined', async () => {
    const id = jid();
    const w = await clients.join(user('pusher', '*'), `job:${id}`);
    for (const [event, payload] of [
      ['job:progress', { percent: 50 }],
      ['job:completed', {}],
      ['chat:new', { message: 'hi' }],
      ['anything', {}],
    ] as const) {
      expect(await pushAndWait(w.channel, event, payload)).toEqual({ status: 'error', response: { reason: 'forbidden' } });
    }
    const rejoin = await clients.join(user('other', '*'), `job:${id}`);
    expect(rejoin.reply.job).toMatchObject({ status: 'queued', updated_at: null });
    await post(id, { status: 'running', percent: 1 });
    await waitFor(() => w.of('job:progress').length === 1, 'progress after the refused pushes');
  });
});
