import { SERIALIZER_COUNT, type Frame } from '@cinder/protocol';
import type { PubSubAdapter } from './adapter';
import type { Broadcast } from './broadcast';
import type { Subscriber } from './subscriber';

export interface PubSubStats {
  broadcasts: number;
  deliveries: number;
}

/**
 * The node's broker: per-topic sets of local subscribers plus an adapter that
 * carries broadcasts to and from other nodes. Local subscribers are served
 * synchronously, before the adapter publishes, so a node never waits on the
 * network for its own sockets and per-publisher order is kept.
 */
export class PubSub {
  readonly adapter: PubSubAdapter;
  readonly stats: PubSubStats = { broadcasts: 0, deliveries: 0 };
  private readonly topics = new Map<string, Set<Subscriber>>();
  /** reused per dispatch: one encoded frame per serializer id */
  private readonly frameCache: Array<Frame | undefined> = new Array(SERIALIZER_COUNT);
  /** observes the time a fan-out takes (seconds); set by the app for metrics */
  onFanout: ((seconds: number, deliveries: number) => void) | null = null;

  constructor(adapter: PubSubAdapter) {
    this.adapter = adapter;
  }

  async start(): Promise<void> {
    await this.adapter.start((msg) => this.dispatch(msg, null));
  }

  subscribe(topic: string, sub: Subscriber): void {
    let set = this.topics.get(topic);
    if (!set) {
      set = new Set();
      this.topics.set(topic, set);
      this.adapter.subscribe(topic);
    }
    set.add(sub);
  }

  unsubscribe(topic: string, sub: Subscriber): void {
    const set = this.topics.get(topic);
    if (!set || !set.delete(sub)) return;
    if (set.size === 0) {
      this.topics.delete(topic);
      this.adapter.unsubscribe(topic);
    }
  }

  subscriberCount(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }

  topicCount(): number {
    return this.topics.size;
  }

  /** Delivers to every subscriber on every node; `from` is skipped (broadcast_from). */
  broadcast(msg: Broadcast, from: Subscriber | null = null): void {
    this.dispatch(msg, from);
    this.adapter.publish(msg);
  }

  /** Delivers to this node's subscribers only (e.g. presence_diff). */
  localBroadcast(msg: Broadcast, from: Subscriber | null = null): void {
    this.dispatch(msg, from);
  }

  private dispatch(msg: Broadcast, from: Subscriber | null): void {
    const set = this.topics.get(msg.topic);
    if (!set) return;
    const started = this.onFanout ? process.hrtime.bigint() : 0n;
    const cache = this.frameCache;
    cache.fill(undefined);
    let delivered = 0;
    for (const sub of set) {
      if (sub === from) continue;
      const serializer = sub.serializer;
      if (serializer === null || (sub.intercepts !== null && sub.intercepts.has(msg.event))) {
        sub.deliverBroadcast(msg);
      } else {
        let frame = cache[serializer.id];
        if (frame === undefined) {
          frame = serializer.encodeBroadcast(msg.topic, msg.event, msg.payload);
          cache[serializer.id] = frame;
        }
        sub.deliverFrame(frame, msg);
      }
      delivered++;
    }
    cache.fill(undefined);
    this.stats.broadcasts++;
    this.stats.deliveries += delivered;
    if (this.onFanout) this.onFanout(Number(process.hrtime.bigint() - started) / 1e9, delivered);
  }
}
