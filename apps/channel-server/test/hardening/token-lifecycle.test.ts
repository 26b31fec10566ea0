/**
 * CONTRACT §4 token lifecycle on an open socket: a token that expires ends
 * the socket's channels within 5 s (`token_expired` push, then `phx_close`)
 * unless it was refreshed in-band with `access_token`; a refresh must carry
 * the same `sub`, and an invalid or expired one is `unauthorized` and changes
 * nothing (the old expiry still applies). The scenarios run concurrently,
 * each with a token a few seconds from expiry.
 */
import { signToken, startServer, type ServerProcess } from '@cinder/testkit';
import { securedEnv } from '../support/cluster-env';
import { sleep, V2Client, type V2Frame } from './wire';

let server: ServerProcess;
const open: V2Client[] = [];

beforeAll(async () => {
  server = await startServer(securedEnv({ LOG_LEVEL: 'info' }));
});
afterAll(async () => {
  for (const c of open) c.close();
  await server.kill();
});

/** A socket whose token expires in 3-4 s, joined to a session and its user channel. */
async function expiringSocket(sub: string) {
  const exp = Math.floor(Date.now() / 1000) + 4;
  const c = await V2Client.open(server.port, signToken({ sub, name: sub, sessions: '*', exp }));
  open.push(c);
  const session = await c.join(`session:tl-${sub}`);
  const user = await c.join(`user:${sub}`);
  expect([session.status, user.status]).toEqual(['ok', 'ok']);
  const arrivals: Array<{ at: number; frame: V2Frame }> = [];
  c.ws.on('message', (d: Buffer) => arrivals.push({ at: Date.now(), frame: JSON.parse(d.toString()) }));
  return { c, exp, session, user, arrivals, topics: [`session:tl-${sub}`, `user:${sub}`] };
}

type Expiring = Awaited<ReturnType<typeof expiringSocket>>;

/** Asserts each channel got `token_expired` then `phx_close`, after expiry and within 5 s of it. */
async function expectEndedAtExpiry(s: Expiring): Promise<void> {
  await Promise.all(s.topics.map((t) => s.c.waitFrame((m) => m[2] === t && m[3] === 'phx_close', 12_000)));
  for (const [topic, joinRef] of [
    [s.topics[0], s.session.joinRef],
    [s.topics[1], s.user.joinRef],
  ]) {
    const mine = s.arrivals.filter((a) => a.frame[2] === topic && a.frame[3] !== 'phx_reply');
    const expired = mine.findIndex((a) => a.frame[3] === 'token_expired');
    const closed = mine.findIndex((a) => a.frame[3] === 'phx_close');
    expect(expired).toBeGreaterThanOrEqual(0);
    expect(closed).toBeGreaterThan(expired);
    expect(mine[expired].frame).toEqual([joinRef, null, topic, 'token_expired', { reason: 'token_expired' }]);
    expect(mine[closed].frame).toEqual([joinRef, joinRef, topic, 'phx_close', {}]);
    expect(mine[expired].at).toBeGreaterThanOrEqual(s.exp * 1000 - 50);
    expect(mine[closed].at).toBeLessThanOrEqual(s.exp * 1000 + 5000);
  }
}

it.concurrent('an expired token ends every channel with token_expired then phx_close, and later joins are refused', async () => {
  const s = await expiringSocket('tl-expire');
  await expectEndedAtExpiry(s);
  expect(s.c.isOpen).toBe(true);
  expect((await s.c.join(`session:tl-again`)).response).toEqual({ reason: 'token_expired' });
  // a new connection with that token is refused outright
  await expect(V2Client.open(server.port, signToken({ sub: 'tl-expire', sessions: '*', exp: s.exp }))).rejects.toMatchObject({ status: 403 });
});

it.concurrent('a socket that refreshes with access_token before expiry keeps its channels', async () => {
  const s = await expiringSocket('tl-refresh');
  const fresh = signToken({ sub: 'tl-refresh', name: 'tl-refresh', sessions: '*' });
  expect(await s.c.call(s.topics[0], 'access_token', { access_token: fresh }, s.session.joinRef)).toEqual({ status: 'ok', response: {} });
  // well past the old expiry and the sweep that would have ended them
  await sleep(Math.max(0, s.exp * 1000 - Date.now()) + 2500);
  expect(s.arrivals.some((a) => a.frame[3] === 'token_expired' || a.frame[3] === 'phx_close')).toBe(false);
  expect((await s.c.call(s.topics[0], 'chat:new', { message: 'still here' }, s.session.joinRef)).status).toBe('ok');
  expect((await s.c.join('session:tl-refresh-2')).status).toBe('ok');
});

it.concurrent('a refresh with another sub is unauthorized and changes nothing', async () => {
  const s = await expiringSocket('tl-other');
  const mallory = signToken({ sub: 'mallory', name: 'Mallory', role: 'coach', sessions: '*' });
  expect(await s.c.call(s.topics[1], 'access_token', { access_token: mallory }, s.user.joinRef)).toEqual({
    status: 'error',
    response: { reason: 'unauthorized' },
  });
  // identity unchanged: mallory's private channel stays closed to this socket
  expect((await s.c.join('user:mallory')).response).toEqual({ reason: 'unauthorized' });
  // and the old expiry still applies
  await expectEndedAtExpiry(s);
});

it.concurrent('an invalid or expired refresh is unauthorized and changes nothing', async () => {
  const s = await expiringSocket('tl-invalid');
  const past = Math.floor(Date.now() / 1000) - 10;
  const bad = [
    'not.a.jwt',
    '',
    signToken({ sub: 'tl-invalid', sessions: '*', exp: past }),
    signToken({ sub: 'tl-invalid', sessions: '*' }, 'some-other-secret-that-is-long-enough-0123456789'),
    signToken({ sub: 'tl-invalid', sessions: '*', nbf: Math.floor(Date.now() / 1000) + 3600 }),
  ];
  for (const token of bad) {
    expect(await s.c.call(s.topics[0], 'access_token', { access_token: token }, s.session.joinRef)).toEqual({
      status: 'error',
      response: { reason: 'unauthorized' },
    });
  }
  expect(await s.c.call(s.topics[0], 'access_token', { token: 'wrong-shape' }, s.session.joinRef)).toEqual({
    status: 'error',
    response: { reason: 'unauthorized' },
  });
  await expectEndedAtExpiry(s);
});
