import type { Broadcast } from './broadcast';

/** Health of the link between this node and the others. */
export interface LinkStatus {
  ok: boolean;
  /** which dependency is down, e.g. "redis" */
  component: string;
  detail?: string;
}

/**
 * Carries broadcasts and control traffic between nodes. The runtime keeps
 * the per-topic local subscriber sets and tells the adapter only when a topic
 * gains its first or loses its last local subscriber, so a node subscribes
 * remotely once per topic, never per socket.
 *
 * Implementations: in-process (single node, nothing to carry) and Redis.
 */
export interface PubSubAdapter {
  /** this node's name in the cluster (NODE_ID) */
  readonly nodeId: string;

  /**
   * Starts the link. `deliver` receives broadcasts published by *other*
   * nodes on topics this node subscribed to, in publish order per publisher
   * and topic. A node never receives its own broadcasts back.
   */
  start(deliver: (msg: Broadcast) => void): Promise<void>;

  /** The first local subscriber of `topic` appeared. */
  subscribe(topic: string): void;
  /** The last local subscriber of `topic` went away. */
  unsubscribe(topic: string): void;

  /** Sends `msg` to every other node that subscribes to `msg.topic`. */
  publish(msg: Broadcast): void;

  /**
   * Cluster-wide control bus (presence replication, LongPoll routing, user
   * disconnects): every *other* node hears each message on `channel`; with
   * `target` only that node hears it. The sender acts on its own messages
   * locally, without a round trip.
   */
  publishControl(channel: string, data: Buffer, target?: string): void;
  onControl(channel: string, handler: (data: Buffer, fromNode: string) => void): void;

  status(): LinkStatus;
  /** Fires whenever status() changes. */
  onStatusChange(listener: (status: LinkStatus) => void): void;

  close(): Promise<void>;
}
