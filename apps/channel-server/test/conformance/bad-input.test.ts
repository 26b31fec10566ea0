/**
 * Bad input never crashes the process or touches other sockets: oversized
 * frames close with 1009, undecodable or wrongly shaped frames close that
 * socket with a log line and a metric.
 */
import { signToken, startServer, type ServerProcess } from '@cinder/testkit';
import { securedEnv } from '../support/cluster-env';
import { openRaw } from '../support/raw-socket';

let server: ServerProcess;
const token = signToken({ sub: 'alice', role: 'student', sessions: '*' });
const wsUrl = () => `ws://127.0.0.1:${server.port}/socket/websocket?token=${token}&vsn=2.0.0`;

beforeAll(async () => {
  server = await startServer(securedEnv({ MAX_FRAME_BYTES: '1024', LOG_LEVEL: 'info' }));
});
afterAll(async () => {
  await server.kill();
});

async function joinedBystander() {
  const s = await openRaw(wsUrl());
  s.send(['1', '1', 'session:bystander', 'phx_join', {}]);
  await s.next((f) => f[3] === 'phx_reply' && f[1] === '1');
  return s;
}

async function stillWorks(s: Awaited<ReturnType<typeof openRaw>>, ref: string) {
  s.send([null, ref, 'phoenix', 'heartbeat', {}]);
  const reply = await s.next((f) => f[1] === ref);
  expect(reply).toEqual([null, ref, 'phoenix', 'phx_reply', { response: {}, status: 'ok' }]);
}

it('closes a socket that sends a frame over MAX_FRAME_BYTES with 1009', async () => {
  const bystander = await joinedBystander();
  const s = await openRaw(wsUrl());
  s.send(JSON.stringify(['1', '1', 'session:x', 'chat:new', { message: 'x'.repeat(2000) }]));
  expect((await s.closed).code).toBe(1009);
  await stillWorks(bystander, '2');
  bystander.ws.close();
});

it.each([
  ['invalid JSON', '{"topic": "room:x", not json'],
  ['a JSON string', '"just a json string"'],
  ['a short array', '["1","1","session:x"]'],
  ['a V1 object on a V2 socket', '{"topic":"session:x","event":"phx_join","payload":{},"ref":"1"}'],
  ['a non-string topic', '["1","1",42,"phx_join",{}]'],
  ['an unknown binary kind', Buffer.from([9, 1, 1, 1, 1])],
  ['a truncated binary frame', Buffer.from([0, 5, 5, 5, 5, 0x31])],
])('closes the socket after %s, and others live on', async (_name, frame) => {
  const bystander = await joinedBystander();
  const s = await openRaw(wsUrl());
  s.send(frame);
  expect((await s.closed).code).toBe(1011);
  await stillWorks(bystander, '3');
  bystander.ws.close();
});

it('logs each closed socket clearly and counts it in /metrics', async () => {
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/cinder_protocol_errors_total\{reason="frame_too_large"\} [1-9]/);
  expect(metrics).toMatch(/cinder_protocol_errors_total\{reason="invalid_json"\} [1-9]/);
  expect(metrics).toMatch(/cinder_protocol_errors_total\{reason="invalid_shape"\} [1-9]/);
  expect(server.output()).toContain('closing socket after an undecodable frame');
  const health = await fetch(`${server.url}/healthz`);
  expect(health.status).toBe(200);
});

it('refuses bad, forged, wrongly signed and expired tokens with 403 on the upgrade', async () => {
  const bad = [
    'garbage',
    signToken({ sub: 'alice', sessions: '*' }, 'another-secret-another-secret-another-secret'),
    signToken({ sub: 'alice', sessions: '*', exp: Math.floor(Date.now() / 1000) - 5 }),
    signToken({ sub: 'alice', sessions: '*', nbf: Math.floor(Date.now() / 1000) + 600 }),
    signToken({ name: 'no sub' } as never),
    // alg none: an unsigned token must never pass
    `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'alice', sessions: '*' })).toString('base64url')}.`,
  ];
  for (const t of bad) {
    await expect(openRaw(`ws://127.0.0.1:${server.port}/socket/websocket?token=${encodeURIComponent(t)}&vsn=2.0.0`)).rejects.toMatchObject({ status: 403 });
  }
  await expect(openRaw(`ws://127.0.0.1:${server.port}/socket/websocket?vsn=2.0.0`)).rejects.toMatchObject({ status: 403 });
});

it('never writes the token into its logs', () => {
  expect(server.output()).not.toContain(token);
});
