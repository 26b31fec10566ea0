import { nowMs } from '../clock';
import type { BenchContext } from '../harness/context';
import { orderedAgent, postJson } from '../harness/http';
import { awaitDeliveries, collectWindow } from '../harness/deliveries';
import { cpuSeconds, ForeignCpu } from '../harness/proc-stats';
import type { ServerHandle, ServerKind } from '../harness/servers';
import type { BurstResult } from '../results';
import { TICK_EVENT, type TickPayload } from '../worker/protocol';
import { fmtMs, fanoutTopic, openClients, withServer } from './common';

/**
 * Burst: several publishers (back ends, AI workers) post at once, each as
 * fast as the server answers, on its own keep-alive connection, to one topic
 * with many subscribers. The fixed-rate fan-out sends one broadcast at a
 * time; here broadcasts overlap, which is where a server can coalesce what
 * one socket gets and where per-message overheads add up.
 */
export async function runBurst(ctx: BenchContext, kind: ServerKind): Promise<BurstResult> {
  const o = ctx.options.burst;
  return withServer(ctx, kind, async (server) => {
    const topic = fanoutTopic(ctx, `burst-${kind}`);
    const opened = await openClients(ctx, server, o.subscribers, { kind: 'single', topic }, `burst-${kind}-`, kind);
    if (opened.opened === 0) throw new Error(`no subscriber could join: ${opened.errors.join('; ')}`);
    // warm-up: JIT and buffers settle before anything is measured
    await burst(ctx, server, topic, 0, o.warmupBroadcasts);
    const r = await burst(ctx, server, topic, 1, o.broadcasts);
    ctx.log(
      `  ${o.publishers} publishers, ${r.broadcastsSent} broadcasts: ${r.cpuUsPerDelivery?.toFixed(2)} µs CPU/delivery, ` +
        `${Math.round(r.deliveriesPerSec).toLocaleString('en-US')} deliveries/s, p50 ${fmtMs(r.p50Ms)} p99 ${fmtMs(r.p99Ms)} ms, ` +
        `${r.deliveries}/${r.expectedDeliveries} delivered, others used ${r.foreignCpuCores.toFixed(2)} cores`,
    );
    return { ...r, server: kind, opened: opened.opened };
  });
}

async function burst(
  ctx: BenchContext,
  server: ServerHandle,
  topic: string,
  w: number,
  broadcasts: number,
): Promise<Omit<BurstResult, 'server' | 'opened'>> {
  const { pool } = ctx;
  const o = ctx.options.burst;
  await pool.startWindow(w);
  const subscribers = (await pool.status()).reduce((n, s) => n + (s.openByGroup[server.kind] ?? 0), 0);
  let ok = 0;
  let failed = 0;
  let next = 0;
  const foreign = new ForeignCpu();
  const cpu0 = cpuSeconds([server.pid]);
  const clientCpu0 = cpuSeconds(pool.pids);
  const t0 = nowMs();
  const publisher = async (p: number) => {
    const agent = orderedAgent();
    try {
      for (let s = 0; next < broadcasts; s++) {
        next++;
        const payload: TickPayload = { w, s, t: nowMs(), p };
        const a = await postJson(
          `${server.httpBase}/api/broadcast`,
          { topic, event: TICK_EVENT, payload },
          { authorization: `Bearer ${ctx.env.apiKey}` },
          agent,
        ).catch(() => ({ status: 0 }));
        if (a.status >= 200 && a.status < 300) ok++;
        else failed++;
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: o.publishers }, (_, p) => publisher(p)));

  const expected = subscribers * ok;
  await awaitDeliveries(pool, expected, o.drainMs);
  const elapsedMs = nowMs() - t0;
  const cpu = cpuSeconds([server.pid]) - cpu0;
  const clientCpu = cpuSeconds(pool.pids) - clientCpu0;
  const foreignCpuCores = foreign.cores();

  const { latency: hist, deliveries, outOfOrder } = await collectWindow(pool, expected);
  return {
    subscribers,
    publishers: o.publishers,
    broadcastsSent: ok,
    broadcastsFailed: failed,
    expectedDeliveries: expected,
    deliveries,
    complete: deliveries === expected && failed === 0 && outOfOrder === 0 && subscribers > 0,
    outOfOrder,
    elapsedMs,
    deliveriesPerSec: (deliveries * 1000) / Math.max(1, elapsedMs),
    p50Ms: hist.quantileMs(0.5),
    p99Ms: hist.quantileMs(0.99),
    serverCpuSeconds: cpu,
    clientCpuSeconds: clientCpu,
    foreignCpuCores,
    cpuUsPerDelivery: deliveries > 0 ? (cpu * 1e6) / deliveries : null,
  };
}
