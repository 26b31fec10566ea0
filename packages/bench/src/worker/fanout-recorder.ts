import { nowMs } from '../clock';
import { Histogram } from '../histogram';
import type { ClientConnection } from './connection';
import type { FanoutCounts, FanoutReport, TickPayload } from './protocol';

/** Counts fan-out deliveries of the current window and their latency. */
export class FanoutRecorder {
  private w = -1;
  private readonly latency = new Histogram();
  private counts: FanoutCounts = { deliveries: 0, stale: 0, outOfOrder: 0 };

  startWindow(w: number): void {
    this.w = w;
    this.latency.reset();
    this.counts = { deliveries: 0, stale: 0, outOfOrder: 0 };
  }

  onTick(conn: ClientConnection, p: TickPayload): void {
    const now = nowMs();
    if (p.w !== this.w) {
      this.counts.stale++;
      return;
    }
    if (conn.lastW !== p.w) {
      conn.lastW = p.w;
      conn.lastSeq.length = 0;
    }
    const publisher = p.p ?? 0;
    const last = conn.lastSeq[publisher];
    if (last !== undefined && p.s <= last) this.counts.outOfOrder++;
    conn.lastSeq[publisher] = p.s;
    this.counts.deliveries++;
    this.latency.recordMs(now - p.t);
  }

  snapshot(): FanoutCounts {
    return { ...this.counts };
  }

  report(): FanoutReport {
    return { ...this.counts, latency: this.latency.toData() };
  }
}
