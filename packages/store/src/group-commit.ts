/**
 * Group commit: appends issued while a transaction is in flight wait in a
 * queue and go into the next transaction together, so a burst of N messages
 * costs a few commits instead of N. Each caller's promise settles only after
 * the transaction holding its row has committed (or failed).
 */
import { performance } from 'node:perf_hooks';
import { StoreUnavailableError, toStoreError } from './errors';
import type { PendingWrite, WriteResult } from './message-writer';

export interface CommitStats {
  /** transactions committed by the writer loop */
  batches: number;
  /** message rows those transactions inserted (idempotent repeats excluded) */
  rows: number;
  /** transactions that failed; their callers were rejected */
  failedBatches: number;
}

interface Waiter {
  write: PendingWrite;
  resolve(result: WriteResult): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
  settled: boolean;
}

export interface GroupCommitOptions {
  maxBatch: number;
  /** how long a caller waits in total, queueing included */
  timeoutMs: number;
  onCommit?: (ms: number, rows: number) => void;
}

export class GroupCommitter {
  readonly stats: CommitStats = { batches: 0, rows: 0, failedBatches: 0 };
  private queue: Waiter[] = [];
  private draining: Promise<void> | null = null;

  constructor(
    private readonly commit: (writes: PendingWrite[]) => Promise<WriteResult[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  submit(write: PendingWrite): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      const waiter: Waiter = { write, resolve, reject, settled: false, timer: undefined as never };
      waiter.timer = setTimeout(() => this.expire(waiter), this.options.timeoutMs);
      this.queue.push(waiter);
      // setImmediate lets every append issued in this turn join the first batch.
      if (!this.draining) this.draining = new Promise((done) => setImmediate(() => void this.drain().then(done)));
    });
  }

  /** Resolves once everything submitted so far has settled. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private expire(waiter: Waiter): void {
    const queuedAt = this.queue.indexOf(waiter);
    // Still queued: it was never sent, so it can be dropped outright. Already
    // in a transaction: its outcome is unknown to us, but the caller's
    // deadline has passed and it must hear so.
    if (queuedAt >= 0) this.queue.splice(queuedAt, 1);
    const detail = queuedAt >= 0 ? 'while queued' : 'while committing';
    this.settle(waiter, () =>
      waiter.reject(new StoreUnavailableError(`append timed out ${detail} after ${this.options.timeoutMs} ms`)),
    );
  }

  private settle(waiter: Waiter, fn: () => void): void {
    if (waiter.settled) return;
    waiter.settled = true;
    clearTimeout(waiter.timer);
    fn();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      const started = performance.now();
      let results: WriteResult[];
      try {
        results = await this.commit(batch.map((w) => w.write));
      } catch (err) {
        // The transaction rolled back as a whole; retrying here could commit
        // a row whose caller has already been told it failed, so never retry.
        this.stats.failedBatches += 1;
        const failure = toStoreError(err, 'append');
        batch.forEach((w) => this.settle(w, () => w.reject(failure)));
        continue;
      }
      const rows = results.filter((r) => !r.duplicate && !r.refused).length;
      this.stats.batches += 1;
      this.stats.rows += rows;
      batch.forEach((w, i) => this.settle(w, () => w.resolve(results[i])));
      try {
        this.options.onCommit?.(performance.now() - started, rows);
      } catch {
        // A faulty metrics hook must not stall the writer loop.
      }
    }
    this.draining = null;
  }
}
