import { jsonPayload, ProtocolError, type Frame, type InboundMessage, type Ref, type Serializer } from '@cinder/protocol';
import { Channel } from '../channel/channel';
import type { SocketInfo } from '../channel/context';
import type { TerminateReason } from '../channel/definition';
import type { ChannelHost } from '../channel/host';
import type { Reply } from '../channel/reply';
import type { Broadcast } from '../pubsub/broadcast';
import type { Subscriber } from '../pubsub/subscriber';
import type { Endpoint } from './endpoint';
import type { TransportSink } from './transport-sink';
import { ChannelTable } from './channel-table';
import { InboundRateLimit } from './rate-limit';

const EMPTY = jsonPayload({});
const UNMATCHED = jsonPayload({ reason: 'unmatched topic' });
const RATE_LIMITED = jsonPayload({ reason: 'rate_limited' });
const DRAINING = jsonPayload({ reason: 'unavailable' });
const TOO_MANY = jsonPayload({ reason: 'too many channels joined' });
const JOIN_CRASHED = { status: 'error', response: { reason: 'join crashed' } } as const;

/**
 * Subscriber for the socket-id topic (forced disconnect). A separate object
 * because PubSub treats any subscriber with a serializer as fastlane and
 * hands it an encoded frame: the connection itself (which has one) would
 * never see the "disconnect" broadcast. A class, not an object literal of
 * closures, so each socket pays for one small object.
 */
class SocketIdListener implements Subscriber {
  readonly serializer = null;
  readonly intercepts = null;
  constructor(private readonly conn: Connection<any>) {}

  deliverFrame(): void {}

  deliverBroadcast(msg: Broadcast): void {
    if (msg.event === 'disconnect') this.conn.shutdown(1001, 'disconnect', 'disconnected');
  }
}

function isPromise<T>(v: unknown): v is Promise<T> {
  return v !== null && typeof v === 'object' && typeof (v as Promise<T>).then === 'function';
}

/**
 * One client socket, independent of its transport: decodes frames, answers
 * heartbeats, and routes messages to channels with Phoenix's rules for
 * join_ref, duplicate joins, leaves and unmatched topics.
 */
export class Connection<A = unknown> implements ChannelHost<A>, SocketInfo<A> {
  /** the socket id (`user_socket:{sub}`), or null for anonymous sockets */
  readonly id: string | null;
  readonly assigns: A;
  readonly serializer: Serializer;
  readonly endpoint: Endpoint<A>;
  readonly channels = new ChannelTable<A>();
  /** epoch ms of the last inbound frame, for the idle sweep */
  lastSeen = Date.now();
  closed = false;
  private readonly sink: TransportSink;
  /** made on the first non-join event: idle sockets never need one */
  private rateLimit: InboundRateLimit | null = null;
  /** made on the second join (see joinAllowed) */
  private joinRateLimit: InboundRateLimit | null = null;
  private joinedBefore = false;
  readonly idListener: Subscriber;

  constructor(endpoint: Endpoint<A>, serializer: Serializer, sink: TransportSink, id: string | null, assigns: A) {
    this.endpoint = endpoint;
    this.serializer = serializer;
    this.sink = sink;
    this.id = id;
    this.assigns = assigns;
    this.idListener = new SocketIdListener(this);
  }

  /**
   * The connection is its own SocketInfo: one object per socket fewer, and
   * the fields a channel may see are fixed by the SocketInfo type.
   */
  get info(): SocketInfo<A> {
    return this;
  }

  get transport(): TransportSink['kind'] {
    return this.sink.kind;
  }

  get vsn(): string {
    return this.serializer.vsn;
  }

  get binaryFrames(): boolean {
    return this.serializer.binaryFrames;
  }

  get pubsub() {
    return this.endpoint.pubsub;
  }

  get logger() {
    return this.endpoint.logger;
  }

  // ---- inbound ---------------------------------------------------------

  /** Decodes and handles one frame; throws ProtocolError for undecodable input. */
  handleFrame(data: Buffer, binary: boolean): void {
    // Frames still arriving after the server closed this socket (during the
    // close handshake) are dropped undecoded: otherwise a client streaming
    // junk gets one protocol-error log line per frame instead of one.
    if (this.closed) return;
    this.lastSeen = Date.now();
    const msg = binary ? this.serializer.decodeBinary(data) : this.serializer.decodeText(data.toString('utf8'));
    this.endpoint.stats.messagesIn++;
    this.handleMessage(msg);
  }

  handleMessage(msg: InboundMessage): void {
    if (this.closed) return;
    if (msg.topic === 'phoenix') {
      if (msg.event === 'heartbeat') this.replyRaw(null, msg.ref, 'phoenix', 'ok', EMPTY);
      else this.replyRaw(null, msg.ref, msg.topic, 'error', UNMATCHED);
      return;
    }
    const channel = this.channels.get(msg.topic);
    if (this.endpoint.draining && msg.event !== 'phx_leave') {
      // Shutting down: nothing new is started, so nothing is half-done at exit.
      this.replyRaw(channel ? channel.joinRef : msg.joinRef, msg.ref, msg.topic, 'error', DRAINING);
      return;
    }
    // Joins have their own budget (JOIN_RATE_LIMIT), sized so a client can
    // rejoin all its channels at once after a reconnect.
    const rateLimitOptions = this.endpoint.options.rateLimit;
    if (rateLimitOptions && msg.event !== 'phx_join') {
      const decision = (this.rateLimit ??= new InboundRateLimit(rateLimitOptions)).take();
      if (decision !== 'allow') {
        this.endpoint.stats.rateLimited++;
        if (decision === 'disconnect') {
          this.logger.warn({ socket_id: this.id }, 'closing socket: inbound rate limit exceeded repeatedly');
          this.shutdown(1008, 'rate limit exceeded', 'closed');
        } else {
          this.replyRaw(channel ? channel.joinRef : msg.joinRef, msg.ref, msg.topic, 'error', RATE_LIMITED);
        }
        return;
      }
    }
    if (msg.event === 'phx_join' && !this.joinAllowed()) {
      // A join storm costs a store round trip per attempt; refuse it like any
      // other refused join (error reply with the message's join_ref).
      this.endpoint.stats.rateLimited++;
      this.replyRaw(msg.joinRef, msg.ref, msg.topic, 'error', RATE_LIMITED);
      return;
    }
    if (channel && channel.busy) {
      (channel.queue ??= []).push(msg);
      return;
    }
    this.route(msg, channel);
  }

  private route(msg: InboundMessage, channel: Channel<A> | undefined): void {
    if (!channel) {
      if (msg.event === 'phx_join') this.join(msg, undefined);
      else if (msg.event === 'phx_leave') this.replyRaw(msg.joinRef, msg.ref, msg.topic, 'ok', EMPTY);
      else this.replyRaw(null, msg.ref, msg.topic, 'error', UNMATCHED);
      return;
    }
    if (msg.event === 'phx_join') {
      // Duplicate join: the old channel ends now; its phx_close (old join_ref)
      // follows the new join's reply, as on Phoenix.
      const oldJoinRef = channel.joinRef;
      channel.terminate('duplicate_join');
      this.join(msg, { joinRef: oldJoinRef });
      return;
    }
    const current = msg.joinRef === null || msg.joinRef === channel.joinRef;
    if (!current) return; // stale join_ref: dropped silently, no reply
    if (msg.event === 'phx_leave') {
      channel.terminate('left');
      this.replyRaw(channel.joinRef, msg.ref, msg.topic, 'ok', EMPTY);
      this.send(this.serializer.encodeMessage(channel.joinRef, channel.joinRef, msg.topic, 'phx_close', EMPTY));
      return;
    }
    this.handleIn(channel, msg);
  }

  /**
   * Most sockets join once, and a first join always fits a full bucket, so
   * the bucket is only made on the second join, one token spent. (It then
   * misses what refilled in between, which a full bucket caps anyway.)
   */
  private joinAllowed(): boolean {
    const opts = this.endpoint.joinRateLimitOptions;
    if (opts === null) return true;
    if (!this.joinedBefore) {
      this.joinedBefore = true;
      return true;
    }
    return (this.joinRateLimit ??= new InboundRateLimit(opts, 1)).take() === 'allow';
  }

  private join(msg: InboundMessage, duplicateOf: { joinRef: Ref } | undefined): void {
    const def = this.endpoint.router.match(msg.topic);
    if (!def) {
      this.logger.warn({ topic: msg.topic }, 'join to a topic with no channel route');
      this.replyRaw(null, msg.ref, msg.topic, 'error', UNMATCHED);
      this.closeDuplicate(msg.topic, duplicateOf);
      return;
    }
    if (this.channels.size >= this.endpoint.options.maxChannelsPerSocket) {
      this.replyRaw(msg.joinRef, msg.ref, msg.topic, 'error', TOO_MANY);
      this.closeDuplicate(msg.topic, duplicateOf);
      return;
    }
    const channel = new Channel<A>(this, def, msg.topic, msg.joinRef);
    this.channels.set(channel);
    channel.busy = true;
    channel.subscribeEarly();
    let result: Reply | Promise<Reply>;
    try {
      result = def.join(msg.topic, msg.payload, channel);
    } catch (err) {
      this.joinFailed(channel, msg, err, duplicateOf);
      return;
    }
    if (isPromise<Reply>(result)) {
      result.then(
        (reply) => this.joinDone(channel, msg, reply, duplicateOf),
        (err) => this.joinFailed(channel, msg, err, duplicateOf),
      );
    } else {
      this.joinDone(channel, msg, result, duplicateOf);
    }
  }

  private joinDone(channel: Channel<A>, msg: InboundMessage, reply: Reply, duplicateOf: { joinRef: Ref } | undefined): void {
    if (this.closed || channel.phase === 'closed') {
      channel.terminate('closed');
      return;
    }
    if (reply.status !== 'ok') {
      channel.abandon();
      channel.sendReply(msg.ref, reply);
      this.closeDuplicate(msg.topic, duplicateOf);
      this.drain(channel);
      return;
    }
    channel.markJoined();
    channel.sendReply(msg.ref, reply);
    this.closeDuplicate(msg.topic, duplicateOf);
    channel.flushPendingPushes();
    this.endpoint.stats.joins++;
    if (channel.def.afterJoin) {
      try {
        const r = channel.def.afterJoin(channel);
        if (isPromise<void>(r)) {
          r.then(
            () => this.drain(channel),
            (err) => {
              channel.crash(err);
              this.drain(channel);
            },
          );
          return;
        }
      } catch (err) {
        channel.crash(err);
        this.drain(channel);
        return;
      }
    }
    channel.afterHandler();
    this.drain(channel);
  }

  private joinFailed(channel: Channel<A>, msg: InboundMessage, err: unknown, duplicateOf: { joinRef: Ref } | undefined): void {
    this.logger.error({ err, topic: msg.topic }, 'join crashed');
    channel.abandon();
    if (this.closed) return;
    channel.sendReply(msg.ref, JOIN_CRASHED);
    this.closeDuplicate(msg.topic, duplicateOf);
    this.drain(channel);
  }

  private closeDuplicate(topic: string, duplicateOf: { joinRef: Ref } | undefined): void {
    if (duplicateOf) this.send(this.serializer.encodeMessage(duplicateOf.joinRef, duplicateOf.joinRef, topic, 'phx_close', EMPTY));
  }

  private handleIn(channel: Channel<A>, msg: InboundMessage): void {
    const def = channel.def;
    const handler = def.events?.[msg.event];
    let result: ReturnType<NonNullable<typeof handler>>;
    channel.inHandler = true;
    try {
      if (handler) result = handler(msg.payload, channel);
      else if (def.handleIn) result = def.handleIn(msg.event, msg.payload, channel);
      else throw new Error(`no handler for event "${msg.event}" on ${msg.topic}`);
    } catch (err) {
      channel.crash(err);
      return;
    }
    if (isPromise<Reply | void>(result)) {
      channel.busy = true;
      result.then(
        (reply) => {
          if (reply && channel.phase === 'joined' && !this.closed) channel.sendReply(msg.ref, reply);
          channel.afterHandler();
          this.drain(channel);
        },
        (err) => {
          channel.crash(err);
          this.drain(channel);
        },
      );
      return;
    }
    if (result) channel.sendReply(msg.ref, result);
    channel.afterHandler();
  }

  /**
   * Replays messages that queued behind a join or an async handler. When the
   * channel ended meanwhile they are routed as for an unjoined topic.
   */
  private drain(channel: Channel<A>): void {
    channel.busy = false;
    const queued = channel.queue;
    channel.queue = null;
    if (!queued || this.closed) return;
    for (let i = 0; i < queued.length; i++) {
      const current = this.channels.get(channel.topic);
      if (current && current.busy) {
        // A queued message started new async work: hand the rest over to it.
        current.queue = queued.slice(i).concat(current.queue ?? []);
        return;
      }
      this.route(queued[i], current);
    }
  }

  private replyRaw(joinRef: Ref, ref: Ref, topic: string, status: string, response: ReturnType<typeof jsonPayload>): void {
    this.send(this.serializer.encodeReply(joinRef, ref, topic, status, response));
  }

  // ---- ChannelHost -----------------------------------------------------

  send(frame: Frame): void {
    if (this.closed) return;
    this.endpoint.stats.messagesOut++;
    this.sink.sendFrame(frame);
  }

  sendShared(frame: Frame): void {
    if (this.closed) return;
    this.endpoint.stats.messagesOut++;
    this.sink.sendShared(frame);
  }

  forget(channel: Channel<A>): void {
    this.channels.remove(channel);
  }

  // ---- teardown --------------------------------------------------------

  /** Server-initiated close: end the channels, then close the transport. */
  shutdown(code: number, reason: string, channelReason: TerminateReason): void {
    if (this.closed) return;
    this.terminateAll(channelReason);
    this.sink.closeTransport(code, reason);
  }

  /** The transport is gone (or about to be): end every channel silently. */
  terminateAll(reason: TerminateReason): void {
    if (this.closed) return;
    this.closed = true;
    for (const channel of this.channels.values()) channel.terminate(reason);
    this.channels.clear();
    this.endpoint.unregister(this);
  }

  /** Protocol violations close the socket; other sockets are unaffected. */
  protocolError(err: unknown): void {
    const code = err instanceof ProtocolError ? err.code : 'internal';
    this.endpoint.recordProtocolError(code, err, this);
    this.shutdown(1011, 'protocol error', 'closed');
  }
}
