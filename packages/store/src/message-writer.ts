/**
 * Writes new messages inside a caller's transaction.
 *
 * Ordering: ids come from one sequence, but only after the transaction holds
 * an advisory lock for each of its sessions. Another writer of the same
 * session (any process) waits for that lock until this transaction has
 * committed, so it draws larger ids and commits later: within a session, id
 * order is commit order, and a reader never sees a smaller id appear later.
 */
import type { Message } from '@cinder/contract';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './db';
import { rowsOf } from './db';
import { toMessage } from './rows';
import { idempotencyKeys, messages } from './schema';

/** A Message before the store gives it an id and a timestamp. */
export type NewMessage = Omit<Message, 'id' | 'inserted_at'>;

export interface PendingWrite {
  message: NewMessage;
  idempotencyKey?: string;
  /** refuse the write if the session has ended (members' chat), checked under the lock */
  requireOpen?: boolean;
}

export interface WriteResult {
  message: Message;
  duplicate: boolean;
  /** set instead of writing when `requireOpen` met an ended session */
  refused?: 'session_ended';
}

/**
 * Locks are taken in ascending key order in one statement, so two
 * transactions covering overlapping sessions cannot deadlock each other.
 */
export async function lockSessions(tx: Db, sessionIds: readonly string[]): Promise<void> {
  await tx.execute(sql`
    select count(pg_advisory_xact_lock(k)) from (
      select distinct hashtextextended(s, 0) as k from unnest(${array(sessionIds)}::text[]) as v(s) order by k
    ) as sorted`);
}

/**
 * Writes without idempotency keys, the bulk of all writes (chat), in one
 * round trip: `cinder_append_unkeyed` (migration 0002) takes the session
 * locks, creates missing sessions, refuses the `requireOpen` writes of ended
 * sessions and inserts the rest with ids in write order. A group commit is
 * then BEGIN, this and COMMIT instead of five statements between them.
 */
async function appendUnkeyed(db: Db, writes: readonly PendingWrite[], now: Date): Promise<WriteResult[]> {
  const column = <T>(f: (m: NewMessage) => T) => array(writes.map((w) => f(w.message)));
  const result = await db.execute(sql`
    select out_n, out_id::text as out_id from cinder_append_unkeyed(
      ${column((m) => m.session_id)}::text[], ${column((m) => m.type)}::text[], ${column((m) => m.author_role)}::text[],
      ${column((m) => m.author_id)}::text[], ${column((m) => m.message)}::text[], ${column((m) => JSON.stringify(m.meta))}::text[],
      ${array(writes.map((w) => w.requireOpen === true))}::boolean[], ${+now}::bigint, ${now.toISOString()}::timestamptz)`);
  const results: WriteResult[] = writes.map(() => ({ message: null as unknown as Message, duplicate: false, refused: 'session_ended' }));
  for (const { out_n: n, out_id: id } of rowsOf<{ out_n: number; out_id: string }>(result)) {
    results[n - 1] = { message: toMessage(messageRow(writes[n - 1].message, Number(id), now)), duplicate: false };
  }
  return results;
}

const hasNoKeys = (writes: readonly PendingWrite[]) => writes.every((w) => w.idempotencyKey === undefined);

/**
 * A whole column of values as one array parameter. Statements of a batch
 * then have one fixed shape whatever the batch size: building a statement
 * with a parameter per value was a third of the rooms scenario's garbage.
 */
function array(values: readonly unknown[]) {
  return sql.param([...values]);
}

async function endedSessions(tx: Db, sessionIds: readonly string[]): Promise<Set<string>> {
  const result = await tx.execute(
    sql`select session_id from sessions where session_id = any(${array(sessionIds)}::text[]) and status = 'ended'`,
  );
  return new Set(rowsOf<{ session_id: string }>(result).map((r) => r.session_id));
}

const pairKey = (sessionId: string, key: string) => `${sessionId}\u0000${key}`;

/** Originals of already-used idempotency keys; safe to read once the sessions are locked. */
async function findOriginals(tx: Db, writes: readonly PendingWrite[]): Promise<Map<string, Message>> {
  const keyed = writes.filter((w) => w.idempotencyKey !== undefined);
  const found = new Map<string, Message>();
  if (keyed.length === 0) return found;
  const rows = await tx
    .select({ key: idempotencyKeys.key, row: messages })
    .from(idempotencyKeys)
    .innerJoin(
      messages,
      and(eq(messages.sessionId, idempotencyKeys.sessionId), eq(messages.id, idempotencyKeys.messageId)),
    )
    .where(
      and(
        inArray(idempotencyKeys.sessionId, [...new Set(keyed.map((w) => w.message.session_id))]),
        inArray(idempotencyKeys.key, [...new Set(keyed.map((w) => w.idempotencyKey as string))]),
      ),
    );
  for (const { key, row } of rows) found.set(pairKey(row.sessionId, key), toMessage(row));
  return found;
}

/** Inserts `writes` in order; results line up with `writes`. */
export async function writeMessages(tx: Db, writes: readonly PendingWrite[], now: Date, locked = false): Promise<WriteResult[]> {
  if (hasNoKeys(writes)) return appendUnkeyed(tx, writes, now);
  const sessionIds = [...new Set(writes.map((w) => w.message.session_id))].sort();
  if (!locked) {
    await lockSessions(tx, sessionIds);
    // A persisted broadcast may be the first thing a session ever sees.
    await tx.execute(sql`
      insert into sessions (session_id, status, created_at, updated_at)
      select s, 'waiting', ${+now}::bigint, ${+now}::bigint from unnest(${array(sessionIds)}::text[]) as v(s)
      on conflict do nothing`);
  }

  // The "session ended" rule is checked here, once per batch and under the
  // session lock, instead of a separate read before every append.
  const endedIds = writes.some((w) => w.requireOpen) ? await endedSessions(tx, sessionIds) : null;
  if (endedIds && endedIds.size > 0) {
    const open: PendingWrite[] = [];
    const slots: number[] = [];
    writes.forEach((w, i) => {
      if (!(w.requireOpen && endedIds.has(w.message.session_id))) {
        open.push(w);
        slots.push(i);
      }
    });
    const written = open.length > 0 ? await writeMessages(tx, open, now, true) : [];
    const results: WriteResult[] = writes.map((w) => ({ message: null as unknown as Message, duplicate: false, refused: 'session_ended' }));
    slots.forEach((slot, k) => (results[slot] = written[k]));
    return results;
  }

  const originals = await findOriginals(tx, writes);
  // Each write either inserts a new row (`fresh`) or repeats a key seen before.
  const claimed = new Set<string>();
  const plan = writes.map((w) => {
    const pk = w.idempotencyKey === undefined ? undefined : pairKey(w.message.session_id, w.idempotencyKey);
    if (pk === undefined) return { pk, fresh: true };
    if (originals.has(pk) || claimed.has(pk)) return { pk, fresh: false };
    claimed.add(pk);
    return { pk, fresh: true };
  });
  // The fresh ones are inserted as keyless writes are (ids in write order), then their keys recorded.
  const fresh = writes.filter((_, i) => plan[i].fresh);
  const written = fresh.length > 0 ? await appendUnkeyed(tx, fresh.map((w) => ({ message: w.message })), now) : [];

  const results: WriteResult[] = new Array(writes.length);
  const keyRows: (typeof idempotencyKeys.$inferInsert)[] = [];
  let next = 0;
  writes.forEach((w, i) => {
    if (!plan[i].fresh) return;
    const { message } = written[next++];
    results[i] = { message, duplicate: false };
    const pk = plan[i].pk;
    if (pk !== undefined) {
      originals.set(pk, message);
      keyRows.push({ sessionId: message.session_id, key: w.idempotencyKey as string, messageId: Number(message.id), createdAt: now });
    }
  });
  writes.forEach((_, i) => {
    const pk = plan[i].pk;
    if (!plan[i].fresh && pk !== undefined) results[i] = { message: originals.get(pk) as Message, duplicate: true };
  });

  if (keyRows.length > 0) await insertKeys(tx, keyRows, now);
  return results;
}

function messageRow(m: NewMessage, id: number, now: Date) {
  return {
    sessionId: m.session_id,
    id,
    type: m.type,
    authorRole: m.author_role,
    authorId: m.author_id,
    message: m.message,
    meta: m.meta,
    insertedAt: now,
    deletedAt: null,
  };
}

async function insertKeys(tx: Db, rows: readonly (typeof idempotencyKeys.$inferInsert)[], now: Date): Promise<void> {
  await tx.execute(sql`
    insert into idempotency_keys (session_id, key, message_id, created_at)
    select s, k, i, ${now.toISOString()}::timestamptz
    from unnest(${array(rows.map((r) => r.sessionId))}::text[], ${array(rows.map((r) => r.key))}::text[],
      ${array(rows.map((r) => r.messageId))}::bigint[]) as u(s, k, i)`);
}
