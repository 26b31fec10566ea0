/**
 * Where a test file's store lives: a fresh Postgres database, or a fresh
 * PGlite directory copied from a migrated template (a PGlite initdb costs
 * seconds of CPU, so it runs once per template, not once per test file).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '@cinder/testkit';
import { MIGRATIONS_FOLDER, type NewMessage, openStore, type Store, type StoreOptions } from '@cinder/store';

export type Kind = 'postgres' | 'pglite';
export const KINDS: Kind[] = ['postgres', 'pglite'];

export interface Target {
  options: StoreOptions;
  cleanup(): Promise<void>;
}

function templateKey(): string {
  const hash = createHash('sha256');
  hash.update(fs.readFileSync(path.resolve(__dirname, '../node_modules/@electric-sql/pglite/package.json')));
  for (const f of fs.readdirSync(MIGRATIONS_FOLDER).sort()) {
    if (f.endsWith('.sql')) hash.update(fs.readFileSync(path.join(MIGRATIONS_FOLDER, f)));
  }
  return hash.digest('hex').slice(0, 16);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A migrated, closed PGlite data directory, built by whichever test file asks first. */
async function pgliteTemplate(): Promise<string> {
  const root = path.join(os.tmpdir(), `cinder-pglite-template-${templateKey()}`);
  const ready = path.join(root, 'ready');
  const building = `${root}.building`;
  const deadline = Date.now() + 180_000;
  while (!fs.existsSync(ready)) {
    let mine = false;
    try {
      fs.mkdirSync(building);
      mine = true;
    } catch {
      // Another jest worker builds it; a builder that died leaves a stale marker.
      if (Date.now() > deadline) fs.rmSync(building, { recursive: true, force: true });
    }
    if (!mine) {
      await sleep(200);
      continue;
    }
    try {
      const tmp = fs.mkdtempSync(`${root}.tmp-`);
      const store = await openStore({ dataDir: tmp });
      await store.close();
      fs.writeFileSync(path.join(tmp, 'ready'), '');
      fs.rmSync(root, { recursive: true, force: true });
      fs.renameSync(tmp, root);
    } finally {
      fs.rmSync(building, { recursive: true, force: true });
    }
  }
  return path.join(root, 'pgdata');
}

export async function makeTarget(kind: Kind): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-store-'));
  const removeDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
  try {
    if (kind === 'pglite') {
      fs.cpSync(await pgliteTemplate(), path.join(dataDir, 'pgdata'), { recursive: true });
      return { options: { dataDir }, cleanup: async () => removeDir() };
    }
    return await postgresTarget(dataDir, removeDir);
  } catch (err) {
    removeDir();
    throw err;
  }
}

async function postgresTarget(dataDir: string, removeDir: () => void): Promise<Target> {
  const db = await createTestDatabase('cinder_store');
  return {
    options: { databaseUrl: db.url, dataDir },
    async cleanup() {
      removeDir();
      await db.drop();
    },
  };
}

/**
 * A store on a fresh target of `kind` for the enclosing describe block,
 * opened before its tests and closed after. The returned object always
 * stands for that store, so the tests can use it directly.
 */
export function storePerSuite(kind: Kind, options: Partial<StoreOptions> = {}): Store {
  let target: Target | undefined;
  let store: Store | undefined;
  beforeAll(async () => {
    target = await makeTarget(kind);
    store = await openStore({ ...target.options, ...options });
  });
  afterAll(async () => {
    await store?.close();
    await target?.cleanup();
  });
  return new Proxy({} as Store, {
    get(_t, key) {
      if (store === undefined) throw new Error('the suite store exists only while its tests run');
      const value = store[key as keyof Store];
      return typeof value === 'function' ? value.bind(store) : value;
    },
  });
}

/** A student's chat message for `session`. */
export function chatMessage(session: string, text: string, extra: Partial<NewMessage> = {}): NewMessage {
  return { session_id: session, type: 'chat_message', author_role: 'student', author_id: 'stu', message: text, meta: {}, ...extra };
}

/** Appends `n` messages one at a time, so the stored order is the given order; returns their ids. */
export async function appendInOrder(store: Store, session: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await store.appendMessage(chatMessage(session, `m${i}`))).message.id);
  return ids;
}
