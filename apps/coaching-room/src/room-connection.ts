import { Presence, Socket, type Channel } from 'phoenix';
import { MESSAGE_EVENTS } from './broadcast-message';
import type { Message, SessionJoinReply, SessionState } from './contract-types';
import { membersOf, type Member } from './presence-members';
import { reasonOf } from './reasons';
import { ReplyError } from './reply-error';
import type { TokenSource } from './token-source';

export interface RoomEvents {
  /** Every successful (re)join; `rejoin` is false only for the first. */
  joined(reply: SessionJoinReply, rejoin: boolean): void;
  /** The first join was refused: the page gives up and says why. */
  joinRefused(reason: string): void;
  /** Never joined and the socket keeps failing (server down, token refused). */
  connectFailed(): void;
  /** The socket or the channel dropped; phoenix.js is reconnecting. */
  connectionLost(detail: string | null): void;
  messageAdded(message: Message): void;
  messageUpdated(message: Message): void;
  messageDeleted(id: string): void;
  sessionState(state: SessionState): void;
  typing(userId: string, typing: boolean): void;
  presence(members: Member[]): void;
  /** A back end's message-carrying broadcast (`ai:feedback`, `system:notice`, …), stored or not. */
  broadcastMessage(event: string, payload: Record<string, unknown>): void;
  analysisStarted(jobId: string): void;
}

export interface RoomConnectionOptions {
  sessionId: string;
  tokens: TokenSource;
  /** The newest message id the page holds; rejoins ask only for what came after it. */
  cursor: () => string | null;
  events: RoomEvents;
}

const HISTORY_ON_FIRST_JOIN = 100;
const FAILED_CONNECTS_BEFORE_GIVING_UP = 5;
/** A renewed token reconnects at once, but never more often than this, whatever keeps failing. */
const MIN_EARLY_RECONNECT_GAP_MS = 5000;

/** Quick first retries for a blip, then a steady pace; jitter spreads a crowd after a server restart. */
function reconnectAfterMs(tries: number): number {
  const base = [100, 250, 500, 1000, 2000][tries - 1] ?? 3000;
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The page's link to `session:{id}` through the stock phoenix.js client:
 * phoenix.js reconnects the socket and rejoins the channel by itself, and
 * because the join params are a function, each rejoin asks for exactly the
 * messages after the newest one the page holds.
 */
export class RoomConnection {
  readonly socket: Socket;
  private channel: Channel;
  private everJoined = false;
  private failedConnects = 0;
  private stopped = false;
  private lastEarlyReconnect = 0;

  constructor(private readonly opts: RoomConnectionOptions) {
    this.socket = new Socket('/socket', {
      params: () => ({ token: opts.tokens.current() }),
      reconnectAfterMs,
    });
    this.socket.onOpen(() => {
      this.failedConnects = 0;
    });
    this.socket.onError(() => this.onSocketTrouble(true));
    this.socket.onClose(() => this.onSocketTrouble(false));
    this.channel = this.openChannel();
  }

  private get topic(): string {
    return `session:${this.opts.sessionId}`;
  }

  start(): void {
    this.socket.connect();
    this.join(this.channel);
  }

  /** A push that resolves with the ok reply and rejects with a {@link ReplyError}. */
  request<T = unknown>(event: string, payload: object, timeoutMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.channel
        .push(event, payload, timeoutMs)
        .receive('ok', (resp: unknown) => resolve(resp as T))
        .receive('error', (resp: unknown) => reject(new ReplyError(reasonOf(resp))))
        .receive('timeout', () => reject(new ReplyError('timeout')));
    });
  }

  /** A push whose success has no reply (`typing`); errors are of no use to the user here. */
  send(event: string, payload: object): void {
    if (this.channel.state === 'joined') this.channel.push(event, payload, 5_000);
  }

  /**
   * More was missed than one join reply holds (`recovered: false`): join
   * again, which asks for the next page after the newest message now held.
   */
  fetchMore(): void {
    const old = this.channel;
    this.channel = this.openChannel();
    old.leave();
    this.join(this.channel);
  }

  stop(): void {
    this.stopped = true;
    this.channel.leave();
    this.socket.disconnect();
  }

  private onSocketTrouble(isError: boolean): void {
    if (this.stopped) return;
    if (isError) {
      this.failedConnects += 1;
      // Possibly a dev server restarted with a new secret: the next attempt should carry a fresh token.
      void this.opts.tokens.refresh().then((renewed) => {
        if (renewed) this.reconnectNow();
      });
    }
    if (!this.everJoined && this.failedConnects >= FAILED_CONNECTS_BEFORE_GIVING_UP) {
      this.stop();
      this.opts.events.connectFailed();
      return;
    }
    this.opts.events.connectionLost(null);
  }

  /**
   * The server answered with a new token, so it is up: connect now rather
   * than at the end of phoenix.js's back-off. Disconnecting first is the
   * public way to cut the wait; the errored channels rejoin on open.
   */
  private reconnectNow(): void {
    const now = Date.now();
    if (this.stopped || this.socket.isConnected() || now - this.lastEarlyReconnect < MIN_EARLY_RECONNECT_GAP_MS) return;
    this.lastEarlyReconnect = now;
    this.socket.disconnect();
    this.socket.connect();
  }

  private joinParams(): Record<string, unknown> {
    const since = this.opts.cursor();
    return since === null ? { history: HISTORY_ON_FIRST_JOIN } : { since };
  }

  private openChannel(): Channel {
    const { events } = this.opts;
    const channel = this.socket.channel(this.topic, () => this.joinParams());
    channel.on('chat:added', (m: Message) => events.messageAdded(m));
    channel.on('message:updated', (m: Message) => events.messageUpdated(m));
    channel.on('message:deleted', (p: { id?: unknown }) => {
      if (typeof p.id === 'string' || typeof p.id === 'number') events.messageDeleted(String(p.id));
    });
    channel.on('session:state', (s: SessionState) => events.sessionState(s));
    channel.on('typing', (p: { user_id?: unknown; typing?: unknown }) => {
      if (typeof p.user_id === 'string') events.typing(p.user_id, p.typing === true);
    });
    for (const event of Object.keys(MESSAGE_EVENTS)) {
      channel.on(event, (p: unknown) => {
        if (isRecord(p)) events.broadcastMessage(event, p);
      });
    }
    channel.on('analysis:started', (p: { job_id?: unknown }) => {
      if (typeof p.job_id === 'string' || typeof p.job_id === 'number') events.analysisStarted(String(p.job_id));
    });
    channel.onError(() => {
      if (!this.stopped && channel === this.channel) events.connectionLost(null);
    });
    const presence = new Presence(channel);
    presence.onSync(() => {
      if (channel === this.channel) events.presence(membersOf(presence));
    });
    return channel;
  }

  private join(channel: Channel): void {
    const { events } = this.opts;
    // phoenix.js re-sends this same join push on every rejoin, so these hooks run each time.
    channel
      .join()
      .receive('ok', (reply: SessionJoinReply) => {
        if (channel !== this.channel) return;
        const rejoin = this.everJoined;
        this.everJoined = true;
        events.joined(reply, rejoin);
      })
      .receive('error', (resp: unknown) => {
        if (channel !== this.channel || this.stopped) return;
        const reason = reasonOf(resp);
        if (!this.everJoined) {
          this.stop();
          events.joinRefused(reason);
        } else {
          events.connectionLost(reason);
        }
      })
      .receive('timeout', () => {
        if (channel === this.channel && !this.stopped) events.connectionLost('timeout');
      });
  }
}
