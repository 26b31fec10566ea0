import { jsonPayload, type Frame, type InboundMessage, type Ref, type Serializer } from '@cinder/protocol';
import type { Broadcast } from '../pubsub/broadcast';
import type { Subscriber } from '../pubsub/subscriber';
import type { ChannelHost } from './host';
import type { ChannelContext, SocketInfo } from './context';
import type { ChannelDefinition, TerminateReason } from './definition';
import { decodeBroadcastPayload, encodePayload, makeBroadcast } from './payload';
import type { Reply } from './reply';

const CRASH_PAYLOAD = jsonPayload({ reason: 'channel_crash' });
const EMPTY = jsonPayload({});

type Phase = 'joining' | 'joined' | 'closed';

/** One set per channel definition, shared by all of its channels. */
const interceptSets = new WeakMap<ChannelDefinition<any>, ReadonlySet<string> | null>();

function interceptsOf(def: ChannelDefinition<any>): ReadonlySet<string> | null {
  let set = interceptSets.get(def);
  if (set === undefined) {
    set = def.intercept && def.intercept.length > 0 ? new Set(def.intercept) : null;
    interceptSets.set(def, set);
  }
  return set;
}

/**
 * One joined topic on one socket: the context its callbacks see, and the
 * fastlane subscriber that receives pre-encoded broadcast frames. Messages
 * for the topic are handled one at a time, in arrival order, like a Phoenix
 * channel process's mailbox; while an async handler runs, later messages
 * wait in `queue`.
 */
export class Channel<A = unknown> implements ChannelContext<A>, Subscriber {
  readonly topic: string;
  readonly joinRef: Ref;
  readonly def: ChannelDefinition<A>;
  readonly state: Record<string, unknown> = {};
  readonly intercepts: ReadonlySet<string> | null;
  phase: Phase = 'joining';
  /** messages that arrived while a join or an async handler was running */
  queue: InboundMessage[] | null = null;
  busy = false;
  private readonly host: ChannelHost<A>;
  private pendingPushes: Frame[] | null = null;
  /** broadcasts that arrived while joining, sent after the join reply */
  private held: Array<{ frame: Frame | null; msg: Broadcast }> | null = null;
  private subscribed = false;
  /** epoch ms until which live broadcasts are still checked against the join reply; 0: off */
  private guardUntil = 0;
  private terminateHooks: Array<(reason: TerminateReason) => void> | null = null;
  private stopRequested = false;
  /** set while a handler runs, so afterReply() can defer until its reply */
  inHandler = false;
  private afterReplyHooks: Array<() => void> | null = null;

  constructor(host: ChannelHost<A>, def: ChannelDefinition<A>, topic: string, joinRef: Ref) {
    this.host = host;
    this.def = def;
    this.topic = topic;
    this.joinRef = joinRef;
    this.intercepts = interceptsOf(def);
  }

  get socket(): SocketInfo<A> {
    return this.host.info;
  }

  get serializer(): Serializer {
    return this.host.serializer;
  }

  get alive(): boolean {
    return this.phase !== 'closed';
  }

  // ---- ChannelContext -------------------------------------------------

  push(event: string, payload: unknown): void {
    if (this.phase === 'closed') return;
    const frame = this.host.serializer.encodePush(this.joinRef, this.topic, event, encodePayload(payload));
    if (this.phase === 'joining') {
      (this.pendingPushes ??= []).push(frame);
    } else {
      this.host.send(frame);
    }
  }

  broadcast(event: string, payload: unknown): void {
    this.host.pubsub.broadcast(makeBroadcast(this.topic, event, payload), null);
  }

  broadcastFrom(event: string, payload: unknown): void {
    this.host.pubsub.broadcast(makeBroadcast(this.topic, event, payload), this);
  }

  stop(): void {
    this.stopRequested = true;
  }

  afterReply(fn: () => void): void {
    if (this.inHandler && this.phase !== 'closed') (this.afterReplyHooks ??= []).push(fn);
    else fn();
  }

  onTerminate(fn: (reason: TerminateReason) => void): void {
    (this.terminateHooks ??= []).push(fn);
  }

  // ---- Subscriber (fastlane) ------------------------------------------

  deliverFrame(frame: Frame, msg: Broadcast): void {
    if (this.phase === 'joining') (this.held ??= []).push({ frame, msg });
    else if (this.guardUntil === 0 || this.keeps(msg)) this.host.sendShared(frame);
  }

  /** Right after a join: is this live broadcast new to the client? */
  private keeps(msg: Broadcast): boolean {
    if (Date.now() > this.guardUntil) {
      this.guardUntil = 0;
      return true;
    }
    try {
      return this.def.keepHeldBroadcast!.call(this.def, msg.event, decodeBroadcastPayload(msg), this);
    } catch (err) {
      this.host.logger.error({ err, topic: this.topic }, 'keepHeldBroadcast failed');
      return true;
    }
  }

  deliverBroadcast(msg: Broadcast): void {
    if (this.phase === 'joining') {
      (this.held ??= []).push({ frame: null, msg });
      return;
    }
    if (this.phase !== 'joined') return;
    if (!this.def.handleOut) {
      this.host.send(this.host.serializer.encodeBroadcast(msg.topic, msg.event, msg.payload));
      return;
    }
    try {
      this.def.handleOut(msg.event, decodeBroadcastPayload(msg), this);
    } catch (err) {
      this.crash(err);
    }
  }

  // ---- lifecycle, driven by the socket ---------------------------------

  /** Subscribed before `join` runs: what is broadcast meanwhile is held, not lost. */
  subscribeEarly(): void {
    this.subscribed = true;
    this.host.pubsub.subscribe(this.topic, this);
  }

  markJoined(): void {
    this.phase = 'joined';
  }

  /** After the join reply: what was pushed during join, then held broadcasts. */
  flushPendingPushes(): void {
    const pending = this.pendingPushes;
    this.pendingPushes = null;
    if (pending) for (const f of pending) this.host.send(f);
    const held = this.held;
    this.held = null;
    const keep = this.def.keepHeldBroadcast;
    if (keep && this.def.replayGuardMs) this.guardUntil = Date.now() + this.def.replayGuardMs;
    if (!held) return;
    for (const { frame, msg } of held) {
      if (this.phase !== 'joined') return;
      if (keep) {
        let kept = true;
        try {
          kept = keep.call(this.def, msg.event, decodeBroadcastPayload(msg), this);
        } catch (err) {
          this.host.logger.error({ err, topic: this.topic }, 'keepHeldBroadcast failed');
        }
        if (!kept) continue;
      }
      if (frame) this.host.sendShared(frame);
      else this.deliverBroadcast(msg);
    }
  }

  sendReply(ref: Ref, reply: Reply): void {
    this.host.send(this.host.serializer.encodeReply(this.joinRef, ref, this.topic, reply.status, encodePayload(reply.response)));
  }

  /** After a handler's reply: run deferred work, then honour ctx.stop(). */
  afterHandler(): void {
    this.inHandler = false;
    const hooks = this.afterReplyHooks;
    this.afterReplyHooks = null;
    if (hooks) {
      for (const fn of hooks) {
        try {
          fn();
        } catch (err) {
          this.host.logger.error({ err, topic: this.topic }, 'afterReply hook failed');
        }
      }
    }
    if (this.stopRequested && this.phase === 'joined') this.close('stopped');
  }

  /** Normal end: phx_close with the join_ref in both ref slots. */
  close(reason: TerminateReason): void {
    if (this.phase === 'closed') return;
    this.terminate(reason);
    this.host.send(this.host.serializer.encodeMessage(this.joinRef, this.joinRef, this.topic, 'phx_close', EMPTY));
  }

  /** Abnormal end: phx_error, and phoenix.js rejoins. The socket lives on. */
  crash(err: unknown): void {
    if (this.phase === 'closed') return;
    this.host.logger.error({ err, topic: this.topic }, 'channel crashed');
    this.terminate('crash');
    this.host.send(this.host.serializer.encodeMessage(this.joinRef, this.joinRef, this.topic, 'phx_error', CRASH_PAYLOAD));
  }

  /** A join that was refused or crashed: undo the early subscription, run no hooks. */
  abandon(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.release();
  }

  /** Drops buffers, the subscription and the socket's table entry. */
  private release(): void {
    this.pendingPushes = null;
    this.held = null;
    if (this.subscribed) {
      this.subscribed = false;
      this.host.pubsub.unsubscribe(this.topic, this);
    }
    this.host.forget(this);
  }

  /** Ends the channel without sending anything (transport gone, duplicate join). */
  terminate(reason: TerminateReason): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    const deferred = this.afterReplyHooks;
    this.afterReplyHooks = null;
    this.inHandler = false;
    if (deferred) for (const fn of deferred) fn();
    this.release();
    const hooks = this.terminateHooks;
    this.terminateHooks = null;
    if (hooks) {
      for (const hook of hooks) {
        try {
          hook(reason);
        } catch (err) {
          this.host.logger.error({ err, topic: this.topic }, 'terminate hook failed');
        }
      }
    }
    if (this.def.terminate) {
      try {
        const r = this.def.terminate(reason, this);
        if (r && typeof (r as Promise<void>).catch === 'function') {
          (r as Promise<void>).catch((err) => this.host.logger.error({ err, topic: this.topic }, 'terminate failed'));
        }
      } catch (err) {
        this.host.logger.error({ err, topic: this.topic }, 'terminate failed');
      }
    }
  }
}
