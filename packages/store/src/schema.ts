/**
 * The one schema of the durable store, shared by Postgres and PGlite.
 * `drizzle-kit generate` turns it into the SQL migrations under ../drizzle.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  doublePrecision,
  foreignKey,
  index,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

export const sessions = pgTable(
  'sessions',
  {
    sessionId: text('session_id').primaryKey(),
    status: text('status').notNull(),
    currentStep: text('current_step'),
    coachId: text('coach_id'),
    coachName: text('coach_name'),
    studentId: text('student_id'),
    studentName: text('student_name'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    check('sessions_status_check', sql`${t.status} in ('waiting', 'active', 'paused', 'ended')`),
    // A coach's dashboard lists sessions of one status, or of all, most recently changed first.
    index('sessions_status_updated_idx').on(t.status, t.updatedAt),
    index('sessions_updated_idx').on(t.updatedAt),
  ],
);

/**
 * Message ids come from one sequence, but are only drawn while the
 * transaction holds its sessions' advisory locks, so within a session they
 * grow in commit order (see message-writer.ts).
 */
export const messageIdSeq = pgSequence('message_id_seq');

export const messages = pgTable(
  'messages',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.sessionId),
    id: bigint('id', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    authorRole: text('author_role').notNull(),
    authorId: text('author_id').notNull(),
    message: text('message').notNull(),
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull(),
    insertedAt: timestamp('inserted_at', { withTimezone: true, precision: 3, mode: 'date' }).notNull(),
    deletedAt: timestamp('deleted_at', { withTimezone: true, precision: 3, mode: 'date' }),
  },
  // (session_id, id) serves every read: ordered history, `after` paging, latest n.
  (t) => [primaryKey({ name: 'messages_pkey', columns: [t.sessionId, t.id] })],
);

/** Keys of persisted broadcasts, so a retried request stores nothing new. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    sessionId: text('session_id').notNull(),
    key: text('key').notNull(),
    messageId: bigint('message_id', { mode: 'number' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'idempotency_keys_pkey', columns: [t.sessionId, t.key] }),
    foreignKey({
      name: 'idempotency_keys_message_fk',
      columns: [t.sessionId, t.messageId],
      foreignColumns: [messages.sessionId, messages.id],
    }),
  ],
);

export const jobs = pgTable(
  'jobs',
  {
    jobId: text('job_id').primaryKey(),
    ownerId: text('owner_id'),
    status: text('status').notNull(),
    percent: doublePrecision('percent').notNull(),
    stage: text('stage'),
    message: text('message'),
    result: jsonb('result'),
    error: jsonb('error'),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [check('jobs_status_check', sql`${t.status} in ('queued', 'running', 'completed', 'failed')`)],
);

export const schema = { sessions, messages, idempotencyKeys, jobs, messageIdSeq };
