import Redis from 'ioredis';
import type { Broadcast, LinkStatus, PubSubAdapter } from '@cinder/runtime';
import {
  DEFAULT_CLUSTER_PREFIX,
  MAX_ORIGIN_BYTES,
  SDK_ORIGIN_PREFIX,
  broadcastChannel,
  controlChannel,
  decodeBroadcast,
  decodeControl,
  encodeBroadcast,
  encodeControl,
  isSdkOrigin,
  readOrigin,
} from '@cinder/contract';

export interface PubSubLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface RedisAdapterOptions {
  /** redis://[user:pass@]host:port[/db] */
  url: string;
  nodeId: string;
  /** namespace of every Redis channel this adapter uses; default "cinder" */
  prefix?: string;
  logger?: PubSubLogger;
  /** start() gives up waiting for Redis after this long and lets the node run degraded; default 5000 */
  startTimeoutMs?: number;
  /** ceiling of the reconnect back-off; default 1000 */
  maxReconnectDelayMs?: number;
  /**
   * Publishes written to Redis but not yet acknowledged. Beyond this (Redis
   * stalled but the socket still open) new publishes are dropped rather than
   * buffered without bound. Default 100000.
   */
  maxPendingPublishes?: number;
}

type ControlHandler = (data: Buffer, fromNode: string) => void;

const silent: PubSubLogger = { info() {}, warn() {}, error() {} };

/**
 * Carries broadcasts and control traffic between nodes over Redis pub/sub.
 *
 * Redis channels and the envelope are defined in @cinder/contract
 * (cluster-channels.ts, cluster-envelope.ts), shared with the SDK's
 * `redisUrl` mode. A topic's broadcast channel is subscribed only while this
 * node has local subscribers of that topic.
 *
 * Two connections: a subscriber (a subscribed connection cannot publish
 * under RESP2) and a publisher. Both refuse to queue while disconnected:
 * Redis pub/sub is fire-and-forget, so anything published during an outage
 * is dropped here, exactly as it would be lost inside Redis. Subscriptions
 * are kept by this class, not by ioredis, and replayed on every reconnect,
 * so topics subscribed while Redis was away are not forgotten.
 */
export class RedisAdapter implements PubSubAdapter {
  readonly nodeId: string;
  readonly prefix: string;

  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly log: PubSubLogger;
  private readonly startTimeoutMs: number;
  private readonly maxPendingPublishes: number;

  private deliver: ((msg: Broadcast) => void) | null = null;
  /** Redis channel -> topic, for every topic with local subscribers */
  private readonly topicChannels = new Map<string, string>();
  /** Redis channel -> handlers, for both the broadcast and the direct control channels */
  private readonly controlChannels = new Map<string, ControlHandler[]>();
  private readonly controlHandlers = new Map<string, ControlHandler[]>();

  private outChannels: string[] = [];
  private outMessages: Buffer[] = [];
  /** a publish went out directly this turn; the turn's later ones wait for its end */
  private flushScheduled = false;
  private pendingPublishes = 0;
  /** commands sent and not yet answered, with the connection they went out on */
  private readonly inflight = new Map<Promise<unknown>, { conn: Redis; release: () => void }>();
  private readonly settledWaiters: Array<() => void> = [];

  /** the subscriber is ready and every wanted channel has been (re)subscribed on this connection */
  private subSynced = false;
  /** bumps on each subscriber (re)connection so late replies of an old one are ignored */
  private subGeneration = 0;
  private current: LinkStatus;
  private readonly listeners: Array<(status: LinkStatus) => void> = [];
  private readonly okWaiters = new Set<(status: LinkStatus) => void>();
  private started = false;
  private closed = false;
  private droppedWhileDown = 0;

  constructor(opts: RedisAdapterOptions) {
    if (typeof opts.nodeId !== 'string' || opts.nodeId.length === 0) {
      throw new Error('RedisAdapter: nodeId must be a non-empty string');
    }
    if (Buffer.byteLength(opts.nodeId) > MAX_ORIGIN_BYTES) {
      throw new Error(`RedisAdapter: nodeId must be at most ${MAX_ORIGIN_BYTES} bytes`);
    }
    if (isSdkOrigin(opts.nodeId)) {
      throw new Error(`RedisAdapter: nodeId must not start with "${SDK_ORIGIN_PREFIX}" (reserved for SDK publishers)`);
    }
    if (typeof opts.url !== 'string' || !/^rediss?:\/\//.test(opts.url)) {
      throw new Error(`RedisAdapter: url must be a redis:// or rediss:// URL, got ${JSON.stringify(opts.url)}`);
    }
    const prefix = opts.prefix ?? DEFAULT_CLUSTER_PREFIX;
    if (prefix.length === 0) throw new Error('RedisAdapter: prefix must not be empty');
    this.nodeId = opts.nodeId;
    this.prefix = prefix;
    this.log = opts.logger ?? silent;
    this.startTimeoutMs = opts.startTimeoutMs ?? 5000;
    this.maxPendingPublishes = opts.maxPendingPublishes ?? 100_000;
    const maxDelay = opts.maxReconnectDelayMs ?? 1000;

    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      // Redis restarts must never end the link: keep retrying forever.
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
      maxRetriesPerRequest: null,
      // Nothing is replayed blindly after a reconnect. A publish whose reply
      // was lost may already have been delivered (a resend could deliver it
      // twice), and a stale SUBSCRIBE could outlive the topic's last local
      // subscriber. resubscribeAll() restores exactly the wanted channels.
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
    };
    this.pub = new Redis(opts.url, { ...common, connectionName: `cinder-pub-${opts.nodeId}` });
    this.sub = new Redis(opts.url, { ...common, connectionName: `cinder-sub-${opts.nodeId}` });
    this.current = this.computeStatus();

    this.pub.on('error', (err: Error) => this.onConnError('publisher', err));
    this.sub.on('error', (err: Error) => this.onConnError('subscriber', err));
    for (const ev of ['ready', 'close', 'end', 'reconnecting']) this.pub.on(ev, () => this.refreshStatus());
    // Replies that died with a connection will never come: stop waiting for them.
    this.pub.on('close', () => this.releaseInflight(this.pub));
    this.sub.on('close', () => this.releaseInflight(this.sub));
    this.sub.on('ready', () => this.resubscribeAll());
    for (const ev of ['close', 'end', 'reconnecting']) {
      this.sub.on(ev, () => {
        this.subSynced = false;
        this.subGeneration++;
        this.refreshStatus();
      });
    }
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.onMessage(channel, message));
  }

  async start(deliver: (msg: Broadcast) => void): Promise<void> {
    if (this.closed) throw new Error('RedisAdapter: start() after close()');
    if (this.started) throw new Error('RedisAdapter: start() called twice');
    this.started = true;
    this.deliver = deliver;
    // A failed first connect keeps retrying in the background; the node
    // still starts and reports the outage through status().
    this.pub.connect().catch(() => {});
    this.sub.connect().catch(() => {});
    if (await this.waitUntilOk(this.startTimeoutMs)) return;
    this.log.warn('redis not reachable at start; running degraded and retrying', { ...this.current });
  }

  subscribe(topic: string): void {
    this.checkTopic(topic);
    const channel = this.topicChannel(topic);
    if (this.topicChannels.has(channel)) return;
    this.topicChannels.set(channel, topic);
    this.sendSubscription('subscribe', [channel]);
  }

  unsubscribe(topic: string): void {
    this.checkTopic(topic);
    const channel = this.topicChannel(topic);
    if (!this.topicChannels.delete(channel)) return;
    this.sendSubscription('unsubscribe', [channel]);
  }

  publish(msg: Broadcast): void {
    this.checkTopic(msg.topic);
    // Encode before queueing so a bad message throws at the caller and changes nothing.
    this.enqueue(this.topicChannel(msg.topic), encodeBroadcast(this.nodeId, msg));
  }

  publishControl(channel: string, data: Buffer, target?: string): void {
    this.checkControlChannel(channel);
    if (!Buffer.isBuffer(data)) throw new TypeError('RedisAdapter.publishControl: data must be a Buffer');
    if (target !== undefined && (typeof target !== 'string' || target.length === 0)) {
      throw new Error('RedisAdapter.publishControl: target must be a non-empty node id');
    }
    this.enqueue(controlChannel(this.prefix, channel, target), encodeControl(this.nodeId, data));
  }

  onControl(channel: string, handler: ControlHandler): void {
    this.checkControlChannel(channel);
    let handlers = this.controlHandlers.get(channel);
    if (handlers) {
      handlers.push(handler);
      return;
    }
    handlers = [handler];
    this.controlHandlers.set(channel, handlers);
    const base = controlChannel(this.prefix, channel);
    const direct = controlChannel(this.prefix, channel, this.nodeId);
    this.controlChannels.set(base, handlers);
    this.controlChannels.set(direct, handlers);
    this.sendSubscription('subscribe', [base, direct]);
  }

  status(): LinkStatus {
    return { ...this.current };
  }

  onStatusChange(listener: (status: LinkStatus) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Resolves once every subscribe/unsubscribe and publish issued so far has
   * been answered by Redis, failed, or died with its connection. Lets callers
   * know a subscription is live before relying on it.
   */
  settled(): Promise<void> {
    this.flush();
    if (this.inflight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** Resolves true when status() is ok, false after `timeoutMs`. */
  waitUntilOk(timeoutMs: number): Promise<boolean> {
    if (this.current.ok) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (s: LinkStatus) => {
        if (!s.ok) return;
        clearTimeout(timer);
        this.okWaiters.delete(waiter);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.okWaiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.okWaiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Flush first: a graceful shutdown's last words (e.g. presence permdown)
    // must go out. Bounded, in case Redis is gone and nothing will answer.
    await Promise.race([this.settled(), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.closed = true;
    await Promise.all(
      [this.pub, this.sub].map(async (conn) => {
        if (conn.status === 'ready') await conn.quit().catch(() => {});
        conn.disconnect();
      }),
    );
    this.refreshStatus();
  }

  private topicChannel(topic: string): string {
    return broadcastChannel(this.prefix, topic);
  }

  private checkTopic(topic: string): void {
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new Error('RedisAdapter: topic must be a non-empty string');
    }
  }

  private checkControlChannel(channel: string): void {
    // ':' would let "a:b" (to everyone) collide with "a" addressed to node "b".
    if (typeof channel !== 'string' || channel.length === 0 || channel.includes(':')) {
      throw new Error(`RedisAdapter: control channel must be a non-empty string without ':', got ${JSON.stringify(channel)}`);
    }
  }

  private sendSubscription(command: 'subscribe' | 'unsubscribe', channels: string[]): void {
    // While disconnected there is nothing to do: resubscribeAll() replays the
    // wanted set once the subscriber is back.
    if (this.closed || this.sub.status !== 'ready') return;
    this.track(
      this.sub,
      this.sub[command](...channels).catch((err: Error) => {
        this.log.warn(`redis ${command} failed`, { channels, error: err.message });
      }),
    );
  }

  private resubscribeAll(): void {
    const generation = ++this.subGeneration;
    const channels = [...this.topicChannels.keys(), ...this.controlChannels.keys()];
    const synced = () => {
      if (generation !== this.subGeneration) return;
      this.subSynced = true;
      this.refreshStatus();
    };
    if (channels.length === 0) {
      synced();
      return;
    }
    this.track(
      this.sub,
      this.sub.subscribe(...channels).then(synced, (err: Error) => {
        this.log.warn('redis resubscribe failed; will retry on reconnect', { error: err.message });
      }),
    );
  }

  private enqueue(channel: string, message: Buffer): void {
    if (this.closed) return;
    this.outChannels.push(channel);
    this.outMessages.push(message);
    if (this.flushScheduled) return;
    // The first publish of a turn leaves at once, so other nodes never wait
    // behind this node's own work in that turn (its local fan-out included);
    // what the rest of the turn publishes goes out as one pipeline after it.
    this.flushScheduled = true;
    this.flush();
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const channels = this.outChannels;
    const messages = this.outMessages;
    const n = channels.length;
    if (n === 0) return;
    this.outChannels = [];
    this.outMessages = [];
    if (this.pub.status !== 'ready' || this.pendingPublishes + n > this.maxPendingPublishes) {
      if (this.droppedWhileDown === 0) this.log.warn('redis link down: dropping broadcasts', { ...this.current });
      this.droppedWhileDown += n;
      return;
    }
    if (this.droppedWhileDown > 0) {
      this.log.info('redis link back: broadcasts flowing again', { dropped: this.droppedWhileDown });
      this.droppedWhileDown = 0;
    }
    this.pendingPublishes += n;
    const pipeline = this.pub.pipeline();
    for (let i = 0; i < n; i++) pipeline.publish(channels[i], messages[i]);
    this.track(
      this.pub,
      pipeline.exec().catch((err: Error) => {
        this.log.warn('redis publish failed', { count: n, error: err.message });
      }),
      () => {
        this.pendingPublishes -= n;
      },
    );
  }

  private track(conn: Redis, p: Promise<unknown>, onDone?: () => void): void {
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      this.inflight.delete(p);
      onDone?.();
      if (this.inflight.size === 0) for (const w of this.settledWaiters.splice(0)) w();
    };
    this.inflight.set(p, { conn, release });
    void p.finally(release);
  }

  private releaseInflight(conn: Redis): void {
    for (const entry of [...this.inflight.values()]) if (entry.conn === conn) entry.release();
  }

  private onMessage(channelBuf: Buffer, message: Buffer): void {
    const channel = channelBuf.toString();
    let origin: string;
    try {
      origin = readOrigin(message);
    } catch (err) {
      this.log.warn('dropping undecodable redis message', { channel, error: (err as Error).message });
      return;
    }
    if (origin === this.nodeId) return;
    try {
      const topic = this.topicChannels.get(channel);
      if (topic !== undefined) {
        // A message can still arrive for a topic unsubscribed a moment ago: topicChannels filters it.
        this.deliver?.(decodeBroadcast(topic, message));
        return;
      }
      const handlers = this.controlChannels.get(channel);
      if (handlers) {
        const data = decodeControl(message);
        for (const h of handlers) h(data, origin);
      }
    } catch (err) {
      this.log.error('failed to handle redis message', { channel, origin, error: (err as Error).message });
    }
  }

  private onConnError(which: string, err: Error): void {
    // ioredis reports every failed reconnect attempt; only the first of an outage is worth a line.
    if (this.current.ok) this.log.warn(`redis ${which} connection error`, { error: err.message });
  }

  private computeStatus(): LinkStatus {
    if (this.closed) return { ok: false, component: 'redis', detail: 'closed' };
    const pubOk = this.pub.status === 'ready';
    const subOk = this.sub.status === 'ready' && this.subSynced;
    if (pubOk && subOk) return { ok: true, component: 'redis' };
    const down = [pubOk ? null : `publisher ${this.pub.status}`, subOk ? null : `subscriber ${this.sub.status}`];
    return { ok: false, component: 'redis', detail: down.filter((d) => d !== null).join(', ') };
  }

  private refreshStatus(): void {
    const next = this.computeStatus();
    const prev = this.current;
    if (next.ok === prev.ok && next.detail === prev.detail) return;
    this.current = next;
    if (next.ok !== prev.ok) {
      if (next.ok) this.log.info('redis link up');
      else if (this.started && !this.closed) this.log.warn('redis link down', { detail: next.detail });
    }
    for (const l of [...this.listeners, ...this.okWaiters]) {
      try {
        l({ ...next });
      } catch (err) {
        this.log.error('status listener threw', { error: (err as Error).message });
      }
    }
  }
}
