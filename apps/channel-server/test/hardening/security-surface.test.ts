/**
 * Security review of the contract surface, one block per item: origin
 * checks (CHECK_ORIGIN) on WebSocket and LongPoll, topic authorization of
 * every built-in channel (including ids that try path or wildcard tricks),
 * HTTP API authentication, and identity forging (identity comes from the
 * token only: payload author fields, join params, query params and
 * presence metas cannot change it).
 */
import { signToken, startServer, TEST_API_KEY, type ServerProcess } from '@cinder/testkit';
import { api, securedEnv } from '../support/cluster-env';
import { V2Client } from './wire';

let server: ServerProcess;
const opened: V2Client[] = [];

beforeAll(async () => {
  server = await startServer(securedEnv({ CHECK_ORIGIN: 'https://app.example.com,//*.coach.example' }));
});
afterAll(async () => {
  for (const c of opened) c.close();
  await server.kill();
});

async function connect(claims: Parameters<typeof signToken>[0], opts: Parameters<typeof V2Client.open>[2] = {}): Promise<V2Client> {
  const c = await V2Client.open(server.port, claims, opts);
  opened.push(c);
  return c;
}

const bob = { sub: 'bob', name: 'Bob', role: 'student', sessions: ['s1'], jobs: ['j1'] };

describe('origin checks', () => {
  const wsWith = (origin: string | undefined) =>
    connect(bob, { headers: origin === undefined ? {} : { origin } }).then(
      () => 'open',
      (err: { status?: number }) => err.status,
    );
  const longpollWith = async (origin: string) => {
    const res = await fetch(`${server.url}/socket/longpoll?vsn=2.0.0&token=${signToken(bob)}`, { headers: { origin } });
    return ((await res.json()) as { status: number }).status;
  };

  it('WebSocket: allowed origins open, others get 403', async () => {
    expect(await wsWith('https://app.example.com')).toBe('open');
    expect(await wsWith('https://a.coach.example')).toBe('open');
    expect(await wsWith('http://b.coach.example:8080')).toBe('open');
    expect(await wsWith(undefined)).toBe('open'); // non-browser clients send none
    for (const evil of ['https://evil.example.com', 'http://app.example.com', 'https://app.example.com.evil.io', 'https://evilcoach.example', 'null', 'not a url']) {
      expect([evil, await wsWith(evil)]).toEqual([evil, 403]);
    }
  });

  it('LongPoll: allowed origins get a session, others {"status":403}', async () => {
    expect(await longpollWith('https://app.example.com')).toBe(410);
    for (const evil of ['https://evil.example.com', 'https://app.example.com.evil.io', 'null']) expect(await longpollWith(evil)).toBe(403);
  });
});

describe('topic authorization', () => {
  it('session:{id} only for the ids in the token, however the id is spelled', async () => {
    const c = await connect(bob);
    expect((await c.join('session:s1')).status).toBe('ok');
    for (const t of ['session:s2', 'session:*', 'session:s1/../s2', 'session:S1', 'session:s1 ', ' session:s1', 'session:s1\n', 'session:', 'session:s1%00', 'session:s1,s2']) {
      const r = await c.join(t);
      expect([t, r.status === 'ok' ? 'ok' : r.response.reason]).toEqual([t, t === ' session:s1' ? 'unmatched topic' : 'unauthorized']);
    }
    // without joining, nothing can be said into a session
    expect((await c.call('session:s2', 'chat:new', { message: 'sneak' })).response).toEqual({ reason: 'unmatched topic' });
    expect((await api(server.url, 'GET', '/api/sessions/s2/messages')).body.messages).toEqual([]);
  });

  it('user:{id} only for the token sub', async () => {
    const c = await connect(bob);
    expect((await c.join('user:bob')).status).toBe('ok');
    for (const t of ['user:alice', 'user:*', 'user:Bob', 'user:bob:x', 'user:bob/../alice', 'user:']) {
      expect([t, (await c.join(t)).response]).toEqual([t, { reason: 'unauthorized' }]);
    }
    const alice = await connect({ sub: 'alice', sessions: '*', jobs: '*' });
    expect((await alice.join('user:bob')).response).toEqual({ reason: 'unauthorized' });
    // client pushes on a private channel are refused
    const bobUser = c.textFrames().find((m) => m[2] === 'user:bob' && m[3] === 'phx_reply')!;
    expect((await c.call('user:bob', 'notify', { x: 1 }, bobUser[0])).response).toEqual({ reason: 'forbidden' });
  });

  it('job:{id} for the ids in the token or the job owner, subscribe-only', async () => {
    expect((await api(server.url, 'POST', '/api/jobs/j-bob', { owner_id: 'bob', status: 'running', percent: 5 })).status).toBe(200);
    expect((await api(server.url, 'POST', '/api/jobs/j-alice', { owner_id: 'alice', status: 'running' })).status).toBe(200);
    const c = await connect(bob);
    const j1 = await c.join('job:j1');
    expect(j1.status).toBe('ok');
    expect((await c.join('job:j-bob')).response.job).toMatchObject({ job_id: 'j-bob', status: 'running', percent: 5 });
    for (const t of ['job:j2', 'job:*', 'job:j-alice', 'job:j1/../j-alice', 'job:']) {
      expect([t, (await c.join(t)).response]).toEqual([t, { reason: 'unauthorized' }]);
    }
    expect((await c.call('job:j1', 'job:completed', { result: 'fake' }, j1.joinRef)).response).toEqual({ reason: 'forbidden' });
  });
});

describe('HTTP API authentication', () => {
  const routes: Array<[string, string, unknown?]> = [
    ['POST', '/api/broadcast', { topic: 'session:s1', event: 'ai:insight', payload: { message: 'x' } }],
    ['POST', '/api/jobs/j9', { status: 'running' }],
    ['GET', '/api/sessions/s1/messages'],
    ['GET', '/api/sessions?status=waiting'],
    ['GET', '/api/presence/session:s1'],
    ['POST', '/api/users/bob/disconnect'],
  ];
  const raw = async (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    (
      await fetch(`${server.url}${path}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).status;

  it('every API route answers 401 without the right bearer key', async () => {
    const wrong: Array<Record<string, string>> = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer wrong-key' },
      { authorization: `Bearer ${TEST_API_KEY}x` },
      { authorization: `Bearer ${TEST_API_KEY.slice(0, -1)}` },
      { authorization: `Basic ${Buffer.from(`api:${TEST_API_KEY}`).toString('base64')}` },
      { authorization: `Token ${TEST_API_KEY}` },
      { authorization: TEST_API_KEY },
      { 'x-api-key': TEST_API_KEY },
      { authorization: `Bearer ${signToken({ sub: 'bob', sessions: '*' })}` }, // a client JWT is not the server key
    ];
    for (const [method, path, body] of routes) {
      for (const headers of wrong) {
        const status = await raw(method, path, headers, body);
        expect([method, path, headers, status]).toEqual([method, path, headers, 401]);
      }
      expect(await raw(method, `${path}${path.includes('?') ? '&' : '?'}api_key=${TEST_API_KEY}`, {}, body)).toBe(401);
      expect(await raw(method, path, { authorization: `Bearer ${TEST_API_KEY}` }, body)).not.toBe(401);
    }
  });

  it('probes need no key, and dev-only routes do not exist outside dev mode', async () => {
    for (const p of ['/healthz', '/readyz', '/metrics']) expect(await raw('GET', p, {})).toBe(200);
    expect(await raw('GET', '/dev/token?sub=admin&sessions=*', {})).toBe(404);
  });
});

describe('identity forging', () => {
  it('author fields in payloads are replaced with the token identity', async () => {
    const coach = await connect({ sub: 'coach-1', name: 'Coach', role: 'coach', sessions: ['forge'] });
    const mallory = await connect({ sub: 'mallory', name: 'Mallory', role: 'student', sessions: ['forge'] });
    const cj = await coach.join('session:forge');
    const mj = await mallory.join('session:forge');
    const forged = {
      message: 'I am the coach',
      author_id: 'coach-1',
      author_role: 'coach',
      sender: 'coach-1',
      id: '999999',
      session_id: 'other',
      inserted_at: '2000-01-01T00:00:00Z',
    };
    const r = await mallory.call('session:forge', 'chat:new', forged, mj.joinRef);
    expect(r.status).toBe('ok');
    const added = await coach.waitFrame((m) => m[3] === 'chat:added' && m[4].id === r.response.id);
    expect(added[4]).toMatchObject({ author_id: 'mallory', author_role: 'student', session_id: 'forge', message: 'I am the coach' });
    expect(added[4].sender).toBeUndefined();
    expect(added[4].inserted_at).not.toBe('2000-01-01T00:00:00Z');
    const history = (await api(server.url, 'GET', '/api/sessions/forge/messages')).body.messages;
    expect(history.find((m: { id: string }) => m.id === r.response.id)).toMatchObject({ author_id: 'mallory', author_role: 'student' });
    // a coach-only type cannot be claimed either
    expect((await mallory.call('session:forge', 'chat:new', { message: 'tip', type: 'coach_tip', author_role: 'coach' }, mj.joinRef)).response).toEqual({
      reason: 'forbidden',
    });
    // typing carries the token's user id
    mallory.push('session:forge', 'typing', { typing: true, user_id: 'coach-1' }, mj.joinRef);
    const typing = await coach.waitFrame((m) => m[3] === 'typing');
    expect(typing[4]).toEqual({ user_id: 'mallory', typing: true });
    // someone else's message cannot be edited or deleted by a student
    const own = await coach.call('session:forge', 'chat:new', { message: 'coach says' }, cj.joinRef);
    expect((await mallory.call('session:forge', 'message:edit', { id: own.response.id, message: 'rewritten' }, mj.joinRef)).response).toEqual({
      reason: 'forbidden',
    });
    expect((await mallory.call('session:forge', 'message:delete', { id: own.response.id }, mj.joinRef)).response).toEqual({ reason: 'forbidden' });
  });

  it('join params, connect params and presence metas cannot change who you are', async () => {
    const watcher = await connect({ sub: 'watcher', name: 'Watcher', role: 'coach', sessions: ['meta'] });
    await watcher.join('session:meta');
    // extra connect params next to the token
    const eve = await connect({ sub: 'eve', name: 'Eve', role: 'student', sessions: ['meta'] }, { extra: '&sub=coach-1&name=Coach&role=coach&sessions=*' });
    const j = await eve.join('session:meta', { name: 'Coach', role: 'coach', online_at: 0, sub: 'coach-1', user_id: 'coach-1' });
    expect(j.status).toBe('ok');
    expect(j.response.session.student).toEqual({ id: 'eve', name: 'Eve' });
    expect(j.response.session.coach).toEqual({ id: 'watcher', name: 'Watcher' });
    const diff = await watcher.waitFrame((m) => m[3] === 'presence_diff' && 'eve' in m[4].joins);
    const meta = diff[4].joins.eve.metas[0];
    expect(meta).toMatchObject({ name: 'Eve', role: 'student' });
    expect(meta.online_at).toBeGreaterThan(0);
    expect(Object.keys(diff[4].joins)).toEqual(['eve']);
    expect((await eve.join('session:other')).response).toEqual({ reason: 'unauthorized' });
    expect((await eve.join('user:coach-1')).response).toEqual({ reason: 'unauthorized' });
    // only a coach may control the session
    expect((await eve.call('session:meta', 'session:control', { status: 'active' }, j.joinRef)).response).toEqual({ reason: 'forbidden' });
  });
});
