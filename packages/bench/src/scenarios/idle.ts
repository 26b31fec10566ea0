import { sleep } from '../clock';
import type { BenchContext } from '../harness/context';
import { ForeignCpu, openFileLimit, rssBytes } from '../harness/proc-stats';
import type { ServerKind } from '../harness/servers';
import { takeSourceAddresses } from '../harness/source-addresses';
import type { IdleResult } from '../results';
import { fmtRate } from './fanout';
import { withServer } from './common';

/** fds a server needs besides its sockets: stdio, listener, epoll, Postgres/Redis links, logs */
const SERVER_FD_MARGIN = 100;
const GROUP = 5;

/**
 * The most sockets one server process can hold here: the server inherits our
 * open-file limit and cannot raise it past the hard limit.
 */
export function idleSocketCap(requested: number): number {
  const { hard } = openFileLimit();
  return Number.isFinite(hard) ? Math.min(requested, hard - SERVER_FD_MARGIN) : requested;
}

/**
 * Idle: as many joined sockets as the machine allows, in sessions of five,
 * from several 127.0.0.x source addresses. RSS growth per socket and join
 * throughput.
 */
export async function runIdle(ctx: BenchContext, kind: ServerKind): Promise<IdleResult> {
  const requested = ctx.options.idle.sockets;
  const count = idleSocketCap(requested);
  return withServer(ctx, kind, async (server) => {
    // let start-up allocations settle so they are not charged to the sockets
    await sleep(ctx.options.idle.settleMs);
    const rssBefore = rssBytes([server.pid]);
    const addresses = takeSourceAddresses(count);
    const t0 = Date.now();
    const foreign = new ForeignCpu();
    const opened = await ctx.pool.open({
      driver: server.driver,
      httpBase: server.httpBase,
      jwtSecret: server.kind === 'cinder' ? ctx.env.jwtSecret : undefined,
      userPrefix: `idle-${kind}-`,
      firstIndex: 0,
      count,
      topics: { kind: 'groups', prefix: `session:idle-${ctx.runId}-${kind}-`, size: GROUP },
      sourceAddresses: addresses,
      concurrency: 50,
      timeoutMs: 30_000,
      stopStartingAt: t0 + Math.min(ctx.options.idle.joinCapMs, Math.max(5000, ctx.remainingMs() / 4)),
      group: kind,
    });
    const joinSeconds = (Date.now() - t0) / 1000;
    const foreignCpuCores = foreign.cores();
    if (opened.failed > 0) ctx.log(`  ${opened.failed} of ${count} sockets failed to join: ${opened.errors.join('; ')}`);
    if (opened.notStarted > 0) ctx.log(`  join cap reached: ${opened.notStarted} of ${count} sockets not started`);
    await sleep(ctx.options.idle.settleMs);
    const stillOpen = (await ctx.pool.status()).reduce((n, s) => n + s.open, 0);
    const rssAfter = rssBytes([server.pid]);
    const result: IdleResult = {
      server: kind,
      requested,
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
      `  ${fmtRate(opened.opened)} joined at ${fmtRate(result.joinsPerSec)}/s, ` +
        `${((result.rssPerSocketBytes ?? 0) / 1024).toFixed(1)} KiB RSS per socket`,
    );
    return result;
  });
}
