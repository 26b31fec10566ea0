import { sleep } from '../clock';
import type { BenchContext } from '../harness/context';
import { ForeignCpu, openFileLimit, rssBytes } from '../harness/proc-stats';
import { ServerHandle, ServerKind, startServer } from '../harness/servers';
import { takeSourceAddresses } from '../harness/source-addresses';
import type { OpenResult } from '../worker/protocol';
import type { IdleResult } from '../results';
import { fmtRate } from './fanout';

/** fds a server needs besides its sockets: stdio, listener, epoll, Postgres/Redis links, logs */
const SERVER_FD_MARGIN = 100;
const GROUP = 5;

/**
 * The most sockets one server process can hold here: it inherits our
 * open-file limit and cannot raise it past the hard limit.
 */
export function socketsPerProcess(perProcess: number | undefined): number {
  if (perProcess !== undefined) return perProcess;
  const { hard } = openFileLimit();
  return Number.isFinite(hard) ? hard - SERVER_FD_MARGIN : Number.MAX_SAFE_INTEGER;
}

/** Whole sessions per process, so no session spans two of them. */
export function idlePlan(sockets: number, perProcess: number): number[] {
  const groups = Math.ceil(sockets / GROUP);
  const perGroupCap = Math.max(1, Math.floor(perProcess / GROUP));
  const processes = Math.ceil(groups / perGroupCap);
  return Array.from({ length: processes }, (_, k) => {
    const g0 = Math.floor((k * groups) / processes);
    const g1 = Math.floor(((k + 1) * groups) / processes);
    return Math.min(g1 * GROUP, sockets) - g0 * GROUP;
  });
}

/**
 * Idle: as many joined sockets as the machine allows (the contract's 50,000
 * by default), in sessions of five, from several 127.0.x.y source addresses:
 * RSS growth per socket and join throughput. One process holds at most what
 * the open-file limit allows, so past it the sockets are spread over several
 * server processes, each a standalone node holding whole sessions, as a
 * session-affine balancer would place them. That keeps the figure about
 * memory per connection; what a cluster costs is the cluster scenario's.
 */
export async function runIdle(ctx: BenchContext, kind: ServerKind): Promise<IdleResult> {
  const requested = ctx.options.idle.sockets;
  const perProcess = socketsPerProcess(ctx.options.idle.perProcess);
  const shares = idlePlan(requested, perProcess);
  const servers: ServerHandle[] = [];
  try {
    for (let k = 0; k < shares.length; k++) servers.push(await startServer(kind, ctx.env));
    // let start-up allocations settle so they are not charged to the sockets
    await sleep(ctx.options.idle.settleMs);
    const pids = servers.map((s) => s.pid);
    const rssBefore = rssBytes(pids);
    // binding a source address takes its port before the destination is known,
    // so the addresses are sized for all sockets, not per process
    const addresses = takeSourceAddresses(requested);
    const t0 = Date.now();
    const stopStartingAt = t0 + Math.min(ctx.options.idle.joinCapMs, Math.max(5000, ctx.remainingMs() / 4));
    const foreign = new ForeignCpu();
    let firstIndex = 0;
    const parts = servers.map((server, k) => {
      const spec = {
        driver: server.driver,
        httpBase: server.httpBase,
        jwtSecret: server.kind === 'cinder' ? ctx.env.jwtSecret : undefined,
        userPrefix: `idle-${kind}-`,
        firstIndex,
        count: shares[k],
        topics: { kind: 'groups' as const, prefix: `session:idle-${ctx.runId}-${kind}-`, size: GROUP },
        sourceAddresses: addresses,
        // the same number of joins in flight however many processes share them
        concurrency: Math.max(1, Math.round(50 / servers.length)),
        timeoutMs: 30_000,
        stopStartingAt,
        group: kind,
      };
      firstIndex += shares[k];
      return ctx.pool.open(spec);
    });
    const opened = sumOpened(await Promise.all(parts));
    const joinSeconds = (Date.now() - t0) / 1000;
    const foreignCpuCores = foreign.cores();
    if (opened.failed > 0) ctx.log(`  ${opened.failed} of ${requested} sockets failed to join: ${opened.errors.join('; ')}`);
    if (opened.notStarted > 0) ctx.log(`  join cap reached: ${opened.notStarted} of ${requested} sockets not started`);
    await sleep(ctx.options.idle.settleMs);
    const stillOpen = (await ctx.pool.status()).reduce((n, s) => n + s.open, 0);
    const rssAfter = rssBytes(pids);
    const result: IdleResult = {
      server: kind,
      requested,
      processes: servers.length,
      perProcessLimit: perProcess,
      joined: opened.opened,
      failed: opened.failed,
      notStarted: opened.notStarted,
      stillOpen,
      sourceAddresses: addresses.length,
      joinSeconds,
      joinsPerSec: opened.opened / joinSeconds,
      rssBeforeBytes: rssBefore,
      rssAfterBytes: rssAfter,
      rssPerSocketBytes: opened.opened > 0 ? (rssAfter - rssBefore) / opened.opened : null,
      foreignCpuCores,
    };
    ctx.log(
      `  ${fmtRate(opened.opened)} joined on ${servers.length} process${servers.length === 1 ? '' : 'es'} ` +
        `at ${fmtRate(result.joinsPerSec)}/s, ${((result.rssPerSocketBytes ?? 0) / 1024).toFixed(1)} KiB RSS per socket`,
    );
    return result;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await ctx.pool.closeAll();
  }
}

function sumOpened(results: OpenResult[]): OpenResult {
  return {
    opened: results.reduce((n, r) => n + r.opened, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
    notStarted: results.reduce((n, r) => n + r.notStarted, 0),
    errors: results.flatMap((r) => r.errors).slice(0, 5),
  };
}
