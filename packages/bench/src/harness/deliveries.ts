import { nowMs, sleep } from '../clock';
import { Histogram } from '../histogram';
import type { WorkerPool } from './worker-pool';

const POLL_MS = 25;

/** Polls the client workers until `expected` deliveries of the window arrived, or `drainMs` passed. */
export async function awaitDeliveries(pool: WorkerPool, expected: number, drainMs: number): Promise<void> {
  const drainUntil = nowMs() + drainMs;
  for (;;) {
    const st = await pool.status();
    const delivered = st.reduce((n, s) => n + s.fanout.deliveries, 0);
    if (delivered >= expected || nowMs() >= drainUntil) return;
    await sleep(POLL_MS);
  }
}

export interface CollectedWindow {
  latency: Histogram;
  deliveries: number;
  outOfOrder: number;
  stale: number;
}

/** Every worker's report of the window, merged. */
export async function collectWindow(pool: WorkerPool, expected: number): Promise<CollectedWindow> {
  const reports = await pool.collect();
  const latency = new Histogram();
  for (const r of reports) latency.merge(r.latency);
  const deliveries = reports.reduce((n, r) => n + r.deliveries, 0);
  // what never arrived counts as infinitely late, so loss cannot flatter p99
  if (deliveries < expected) latency.recordMissing(expected - deliveries);
  return {
    latency,
    deliveries,
    outOfOrder: reports.reduce((n, r) => n + r.outOfOrder, 0),
    stale: reports.reduce((n, r) => n + r.stale, 0),
  };
}
