import { sleep } from '../clock';
import type { BenchContext } from '../harness/context';
import { Histogram } from '../histogram';
import { cpuSeconds, ForeignCpu } from '../harness/proc-stats';
import type { ServerKind } from '../harness/servers';
import type { RoomsResult } from '../results';
import type { RoomsReport } from '../worker/protocol';
import { fmtMs, openClients, withServer } from './common';

/**
 * Rooms: sessions of five, each receiving one persisted `chat:new` per
 * period; push→reply (commit) and push→delivery latency. Needs the server's
 * `session:` channel with storage, so only Cinder runs it.
 */
export async function runRooms(ctx: BenchContext, kind: ServerKind): Promise<RoomsResult> {
  const o = ctx.options.rooms;
  const sockets = o.sessions * o.size;
  return withServer(ctx, kind, async (server) => {
    const opened = await openClients(
      ctx,
      server,
      sockets,
      { kind: 'groups', prefix: `session:rooms-${ctx.runId}-`, size: o.size },
      `room-`,
      'rooms',
      30_000,
    );
    if (opened.opened === 0) throw new Error(`no socket could join: ${opened.errors.join('; ')}`);
    await ctx.pool.startRooms({ w: 0, periodMs: o.periodMs, durationMs: o.warmupMs });
    await sleep(o.warmupMs + 200);

    const cpu0 = cpuSeconds([server.pid]);
    const foreign = new ForeignCpu();
    await ctx.pool.startRooms({ w: 1, periodMs: o.periodMs, durationMs: o.measureMs });
    await sleep(o.measureMs);
    // drain: replies and chat:added copies still under way
    let reports: RoomsReport[] = [];
    const until = Date.now() + 10_000;
    for (;;) {
      reports = await ctx.pool.roomsCollect();
      const pending = reports.reduce((n, r) => n + r.pendingReplies, 0);
      const got = reports.reduce((n, r) => n + r.deliveries, 0);
      const want = reports.reduce((n, r) => n + r.expectedDeliveries, 0);
      if ((pending === 0 && got >= want) || Date.now() > until) break;
      await sleep(50);
    }
    const cpu = cpuSeconds([server.pid]) - cpu0;
    const foreignCpuCores = foreign.cores();
    const stealCores = foreign.stealCores();

    const reply = new Histogram();
    const delivery = new Histogram();
    const replyErrors: Record<string, number> = {};
    for (const r of reports) {
      reply.merge(r.replyLatency);
      delivery.merge(r.deliveryLatency);
      for (const [k, v] of Object.entries(r.replyErrors)) replyErrors[k] = (replyErrors[k] ?? 0) + v;
    }
    const sum = (f: (r: RoomsReport) => number) => reports.reduce((n, r) => n + f(r), 0);
    const sent = sum((r) => r.sent);
    const repliesOk = sum((r) => r.repliesOk);
    const deliveries = sum((r) => r.deliveries);
    const expectedDeliveries = sum((r) => r.expectedDeliveries);
    // an unanswered push is an infinitely slow reply
    reply.recordMissing(sent - repliesOk);
    const result: RoomsResult = {
      server: kind,
      sessions: sum((r) => r.sessions),
      sockets: opened.opened,
      failedToOpen: opened.failed,
      measureMs: o.measureMs,
      sent,
      messagesPerSec: sent / (o.measureMs / 1000),
      repliesOk,
      replyErrors,
      pendingReplies: sum((r) => r.pendingReplies),
      replyP50Ms: reply.quantileMs(0.5),
      replyP99Ms: reply.quantileMs(0.99),
      deliveries,
      expectedDeliveries,
      complete: sent > 0 && repliesOk === sent && deliveries === expectedDeliveries,
      deliveryP50Ms: delivery.quantileMs(0.5),
      deliveryP99Ms: delivery.quantileMs(0.99),
      serverCpuSeconds: cpu,
      foreignCpuCores,
      stealCores,
    };
    ctx.log(
      `  ${result.messagesPerSec.toFixed(0)} msg/s: reply p50 ${fmtMs(result.replyP50Ms)} p99 ${fmtMs(result.replyP99Ms)} ms, ` +
        `delivery p50 ${fmtMs(result.deliveryP50Ms)} p99 ${fmtMs(result.deliveryP99Ms)} ms, ` +
        `${repliesOk}/${sent} replies ok, ${deliveries}/${expectedDeliveries} delivered, ` +
        `others used ${foreignCpuCores.toFixed(2)} cores (steal ${stealCores.toFixed(2)})`,
    );
    return result;
  });
}
