import Redis from 'ioredis';
import { CinderUnavailableError } from './errors';

interface Waiting {
  channel: string;
  message: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * One Redis connection that PUBLISHes in call order and answers each call
 * once Redis has taken the message, or fails it with CinderUnavailableError.
 *
 * Nothing is queued for an outage: while the link is known to be down a
 * publish fails at once, and a message whose reply was lost with the
 * connection is failed, never resent (a resend could deliver it twice).
 * The only wait is for the first connection, bounded by `timeoutMs`;
 * calls made meanwhile go out in their order once it is ready.
 */
export class RedisPublisher {
  private readonly conn: Redis;
  private readonly waiting: Waiting[] = [];
  /** a connection attempt failed or timed out and none has succeeded since */
  private down = false;
  private lastError = '';
  private closed = false;

  constructor(
    url: string,
    private readonly timeoutMs: number,
    connectionName: string,
  ) {
    this.conn = new Redis(url, {
      lazyConnect: true,
      // Offline commands fail at once instead of waiting in ioredis's unbounded queue.
      enableOfflineQueue: false,
      // Commands in flight when the connection drops fail at its close instead of waiting for a reconnect.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: timeoutMs,
      // A Redis that accepts the connection but stops answering must not hold a publish forever.
      commandTimeout: timeoutMs,
      // Keep reconnecting in the background, so publishing resumes by itself once Redis is back.
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), MAX_RECONNECT_DELAY_MS),
      connectionName,
      // ioredis arms this timer even for a connection that is already gone; it would hold the process open after close().
      disconnectTimeout: 200,
    });
    // Without a listener ioredis would print every failed reconnect attempt.
    this.conn.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    this.conn.on('close', () => {
      this.down = true;
      this.failWaiting(`the connection to Redis closed${this.lastError ? ` (${this.lastError})` : ''}`);
    });
    this.conn.on('ready', () => {
      this.down = false;
      this.lastError = '';
      this.drain();
    });
  }

  publish(channel: string, message: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new CinderUnavailableError('the client was closed'));
    if (this.conn.status === 'ready' && this.waiting.length === 0) return this.send(channel, message);
    if (this.down) {
      return Promise.reject(new CinderUnavailableError(`Redis is unreachable${this.lastError ? ` (${this.lastError})` : ''}; broadcast not sent`));
    }
    if (this.conn.status === 'wait') this.conn.connect().catch(() => undefined);
    return new Promise<void>((resolve, reject) => {
      const entry: Waiting = {
        channel,
        message,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.down = true;
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new CinderUnavailableError(`no connection to Redis within ${this.timeoutMs} ms; broadcast not sent`));
        }, this.timeoutMs),
      };
      this.waiting.push(entry);
    });
  }

  /** Waits for the replies of publishes already sent, then closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failWaiting('the client was closed');
    // QUIT is answered after every earlier command, so sent publishes still get their replies.
    if (this.conn.status === 'ready') await this.conn.quit().catch(() => undefined);
    this.conn.disconnect();
  }

  private send(channel: string, message: Buffer): Promise<void> {
    return this.conn.publish(channel, message).then(
      () => undefined,
      (err: Error) => {
        throw new CinderUnavailableError(`Redis did not confirm the broadcast (${err.message}); it may or may not have been delivered`, err);
      },
    );
  }

  private drain(): void {
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      this.send(entry.channel, entry.message).then(entry.resolve, entry.reject);
    }
  }

  private failWaiting(reason: string): void {
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(new CinderUnavailableError(`${reason}; broadcast not sent`));
    }
  }
}
