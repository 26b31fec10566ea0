/**
 * Live fuzz against a running server: several sockets (V2 text and binary,
 * V1, LongPoll) send random frames, near-valid protocol messages and
 * random HTTP API bodies, reconnecting whenever the server closes them.
 * Afterwards the process must be alive with no error logged, a bystander's
 * socket, channel and presence must be untouched and working, and the API
 * must never have answered 5xx. Generated with fixed seeds and counts, so
 * every run sends the same input and takes bounded time.
 */
import fc from 'fast-check';
import { joinChannel, pushAndWait, signToken, startServer, TEST_API_KEY, waitFor, type ServerProcess } from '@cinder/testkit';
import { WebSocket } from 'ws';
import { api, securedEnv } from '../support/cluster-env';
import { Clients } from '../support/phoenix-session';
import { jsonLines, sleep, V2Client } from './wire';

let server: ServerProcess;
const clients = new Clients(() => server.port);

beforeAll(async () => {
  // High limits so random frames reach the channels instead of the rate limiter.
  server = await startServer(securedEnv({ LOG_LEVEL: 'info', RATE_LIMIT: '100000/100000', JOIN_RATE_LIMIT: '100000/100000', MAX_SOCKETS_PER_USER: '1000', MAX_FRAME_BYTES: '16384' }));
});
afterAll(async () => {
  clients.closeAll();
  await server.kill();
});

const TOPICS = ['session:fz', 'session:fz2', 'session:by', 'session:*', 'user:fuzz-coach', 'user:bystander', 'job:j1', 'job:*', 'phoenix', 'room:x', ''];
const EVENTS = ['phx_join', 'phx_leave', 'heartbeat', 'chat:new', 'session:control', 'typing', 'frame:share', 'message:edit', 'message:delete', 'access_token', 'phx_reply', 'nope'];

const json = fc.jsonValue({ maxDepth: 3 });
const ref = fc.oneof(fc.constant(null), fc.nat({ max: 50 }).map(String), fc.integer(), fc.constantFrom('', '1', 'x'));
const payload = fc.oneof(
  json,
  fc.record(
    {
      message: fc.oneof(fc.string({ maxLength: 20 }), fc.constant(''), json),
      type: fc.oneof(fc.constantFrom('chat_message', 'coach_tip', 'ai_insight', 'session_state'), fc.string({ maxLength: 5 })),
      meta: fc.oneof(json, fc.dictionary(fc.string({ maxLength: 3 }), json)),
      status: fc.constantFrom('active', 'paused', 'ended', 'waiting', 'bogus'),
      current_step: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(null), fc.integer()),
      typing: fc.oneof(fc.boolean(), json),
      id: fc.oneof(fc.nat({ max: 40 }).map(String), fc.integer(), fc.string({ maxLength: 4 })),
      history: fc.oneof(fc.integer({ min: -5, max: 600 }), json),
      since: fc.oneof(fc.nat({ max: 40 }).map(String), json),
      access_token: fc.oneof(fc.string({ maxLength: 10 }), fc.constant(signToken({ sub: 'someone-else', sessions: '*' }))),
      author_id: fc.string({ maxLength: 5 }),
    },
    { requiredKeys: [] },
  ),
);
// Biased towards a session the fuzzers may join, joins, and null join_refs
// (handled as current), so many frames get past routing into the handlers.
const v2Message = fc.tuple(
  fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, ref),
  ref,
  fc.oneof({ weight: 4, arbitrary: fc.constant('session:fz') }, fc.constantFrom(...TOPICS), fc.string({ maxLength: 12 })),
  fc.oneof({ weight: 1, arbitrary: fc.constant('phx_join') }, { weight: 4, arbitrary: fc.constantFrom(...EVENTS) }, fc.string({ maxLength: 8 })),
  payload,
);
const v2Text = fc.oneof(
  { weight: 6, arbitrary: v2Message.map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: json.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.array(json, { maxLength: 7 }).map((a) => JSON.stringify(a)) },
);
/** a well-formed binary push with random header fields and bytes */
const v2BinaryPush = fc
  .tuple(fc.constantFrom('', '1', 'j'), fc.nat({ max: 30 }).map(String), fc.constantFrom(...TOPICS.filter((t) => t !== '')), fc.constantFrom(...EVENTS), fc.uint8Array({ maxLength: 200 }))
  .map(([jr, r, t, e, p]) => {
    const f = [jr, r, t, e].map((s) => Buffer.from(s));
    return Buffer.concat([Buffer.from([0, ...f.map((x) => x.length)]), ...f, Buffer.from(p)]);
  });
/** binary frames: well formed, or random bytes lying about their lengths */
const v2Binary = fc.oneof(fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)), v2BinaryPush);
const v1Text = fc.oneof(
  fc.record({ topic: fc.constantFrom(...TOPICS), event: fc.constantFrom(...EVENTS), payload, ref, join_ref: ref }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

type Frame = { data: string | Buffer };
const sample = <T>(arb: fc.Arbitrary<T>, n: number, seed: number) => fc.sample(arb, { numRuns: n, seed });

/**
 * Sends frames over a socket of `vsn`, reconnecting whenever the server
 * closes it. With `sync`, each frame is followed by a heartbeat whose reply
 * (or the close) is awaited, so every junk frame meets a live socket rather
 * than one the previous frame already got closed.
 */
async function fuzzSocket(vsn: '1.0.0' | '2.0.0', token: string, frames: Frame[], sync = false): Promise<{ sent: number; reconnects: number }> {
  let reconnects = 0;
  let ws: WebSocket | null = null;
  let onFrame: ((text: string) => void) | null = null;
  let onClose: (() => void) | null = null;
  const openSocket = () =>
    new Promise<WebSocket>((resolve, reject) => {
      const s = new WebSocket(`ws://127.0.0.1:${server.port}/socket/websocket?vsn=${vsn}&token=${token}`);
      s.on('message', (d: Buffer, isBinary: boolean) => !isBinary && onFrame?.(d.toString()));
      s.on('close', () => onClose?.());
      s.once('open', () => resolve(s));
      s.once('error', reject);
    });
  for (let i = 0; i < frames.length; i++) {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      ws?.terminate();
      ws = await openSocket();
      reconnects++;
    }
    ws.send(frames[i].data);
    if (sync) {
      const hb = `hb-${i}`;
      const socket: WebSocket = ws;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 2000);
        function done() {
          clearTimeout(timer);
          onFrame = onClose = null;
          resolve();
        }
        onFrame = (text) => text.includes(`"${hb}"`) && done();
        onClose = done;
        socket.send(vsn === '2.0.0' ? JSON.stringify([null, hb, 'phoenix', 'heartbeat', {}]) : JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: hb }));
      });
    } else if (i % 20 === 19) {
      // let the server answer now and then, so frames also land on joined channels
      await sleep(5);
    }
  }
  await sleep(100);
  ws?.terminate();
  return { sent: frames.length, reconnects };
}

async function fuzzLongPoll(token: string, bodies: Array<{ body: string; type: string }>): Promise<void> {
  let session: string | null = null;
  for (const { body, type } of bodies) {
    if (!session) {
      const r = (await (await fetch(`${server.url}/socket/longpoll?vsn=2.0.0&token=${token}`)).json()) as { token?: string };
      session = r.token ?? null;
      if (!session) throw new Error('LongPoll connect refused');
    }
    const res = await fetch(`${server.url}/socket/longpoll?vsn=2.0.0&token=${encodeURIComponent(session)}`, { method: 'POST', headers: { 'content-type': type }, body });
    expect(res.status).toBeLessThan(500);
    const answer = (await res.json()) as { status: number };
    if (answer.status !== 200) session = null;
  }
}

async function fuzzApi(bodies: string[], seed: number): Promise<number[]> {
  const paths = fc.sample(fc.constantFrom('/api/broadcast', '/api/jobs/fz-job', '/api/jobs/%00', '/api/users/x/disconnect'), { numRuns: bodies.length, seed });
  const statuses: number[] = [];
  for (let i = 0; i < bodies.length; i++) {
    const res = await fetch(`${server.url}${paths[i]}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      body: bodies[i],
    });
    statuses.push(res.status);
    await res.arrayBuffer();
  }
  return statuses;
}

it('survives random frames on many sockets without touching a bystander', async () => {
  // The bystander: a stock phoenix.js client and a raw socket, in a session the fuzzers may not join.
  const by = await clients.join({ sub: 'bystander', name: 'By', role: 'coach', sessions: ['by'] }, 'session:by');
  const raw = await V2Client.open(server.port, { sub: 'bystander-raw', name: 'Raw', sessions: ['by'] });
  const rawJoin = await raw.join('session:by');
  expect(rawJoin.status).toBe('ok');
  await waitFor(() => by.of('presence_diff').some((d) => 'bystander-raw' in d.joins), 'both bystanders present');
  const presenceBefore = (await api(server.url, 'GET', '/api/presence/session:by')).body.presence;
  expect(Object.keys(presenceBefore).sort()).toEqual(['bystander', 'bystander-raw']);

  const coach = signToken({ sub: 'fuzz-coach', name: 'F', role: 'coach', sessions: ['fz', 'fz2'], jobs: ['j1'] });
  const student = signToken({ sub: 'fuzz-student', name: 'S\n"x', sessions: ['fz'] });
  const apiBodies = sample(
    fc.oneof(
      json.map((v) => JSON.stringify(v)),
      fc.record({ topic: fc.constantFrom(...TOPICS), event: fc.constantFrom('ai:insight', 'x', 'phx_x'), payload: json, persist: fc.boolean(), status: fc.constantFrom('running', 'completed', 'x'), percent: json }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 30 }),
    ),
    150,
    4,
  );
  const lpBodies = sample(
    fc.record({
      body: fc.oneof(
        fc.array(v2Text, { maxLength: 4 }).map((a) => a.join('\n')),
        fc.array(v2Binary, { maxLength: 3 }).map((a) => a.map((b) => b.toString('base64')).join('\n')),
        fc.string({ unit: 'binary', maxLength: 50 }),
      ),
      type: fc.constantFrom('application/x-ndjson', 'application/json', 'text/plain'),
    }),
    120,
    5,
  );

  const [a, b, c, d, , apiStatuses] = await Promise.all([
    // well-formed frames with random content: they reach routing and the channels
    fuzzSocket('2.0.0', coach, sample(v2Message, 600, 1).map((m) => ({ data: JSON.stringify(m) }))),
    fuzzSocket('2.0.0', student, sample(fc.oneof(v2Message.map((m) => JSON.stringify(m)), v2BinaryPush), 500, 2).map((data) => ({ data }))),
    // near-valid V1 objects and junk of every kind: they mostly end in protocol errors
    fuzzSocket('1.0.0', student, sample(v1Text, 300, 3).map((data) => ({ data })), true),
    fuzzSocket('2.0.0', coach, sample(fc.oneof(v2Text, v2Binary), 300, 6).map((data) => ({ data })), true),
    fuzzLongPoll(coach, lpBodies),
    fuzzApi(apiBodies, 7),
  ]);
  const closedFor: Record<string, number> = {};
  for (const l of jsonLines(server.output())) if (l.code) closedFor[l.code] = (closedFor[l.code] ?? 0) + 1;
  // eslint-disable-next-line no-console
  console.log(
    `live fuzz: ${[a, b, c, d].map((r) => `${r.sent} frames/${r.reconnects} connections`).join(', ')}, ${lpBodies.length} LongPoll posts, ` +
      `${apiStatuses.length} API bodies; sockets closed for ${JSON.stringify(closedFor)}`,
  );

  // The process is alive and logged no error (a crashed channel or handler would).
  expect(server.child.exitCode).toBeNull();
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  expect(apiStatuses.filter((s) => s >= 500)).toEqual([]);
  const lines = jsonLines(server.output());
  expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  expect(lines.filter((l) => l.code === 'internal')).toEqual([]);

  // The bystander's sockets, channel and presence are untouched and working.
  expect(raw.isOpen).toBe(true);
  expect(raw.textFrames().filter((m) => m[3] === 'phx_error' || m[3] === 'phx_close')).toEqual([]);
  const said = await raw.call('session:by', 'chat:new', { message: 'still fine' }, rawJoin.joinRef);
  expect(said.status).toBe('ok');
  await waitFor(() => by.of('chat:added').some((m) => m.id === said.response.id), 'the phoenix.js bystander receives it');
  expect((await pushAndWait(by.channel, 'chat:new', { message: 'me too' })).status).toBe('ok');
  expect((await api(server.url, 'GET', '/api/presence/session:by')).body.presence).toEqual(presenceBefore);
  // and a new client still connects and joins
  const fresh = clients.socket({ sub: 'late', sessions: ['fz'] });
  expect((await joinChannel(fresh.channel('session:fz', {}))).session.session_id).toBe('fz');
}, 60_000);
