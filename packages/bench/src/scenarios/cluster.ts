import type { BenchContext } from '../harness/context';
import { runWindow } from '../harness/broadcast-window';
import { cpuSeconds } from '../harness/proc-stats';
import { startRedis } from '../harness/redis';
import { ServerKind, startServer } from '../harness/servers';
import type { ClusterResult } from '../results';
import { fanoutTopic, fmtMs, openClients, withServer } from './common';

/**
 * Cluster: two nodes on a private Redis; every subscriber sits on node B and
 * every broadcast is posted to node A, so each delivery crosses the hop. The
 * added latency is measured against one node carrying the same load.
 */
export async function runCluster(ctx: BenchContext, kind: ServerKind): Promise<ClusterResult> {
  const subscribers = ctx.options.cluster.subscribers;
  const f = ctx.options.fanout;
  const rate = f.fixedDeliveriesPerSec / subscribers;
  const drainMs = Math.max(f.drainMs, f.p99LimitMs * 4);
  const singleNodeP50Ms = ctx.report.fanout.find((r) => r.server === kind && r.subscribers === subscribers)?.fixed.p50Ms
    ?? (await measureSingleNode(ctx, kind, subscribers, rate, drainMs));

  const redis = await startRedis();
  try {
    const a = await startServer(kind, ctx.env, { redisUrl: redis.url, nodeId: `bench-a-${ctx.runId}` });
    try {
      return await withServer(
        ctx,
        kind,
        async (b) => {
          const topic = fanoutTopic(ctx, `cluster-${kind}`);
          const opened = await openClients(ctx, b, subscribers, { kind: 'single', topic }, `cl-${kind}-`, kind);
          if (opened.opened === 0) throw new Error(`no subscriber could join: ${opened.errors.join('; ')}`);
          const target = { pool: ctx.pool, publishBase: a.httpBase, apiKey: ctx.env.apiKey, topic, serverPids: [a.pid, b.pid], group: kind };
          await runWindow(target, 0, rate, f.warmupMs, drainMs);
          const redisCpu0 = cpuSeconds([redis.pid]);
          const window = await runWindow(target, 1, rate, f.windowMs, drainMs);
          const redisCpuSeconds = cpuSeconds([redis.pid]) - redisCpu0;
          const hop = window.p50Ms !== null && singleNodeP50Ms !== null ? window.p50Ms - singleNodeP50Ms : null;
          ctx.log(
            `  2 nodes: p50 ${fmtMs(window.p50Ms)} p99 ${fmtMs(window.p99Ms)} ms (one node p50 ${fmtMs(singleNodeP50Ms)}), ` +
              `${window.cpuUsPerDelivery?.toFixed(2)} µs CPU/delivery, ${window.deliveries}/${window.expectedDeliveries} delivered, ` +
              `others used ${window.foreignCpuCores.toFixed(2)} cores`,
          );
          return {
            server: kind,
            subscribers,
            opened: opened.opened,
            window,
            singleNodeP50Ms,
            hopAddedP50Ms: hop,
            redisCpuSeconds,
          };
        },
        { redisUrl: redis.url, nodeId: `bench-b-${ctx.runId}` },
      );
    } finally {
      await a.stop();
    }
  } finally {
    await redis.stop();
  }
}

async function measureSingleNode(
  ctx: BenchContext,
  kind: ServerKind,
  subscribers: number,
  rate: number,
  drainMs: number,
): Promise<number | null> {
  return withServer(ctx, kind, async (server) => {
    const topic = fanoutTopic(ctx, `cluster-ref-${kind}`);
    await openClients(ctx, server, subscribers, { kind: 'single', topic }, `ref-${kind}-`, kind);
    const target = { pool: ctx.pool, publishBase: server.httpBase, apiKey: ctx.env.apiKey, topic, serverPids: [server.pid], group: kind };
    await runWindow(target, 0, rate, ctx.options.fanout.warmupMs, drainMs);
    return (await runWindow(target, 1, rate, ctx.options.fanout.windowMs, drainMs)).p50Ms;
  });
}
