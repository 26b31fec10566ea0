/** Reads and in-place changes of stored messages; appends go through group commit. */
import type { Message } from '@cinder/contract';
import { and, asc, count, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from './db';
import { StoreInputError } from './errors';
import type { NewMessage } from './message-writer';
import { toMessage } from './rows';
import { messages } from './schema';
import { parseMessageId, requireCursor, requireId, requireLimit, requirePlainObject, requireText } from './validate';

export const MAX_READ = 10_000;
const MAX_KEY_LENGTH = 255;

/** Shape checks only; what a role may send is the server's business. */
export function requireNewMessage(m: NewMessage): NewMessage {
  if (typeof m !== 'object' || m === null) throw new StoreInputError('message must be an object');
  requireId(m.session_id, 'session_id');
  requireId(m.type, 'type');
  requireId(m.author_role, 'author_role');
  requireText(m.author_id, 'author_id');
  requireText(m.message, 'message');
  requirePlainObject(m.meta, 'meta');
  return m;
}

export function requireIdempotencyKey(key: unknown): string | undefined {
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new StoreInputError(`idempotency key must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
  }
  return requireText(key, 'idempotency key');
}

const live = (sessionId: string) => and(eq(messages.sessionId, sessionId), isNull(messages.deletedAt));

export async function getMessage(db: Db, sessionId: string, id: string): Promise<Message | null> {
  requireId(sessionId, 'session id');
  const n = parseMessageId(id);
  if (n === null) return null;
  const [row] = await db.select().from(messages).where(and(live(sessionId), eq(messages.id, n))).limit(1);
  return row ? toMessage(row) : null;
}

/** Messages after `afterId` (from the start when null), ascending. */
export async function listMessagesAfter(
  db: Db,
  sessionId: string,
  afterId: string | null,
  limit: number,
): Promise<Message[]> {
  requireId(sessionId, 'session id');
  requireLimit(limit, MAX_READ);
  const after = afterId === null ? -1 : requireCursor(afterId);
  const rows = await db
    .select()
    .from(messages)
    .where(and(live(sessionId), gt(messages.id, after)))
    .orderBy(asc(messages.id))
    .limit(limit);
  return rows.map(toMessage);
}

/** The first `limit` messages after `afterId`, and whether any exist beyond them. */
export async function pageAfter(
  db: Db,
  sessionId: string,
  afterId: string | null,
  limit: number,
): Promise<{ messages: Message[]; more: boolean }> {
  requireLimit(limit, MAX_READ - 1);
  const rows = await listMessagesAfter(db, sessionId, afterId, limit + 1);
  return { messages: rows.slice(0, limit), more: rows.length > limit };
}

export async function countMessagesAfter(db: Db, sessionId: string, afterId: string | null): Promise<number> {
  requireId(sessionId, 'session id');
  const after = afterId === null ? -1 : requireCursor(afterId);
  const [row] = await db
    .select({ n: count() })
    .from(messages)
    .where(and(live(sessionId), gt(messages.id, after)));
  return Number(row.n);
}

/** The latest `limit` messages, ascending. */
export async function latestMessages(db: Db, sessionId: string, limit: number): Promise<Message[]> {
  requireId(sessionId, 'session id');
  requireLimit(limit, MAX_READ);
  const rows = await db.select().from(messages).where(live(sessionId)).orderBy(desc(messages.id)).limit(limit);
  return rows.reverse().map(toMessage);
}

export async function editMessage(
  db: Db,
  sessionId: string,
  id: string,
  text: string,
  editedAtMs: number,
): Promise<Message | null> {
  requireId(sessionId, 'session id');
  requireText(text, 'message');
  if (!Number.isSafeInteger(editedAtMs)) throw new StoreInputError('editedAtMs must be an integer (epoch ms)');
  const n = parseMessageId(id);
  if (n === null) return null;
  const [row] = await db
    .update(messages)
    .set({ message: text, meta: sql`${messages.meta} || jsonb_build_object('edited_at', ${editedAtMs}::bigint)` })
    .where(and(live(sessionId), eq(messages.id, n)))
    .returning();
  return row ? toMessage(row) : null;
}

/** Soft delete: the row stays (idempotent retries still find it), reads skip it. */
export async function deleteMessage(db: Db, sessionId: string, id: string): Promise<boolean> {
  requireId(sessionId, 'session id');
  const n = parseMessageId(id);
  if (n === null) return false;
  const rows = await db
    .update(messages)
    .set({ deletedAt: new Date() })
    .where(and(live(sessionId), eq(messages.id, n)))
    .returning({ id: messages.id });
  return rows.length > 0;
}
