import fs from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { Backend } from './backend';
import { lockDataDir } from './datadir-lock';
import type { Db } from './db';
import { MIGRATIONS_FOLDER } from './migrations';
import { PgliteThread } from './pglite-thread';
import { schema } from './schema';

/**
 * Embedded Postgres persisted under `dataDir/pgdata`, run on a worker thread
 * (see worker/pglite-worker.cjs) behind drizzle's pglite driver.
 *
 * Durability: PGlite runs Postgres with fsync off but synchronous_commit on,
 * and its Node filesystem passes every write straight to the real file. A
 * commit has therefore written its WAL into the OS page cache before the
 * query resolves, so an acknowledged write survives the process being killed
 * (the durability test kills a writer with SIGKILL); it is not fsynced
 * against a power loss of the machine.
 */
export async function openPglite(dataDir: string): Promise<Backend> {
  fs.mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(path.join(dataDir, 'store.lock'));
  let thread: PgliteThread;
  try {
    thread = await PgliteThread.open(path.join(dataDir, 'pgdata'));
  } catch (err) {
    unlock();
    throw err;
  }
  // The thread client answers the calls drizzle's driver makes of a PGlite.
  const db = drizzle({ client: thread as unknown as PGlite, schema });
  return {
    kind: 'pglite',
    db: db as unknown as Db,
    async migrate() {
      // One process owns the directory (the lock above), so there is no one to race.
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    },
    async close() {
      try {
        await thread.close();
      } finally {
        unlock();
      }
    },
  };
}
