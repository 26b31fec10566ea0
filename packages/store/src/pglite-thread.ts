/**
 * The main-thread side of worker/pglite-worker.cjs: a client with the part
 * of PGlite's interface that drizzle's pglite driver uses (`query`,
 * `transaction`), forwarding every statement to the worker thread.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from './errors';

interface QueryOptions {
  rowMode?: 'array' | 'object';
  parsers?: Record<number, unknown>;
}

export interface QueryResult {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

interface Reply {
  id?: number;
  kind?: 'ready' | 'failed';
  ok?: boolean;
  result?: QueryResult;
  error?: Record<string, unknown>;
}

const WORKER_FILE = path.resolve(__dirname, '..', 'worker', 'pglite-worker.cjs');

function rebuildError(fields: Record<string, unknown> | undefined): Error {
  const err = new Error(String(fields?.message ?? 'embedded database error'));
  Object.assign(err, fields);
  return err;
}

/** What a transaction callback receives: queries that run inside the open transaction. */
export interface PgliteQueryable {
  query(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult>;
}

export class PgliteThread implements PgliteQueryable {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(r: QueryResult): void; reject(e: Error): void }>();
  private nextId = 1;
  private failure: Error | null = null;
  // Statements from outside a transaction must not land inside one, since the
  // worker holds a single session: everything queues on this chain.
  private exclusive: Promise<unknown> = Promise.resolve();

  private constructor(dataDir: string) {
    this.worker = new Worker(WORKER_FILE, { workerData: { dataDir } });
    this.worker.on('message', (reply: Reply) => this.settle(reply));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`embedded database thread exited (${code})`)));
  }

  static open(dataDir: string): Promise<PgliteThread> {
    const thread = new PgliteThread(dataDir);
    return new Promise((resolve, reject) => {
      thread.pending.set(0, {
        resolve: () => resolve(thread),
        reject: (err) => {
          void thread.worker.terminate();
          reject(err);
        },
      });
    });
  }

  private settle(reply: Reply): void {
    const id = reply.kind ? 0 : (reply.id as number);
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    if (reply.kind === 'ready' || reply.ok) waiter.resolve(reply.result as QueryResult);
    else waiter.reject(rebuildError(reply.error));
  }

  private fail(cause: Error): void {
    // Without its thread the database cannot answer until the store is reopened.
    if (!this.failure) this.failure = new StoreUnavailableError(`embedded database stopped: ${cause.message}`, { cause });
    const err = this.failure;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }

  private send(message: Record<string, unknown>): Promise<QueryResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<QueryResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  private run(sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<QueryResult> {
    return this.send({
      kind: 'query',
      sql,
      params,
      rowMode: options.rowMode ?? 'object',
      rawTypes: Object.keys(options.parsers ?? {}).map(Number),
    });
  }

  private withSession<T>(work: () => Promise<T>): Promise<T> {
    const result = this.exclusive.then(work);
    this.exclusive = result.catch(() => undefined);
    return result;
  }

  query(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult> {
    return this.withSession(() => this.run(sql, params, options));
  }

  transaction<T>(body: (tx: PgliteQueryable) => Promise<T>): Promise<T> {
    return this.withSession(async () => {
      await this.run('BEGIN');
      let result: T;
      try {
        result = await body({ query: (sql, params, options) => this.run(sql, params, options) });
      } catch (err) {
        await this.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      await this.run('COMMIT');
      return result;
    });
  }

  async close(): Promise<void> {
    await this.withSession(async () => {
      if (!this.failure) await this.send({ kind: 'close' });
    });
    await this.worker.terminate();
  }
}
