/**
 * A client that stops reading (its TCP socket paused, so the kernel buffers
 * fill and the server's output backs up) on a session topic flooded with
 * ~8 KB HTTP API broadcasts, next to a fast phoenix.js client on the same
 * topic. The slow one must be cut off once its unsent output passes
 * MAX_BUFFERED_BYTES, the server's RSS must stay bounded, and the fast
 * client must get every message. Latencies are printed, never asserted.
 */
import { Agent, request } from 'node:http';
import { startServer, TEST_API_KEY, waitFor, type ServerProcess } from '@cinder/testkit';
import { Clients } from '../support/phoenix-session';
import { securedEnv } from '../support/cluster-env';
import { rssKb, sleep, V2Client, within } from './wire';

const MAX_BUFFERED = 1024 * 1024;
const PAYLOAD_BYTES = 8 * 1024;
const BASELINE = 300;
/** far more than the bound plus every kernel buffer on the way */
const FLOOD = Number(process.env.HARDENING_FLOOD ?? 6000);
const CONCURRENCY = 16;
/** generous: the flood is ~FLOOD x 8 KB, which an unbounded buffer would keep */
const RSS_GROWTH_BOUND_KB = Number(process.env.HARDENING_RSS_BOUND_KB ?? 40 * 1024);

let server: ServerProcess;
const clients = new Clients(() => server.port);
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

beforeAll(async () => {
  server = await startServer(securedEnv({ MAX_BUFFERED_BYTES: process.env.HARDENING_MAX_BUFFERED ?? String(MAX_BUFFERED) }));
});
afterAll(async () => {
  clients.closeAll();
  agent.destroy();
  await server.kill();
});

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function post(path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      { method: 'POST', agent, headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Publishes `count` broadcasts numbered from `from`, CONCURRENCY at a time. */
async function flood(topic: string, from: number, count: number): Promise<void> {
  const pad = 'p'.repeat(PAYLOAD_BYTES);
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const seq = next++;
      const status = await post('/api/broadcast', JSON.stringify({ topic, event: 'flood', payload: { seq, sent_at: Date.now(), pad } }));
      if (status !== 200) throw new Error(`broadcast ${seq}: HTTP ${status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

it('cuts off a client that stops reading, without memory growth or delaying a fast client', async () => {
  const topic = 'session:slow-1';
  const fast = await clients.join({ sub: 'fast', name: 'Fast', sessions: '*' }, topic);
  const received = new Map<number, number>(); // seq -> latency ms
  fast.channel.on('flood', (p: { seq: number; sent_at: number }) => void received.set(p.seq, Date.now() - p.sent_at));
  const leaves: string[] = [];
  fast.channel.on('presence_diff', (d: { leaves: Record<string, unknown> }) => void leaves.push(...Object.keys(d.leaves)));

  // Baseline: the fast client alone.
  await flood(topic, 0, BASELINE);
  await waitFor(() => received.size === BASELINE, 'baseline deliveries', 20000);
  const baseLatency = [...received.values()];
  await sleep(300);
  const rssBefore = rssKb(server.child.pid!);

  // The slow client joins, reads its join reply, then stops reading.
  const slow = await V2Client.open(server.port, { sub: 'slow', name: 'Slow', sessions: '*' });
  expect((await slow.join(topic)).status).toBe('ok');
  await waitFor(() => fast.of('presence_diff').some((d) => 'slow' in d.joins), 'slow client present');
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();

  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, rssKb(server.child.pid!));
    } catch {
      /* process gone: the test fails below */
    }
  }, 50);
  const started = Date.now();
  try {
    await flood(topic, BASELINE, FLOOD);
    await waitFor(() => received.size === BASELINE + FLOOD, 'every flood message at the fast client', 30000);
  } finally {
    clearInterval(sampler);
  }
  const floodMs = Date.now() - started;

  const floodLatency = [...received.entries()].filter(([s]) => s >= BASELINE).map(([, l]) => l);
  const growthKb = peakRss - rssBefore;
  // eslint-disable-next-line no-console
  console.log(
    [
      `slow consumer: flood of ${FLOOD} x ${PAYLOAD_BYTES} B (${((FLOOD * PAYLOAD_BYTES) / 1048576).toFixed(0)} MiB) in ${floodMs} ms, MAX_BUFFERED_BYTES=${server.env.MAX_BUFFERED_BYTES}`,
      `  server RSS before ${(rssBefore / 1024).toFixed(1)} MiB, peak ${(peakRss / 1024).toFixed(1)} MiB (+${(growthKb / 1024).toFixed(1)} MiB)`,
      `  fast client latency baseline p50 ${percentile(baseLatency, 50)} ms p99 ${percentile(baseLatency, 99)} ms; during flood + cut-off p50 ${percentile(floodLatency, 50)} ms p99 ${percentile(floodLatency, 99)} ms`,
    ].join('\n'),
  );
  // The slow client was cut off: its presence left and the server said why.
  await waitFor(() => leaves.includes('slow'), 'presence leave of the slow client', 10000);
  expect(server.output()).toContain('disconnecting slow consumer');
  // Once it reads again it finds its connection gone.
  (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  const closed = await within(slow.closed, 15000);
  expect(closed).not.toBeNull();
  // It got only a part of the flood before the cut.
  const slowGot = slow.events(topic, 'flood').length;
  expect(slowGot).toBeLessThan(FLOOD);
  // eslint-disable-next-line no-console
  console.log(`slow consumer: the slow client received ${slowGot} of ${FLOOD} before the cut`);

  // The fast client got every message.
  for (let s = 0; s < BASELINE + FLOOD; s++) expect(received.has(s)).toBe(true);
  expect(growthKb).toBeLessThan(RSS_GROWTH_BOUND_KB);
}, 90_000);
