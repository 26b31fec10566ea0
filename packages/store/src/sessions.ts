/** Session rows: join bookkeeping and atomic state changes. */
import type { Message, Role, SessionState, SessionStatus } from '@cinder/contract';
import { SESSION_STATUSES } from '@cinder/contract';
import { asc, desc, eq, sql } from 'drizzle-orm';
import type { Db } from './db';
import { StoreInputError } from './errors';
import { perDatabase } from './per-database';
import { lockSessions, type NewMessage, writeMessages } from './message-writer';
import { toSessionState } from './rows';
import { sessions } from './schema';
import { requireId, requireLimit, requireOneOf, requireText } from './validate';

export interface Joiner {
  id: string;
  name: string;
  role: Role;
}

export type SessionMutation = (current: SessionState) => { state: SessionState } | { error: string };
export type SessionUpdateResult = { session: SessionState; message?: Message } | { error: string };

const ROLES: readonly Role[] = ['student', 'coach'];

export async function getSession(db: Db, sessionId: string): Promise<SessionState | null> {
  requireId(sessionId, 'session id');
  const [row] = await db.select().from(sessions).where(eq(sessions.sessionId, sessionId)).limit(1);
  return row ? toSessionState(row) : null;
}

/** Checks a joiner and returns its role. */
export function requireJoiner(joiner: Joiner): Role {
  requireId(joiner?.id, 'user id');
  requireText(joiner.name, 'name');
  return requireOneOf(joiner.role, ROLES, 'role');
}

/** Creates the session if unknown; the first of a role to arrive keeps the seat, also when two join at once. */
export async function takeSeat(db: Db, sessionId: string, joiner: Joiner, role: Role): Promise<SessionState> {
  const now = Date.now();
  const [row] = await seatStatements(db)[role].execute({ sessionId, id: joiner.id, name: joiner.name, now });
  return toSessionState(row);
}

/**
 * Built once per database and role: a join storm takes thousands of seats,
 * and building the upsert each time was most of what a join left for the
 * garbage collector.
 */
const seatStatements = perDatabase((db) => ({ coach: prepareSeat(db, 'coach'), student: prepareSeat(db, 'student') }));

function prepareSeat(db: Db, role: Role) {
  const coach = role === 'coach';
  const [idCol, nameCol] = coach ? [sessions.coachId, sessions.coachName] : [sessions.studentId, sessions.studentName];
  const id = sql.placeholder('id');
  const name = sql.placeholder('name');
  const now = sql.placeholder('now');
  const seat = coach ? { coachId: id, coachName: name } : { studentId: id, studentName: name };
  const idName = coach ? 'coach_id' : 'student_id';
  const nameName = coach ? 'coach_name' : 'student_name';
  return db
    .insert(sessions)
    .values({ sessionId: sql.placeholder('sessionId'), status: 'waiting', ...seat, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: sessions.sessionId,
      set: {
        [coach ? 'coachId' : 'studentId']: sql`coalesce(${idCol}, excluded.${sql.identifier(idName)})`,
        [coach ? 'coachName' : 'studentName']: sql`case when ${idCol} is null then excluded.${sql.identifier(nameName)} else ${nameCol} end`,
        updatedAt: sql`case when ${idCol} is null then excluded.updated_at else ${sessions.updatedAt} end`,
      },
    })
    .returning()
    .prepare(`cinder_take_seat_${role}`);
}

const MAX_LIST = 500;

/**
 * Sessions with `status`, or of every status when it is undefined; either
 * way most recently changed first, ties by id, so a dashboard polling it
 * sees a stable order.
 */
export async function listSessions(db: Db, status: SessionStatus | undefined, limit: number): Promise<SessionState[]> {
  if (status !== undefined) requireOneOf(status, SESSION_STATUSES, 'status');
  requireLimit(limit, MAX_LIST);
  const lists = listStatements(db);
  const rows = status === undefined ? await lists.all.execute({ limit }) : await lists.byStatus.execute({ status, limit });
  return rows.map(toSessionState);
}

/**
 * Two statements rather than one `($1 is null or status = $1)`: a generic
 * plan for that shape cannot use the (status, updated_at) index, and named
 * statements fall back to generic plans after a few executions.
 */
const listStatements = perDatabase(prepareLists);

function prepareLists(db: Db) {
  const order = [desc(sessions.updatedAt), asc(sessions.sessionId)] as const;
  const limit = sql.placeholder('limit');
  return {
    all: db.select().from(sessions).orderBy(...order).limit(limit).prepare('cinder_list_sessions'),
    byStatus: db
      .select()
      .from(sessions)
      .where(eq(sessions.status, sql.placeholder('status')))
      .orderBy(...order)
      .limit(limit)
      .prepare('cinder_list_sessions_by_status'),
  };
}

function checkState(state: SessionState, sessionId: string): void {
  if (!state || state.session_id !== sessionId) throw new StoreInputError('mutate must keep session_id');
  requireOneOf(state.status, SESSION_STATUSES, 'status');
  if (state.current_step !== null) requireText(state.current_step, 'current_step');
  for (const seat of [state.coach, state.student]) {
    if (seat === null) continue;
    if (typeof seat !== 'object') throw new StoreInputError('coach and student must be {id, name} or null');
    requireId(seat.id, 'participant id');
    requireText(seat.name, 'participant name');
  }
}

/**
 * Read, change and write one session, plus its optional `session_state`
 * message, in a single transaction; concurrent updates of a session queue
 * behind each other's row lock, so each mutate sees the latest state.
 */
export async function updateSession(
  db: Db,
  sessionId: string,
  mutate: SessionMutation,
  message?: (state: SessionState) => NewMessage,
): Promise<SessionUpdateResult> {
  requireId(sessionId, 'session id');
  return db.transaction(async (tx) => {
    // Same lock order as message writers (session lock, then row) so the
    // two can never wait on each other in a cycle.
    await lockSessions(tx, [sessionId]);
    const [row] = await tx.select().from(sessions).where(eq(sessions.sessionId, sessionId)).for('no key update');
    if (!row) return { error: 'not_found' };
    const outcome = mutate(toSessionState(row));
    if ('error' in outcome) return { error: outcome.error };
    const now = Date.now();
    const state: SessionState = { ...outcome.state, updated_at: now };
    checkState(state, sessionId);
    await tx
      .update(sessions)
      .set({
        status: state.status,
        currentStep: state.current_step,
        coachId: state.coach?.id ?? null,
        coachName: state.coach?.name ?? null,
        studentId: state.student?.id ?? null,
        studentName: state.student?.name ?? null,
        updatedAt: now,
      })
      .where(eq(sessions.sessionId, sessionId));
    if (!message) return { session: state };
    const [written] = await writeMessages(tx, [{ message: message(state) }], new Date(now));
    return { session: state, message: written.message };
  });
}
