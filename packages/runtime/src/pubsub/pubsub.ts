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
  /**
   * topic -> its subscribers on this node. A topic with one subscriber (every
   * socket-id topic, most private topics) keeps it bare: a Set per socket
   * would be a good part of an idle socket's memory.
   */
  private readonly topics = new Map<string, Subscriber | Set<Subscriber>>();
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
    const subs = this.topics.get(topic);
    if (subs === undefined) {
      this.topics.set(topic, sub);
      this.adapter.subscribe(topic);
    } else if (subs instanceof Set) {
      subs.add(sub);
    } else if (subs !== sub) {
      this.topics.set(topic, new Set([subs, sub]));
    }
  }

  unsubscribe(topic: string, sub: Subscriber): void {
    const subs = this.topics.get(topic);
    if (subs === undefined) return;
    if (subs instanceof Set) {
      if (!subs.delete(sub)) return;
      // back to a bare subscriber once one is left
      if (subs.size === 1) this.topics.set(topic, subs.values().next().value!);
      return;
    }
    if (subs !== sub) return;
    this.topics.delete(topic);
    this.adapter.unsubscribe(topic);
  }

  subscriberCount(topic: string): number {
    const subs = this.topics.get(topic);
    return subs === undefined ? 0 : subs instanceof Set ? subs.size : 1;
  }

  topicCount(): number {
    return this.topics.size;
  }

  /** Delivers to every subscriber on every node; `from` is skipped (broadcast_from). */
  broadcast(msg: Broadcast, from: Subscriber | null = null): void {
    // Other nodes first: a local fan-out to thousands of sockets takes
    // milliseconds that remote subscribers should not wait behind.
    this.adapter.publish(msg);
    this.dispatch(msg, from);
  }

  /** Delivers to this node's subscribers only (e.g. presence_diff). */
  localBroadcast(msg: Broadcast, from: Subscriber | null = null): void {
    this.dispatch(msg, from);
  }

  private dispatch(msg: Broadcast, from: Subscriber | null): void {
    const subs = this.topics.get(msg.topic);
    if (subs === undefined) return;
    const started = this.onFanout ? process.hrtime.bigint() : 0n;
    const cache = this.frameCache;
    cache.fill(undefined);
    let delivered = 0;
    if (subs instanceof Set) {
      for (const sub of subs) {
        if (sub === from) continue;
        this.deliver(sub, msg);
        delivered++;
      }
    } else if (subs !== from) {
      this.deliver(subs, msg);
      delivered++;
    }
    cache.fill(undefined);
    this.stats.broadcasts++;
    this.stats.deliveries += delivered;
    if (this.onFanout) this.onFanout(Number(process.hrtime.bigint() - started) / 1e9, delivered);
  }

  private deliver(sub: Subscriber, msg: Broadcast): void {
    const serializer = sub.serializer;
    if (serializer === null || (sub.intercepts !== null && sub.intercepts.has(msg.event))) {
      sub.deliverBroadcast(msg);
      return;
    }
    const cache = this.frameCache;
    let frame = cache[serializer.id];
    if (frame === undefined) {
      frame = serializer.encodeBroadcast(msg.topic, msg.event, msg.payload);
      cache[serializer.id] = frame;
    }
    sub.deliverFrame(frame, msg);
  }
}
