/**
 * Wall-clock milliseconds with sub-millisecond resolution that agree across
 * processes on one machine: the sender stamps a broadcast in one process and
 * the subscriber measures it in another, and Date.now()'s 1 ms steps would
 * swamp loopback latencies of a fraction of a millisecond.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
