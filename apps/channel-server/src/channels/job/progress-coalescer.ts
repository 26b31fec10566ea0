const MIN_INTERVAL_MS = 100;

interface Pending {
  lastSentAt: number;
  payload: unknown;
  timer: NodeJS.Timeout | null;
}

/**
 * Progress is latest-value: bursts of `job:progress` for one job reach
 * clients at most 10 times a second, always ending on the newest value.
 * Terminal events are never coalesced; they first flush a pending progress
 * so clients see the last percentage before `completed`.
 */
export class ProgressCoalescer {
  private readonly jobs = new Map<string, Pending>();

  constructor(private readonly send: (jobId: string, event: string, payload: unknown) => void) {}

  progress(jobId: string, payload: unknown): void {
    const now = Date.now();
    let p = this.jobs.get(jobId);
    if (!p) {
      p = { lastSentAt: 0, payload: null, timer: null };
      this.jobs.set(jobId, p);
    }
    const wait = p.lastSentAt + MIN_INTERVAL_MS - now;
    if (wait <= 0 && !p.timer) {
      p.lastSentAt = now;
      this.send(jobId, 'job:progress', payload);
      this.forgetLater(jobId, p);
      return;
    }
    p.payload = payload;
    if (!p.timer) {
      p.timer = setTimeout(() => this.flush(jobId), Math.max(wait, 0));
    }
  }

  terminal(jobId: string, event: 'job:completed' | 'job:failed', payload: unknown): void {
    this.flush(jobId);
    this.jobs.delete(jobId);
    this.send(jobId, event, payload);
  }

  close(): void {
    for (const p of this.jobs.values()) if (p.timer) clearTimeout(p.timer);
    this.jobs.clear();
  }

  private flush(jobId: string): void {
    const p = this.jobs.get(jobId);
    if (!p || !p.timer) return;
    clearTimeout(p.timer);
    p.timer = null;
    p.lastSentAt = Date.now();
    this.send(jobId, 'job:progress', p.payload);
    this.forgetLater(jobId, p);
  }

  /** Idle jobs are dropped so the map does not grow with every job ever seen. */
  private forgetLater(jobId: string, p: Pending): void {
    setTimeout(() => {
      if (this.jobs.get(jobId) === p && !p.timer && Date.now() - p.lastSentAt >= MIN_INTERVAL_MS) this.jobs.delete(jobId);
    }, MIN_INTERVAL_MS * 2).unref();
  }
}
