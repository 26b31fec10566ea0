import { randomBytes } from 'node:crypto';
import { cpus, release } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from './harness/context';
import { dropDatabase, dropStaleSmokeDatabases, recreateDatabase } from './harness/database';
import { openFileLimit } from './harness/proc-stats';
import { installCleanup } from './harness/processes';
import { cinderAvailable, cinderEntry, SERVER_LABEL, ServerKind, ServerEnv } from './harness/servers';
import { WorkerPool } from './harness/worker-pool';
import { BenchOptions, SMOKE_DB_PREFIX } from './options';
import type { BenchReport } from './results';
import { evaluateTargets } from './report/targets';
import { runBurst } from './scenarios/burst';
import { runCluster } from './scenarios/cluster';
import { runFanoutSet } from './scenarios/fanout';
import { idlePlan, runIdle, socketsPerProcess } from './scenarios/idle';
import { runRooms } from './scenarios/rooms';

export interface RunBenchInput {
  options: BenchOptions;
  repoRoot: string;
  log?: (line: string) => void;
}

interface Unit {
  scenario: string;
  /** every server at once for fan-out */
  server: ServerKind | 'all';
  /** rough cost, to skip what no longer fits in the budget */
  estimateMs: number;
  /** client sockets held at once, to size the worker pool */
  sockets: number;
  run: (ctx: BenchContext) => Promise<void>;
}

/**
 * Runs every selected scenario against every selected server, one at a time
 * (the machine is too small to measure two things at once), and returns the
 * figures. Never throws for a failing scenario: the error is recorded and the
 * run goes on, so one broken server cannot hide the others' numbers.
 */
export async function runBench({ options, repoRoot, log = (l) => console.log(l) }: RunBenchInput): Promise<BenchReport> {
  installCleanup();
  const started = Date.now();
  const limit = openFileLimit();
  const report: BenchReport = {
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    quick: options.quick,
    machine: {
      cpus: cpus().length,
      node: process.version,
      openFileLimit: { soft: finite(limit.soft), hard: finite(limit.hard) },
      kernel: release(),
    },
    options,
    fanout: [],
    burst: [],
    rooms: [],
    idle: [],
    cluster: [],
    targets: [],
    skipped: [],
    notes: [],
    errors: [],
  };

  let servers = options.servers;
  if (servers.includes('cinder') && !cinderAvailable(repoRoot)) {
    report.skipped.push(`Cinder: ${cinderEntry(repoRoot)} does not exist (build apps/channel-server)`);
    servers = servers.filter((s) => s !== 'cinder');
  }
  if (options.scenarios.includes('idle')) {
    const perProcess = socketsPerProcess(options.idle.perProcess);
    const processes = idlePlan(options.idle.sockets, perProcess).length;
    if (processes > 1) {
      report.notes.push(
        `idle: ${options.idle.sockets} sockets spread over ${processes} processes per server, at most ${perProcess} each ` +
          (options.idle.perProcess === undefined
            ? `(the open-file limit is ${limit.soft}/${limit.hard} soft/hard and a server holds one descriptor per socket)`
            : '(--idle-per-process)'),
      );
    }
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'cinder-bench-'));
  const env: ServerEnv = {
    repoRoot,
    jwtSecret: randomBytes(24).toString('hex'),
    apiKey: randomBytes(24).toString('hex'),
    dataDir,
  };
  const needsDb = servers.includes('cinder');
  if (needsDb) {
    try {
      await dropStaleSmokeDatabases(options.adminDatabaseUrl, SMOKE_DB_PREFIX);
      env.databaseUrl = await recreateDatabase(options.adminDatabaseUrl, options.databaseName);
    } catch (err) {
      report.notes.push(`Postgres unavailable (${(err as Error).message}); Cinder uses its embedded store`);
    }
  }

  const units = planUnits(options, servers, report);
  const poolSize = (unit: Unit) => workerCount(options, unit.sockets, limit.soft);
  const ctx: BenchContext = {
    options,
    env,
    pool: new WorkerPool(units.length > 0 ? poolSize(units[0]) : options.workers),
    runId: `${started.toString(36)}${randomBytes(2).toString('hex')}`,
    report,
    log,
    remainingMs: () => options.budgetMs - (Date.now() - started),
  };

  try {
    let first = true;
    for (const unit of units) {
      // Fresh client workers per scenario: heaps left by the last one's
      // thousands of sockets would show up as GC pauses in this one's latency.
      if (!first) {
        ctx.pool.stop();
        ctx.pool = new WorkerPool(poolSize(unit));
      }
      first = false;
      const label = unit.server === 'all' ? unit.scenario : `${unit.scenario} / ${SERVER_LABEL[unit.server]}`;
      if (ctx.remainingMs() < unit.estimateMs) {
        report.skipped.push(`${label}: not enough of the ${Math.round(options.budgetMs / 1000)} s budget left`);
        log(`- ${label}: skipped (time budget)`);
        continue;
      }
      log(`- ${label}`);
      const t0 = Date.now();
      try {
        await unit.run(ctx);
        log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (err) {
        const message = (err as Error).message;
        report.errors.push({ scenario: unit.scenario, server: unit.server, message });
        log(`  FAILED: ${message.split('\n')[0]}`);
        await ctx.pool.closeAll().catch(() => undefined);
      }
    }
  } finally {
    ctx.pool.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (needsDb && env.databaseUrl && options.quick) {
      await dropDatabase(options.adminDatabaseUrl, options.databaseName).catch(() => undefined);
    }
  }
  report.targets = evaluateTargets(report);
  report.durationMs = Date.now() - started;
  return report;
}

function planUnits(o: BenchOptions, servers: ServerKind[], report: BenchReport): Unit[] {
  const units: Unit[] = [];
  const quick = o.quick;
  const fanoutCost = o.fanout.warmupMs + o.fanout.windowMs + 5000;
  // Rooms first: on a VM the hypervisor steals more and more of the CPUs
  // through minutes of full load, and this latency figure (Postgres and
  // the server sharing two cores) is the one that suffers most from it.
  if (o.scenarios.includes('rooms')) {
    if (servers.includes('cinder')) {
      units.push({
        scenario: 'rooms',
        server: 'cinder',
        estimateMs: o.rooms.warmupMs + o.rooms.measureMs + (quick ? 3000 : 15_000),
        sockets: o.rooms.sessions * o.rooms.size,
        run: async (ctx) => {
          report.rooms.push(await runRooms(ctx, 'cinder'));
        },
      });
    } else {
      report.skipped.push('rooms: needs Cinder (the baselines have no persisted chat)');
    }
  }
  if (o.scenarios.includes('fanout') && servers.length > 0) {
    for (const n of o.fanout.subscribers) {
      units.push({
        scenario: `fan-out ${n}`,
        server: 'all',
        estimateMs: quick ? 3000 * servers.length : (fanoutCost + n * 2) * servers.length,
        sockets: n * servers.length,
        run: (ctx) => runFanoutSet(ctx, servers, n),
      });
    }
  }
  if (o.scenarios.includes('burst')) {
    for (const server of servers) {
      units.push({
        scenario: 'burst',
        server,
        estimateMs: quick ? 3000 : 15_000 + o.burst.subscribers * 5,
        sockets: o.burst.subscribers,
        run: async (ctx) => {
          report.burst.push(await runBurst(ctx, server));
        },
      });
    }
  }
  if (o.scenarios.includes('idle')) {
    for (const server of servers) {
      units.push({
        scenario: 'idle',
        server,
        estimateMs: quick ? 2000 : 10_000 + Math.min(o.idle.joinCapMs, o.idle.sockets * 2),
        sockets: o.idle.sockets,
        run: async (ctx) => {
          report.idle.push(await runIdle(ctx, server));
        },
      });
    }
  }
  if (o.scenarios.includes('cluster')) {
    for (const server of servers) {
      if (server === 'raw') continue; // a bare ws loop has no cluster mode
      units.push({
        scenario: 'cluster',
        server,
        estimateMs: quick ? 3000 : 2 * fanoutCost + 5000,
        sockets: o.cluster.subscribers,
        run: async (ctx) => {
          report.cluster.push(await runCluster(ctx, server));
        },
      });
    }
  }
  return units;
}

/**
 * Each worker holds one descriptor per client socket (fan-out keeps every
 * server's subscribers connected at once), so add workers until they fit.
 */
function workerCount(o: BenchOptions, sockets: number, fdSoft: number): number {
  if (!Number.isFinite(fdSoft)) return o.workers;
  return Math.max(o.workers, Math.ceil(sockets / Math.max(1000, fdSoft - 500)));
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}
