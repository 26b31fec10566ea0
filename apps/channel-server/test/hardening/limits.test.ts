/**
 * Every per-socket limit through a real server process, each with its
 * documented outcome: inbound rate (RATE_LIMIT), joins (JOIN_RATE_LIMIT),
 * channels per socket, sockets per user, frame size, and the session
 * channel's message and meta sizes. Small limits keep the suite fast.
 */
import { signToken, startServer, type ServerProcess } from '@cinder/testkit';
import { api, securedEnv } from '../support/cluster-env';
import { sleep, V2Client } from './wire';

let server: ServerProcess;
const open: V2Client[] = [];

beforeAll(async () => {
  server = await startServer(
    securedEnv({
      LOG_LEVEL: 'info',
      RATE_LIMIT: '10/20',
      JOIN_RATE_LIMIT: '2/4',
      MAX_CHANNELS_PER_SOCKET: '3',
      MAX_SOCKETS_PER_USER: '3',
      MAX_FRAME_BYTES: '32768',
    }),
  );
});
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});
afterAll(async () => {
  await server.kill();
});

async function connect(sub: string): Promise<V2Client> {
  const c = await V2Client.open(server.port, { sub, name: sub, sessions: '*' });
  open.push(c);
  return c;
}

async function longpollConnect(sub: string): Promise<{ status: number; token?: string }> {
  const res = await fetch(`${server.url}/socket/longpoll?token=${signToken({ sub, sessions: '*' })}&vsn=2.0.0`);
  expect(res.status).toBe(200);
  return res.json() as Promise<{ status: number; token?: string }>;
}

describe('RATE_LIMIT (inbound events per socket)', () => {
  it('lets a burst through, answers the excess `rate_limited`, and recovers at the sustained rate', async () => {
    const c = await connect('rl-burst');
    const joined = await c.join('session:rl-1'); // joins have their own budget
    expect(joined.status).toBe('ok');
    const refs = Array.from({ length: 30 }, () => c.push('session:rl-1', 'no_such_event', {}, joined.joinRef));
    const replies = await Promise.all(refs.map((r) => c.reply(r)));
    const reasons = replies.map((r) => r.response.reason);
    // The burst of 20 passes; a token or two may refill while the 30 frames arrive.
    expect(reasons.slice(0, 20)).toEqual(Array(20).fill('unknown_event'));
    expect(reasons.filter((r) => r === 'rate_limited').length).toBeGreaterThanOrEqual(7);
    expect(reasons.every((r) => r === 'unknown_event' || r === 'rate_limited')).toBe(true);
    expect(replies.every((r) => r.status === 'error')).toBe(true);
    expect(c.isOpen).toBe(true);
    // the channel is still joined and, a second later, events flow again
    await sleep(1100);
    expect((await c.call('session:rl-1', 'chat:new', { message: 'after the burst' }, joined.joinRef)).status).toBe('ok');
  });

  it('closes a socket that keeps sending while refused (1008)', async () => {
    const c = await connect('rl-abuse');
    for (let i = 0; i < 100; i++) c.push('session:rl-2', 'whatever', {});
    const closed = await c.closed;
    expect(closed.code).toBe(1008);
    const limited = c.textFrames().filter((m) => m[4]?.response?.reason === 'rate_limited').length;
    expect(limited).toBe(20); // burst refusals are tolerated, the next one closes
    expect(server.output()).toContain('inbound rate limit exceeded');
  });

  it('never counts heartbeats', async () => {
    const c = await connect('rl-heartbeat');
    const refs = Array.from({ length: 300 }, () => c.heartbeat());
    const replies = await Promise.all(refs.map((r) => c.reply(r)));
    expect(replies.every((r) => r.status === 'ok')).toBe(true);
    expect(c.isOpen).toBe(true);
    // the bucket is still full: a whole burst of events is allowed
    const evRefs = Array.from({ length: 20 }, () => c.push('session:rl-3', 'x', {}));
    const ev = await Promise.all(evRefs.map((r) => c.reply(r)));
    expect(ev.map((r) => r.response.reason)).toEqual(Array(20).fill('unmatched topic'));
  });
});

describe('MAX_CHANNELS_PER_SOCKET', () => {
  it('refuses the join beyond the limit and accepts one again after a leave', async () => {
    const c = await connect('ch-limit');
    for (const id of ['c1', 'c2', 'c3']) expect((await c.join(`session:${id}`)).status).toBe('ok');
    const fourth = await c.join('session:c4');
    expect(fourth.status).toBe('error');
    expect(fourth.response.reason).toMatch(/^too many channels/);
    const c1 = c.textFrames().find((m) => m[2] === 'session:c1' && m[3] === 'phx_reply')!;
    expect((await c.call('session:c1', 'phx_leave', {}, c1[0])).status).toBe('ok');
    await sleep(600); // JOIN_RATE_LIMIT 2/4: four attempts used the burst
    expect((await c.join('session:c4')).status).toBe('ok');
  });
});

describe('JOIN_RATE_LIMIT', () => {
  it('refuses join attempts beyond the burst with `rate_limited`, then allows them at the sustained rate', async () => {
    const c = await connect('join-rate');
    // Six pipelined joins of one topic (each replaces the last, so the
    // channel count stays 1); the limit applies as they arrive.
    const joinRefs = Array.from({ length: 6 }, (_, i) => c.push('session:jr', 'phx_join', {}, `j${i + 1}`));
    const replies = await Promise.all(joinRefs.map((r) => c.reply(r)));
    expect(replies.slice(0, 4).map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(replies.slice(4)).toEqual([
      { status: 'error', response: { reason: 'rate_limited' } },
      { status: 'error', response: { reason: 'rate_limited' } },
    ]);
    expect(c.isOpen).toBe(true);
    await sleep(600);
    expect((await c.join('session:jr-other')).status).toBe('ok');
  });
});

describe('MAX_SOCKETS_PER_USER', () => {
  it('refuses the connection beyond the limit (WebSocket 403, LongPoll {"status":403}) for that user only', async () => {
    const a = await Promise.all([connect('many'), connect('many'), connect('many')]);
    await expect(V2Client.open(server.port, { sub: 'many', sessions: '*' })).rejects.toMatchObject({ status: 403 });
    expect(await longpollConnect('many')).toEqual({ status: 403 });
    // other users are unaffected
    await connect('someone-else');
    // a closed socket frees its slot
    a[0].close();
    await a[0].closed;
    let again: V2Client | null = null;
    for (let i = 0; i < 50 && !again; i++) {
      again = await connect('many').catch(() => null);
      if (!again) await sleep(20);
    }
    expect(again?.isOpen).toBe(true);
    expect(server.output()).toContain('too many sockets for this user');
  });

  it('admits exactly the limit when many connect at once', async () => {
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, () => connect('stampede')));
    const ok = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.filter((a) => a.status === 'rejected') as PromiseRejectedResult[];
    expect(ok.length).toBe(3);
    expect(refused.every((r) => (r.reason as { status?: number }).status === 403)).toBe(true);
  });

  it('counts LongPoll sessions and WebSockets together', async () => {
    for (let i = 0; i < 3; i++) expect((await longpollConnect('lp-user')).status).toBe(410);
    await expect(V2Client.open(server.port, { sub: 'lp-user', sessions: '*' })).rejects.toMatchObject({ status: 403 });
  });
});

describe('sizes', () => {
  it('closes a socket whose frame exceeds MAX_FRAME_BYTES with 1009, and only that socket', async () => {
    const bystander = await connect('size-bystander');
    const c = await connect('size-big');
    const joined = await c.join('session:size-1');
    // just under the limit: handled (and refused by the payload rules), socket stays
    const under = await c.call('session:size-1', 'chat:new', { message: 'a'.repeat(30000) }, joined.joinRef);
    expect(under).toEqual({ status: 'error', response: { reason: 'invalid_payload', message: expect.any(String) } });
    expect(c.isOpen).toBe(true);
    c.push('session:size-1', 'chat:new', { message: 'a'.repeat(40000) }, joined.joinRef);
    expect((await c.closed).code).toBe(1009);
    expect((await bystander.call('phoenix', 'heartbeat', {})).status).toBe('ok');
  });

  it('enforces message length (1-4000 code points) and meta size (4 KiB of JSON), keeping the channel joined', async () => {
    const c = await connect('size-meta');
    const j = await c.join('session:size-2');
    const chat = (payload: unknown) => c.call('session:size-2', 'chat:new', payload, j.joinRef);
    const metaOf = (bytes: number) => ({ pad: 'x'.repeat(bytes - '{"pad":""}'.length) });
    expect(Buffer.byteLength(JSON.stringify(metaOf(4096)))).toBe(4096);

    expect((await chat({ message: '🏌'.repeat(4000) })).status).toBe('ok'); // 4000 code points, 16000 bytes
    expect((await chat({ message: '🏌'.repeat(4001) })).response.reason).toBe('invalid_payload');
    expect((await chat({ message: '' })).response.reason).toBe('invalid_payload');
    expect((await chat({ message: 'm', meta: metaOf(4096) })).status).toBe('ok');
    expect((await chat({ message: 'm', meta: metaOf(4097) })).response.reason).toBe('invalid_payload');
    // nested too deep for JSON.stringify: bad input, not a channel crash
    // (written by hand: JSON.stringify here would overflow just the same)
    c.send(`[${JSON.stringify(j.joinRef)},"deep","session:size-2","chat:new",{"message":"m","meta":{"d":${'['.repeat(6000)}${']'.repeat(6000)}}}]`);
    expect(await c.reply('deep')).toEqual({ status: 'error', response: { reason: 'invalid_payload', message: expect.any(String) } });
    expect(c.textFrames().some((m) => m[3] === 'phx_error')).toBe(false);
    expect((await chat({ message: 'still joined' })).status).toBe('ok');
  });

  it('answers 400 (not 500) for API bodies nested too deeply to encode', async () => {
    // bodies written by hand: JSON.stringify here would overflow just the same
    const deep = '['.repeat(10000) + ']'.repeat(10000);
    const b = await api(server.url, 'POST', '/api/broadcast', `{"topic":"session:size-3","event":"ai:insight","payload":{"d":${deep}}}`);
    expect(b.status).toBe(400);
    expect(b.body.error.code).toBe('invalid_request');
    const p = await api(server.url, 'POST', '/api/broadcast', `{"topic":"session:size-3","event":"ai:insight","persist":true,"payload":{"d":${deep}}}`);
    expect(p.status).toBe(400);
    const j = await api(server.url, 'POST', '/api/jobs/deep-1', `{"status":"completed","result":${deep}}`);
    expect(j.status).toBe(400);
    // nothing was stored
    expect((await api(server.url, 'GET', '/api/sessions/size-3/messages')).body.messages).toEqual([]);
  });
});
