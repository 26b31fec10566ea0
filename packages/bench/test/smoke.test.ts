/**
 * Smoke of `pnpm bench`: the real runner, real servers (raw ws and Socket.IO
 * baselines, Cinder when apps/channel-server is built), real client workers,
 * a handful of sockets. It proves the figures exist and every delivery
 * arrived; it never asserts that anything is fast.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchReport } from '../src/results';

const ROOT = resolve(__dirname, '..', '..', '..');
const PKG = resolve(__dirname, '..');
const RUN = join(PKG, 'dist', 'run.js');
// the runner honours BENCH_CINDER_ENTRY the same way
const CINDER = process.env.BENCH_CINDER_ENTRY || join(ROOT, 'apps', 'channel-server', 'dist', 'main.js');

/** `pnpm test` builds first; a bare `npx jest packages/bench` may find dist missing or stale. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  if (existsSync(RUN) && newest(join(PKG, 'dist')) >= newest(join(PKG, 'src'))) return;
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(PKG, 'tsconfig.json')], { stdio: 'inherit' });
}

function runBench(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [RUN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGTERM'); // the runner kills its servers and workers on SIGTERM
      reject(new Error(`bench did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

beforeAll(ensureBuilt, 60_000);

describe('pnpm bench --quick', () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const withCinder = existsSync(CINDER);
  let report: BenchReport;
  let stdout = '';

  beforeAll(async () => {
    const run = await runBench(['--quick', `--out=${out}`], 50_000);
    stdout = run.stdout;
    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    if (run.code !== 0 || files.length !== 1) throw new Error(`bench exited ${run.code}\n${run.stdout}\n${run.stderr}`);
    report = JSON.parse(readFileSync(join(out, files[0]), 'utf8')) as BenchReport;
  }, 60_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const servers = () => (withCinder ? ['cinder', 'raw', 'socketio'] : ['raw', 'socketio']);

  it('prints the markdown table with the ratio columns', () => {
    expect(stdout).toContain('| scenario | figure | Cinder | raw ws | Socket.IO | Cinder/raw ws | Cinder/Socket.IO | target |');
    expect(stdout).toContain('### Targets');
    expect(report.errors).toEqual([]);
  });

  it('fan-out: every broadcast reached every subscriber, with CPU and latency figures', () => {
    expect(report.fanout.map((f) => f.server).sort()).toEqual(servers().sort());
    for (const f of report.fanout) {
      expect(f.opened).toBe(f.subscribers);
      expect(f.fixed.broadcastsSent).toBeGreaterThan(0);
      expect(f.fixed.deliveries).toBe(f.subscribers * f.fixed.broadcastsSent);
      expect(f.fixed.complete).toBe(true);
      expect(f.fixed.outOfOrder).toBe(0);
      expect(Number.isFinite(f.fixed.cpuUsPerDelivery)).toBe(true);
      expect(Number.isFinite(f.fixed.p50Ms)).toBe(true);
      expect(Number.isFinite(f.fixed.p99Ms)).toBe(true);
      expect(f.ramp.length).toBeGreaterThan(0);
      expect(typeof f.maxSustainedDeliveriesPerSec).toBe('number');
    }
  });

  it('burst: every broadcast of every publisher reached every subscriber, in order per publisher', () => {
    expect(report.burst.map((b) => b.server).sort()).toEqual(servers().sort());
    for (const b of report.burst) {
      expect(b.opened).toBe(b.subscribers);
      expect(b.publishers).toBeGreaterThan(1);
      expect(b.broadcastsSent).toBe(40);
      expect(b.deliveries).toBe(b.subscribers * b.broadcastsSent);
      expect(b.complete).toBe(true);
      expect(b.outOfOrder).toBe(0);
      expect(Number.isFinite(b.cpuUsPerDelivery)).toBe(true);
      expect(b.deliveriesPerSec).toBeGreaterThan(0);
      expect(Number.isFinite(b.p99Ms)).toBe(true);
    }
  });

  it('idle: all sockets joined across two server processes, RSS per socket and joins/s are reported', () => {
    expect(report.idle.map((i) => i.server).sort()).toEqual(servers().sort());
    for (const i of report.idle) {
      // --quick holds 20 per process, as the open-file limit would past ~20,000
      expect(i.processes).toBe(2);
      expect(i.joined).toBe(i.requested);
      expect(i.stillOpen).toBe(i.joined);
      expect(Number.isFinite(i.rssPerSocketBytes)).toBe(true);
      expect(i.joinsPerSec).toBeGreaterThan(0);
    }
  });

  it('cluster: deliveries crossed the Redis hop completely', () => {
    const expected = servers().filter((s) => s !== 'raw');
    expect(report.cluster.map((c) => c.server).sort()).toEqual(expected.sort());
    for (const c of report.cluster) {
      expect(c.window.complete).toBe(true);
      expect(c.window.deliveries).toBe(c.subscribers * c.window.broadcastsSent);
      expect(Number.isFinite(c.hopAddedP50Ms)).toBe(true);
    }
  });

  it('rooms: runs against Cinder only, every push committed and delivered', () => {
    if (!withCinder) {
      expect(report.rooms).toEqual([]);
      expect(report.skipped.join('\n')).toContain('does not exist');
      return;
    }
    const [r] = report.rooms;
    expect(r.sent).toBeGreaterThan(0);
    expect(r.repliesOk).toBe(r.sent);
    expect(r.deliveries).toBe(r.expectedDeliveries);
    expect(r.complete).toBe(true);
    expect(Number.isFinite(r.replyP99Ms)).toBe(true);
    expect(Number.isFinite(r.deliveryP99Ms)).toBe(true);
  });

  it('targets are listed but never judged on smoke figures', () => {
    expect(report.targets.length).toBeGreaterThan(0);
    for (const t of report.targets) expect(t.met).toBeNull();
  });
});

describe('pnpm bench options', () => {
  it('refuses an unknown server with a clear message and runs nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-bad-'));
    try {
      const run = await runBench(['--servers=nginx', `--out=${out}`], 10_000);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--servers: unknown "nginx"');
      expect(readdirSync(out)).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
