/**
 * Log-bucketed latency histogram (1 % relative precision). Workers record
 * hundreds of thousands of samples; shipping buckets instead of samples keeps
 * the IPC small and lets the runner merge workers exactly.
 */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** microseconds: 1 µs .. ~100 s */
const BUCKETS = 1900;

export type HistogramData = Array<[bucket: number, count: number]>;

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private maxUs = 0;

  recordMs(ms: number): void {
    const us = ms <= 0.001 ? 1 : ms * 1000;
    this.counts[bucketOf(us)]++;
    this.total++;
    this.sum += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Samples that never arrived count as infinitely late. */
  recordMissing(n: number): void {
    this.counts[BUCKETS - 1] += n;
    this.total += n;
  }

  get count(): number {
    return this.total;
  }

  merge(data: HistogramData): void {
    for (const [b, c] of data) {
      this.counts[b] += c;
      this.total += c;
      const us = upperOf(b);
      this.sum += us * c;
      if (us > this.maxUs) this.maxUs = us;
    }
  }

  toData(): HistogramData {
    const out: HistogramData = [];
    for (let b = 0; b < BUCKETS; b++) if (this.counts[b] > 0) out.push([b, this.counts[b]]);
    return out;
  }

  /** q in 0..1; milliseconds, or null without samples. */
  quantileMs(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b];
      if (seen >= rank) return b === BUCKETS - 1 ? Infinity : upperOf(b) / 1000;
    }
    return Infinity;
  }

  meanMs(): number | null {
    return this.total === 0 ? null : this.sum / this.total / 1000;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.maxUs = 0;
  }
}

function bucketOf(us: number): number {
  const b = Math.ceil(Math.log(us) / LOG_GROWTH);
  return b < 0 ? 0 : b >= BUCKETS - 1 ? BUCKETS - 2 : b;
}

function upperOf(bucket: number): number {
  return Math.pow(GROWTH, bucket);
}
