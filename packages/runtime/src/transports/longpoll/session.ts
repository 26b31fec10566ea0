import type { Frame } from '@cinder/protocol';
import type { Connection } from '../../socket/connection';
import type { TransportSink } from '../../socket/transport-sink';
import { lineToFrame, type PostLine } from './post-lines';

/** Whoever is waiting on a poll: an HTTP response here, or a node that forwarded it. */
export interface PollWaiter {
  answer(status: 200 | 204, messages: string[]): void;
}

export interface SessionLimits {
  /** how long a poll with nothing to deliver is held */
  readonly windowMs: number;
  /** unread frames a session may hold before it is cut off (slow consumer) */
  readonly maxBufferedMessages: number;
  readonly maxBufferedBytes: number;
  readonly maxFrameBytes: number;
}

export interface SessionEvents {
  /** the session ended for any reason; it must be forgotten */
  ended(session: LongPollSession): void;
  /** the buffer overflowed; the session is being closed */
  slowConsumer(session: LongPollSession): void;
}

/**
 * One LongPoll session: the transport sink of a Connection, which buffers
 * outgoing frames until a poll collects them. At most one poll is held at a
 * time; a newer poll ends the older one. LongPoll carries text only: the
 * LongPoll serializers never produce binary frames.
 */
export class LongPollSession implements TransportSink {
  readonly kind = 'longpoll' as const;
  readonly id: string;
  readonly token: string;
  conn: Connection<any> | null = null;
  /** epoch ms of the last poll (start or answer); POSTs do not count, as in Phoenix */
  lastPoll = Date.now();
  ended = false;

  private buffer: string[] = [];
  private bufferedBytes = 0;
  private waiter: PollWaiter | null = null;
  private holdTimer: NodeJS.Timeout | null = null;
  private flushScheduled = false;
  private overflowed = false;

  constructor(
    id: string,
    token: string,
    private readonly limits: SessionLimits,
    private readonly events: SessionEvents,
  ) {
    this.id = id;
    this.token = token;
  }

  /** true while a poll is held: such a session is not idle */
  get polling(): boolean {
    return this.waiter !== null;
  }

  // ---- TransportSink ----------------------------------------------------

  sendShared(frame: Frame): void {
    this.sendFrame(frame);
  }

  sendFrame(frame: Frame): void {
    if (this.ended || this.overflowed) return;
    const text = frame.data.toString('utf8');
    this.buffer.push(text);
    this.bufferedBytes += frame.data.length;
    if (this.buffer.length > this.limits.maxBufferedMessages || this.bufferedBytes > this.limits.maxBufferedBytes) {
      this.overflow();
      return;
    }
    if (this.waiter && !this.flushScheduled) {
      // Answer after the current burst, so frames produced together
      // (a join reply and its presence_state) go out in one response.
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (this.waiter && this.buffer.length > 0) this.answer();
      });
    }
  }

  /** Called by Connection.shutdown: the session ends at once. */
  closeTransport(_code: number, _reason: string): void {
    this.end();
  }

  // ---- polls and sends --------------------------------------------------

  /** Serves a poll: buffered frames at once, else hold up to windowMs. Returns false if held. */
  poll(waiter: PollWaiter): boolean {
    this.lastPoll = Date.now();
    // The older poll gets 204 and this one the frames: its client is the one still listening.
    if (this.waiter) {
      const older = this.waiter;
      this.clearHold();
      older.answer(204, []);
    }
    if (this.buffer.length > 0) {
      this.answerWith(waiter);
      return true;
    }
    this.waiter = waiter;
    this.holdTimer = setTimeout(() => this.answer(), this.limits.windowMs);
    return false;
  }

  /** The waiter went away (client aborted): keep the frames for the next poll. */
  cancel(waiter: PollWaiter): void {
    if (this.waiter !== waiter) return;
    this.clearHold();
    this.lastPoll = Date.now();
  }

  /**
   * Hands a POST's frames to the socket, one at a time and in order. A frame
   * that cannot be decoded closes the session; the POST still counts as
   * handled (Phoenix acknowledges a line that stopped the socket).
   */
  dispatch(lines: readonly PostLine[]): void {
    const conn = this.conn;
    if (!conn) return;
    for (const line of lines) {
      if (this.ended || conn.closed) return;
      try {
        const frame = lineToFrame(line, this.limits.maxFrameBytes);
        conn.handleFrame(frame.data, frame.binary);
      } catch (err) {
        conn.protocolError(err);
        return;
      }
    }
  }

  // ---- internals --------------------------------------------------------

  /** Answers the held poll with whatever is buffered (200), or 204 if nothing is. */
  private answer(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.clearHold();
    this.answerWith(waiter);
  }

  private answerWith(waiter: PollWaiter): void {
    const messages = this.buffer;
    this.buffer = [];
    this.bufferedBytes = 0;
    this.lastPoll = Date.now();
    waiter.answer(messages.length > 0 ? 200 : 204, messages);
  }

  private clearHold(): void {
    this.waiter = null;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
  }

  private overflow(): void {
    this.overflowed = true;
    this.buffer = [];
    this.bufferedBytes = 0;
    this.events.slowConsumer(this);
    // Not from inside send(): we may be in the middle of a fan-out loop.
    queueMicrotask(() => {
      // shutdown() closes this sink, which ends the session; end() covers a connection already closed.
      this.conn?.shutdown(1011, 'slow consumer', 'closed');
      this.end();
    });
  }

  /** Ends the session: answers a held poll with what is left, forgets the session. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.conn && !this.conn.closed) this.conn.terminateAll('closed');
    this.answer();
    this.buffer = [];
    this.bufferedBytes = 0;
    this.events.ended(this);
  }
}
