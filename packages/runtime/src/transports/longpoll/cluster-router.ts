import { randomBytes } from 'node:crypto';
import type { Logger } from '../../logger';
import type { PubSubAdapter } from '../../pubsub/adapter';
import type { PostLine } from './post-lines';
import { decodeRoute, encodeRoute, type RouteReply, type RouteRequest } from './route-messages';
import type { LongPollSession, PollWaiter } from './session';

/** control-bus channel shared by every LongPoll mount of the cluster */
const CHANNEL = 'longpoll';

export type RemotePoll = { readonly kind: 'gone' } | { readonly kind: 'answer'; readonly status: 200 | 204; readonly messages: readonly string[] };
export type RemoteSend = 'sent' | 'gone';

export interface ClusterRouterOptions {
  readonly adapter: PubSubAdapter;
  readonly path: string;
  /** how long to wait for the owner to acknowledge (Phoenix: 2000 ms) */
  readonly pubsubTimeoutMs: number;
  readonly windowMs: number;
  readonly logger: Logger;
  findSession(sessionId: string): LongPollSession | undefined;
}

interface Pending {
  timer: NodeJS.Timeout;
  onReply(reply: RouteReply): void;
  /** the owner never answered, or this node is shutting down */
  onSilence(): void;
}

/**
 * Sticky-session-free LongPoll: a poll or send that reaches a node other than
 * the one holding the session is forwarded to the owner over the adapter's
 * control bus, and the owner's answer is relayed back. Like Phoenix, the
 * asker waits `pubsubTimeoutMs` for the owner to acknowledge; silence means
 * the session is gone (the GET opens a new session, the POST gets 410).
 */
export class ClusterRouter {
  private readonly pending = new Map<string, Pending>();
  /** polls this node holds for other nodes, by `${node}\n${request id}` */
  private readonly heldForPeers = new Map<string, { session: LongPollSession; waiter: PollWaiter }>();
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: ClusterRouterOptions) {
    opts.adapter.onControl(CHANNEL, (data, from) => this.receive(data, from));
  }

  /** Forwards a GET to the owner; `done` runs exactly once. Returns a cancel function. */
  poll(owner: string, sessionId: string, done: (result: RemotePoll) => void): () => void {
    const id = this.nextId();
    let finished = false;
    const finish = (result: RemotePoll) => {
      if (finished) return;
      finished = true;
      this.forget(id);
      done(result);
    };
    const pending: Pending = {
      timer: setTimeout(() => finish({ kind: 'gone' }), this.opts.pubsubTimeoutMs),
      onReply: (reply) => {
        if (reply.t === 'ack') {
          // The owner holds the poll; if it dies meanwhile the client polls again.
          clearTimeout(pending.timer);
          pending.timer = setTimeout(
            () => finish({ kind: 'answer', status: 204, messages: [] }),
            this.opts.windowMs + this.opts.pubsubTimeoutMs,
          );
        } else if (reply.t === 'polled') finish({ kind: 'answer', status: reply.status, messages: reply.messages });
        else if (reply.t === 'gone') finish({ kind: 'gone' });
      },
      onSilence: () => finish({ kind: 'answer', status: 204, messages: [] }),
    };
    this.pending.set(id, pending);
    this.publish({ t: 'poll', id, path: this.opts.path, sid: sessionId }, owner);
    return () => {
      if (finished) return;
      finished = true;
      this.forget(id);
      this.publish({ t: 'cancel', id, path: this.opts.path }, owner);
    };
  }

  /** Forwards a POST's lines to the owner. */
  send(owner: string, sessionId: string, lines: readonly PostLine[]): Promise<RemoteSend> {
    return new Promise((resolve) => {
      const id = this.nextId();
      const finish = (result: RemoteSend) => {
        this.forget(id);
        resolve(result);
      };
      this.pending.set(id, {
        timer: setTimeout(() => finish('gone'), this.opts.pubsubTimeoutMs),
        onReply: (reply) => {
          if (reply.t === 'sent') finish('sent');
          else if (reply.t === 'gone') finish('gone');
        },
        onSilence: () => finish('gone'),
      });
      this.publish({ t: 'send', id, path: this.opts.path, sid: sessionId, lines }, owner);
    });
  }

  /** Settles every forwarded request and releases polls held for peers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.pending.values()]) p.onSilence();
    for (const { session, waiter } of [...this.heldForPeers.values()]) session.cancel(waiter);
    this.heldForPeers.clear();
  }

  // ---- both sides -------------------------------------------------------

  private receive(data: Buffer, from: string): void {
    if (this.closed) return;
    const msg = decodeRoute(data);
    if (!msg) {
      this.opts.logger.warn({ from }, 'ignoring malformed longpoll routing message');
      return;
    }
    switch (msg.t) {
      case 'poll':
      case 'send':
      case 'cancel':
        if (msg.path === this.opts.path) this.serve(msg, from);
        return;
      default:
        // A reply to another mount's request, or one that came too late.
        this.pending.get(msg.id)?.onReply(msg);
    }
  }

  // ---- owner side -------------------------------------------------------

  private serve(msg: RouteRequest, from: string): void {
    const key = `${from}\n${msg.id}`;
    if (msg.t === 'cancel') {
      const held = this.heldForPeers.get(key);
      if (!held) return;
      this.heldForPeers.delete(key);
      held.session.cancel(held.waiter);
      return;
    }
    const session = this.opts.findSession(msg.sid);
    if (!session || session.ended) {
      this.publish({ t: 'gone', id: msg.id }, from);
      return;
    }
    if (msg.t === 'send') {
      session.dispatch(msg.lines);
      this.publish({ t: 'sent', id: msg.id }, from);
      return;
    }
    const waiter: PollWaiter = {
      answer: (status, messages) => {
        this.heldForPeers.delete(key);
        this.publish({ t: 'polled', id: msg.id, status, messages }, from);
      },
    };
    this.heldForPeers.set(key, { session, waiter });
    if (!session.poll(waiter)) this.publish({ t: 'ack', id: msg.id }, from);
  }

  // ---- plumbing ---------------------------------------------------------

  private nextId(): string {
    return `${this.idPrefix}${(this.seq++).toString(36)}`;
  }

  private forget(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
  }

  private publish(msg: RouteRequest | RouteReply, target: string): void {
    try {
      this.opts.adapter.publishControl(CHANNEL, encodeRoute(msg), target);
    } catch (err) {
      // A refused publish is the same as a lost one: the asker times out.
      this.opts.logger.warn({ err, target }, 'could not publish longpoll routing message');
    }
  }
}
