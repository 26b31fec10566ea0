/** openStore: the durable store's public face over either back end. */
import type { JobUpdate, Message, SessionState, SessionStatus } from '@cinder/contract';
import { sql } from 'drizzle-orm';
import type { Backend, StoreLogger } from './backend';
import type { Db } from './db';
import { withDeadline } from './deadline';
import { HealthGate } from './health-gate';
import { SessionEndedError, StoreUnavailableError, toStoreError } from './errors';
import { type CommitStats, GroupCommitter } from './group-commit';
import * as jobs from './jobs';
import { type NewMessage, type WriteResult, writeMessages } from './message-writer';
import * as messages from './messages';
import { openPglite } from './pglite-backend';
import { openPostgres } from './postgres-backend';
import type { StoredJob } from './rows';
import * as sessions from './sessions';
import { type HistoryPage, type OpenedSession, openSession } from './session-open';

export interface StoreOptions {
  /** Postgres URL; absent: embedded PGlite under dataDir */
  databaseUrl?: string;
  dataDir: string;
  /** longest any operation may take before rejecting with StoreUnavailableError (default 4000) */
  opTimeoutMs?: number;
  logger?: StoreLogger;
  /** called after each group-commit transaction with its duration and inserted rows */
  onCommit?: (ms: number, rows: number) => void;
  /** most appends per group-commit transaction (default 500) */
  maxBatch?: number;
}

export interface StoreStats extends CommitStats {
  /** appends waiting for the next transaction */
  queued: number;
}

const silent: StoreLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export class Store {
  private closed = false;
  private readonly committer: GroupCommitter;
  private readonly db: Db;
  private readonly gate: HealthGate;

  constructor(
    private readonly backend: Backend,
    private readonly opTimeoutMs: number,
    options: StoreOptions,
  ) {
    this.db = backend.db;
    this.gate = new HealthGate(
      async () => {
        await withDeadline(this.db.execute(sql`select 1`), this.opTimeoutMs, 'probe');
      },
      options.logger ?? silent,
    );
    this.committer = new GroupCommitter(async (writes) => {
      // A batch that would only wait out its timeout is refused at once.
      this.gate.check();
      // Never one self-committing statement, however short: one sent to a
      // hung server can commit after its callers heard `unavailable`, while a
      // transaction whose COMMIT was never sent rolls back.
      return this.db.transaction((tx) => writeMessages(tx, writes, new Date()));
    }, {
      maxBatch: options.maxBatch ?? 500,
      timeoutMs: opTimeoutMs,
      onCommit: options.onCommit,
    });
  }

  get kind(): 'postgres' | 'pglite' {
    return this.backend.kind;
  }

  get stats(): StoreStats {
    return { ...this.committer.stats, queued: this.committer.queued };
  }

  private async run<T>(what: string, work: (db: Db) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    this.gate.check();
    try {
      return await withDeadline(work(this.db), this.opTimeoutMs, what);
    } catch (err) {
      const e = toStoreError(err, what);
      this.gate.failed(e);
      throw e;
    }
  }

  ping(): Promise<void> {
    return this.run('ping', async (db) => {
      await db.execute(sql`select 1`);
    });
  }

  /** openSession without history */
  async joinSession(sessionId: string, joiner: sessions.Joiner): Promise<SessionState> {
    return (await this.openSession(sessionId, joiner, { latest: 0 })).session;
  }

  /** joinSession plus a page of history, in one round trip when the seat is taken (see session-open.ts) */
  openSession(sessionId: string, joiner: sessions.Joiner, page: HistoryPage): Promise<OpenedSession> {
    return this.run('openSession', (db) => openSession(db, sessionId, joiner, page));
  }

  getSession(sessionId: string): Promise<SessionState | null> {
    return this.run('getSession', (db) => sessions.getSession(db, sessionId));
  }

  /** `status` undefined: sessions of every status; the order is the same either way (see sessions.ts) */
  listSessions(status: SessionStatus | undefined, limit: number): Promise<SessionState[]> {
    return this.run('listSessions', (db) => sessions.listSessions(db, status, limit));
  }

  updateSession(
    sessionId: string,
    mutate: sessions.SessionMutation,
    message?: (state: SessionState) => NewMessage,
  ): Promise<sessions.SessionUpdateResult> {
    const checked = message && ((state: SessionState) => messages.requireNewMessage(message(state)));
    return this.run('updateSession', (db) => sessions.updateSession(db, sessionId, mutate, checked));
  }

  /** Resolves once the row is committed; ids grow in commit order within a session. */
  async appendMessage(message: NewMessage, opts: { idempotencyKey?: string; requireOpen?: boolean } = {}): Promise<WriteResult> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    messages.requireNewMessage(message);
    const idempotencyKey = messages.requireIdempotencyKey(opts.idempotencyKey);
    this.gate.check();
    try {
      const result = await this.committer.submit({ message, idempotencyKey, requireOpen: opts.requireOpen });
      if (result.refused === 'session_ended') throw new SessionEndedError(`session ${message.session_id} has ended`);
      return result;
    } catch (err) {
      this.gate.failed(err);
      throw err;
    }
  }

  getMessage(sessionId: string, id: string): Promise<Message | null> {
    return this.run('getMessage', (db) => messages.getMessage(db, sessionId, id));
  }

  listMessagesAfter(sessionId: string, afterId: string | null, limit: number): Promise<Message[]> {
    return this.run('listMessagesAfter', (db) => messages.listMessagesAfter(db, sessionId, afterId, limit));
  }

  pageAfter(sessionId: string, afterId: string | null, limit: number): Promise<{ messages: Message[]; more: boolean }> {
    return this.run('pageAfter', (db) => messages.pageAfter(db, sessionId, afterId, limit));
  }

  countMessagesAfter(sessionId: string, afterId: string | null): Promise<number> {
    return this.run('countMessagesAfter', (db) => messages.countMessagesAfter(db, sessionId, afterId));
  }

  latestMessages(sessionId: string, limit: number): Promise<Message[]> {
    return this.run('latestMessages', (db) => messages.latestMessages(db, sessionId, limit));
  }

  editMessage(sessionId: string, id: string, text: string, editedAtMs: number): Promise<Message | null> {
    return this.run('editMessage', (db) => messages.editMessage(db, sessionId, id, text, editedAtMs));
  }

  deleteMessage(sessionId: string, id: string): Promise<boolean> {
    return this.run('deleteMessage', (db) => messages.deleteMessage(db, sessionId, id));
  }

  getJob(jobId: string): Promise<StoredJob> {
    return this.run('getJob', (db) => jobs.getJob(db, jobId));
  }

  updateJob(jobId: string, update: JobUpdate): Promise<jobs.JobUpdateResult> {
    return this.run('updateJob', (db) => jobs.updateJob(db, jobId, update));
  }

  /** Lets queued appends finish, then closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gate.stop();
    await this.committer.flush();
    await this.backend.close();
  }
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const opTimeoutMs = options.opTimeoutMs ?? 4000;
  if (!Number.isFinite(opTimeoutMs) || opTimeoutMs <= 0) throw new Error('opTimeoutMs must be a positive number');
  // Postgres takes at most 65535 parameters per statement, 9 per message row.
  const maxBatch = options.maxBatch ?? 500;
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 5000) {
    throw new Error('maxBatch must be an integer from 1 to 5000');
  }
  if (!options.databaseUrl && (typeof options.dataDir !== 'string' || options.dataDir === '')) {
    throw new Error('dataDir is required when no databaseUrl is given');
  }
  const logger = options.logger ?? silent;
  let backend: Backend;
  try {
    backend = options.databaseUrl
      ? openPostgres(options.databaseUrl, opTimeoutMs, logger)
      : await openPglite(options.dataDir);
  } catch (err) {
    throw toStoreError(err, 'open');
  }
  try {
    await backend.migrate();
  } catch (err) {
    await backend.close().catch(() => undefined);
    throw toStoreError(err, 'migrate');
  }
  logger.info({ kind: backend.kind }, 'store opened');
  return new Store(backend, opTimeoutMs, options);
}
