import { nowMs } from '../clock';
import { Histogram } from '../histogram';
import type { ClientConnection } from './connection';
import type { RoomsReport, RoomsSpec } from './protocol';

const PUSH_TIMEOUT_MS = 10_000;

/**
 * Drives the rooms scenario inside a worker: every session (all of whose
 * members live in this worker) gets one persisted `chat:new` per period,
 * sent by its members in turn; the reply and the `chat:added` copies are timed
 * against the push.
 */
export class RoomsDriver {
  private w = -1;
  private timers: NodeJS.Timeout[] = [];
  private readonly replyLatency = new Histogram();
  private readonly deliveryLatency = new Histogram();
  private sent = 0;
  private repliesOk = 0;
  private replyErrors: Record<string, number> = {};
  private deliveries = 0;
  private expectedDeliveries = 0;
  private sessions = 0;

  start(conns: ClientConnection[], spec: RoomsSpec): void {
    this.stop();
    this.w = spec.w;
    this.replyLatency.reset();
    this.deliveryLatency.reset();
    this.sent = this.repliesOk = this.deliveries = this.expectedDeliveries = 0;
    this.replyErrors = {};

    const byTopic = new Map<string, ClientConnection[]>();
    for (const c of conns) {
      if (!c.isOpen()) continue;
      const list = byTopic.get(c.topic) ?? [];
      list.push(c);
      byTopic.set(c.topic, list);
    }
    const groups = [...byTopic.values()];
    this.sessions = groups.length;
    const endAt = Date.now() + spec.durationMs;
    groups.forEach((members, i) => {
      // spread sessions evenly over the period so pushes do not arrive in bursts
      const offset = (i * spec.periodMs) / groups.length;
      let turn = 0;
      const fire = () => {
        if (Date.now() >= endAt) return;
        this.pushOne(members, members[turn++ % members.length]);
      };
      const first = setTimeout(() => {
        fire();
        this.timers.push(setInterval(fire, spec.periodMs));
      }, offset);
      this.timers.push(first);
    });
    this.timers.push(setTimeout(() => this.stop(), spec.durationMs + 10));
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  onAdded(conn: ClientConnection, payload: unknown): void {
    const text = (payload as { message?: unknown } | null)?.message;
    if (typeof text !== 'string' || !text.startsWith('bench ')) return;
    const [, w, t, sender] = text.split(' ');
    if (Number(w) !== this.w) return;
    this.deliveries++;
    // the sender's own copy is not a delivery to someone else
    if (Number(sender) !== conn.index) this.deliveryLatency.recordMs(nowMs() - Number(t));
  }

  deliveredSoFar(): number {
    return this.deliveries;
  }

  report(conns: ClientConnection[]): RoomsReport {
    return {
      sessions: this.sessions,
      sent: this.sent,
      repliesOk: this.repliesOk,
      replyErrors: { ...this.replyErrors },
      pendingReplies: conns.reduce((n, c) => n + c.pendingReplies(), 0),
      replyLatency: this.replyLatency.toData(),
      deliveries: this.deliveries,
      expectedDeliveries: this.expectedDeliveries,
      deliveryLatency: this.deliveryLatency.toData(),
    };
  }

  private pushOne(members: ClientConnection[], sender: ClientConnection): void {
    if (!sender.isOpen()) return;
    const w = this.w;
    const t = nowMs();
    this.sent++;
    const audience = members.filter((m) => m.isOpen()).length;
    void sender.push('chat:new', { message: `bench ${w} ${t} ${sender.index}` }, PUSH_TIMEOUT_MS).then((reply) => {
      if (w !== this.w) return;
      if (reply.status === 'ok') {
        this.repliesOk++;
        // only a committed message is broadcast, sender included
        this.expectedDeliveries += audience;
        this.replyLatency.recordMs(nowMs() - t);
      } else {
        const reason =
          reply.status === 'error' ? String((reply.response as { reason?: unknown })?.reason ?? 'error') : reply.status;
        this.replyErrors[reason] = (this.replyErrors[reason] ?? 0) + 1;
      }
    });
  }
}
