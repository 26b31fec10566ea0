import type { Message } from './contract-types';
import { compareMessageIds } from './message-id';

/**
 * A stored message, or something shown live that has no stored row in hand
 * (an AI card broadcast without `persist`, a session status change whose
 * stored row is not broadcast): it has no id.
 */
export type TimelineEntry =
  | { kind: 'message'; key: string; message: Message }
  | { kind: 'live'; key: string; afterId: string | null; type: string; payload: Record<string, unknown>; receivedAt: number };

type LiveEntry = Extract<TimelineEntry, { kind: 'live' }>;

function editedAt(m: Message): number {
  const v = m.meta?.edited_at;
  return typeof v === 'number' ? v : 0;
}

/**
 * The session's messages as this page knows them. Messages reach the page
 * from the join reply, from rejoin catch-ups (`since`) and from live
 * broadcasts, which can overlap around a reconnect; keying by id makes every
 * path idempotent, so the list has no duplicates and stays in id order.
 */
export class Timeline {
  private readonly messages = new Map<string, Message>();
  private readonly live: LiveEntry[] = [];
  private readonly deleted = new Set<string>();
  private newest: string | null = null;
  private liveSeq = 0;

  /** The highest id ever received, deleted ones included: the `since` cursor for a rejoin. */
  get lastSeenId(): string | null {
    return this.newest;
  }

  get size(): number {
    return this.messages.size + this.live.length;
  }

  /** Adds a stored message; true when it was not known yet. */
  add(message: Message): boolean {
    this.see(message.id);
    if (this.deleted.has(message.id)) return false;
    const known = this.messages.get(message.id);
    if (known) {
      // A catch-up can carry an older copy of a message that was edited live since.
      if (editedAt(message) > editedAt(known)) this.messages.set(message.id, message);
      return false;
    }
    this.messages.set(message.id, message);
    if (message.type === 'session_state') this.replaceLiveState(message.id);
    return true;
  }

  /** Applies an edit; ignored for messages this page never had or already saw deleted. */
  update(message: Message): boolean {
    if (this.deleted.has(message.id) || !this.messages.has(message.id)) return false;
    this.messages.set(message.id, message);
    return true;
  }

  remove(id: string): boolean {
    this.deleted.add(id);
    return this.messages.delete(id);
  }

  get(id: string): Message | undefined {
    return this.messages.get(id);
  }

  /** Something without a stored row: placed after the newest message known when it arrived. */
  addLive(type: string, payload: Record<string, unknown>, receivedAt: number): void {
    this.liveSeq += 1;
    this.live.push({ kind: 'live', key: `live-${this.liveSeq}`, afterId: this.newest, type, payload, receivedAt });
  }

  /** The newest stored message, if any. */
  newestMessage(): Message | undefined {
    let newest: Message | undefined;
    for (const m of this.messages.values()) if (!newest || compareMessageIds(m.id, newest.id) > 0) newest = m;
    return newest;
  }

  /**
   * Every status change stores one `session_state` row. A live notice stands
   * in for a row the page has not received; when the row shows up (a rejoin
   * catch-up), it takes the notice's place instead of appearing twice.
   */
  private replaceLiveState(id: string): void {
    const i = this.live.findIndex((e) => e.type === 'session_state' && (e.afterId === null || compareMessageIds(e.afterId, id) < 0));
    if (i >= 0) this.live.splice(i, 1);
  }

  entries(): TimelineEntry[] {
    const sorted = [...this.messages.values()].sort((a, b) => compareMessageIds(a.id, b.id));
    const out: TimelineEntry[] = [];
    const pending = [...this.live];
    for (const message of sorted) {
      // A card goes before the first message newer than what was known when it arrived.
      while (pending.length > 0 && (pending[0]!.afterId === null || compareMessageIds(pending[0]!.afterId, message.id) < 0)) {
        out.push(pending.shift()!);
      }
      out.push({ kind: 'message', key: `m-${message.id}`, message });
    }
    out.push(...pending);
    return out;
  }

  private see(id: string): void {
    if (this.newest === null || compareMessageIds(id, this.newest) > 0) this.newest = id;
  }
}
