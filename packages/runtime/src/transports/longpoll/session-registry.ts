import type { LongPollSession } from './session';

/**
 * This node's live LongPoll sessions of one mount, and the inactivity sweep:
 * a client that stops polling never says so (phoenix.js only aborts its
 * XHRs), so a session whose last poll is older than `inactivityMs` is ended.
 * One timer serves every session, and runs only while there are sessions.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, LongPollSession>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly inactivityMs: number,
    private readonly expire: (session: LongPollSession) => void,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): LongPollSession | undefined {
    return this.sessions.get(id);
  }

  add(session: LongPollSession): void {
    this.sessions.set(session.id, session);
    if (!this.timer) {
      // Checking at a third of the limit ends an idle session between 1x and 1.34x of it.
      this.timer = setInterval(() => this.sweep(), Math.max(20, Math.floor(this.inactivityMs / 3)));
      this.timer.unref();
    }
  }

  delete(session: LongPollSession): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    if (this.sessions.size === 0) this.stopTimer();
  }

  all(): LongPollSession[] {
    return [...this.sessions.values()];
  }

  sweep(now = Date.now()): void {
    const cutoff = now - this.inactivityMs;
    for (const session of [...this.sessions.values()]) {
      if (!session.polling && session.lastPoll < cutoff) this.expire(session);
    }
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
