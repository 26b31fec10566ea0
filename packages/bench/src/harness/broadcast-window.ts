import { nowMs, sleep } from '../clock';
import { Histogram } from '../histogram';
import type { WindowResult } from '../results';
import { TICK_EVENT, TickPayload } from '../worker/protocol';
import { orderedAgent, postJson } from './http';
import { awaitDeliveries, collectWindow } from './deliveries';
import { cpuSeconds, ForeignCpu } from './proc-stats';
import type { WorkerPool } from './worker-pool';

/** More queued broadcast requests than this means the server is not keeping up. */
const MAX_OUTSTANDING = 256;
const MIN_BROADCASTS = 4;

export interface WindowTarget {
  pool: WorkerPool;
  /** the node the broadcasts are posted to */
  publishBase: string;
  apiKey: string;
  topic: string;
  /** server processes whose CPU counts */
  serverPids: number[];
  /** the OpenSpec group of this server's subscribers */
  group: string;
}

export interface WindowMeasurement {
  result: WindowResult;
  latency: Histogram;
}

/**
 * One measurement window: posts `rate` broadcasts/s for `durationMs` on an
 * open-loop schedule (each send is stamped when it is due; requests queued
 * behind a slow server count that wait as latency), then waits up to
 * `drainMs` for every delivery. Server CPU is read from /proc around exactly
 * that span.
 */
export async function runWindow(
  target: WindowTarget,
  w: number,
  rate: number,
  durationMs: number,
  drainMs: number,
): Promise<WindowResult> {
  return (await measureWindow(target, w, rate, durationMs, drainMs)).result;
}

export async function measureWindow(
  target: WindowTarget,
  w: number,
  rate: number,
  durationMs: number,
  drainMs: number,
): Promise<WindowMeasurement> {
  const { pool } = target;
  await pool.startWindow(w);
  const subscribers = (await pool.status()).reduce((n, s) => n + (s.openByGroup[target.group] ?? 0), 0);
  // a window of one or two broadcasts to 10,000 says little; slow rates get longer windows
  const total = Math.max(MIN_BROADCASTS, Math.round((rate * durationMs) / 1000));
  const interval = 1000 / rate;
  const spanMs = total * interval;

  let ok = 0;
  let failed = 0;
  let outstanding = 0;
  let lagged = false;
  const answered: Promise<void>[] = [];

  const agent = orderedAgent();
  const foreign = new ForeignCpu();
  const cpu0 = cpuSeconds(target.serverPids);
  const clientCpu0 = cpuSeconds(pool.pids);
  const t0 = nowMs();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((nowMs() - t0) / interval) + 1);
    while (sent < due) {
      if (outstanding >= MAX_OUTSTANDING) {
        lagged = true;
        break;
      }
      const payload: TickPayload = { w, s: sent, t: nowMs() };
      outstanding++;
      sent++;
      answered.push(
        postJson(
          `${target.publishBase}/api/broadcast`,
          { topic: target.topic, event: TICK_EVENT, payload },
          { authorization: `Bearer ${target.apiKey}` },
          agent,
        ).then(
          (a) => {
            outstanding--;
            if (a.status >= 200 && a.status < 300) ok++;
            else failed++;
          },
          () => {
            outstanding--;
            failed++;
          },
        ),
      );
    }
    if (sent < total) {
      const next = t0 + sent * interval;
      await sleep(Math.max(0, Math.min(50, next - nowMs())));
    }
  }
  const sendEnd = nowMs();
  await Promise.all(answered);

  const expected = subscribers * ok;
  await awaitDeliveries(pool, expected, drainMs);
  const t1 = nowMs();
  const cpu = cpuSeconds(target.serverPids) - cpu0;
  const clientCpu = cpuSeconds(pool.pids) - clientCpu0;
  const foreignCpuCores = foreign.cores();
  const stealCores = foreign.stealCores();
  agent.destroy();

  const { latency: hist, deliveries, outOfOrder, stale } = await collectWindow(pool, expected);
  const sendSeconds = Math.max(sendEnd - t0, spanMs) / 1000;
  const result: WindowResult = {
    targetBroadcastsPerSec: rate,
    subscribers,
    broadcastsSent: ok,
    broadcastsFailed: failed,
    senderLagged: lagged,
    sendSeconds,
    achievedBroadcastsPerSec: ok / sendSeconds,
    expectedDeliveries: expected,
    deliveries,
    complete: deliveries === expected && failed === 0 && outOfOrder === 0 && subscribers > 0,
    outOfOrder,
    stale,
    deliveriesPerSec: deliveries / sendSeconds,
    p50Ms: hist.quantileMs(0.5),
    p99Ms: hist.quantileMs(0.99),
    meanMs: hist.meanMs(),
    serverCpuSeconds: cpu,
    clientCpuSeconds: clientCpu,
    foreignCpuCores,
    stealCores,
    cpuUsPerDelivery: deliveries > 0 ? (cpu * 1e6) / deliveries : null,
    elapsedMs: t1 - t0,
  };
  return { result, latency: hist };
}

/**
 * Several windows of one server at one rate, taken in turns with other
 * servers, read as one: sums for counts and CPU, merged latency.
 */
export function combineWindows(parts: WindowMeasurement[]): WindowResult {
  const hist = new Histogram();
  for (const p of parts) hist.merge(p.latency.toData());
  const rs = parts.map((p) => p.result);
  const sum = (f: (r: WindowResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  const deliveries = sum((r) => r.deliveries);
  const cpu = sum((r) => r.serverCpuSeconds);
  const elapsed = sum((r) => r.elapsedMs);
  const sendSeconds = sum((r) => r.sendSeconds);
  return {
    targetBroadcastsPerSec: rs[0].targetBroadcastsPerSec,
    subscribers: Math.min(...rs.map((r) => r.subscribers)),
    broadcastsSent: sum((r) => r.broadcastsSent),
    broadcastsFailed: sum((r) => r.broadcastsFailed),
    senderLagged: rs.some((r) => r.senderLagged),
    sendSeconds,
    achievedBroadcastsPerSec: sum((r) => r.broadcastsSent) / sendSeconds,
    expectedDeliveries: sum((r) => r.expectedDeliveries),
    deliveries,
    complete: rs.every((r) => r.complete),
    outOfOrder: sum((r) => r.outOfOrder),
    stale: sum((r) => r.stale),
    deliveriesPerSec: deliveries / sendSeconds,
    p50Ms: hist.quantileMs(0.5),
    p99Ms: hist.quantileMs(0.99),
    meanMs: hist.meanMs(),
    serverCpuSeconds: cpu,
    clientCpuSeconds: sum((r) => r.clientCpuSeconds),
    foreignCpuCores: sum((r) => r.foreignCpuCores * r.elapsedMs) / Math.max(1, elapsed),
    stealCores: sum((r) => r.stealCores * r.elapsedMs) / Math.max(1, elapsed),
    cpuUsPerDelivery: deliveries > 0 ? (cpu * 1e6) / deliveries : null,
    elapsedMs: elapsed,
  };
}
