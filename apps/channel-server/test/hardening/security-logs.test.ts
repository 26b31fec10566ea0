/**
 * Security review of the logs, at LOG_LEVEL=debug:
 * - log injection: user-controlled text (a token's `sub` and `name`, topics)
 *   with newlines and JSON in it never breaks the structured log; every line
 *   the server prints stays one JSON object and nothing forged appears as a
 *   record of its own;
 * - no secrets: the JWT secret, the API key, a wrong API key, client tokens
 *   (in query strings, the authToken subprotocol, the LongPoll header, the
 *   in-band refresh) and the database password never appear in the output.
 */
import { createTestDatabase, signToken, startServer, TEST_API_KEY, TEST_JWT_SECRET, type ServerProcess } from '@cinder/testkit';
import { WebSocket } from 'ws';
import { api, securedEnv } from '../support/cluster-env';
import { jsonLines, V2Client } from './wire';

const DB_PASSWORD = 'db-password-MUST-NOT-LEAK-7f3a';
const WRONG_KEY = 'wrong-api-key-MUST-NOT-LEAK-91c2';

let server: ServerProcess;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const opened: V2Client[] = [];

beforeAll(async () => {
  db = await createTestDatabase('cinder_logs');
  const url = new URL(db.url);
  url.username = 'postgres';
  url.password = DB_PASSWORD; // trust auth ignores it; the server must still never print it
  server = await startServer(securedEnv({ LOG_LEVEL: 'debug', DATABASE_URL: url.toString(), RATE_LIMIT: '5/5', MAX_SOCKETS_PER_USER: '1' }));
});
afterAll(async () => {
  for (const c of opened) c.close();
  await server.kill();
  await db.drop();
});

async function connect(who: Parameters<typeof V2Client.open>[1]): Promise<V2Client> {
  const c = await V2Client.open(server.port, who);
  opened.push(c);
  return c;
}

it('user-controlled text cannot break or forge structured log lines', async () => {
  const sub = 'inj\n{"level":60,"msg":"forged-by-sub"}\r\n';
  const name = 'Name\n{"level":60,"msg":"forged-by-name"}';
  const topic = 'nothing:\n{"level":60,"msg":"forged-by-topic"}\u2028"';
  const c = await connect({ sub, name, sessions: '*' });
  // a join without a route is logged with its topic
  expect((await c.join(topic)).response).toEqual({ reason: 'unmatched topic' });
  expect((await c.join('session:x\n{"msg":"forged-by-session"}')).response).toEqual({ reason: 'unauthorized' });
  // a second socket for the user is refused and logged with the socket id
  await expect(V2Client.open(server.port, { sub, name, sessions: '*' })).rejects.toMatchObject({ status: 403 });
  // rate-limit abuse is logged with the socket id (the sub)
  for (let i = 0; i < 30; i++) c.push('x', 'y', {});
  expect((await c.closed).code).toBe(1008);
  // an undecodable frame is logged with its reason
  const d = await connect({ sub: 'decoder', sessions: '*' });
  d.send('{"not":"a v2 frame"\n,"msg":"forged-by-frame"}');
  expect((await d.closed).code).toBe(1011);

  await waitForLog((l) => l.msg === 'closing socket after an undecodable frame');
  const lines = jsonLines(server.output());
  expect(lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('forged'))).toEqual([]);
  // the hostile text is there, but only as data inside a record
  expect(lines.some((l) => l.topic === topic)).toBe(true);
  expect(lines.filter((l) => l.socket_id === `user_socket:${sub}`).map((l) => l.msg)).toEqual(
    expect.arrayContaining(['refused connection: too many sockets for this user', 'closing socket: inbound rate limit exceeded repeatedly']),
  );
});

it('never prints secrets, tokens or passwords', async () => {
  const tokens: string[] = [];
  const token = (claims: Parameters<typeof signToken>[0], secret?: string, opts?: Parameters<typeof signToken>[2]) => {
    const t = signToken(claims, secret, opts);
    tokens.push(t);
    return t;
  };
  // token as a query param (WebSocket and LongPoll)
  const q = await connect(token({ sub: 'sec-query', sessions: '*' }));
  const joined = await q.join('session:sec');
  await fetch(`${server.url}/socket/longpoll?vsn=2.0.0&token=${token({ sub: 'sec-lp', sessions: '*' })}`);
  // authToken: Sec-WebSocket-Protocol and the LongPoll header
  const authToken = token({ sub: 'sec-auth', sessions: '*' });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket/websocket?vsn=2.0.0`, ['phoenix', `base64url.bearer.phx.${Buffer.from(authToken).toString('base64').replace(/=+$/, '')}`]);
  await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
  ws.close();
  await fetch(`${server.url}/socket/longpoll?vsn=2.0.0`, { headers: { 'x-phoenix-authtoken': token({ sub: 'sec-lp-auth', sessions: '*' }) } });
  // refused tokens: wrong secret, expired, garbage
  for (const bad of [
    token({ sub: 'sec-bad', sessions: '*' }, 'another-secret-that-is-long-enough-for-hs256-00'),
    token({ sub: 'sec-exp', sessions: '*', exp: Math.floor(Date.now() / 1000) - 5 }),
  ]) {
    await expect(V2Client.open(server.port, bad)).rejects.toMatchObject({ status: 403 });
  }
  // in-band refresh, valid and invalid
  expect((await q.call('session:sec', 'access_token', { access_token: token({ sub: 'sec-query', sessions: '*' }) }, joined.joinRef)).status).toBe('ok');
  expect((await q.call('session:sec', 'access_token', { access_token: token({ sub: 'other', sessions: '*' }) }, joined.joinRef)).status).toBe('error');
  // the server API with a wrong and the right key
  expect((await api(server.url, 'GET', '/api/sessions?status=waiting', undefined, WRONG_KEY)).status).toBe(401);
  expect((await api(server.url, 'GET', `/api/sessions?status=waiting&key=${WRONG_KEY}`)).status).toBe(400);
  expect((await api(server.url, 'POST', '/api/broadcast', { topic: 'session:sec', event: 'ai:insight', payload: { token: tokens[0] } })).status).toBe(200);
  await waitForLog((l) => l.msg === 'refused connection: bad token' && l.reason === 'expired');

  const out = server.output();
  jsonLines(out); // still all structured
  const secrets: Array<[string, string]> = [
    ['JWT_SECRET', TEST_JWT_SECRET],
    ['SERVER_API_KEY', TEST_API_KEY],
    ['wrong API key', WRONG_KEY],
    ['database password', DB_PASSWORD],
    ...tokens.map((t, i): [string, string] => [`token #${i}`, t]),
    ...tokens.map((t, i): [string, string] => [`signature of token #${i}`, t.split('.')[2]]),
  ];
  for (const [what, value] of secrets) expect([what, out.includes(value)]).toEqual([what, false]);
});

async function waitForLog(pred: (line: any) => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!jsonLines(server.output()).some(pred)) {
    if (Date.now() > deadline) throw new Error(`no such log line; output:\n${server.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
