/**
 * A member's channel join in as few round trips as the store allows: every
 * join needs the session row and a page of history, and most joins find
 * their seat taken already, so both come from one statement (the page as a
 * LATERAL subquery). Only a join that takes a free seat, or creates the
 * session, pays a second statement.
 */
import type { Message, SessionState } from '@cinder/contract';
import { and, asc, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from './db';
import { MAX_READ } from './messages';
import { toMessage, toSessionState } from './rows';
import { messages, sessions } from './schema';
import { type Joiner, takeSeat, requireJoiner } from './sessions';
import { requireCursor, requireId, requireLimit } from './validate';
import { perDatabase } from './per-database';

/** The history a join answers with: the latest `latest` messages, or the first `limit` after a cursor. */
export type HistoryPage = { readonly latest: number } | { readonly after: string; readonly limit: number };

export interface OpenedSession {
  readonly session: SessionState;
  /** ascending by id */
  readonly messages: Message[];
}

export async function openSession(db: Db, sessionId: string, joiner: Joiner, page: HistoryPage): Promise<OpenedSession> {
  requireId(sessionId, 'session id');
  const role = requireJoiner(joiner);
  const forward = 'after' in page;
  const limit = forward ? page.limit : page.latest;
  // no history (`history: 0`) is allowed here, unlike in the listing reads
  if (limit !== 0) requireLimit(limit, MAX_READ);
  const after = forward ? requireCursor(page.after) : -1;

  const rows = await preparedFor(db)[forward ? 'forward' : 'latest'].execute({ sessionId, after, limit });
  // Read after the channel subscribed: anything committed later arrives live,
  // so this page stays the right answer even if the seat is taken below.
  const found: Message[] = [];
  for (const r of rows) if (r.message !== null) found.push(toMessage(r.message));
  const current = rows.length > 0 ? toSessionState(rows[0].session) : null;
  if (current !== null && current[role] !== null) return { session: current, messages: found };
  return { session: await takeSeat(db, sessionId, joiner, role), messages: found };
}

/**
 * Built once per database: drizzle's query building was a tenth of a join
 * storm's CPU, and a named statement is parsed once per Postgres connection.
 */
const preparedFor = perDatabase(prepare);

function prepare(db: Db) {
  return { latest: sessionWithPage(db, false).prepare('cinder_open_session_latest'), forward: sessionWithPage(db, true).prepare('cinder_open_session_forward') };
}

function sessionWithPage(db: Db, forward: boolean) {
  const history = db
    .select()
    .from(messages)
    // the outer row's session: LATERAL lets the subquery see it
    .where(and(eq(messages.sessionId, sessions.sessionId), isNull(messages.deletedAt), gt(messages.id, sql.placeholder('after'))))
    .orderBy(forward ? asc(messages.id) : desc(messages.id))
    .limit(sql.placeholder('limit'))
    .as('history');
  return db
    .select({
      session: sessions,
      message: {
        sessionId: history.sessionId,
        id: history.id,
        type: history.type,
        authorRole: history.authorRole,
        authorId: history.authorId,
        message: history.message,
        meta: history.meta,
        insertedAt: history.insertedAt,
        deletedAt: history.deletedAt,
      },
    })
    .from(sessions)
    .leftJoinLateral(history, sql`true`)
    .where(eq(sessions.sessionId, sql.placeholder('sessionId')))
    .orderBy(asc(history.id));
}
