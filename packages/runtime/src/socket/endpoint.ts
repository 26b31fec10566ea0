import type { IncomingHttpHeaders } from 'node:http';
import type { Serializer } from '@cinder/protocol';
import type { ChannelDefinition } from '../channel/definition';
import { TopicRouter } from '../channel/topic-router';
import type { Logger } from '../logger';
import { jsonBroadcast } from '../pubsub/broadcast';
import type { PubSub } from '../pubsub/pubsub';
import { Connection } from './connection';
import type { TransportSink } from './transport-sink';
import type { RateLimitOptions } from './rate-limit';

/** What a transport knows about a connection attempt. */
export interface ConnectInfo {
  readonly transport: 'websocket' | 'longpoll';
  readonly remoteAddress: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** phoenix.js 1.8 `authToken` (Sec-WebSocket-Protocol or X-Phoenix-AuthToken) */
  readonly authToken: string | undefined;
}

/** An accepted connection: its socket id and whatever the app wants to keep. */
export interface ConnectResult<A> {
  readonly id: string | null;
  readonly assigns: A;
}

export interface EndpointOptions<A> {
  readonly pubsub: PubSub;
  readonly channels: ReadonlyArray<ChannelDefinition<A>>;
  /** null refuses the connection (403 / {"status":403}) */
  authenticate(params: Record<string, unknown>, info: ConnectInfo): ConnectResult<A> | null | Promise<ConnectResult<A> | null>;
  /** false refuses the connection; absent: every origin is allowed */
  checkOrigin?(origin: string, headers: IncomingHttpHeaders): boolean;
  readonly logger: Logger;
  readonly maxFrameBytes: number;
  readonly maxChannelsPerSocket: number;
  /** close sockets that sent nothing for this long (phoenix.js heartbeats every 30 s) */
  readonly idleTimeoutMs: number;
  /** close a WebSocket whose unsent output exceeds this (slow consumer) */
  readonly maxBufferedBytes: number;
  /** inbound events per socket (heartbeats are exempt); absent: unlimited */
  readonly rateLimit?: RateLimitOptions;
  /** joins per socket, counted on top of rateLimit; excess joins get `rate_limited`; absent: unlimited */
  readonly joinRateLimit?: RateLimitOptions;
  /** open connections sharing one socket id (one user) on this node; absent: unlimited */
  readonly maxSocketsPerId?: number;
}

export interface EndpointStats {
  connections: number;
  joins: number;
  messagesIn: number;
  messagesOut: number;
  rateLimited: number;
  protocolErrors: Record<string, number>;
}

/**
 * The socket mount shared by all transports: channel routes, the connect
 * callback, limits, and the set of live connections (for the idle sweep,
 * forced disconnects and graceful shutdown).
 */
export class Endpoint<A = unknown> {
  readonly options: EndpointOptions<A>;
  readonly router = new TopicRouter();
  readonly pubsub: PubSub;
  readonly logger: Logger;
  readonly stats: EndpointStats = { connections: 0, joins: 0, messagesIn: 0, messagesOut: 0, rateLimited: 0, protocolErrors: {} };
  readonly connections = new Set<Connection<A>>();
  /**
   * The join bucket's options, built once and shared by every socket.
   * Refused joins never disconnect by themselves: the general limit already
   * closes a socket that keeps sending while refused.
   */
  readonly joinRateLimitOptions: RateLimitOptions | null;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(options: EndpointOptions<A>) {
    this.options = options;
    this.joinRateLimitOptions = options.joinRateLimit ? { ...options.joinRateLimit, maxRefusalsPerSecond: Infinity } : null;
    this.pubsub = options.pubsub;
    this.logger = options.logger;
    for (const def of options.channels) this.router.add(def);
  }

  start(): void {
    const every = Math.max(250, Math.min(5000, Math.floor(this.options.idleTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.sweepIdle(), every);
    this.sweepTimer.unref();
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  checkOrigin(headers: IncomingHttpHeaders): boolean {
    const origin = headers.origin;
    if (origin === undefined || !this.options.checkOrigin) return true;
    return this.options.checkOrigin(origin, headers);
  }

  async authenticate(params: Record<string, unknown>, info: ConnectInfo): Promise<ConnectResult<A> | null> {
    try {
      const result = await this.options.authenticate(params, info);
      if (result && result.id !== null && typeof result.id !== 'string') return null;
      return result;
    } catch (err) {
      this.logger.error({ err }, 'connect callback failed');
      return null;
    }
  }

  /**
   * The per-user socket limit. Transports call it synchronously right before
   * open(): authenticate() is async, so a check there would let concurrent
   * connects of one user all pass before any of them is counted.
   */
  admit(accepted: ConnectResult<A>, transport: ConnectInfo['transport']): boolean {
    const max = this.options.maxSocketsPerId;
    if (max === undefined || accepted.id === null) return true;
    // Every connection's id listener subscribes to its id: that count is the user's sockets here.
    if (this.pubsub.subscriberCount(accepted.id) < max) return true;
    this.logger.warn({ socket_id: accepted.id, transport, limit: max }, 'refused connection: too many sockets for this user');
    return false;
  }

  /** Registers an accepted connection and subscribes it to its socket id. */
  open(serializer: Serializer, sink: TransportSink, accepted: ConnectResult<A>): Connection<A> {
    const conn = new Connection<A>(this, serializer, sink, accepted.id, accepted.assigns);
    this.connections.add(conn);
    this.stats.connections = this.connections.size;
    if (accepted.id !== null) this.pubsub.subscribe(accepted.id, conn.idListener);
    return conn;
  }

  unregister(conn: Connection<A>): void {
    if (!this.connections.delete(conn)) return;
    this.stats.connections = this.connections.size;
    if (conn.id !== null) this.pubsub.unsubscribe(conn.id, conn.idListener);
  }

  /** Closes every socket with this id on every node (code 1001), as Phoenix does. */
  disconnect(socketId: string): void {
    this.pubsub.broadcast(jsonBroadcast(socketId, 'disconnect', {}));
  }

  recordProtocolError(code: string, err: unknown, conn: Connection<A>): void {
    this.stats.protocolErrors[code] = (this.stats.protocolErrors[code] ?? 0) + 1;
    this.logger.warn(
      { code, reason: err instanceof Error ? err.message : String(err), socket_id: conn.id, transport: conn.transport },
      'closing socket after an undecodable frame',
    );
  }

  /** Closes every socket (graceful shutdown: 1012 makes phoenix.js reconnect elsewhere). */
  closeAll(code: number, reason: string): void {
    for (const conn of [...this.connections]) conn.shutdown(code, reason, 'shutdown');
  }

  /** true once drain() began: new events are answered `unavailable`, new sockets refused */
  draining = false;

  /**
   * Graceful shutdown: stop taking new work, let handlers already running
   * finish (their commits and replies go out), then close every socket with
   * 1012 so phoenix.js reconnects, behind a balancer to another node.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.anyBusy()) await new Promise((r) => setTimeout(r, 10));
    this.closeAll(1012, 'service restart');
  }

  private anyBusy(): boolean {
    for (const conn of this.connections) for (const ch of conn.channels.values()) if (ch.busy) return true;
    return false;
  }

  private sweepIdle(): void {
    const cutoff = Date.now() - this.options.idleTimeoutMs;
    for (const conn of this.connections) {
      if (conn.transport === 'websocket' && conn.lastSeen < cutoff) {
        this.logger.info({ socket_id: conn.info.id }, 'closing idle socket');
        // Not 1000: phoenix.js <= 1.8.15 would not reconnect after it.
        conn.shutdown(1001, 'idle timeout', 'closed');
      }
    }
  }
}
