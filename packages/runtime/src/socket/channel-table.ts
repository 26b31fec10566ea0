import type { Channel } from '../channel/channel';

/** Past this many channels a socket's table gets a Map index. */
const LINEAR_MAX = 8;

/**
 * A socket's joined channels by topic. Nearly every socket has one to a few
 * channels, and an array of them is a fraction of a Map's memory, which
 * counts when a node holds tens of thousands of idle sockets. Sockets with
 * many channels get a Map index so lookups stay O(1).
 */
export class ChannelTable<A> {
  private list: Array<Channel<A>> | null = null;
  private index: Map<string, Channel<A>> | null = null;

  get size(): number {
    return this.list === null ? 0 : this.list.length;
  }

  get(topic: string): Channel<A> | undefined {
    if (this.index !== null) return this.index.get(topic);
    const list = this.list;
    if (list !== null) for (let i = 0; i < list.length; i++) if (list[i].topic === topic) return list[i];
    return undefined;
  }

  /** Adds or replaces the channel of `channel.topic`. */
  set(channel: Channel<A>): void {
    const list = this.list;
    if (list === null) {
      this.list = [channel];
      return;
    }
    const i = this.position(channel.topic);
    if (i >= 0) list[i] = channel;
    else list.push(channel);
    if (this.index !== null) this.index.set(channel.topic, channel);
    else if (list.length > LINEAR_MAX) this.index = new Map(list.map((c) => [c.topic, c]));
  }

  /** Removes `channel` if it is still the one registered for its topic. */
  remove(channel: Channel<A>): void {
    const list = this.list;
    if (list === null) return;
    const i = list.indexOf(channel);
    if (i < 0) return;
    list.splice(i, 1);
    if (this.index !== null) {
      this.index.delete(channel.topic);
      if (list.length <= LINEAR_MAX) this.index = null;
    }
    if (list.length === 0) this.list = null;
  }

  /** A snapshot: safe to iterate while channels leave. */
  values(): Array<Channel<A>> {
    return this.list === null ? [] : this.list.slice();
  }

  clear(): void {
    this.list = null;
    this.index = null;
  }

  private position(topic: string): number {
    const list = this.list!;
    for (let i = 0; i < list.length; i++) if (list[i].topic === topic) return i;
    return -1;
  }
}
