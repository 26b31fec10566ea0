import type { Db } from './db';

export interface StoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** One opened database: the only place where Postgres and PGlite differ. */
export interface Backend {
  readonly kind: 'postgres' | 'pglite';
  readonly db: Db;
  /** Applies pending migrations; safe when several processes open at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
