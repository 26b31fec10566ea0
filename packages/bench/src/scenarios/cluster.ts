import type { BenchContext } from '../harness/context';
import { combineWindows, measureWindow, runWindow, WindowMeasurement } from '../harness/broadcast-window';
import { cpuSeconds } from '../harness/proc-stats';
import { startRedis } from '../harness/redis';
import { ServerKind, startServer } from '../harness/servers';
import type { ClusterResult } from '../results';
import { fanoutTopic, fmtMs, openClients, withServer } from './common';

/** Windows per side, taken in turns, as the fan-out does across servers. */
const ROUNDS = 3;

/**
 * Cluster: two nodes on a private Redis; every subscriber sits on node B.
 * Broadcasts posted to node A cross the hop; the same broadcasts posted to
 * node B itself are the one-node reference. The two are measured in
 * alternating windows on the same processes and subscribers, so the added
 * latency is not a difference between two moments of a noisy machine.
 */
export async function runCluster(ctx: BenchContext, kind: ServerKind): Promise<ClusterResult> {
  const subscribers = ctx.options.cluster.subscribers;
  const f = ctx.options.fanout;
  const rate = f.fixedDeliveriesPerSec / subscribers;
  const drainMs = Math.max(f.drainMs, f.p99LimitMs * 4);
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
          const via = (node: { httpBase: string }) =>
            ({ pool: ctx.pool, publishBase: node.httpBase, apiKey: ctx.env.apiKey, topic, serverPids: [a.pid, b.pid], group: kind });
          const [hop, local] = [via(a), via(b)];
          let w = 0;
          await runWindow(hop, w++, rate, f.warmupMs, drainMs);
          await runWindow(local, w++, rate, f.warmupMs, drainMs);
          const hopParts: WindowMeasurement[] = [];
          const localParts: WindowMeasurement[] = [];
          const redisCpu0 = cpuSeconds([redis.pid]);
          for (let round = 0; round < ROUNDS; round++) {
            const order = round % 2 === 0 ? [local, hop] : [hop, local];
            for (const t of order) (t === hop ? hopParts : localParts).push(await measureWindow(t, w++, rate, f.windowMs / ROUNDS, drainMs));
          }
          const redisCpuSeconds = cpuSeconds([redis.pid]) - redisCpu0;
          const window = combineWindows(hopParts);
          const singleNodeP50Ms = combineWindows(localParts).p50Ms;
          const added = window.p50Ms !== null && singleNodeP50Ms !== null ? window.p50Ms - singleNodeP50Ms : null;
          ctx.log(
            `  2 nodes: p50 ${fmtMs(window.p50Ms)} p99 ${fmtMs(window.p99Ms)} ms (posted to the subscribers' own node p50 ${fmtMs(singleNodeP50Ms)}), ` +
              `${window.cpuUsPerDelivery?.toFixed(2)} µs CPU/delivery, ${window.deliveries}/${window.expectedDeliveries} delivered, ` +
              `others used ${window.foreignCpuCores.toFixed(2)} cores`,
          );
          return {
            server: kind,
            subscribers,
            opened: opened.opened,
            window,
            singleNodeP50Ms,
            hopAddedP50Ms: added,
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
