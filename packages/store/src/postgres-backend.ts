import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { Client, Pool } from 'pg';
import type { Backend, StoreLogger } from './backend';
import type { Db } from './db';
import { MIGRATIONS_FOLDER, MIGRATION_LOCK } from './migrations';
import { schema } from './schema';

/**
 * Every driver-level timeout sits below opTimeoutMs, so a dead or hung
 * server surfaces as an error (and a rolled-back transaction) before the
 * caller's own deadline rather than as a query left running behind it.
 */
export function openPostgres(url: string, opTimeoutMs: number, logger: StoreLogger): Backend {
  const queryTimeout = Math.max(100, Math.floor(opTimeoutMs * 0.75));
  const pool = new Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: Math.max(100, Math.floor(opTimeoutMs * 0.5)),
    query_timeout: queryTimeout,
    statement_timeout: queryTimeout,
    idle_in_transaction_session_timeout: Math.max(1000, opTimeoutMs * 2),
    keepAlive: true,
    application_name: 'cinder-store',
  });
  // An idle client losing its server must not crash the process; the pool
  // drops it and the next checkout connects afresh.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'postgres connection lost'));
  // A checked-out client between two statements of a transaction has no
  // listener of its own; unhandled, its 'error' event would end the process.
  // Its next statement fails instead and the pool discards it on release.
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.warn({ err: err.message }, 'postgres connection lost in use'));
  });
  const db = drizzle({ client: pool, schema }) as unknown as Db;

  return {
    kind: 'postgres',
    db,
    async migrate() {
      // A dedicated connection without statement_timeout: waiting for
      // another process's migration is expected, and ending the connection
      // releases the lock even if migrating fails.
      const client = new Client({ connectionString: url, connectionTimeoutMillis: opTimeoutMs });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const mdb = drizzle({ client, schema });
        await mdb.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK[0]}, ${MIGRATION_LOCK[1]})`);
        await migrate(mdb, { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
