import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { MIGRATIONS_FOLDER, openStore, type Store } from '@cinder/store';
import { makeTarget, type Target } from './targets';

const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
  entries: unknown[];
};

describe('opening on postgres', () => {
  let target: Target;
  afterAll(async () => {
    await target?.cleanup();
  });

  it('migrates a fresh database once when several servers open it at the same moment', async () => {
    target = await makeTarget('postgres');
    const stores: Store[] = await Promise.all(Array.from({ length: 4 }, () => openStore(target.options)));
    try {
      const db = new Client({ connectionString: target.options.databaseUrl });
      await db.connect();
      try {
        const applied = await db.query('select hash from drizzle.__drizzle_migrations');
        expect(applied.rowCount).toBe(journal.entries.length);
        const tables = await db.query(
          "select table_name from information_schema.tables where table_schema = 'public' order by 1",
        );
        expect(tables.rows.map((r) => r.table_name)).toEqual(['idempotency_keys', 'jobs', 'messages', 'sessions']);
      } finally {
        await db.end();
      }
      const written = await Promise.all(
        stores.map((s, i) =>
          s.appendMessage({
            session_id: 'shared',
            type: 'system_notice',
            author_role: 'system',
            author_id: 'server',
            message: `node ${i}`,
            meta: {},
          }),
        ),
      );
      expect(new Set(written.map((w) => w.message.id)).size).toBe(4);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    // Opening an up-to-date database applies nothing again.
    const again = await openStore(target.options);
    await again.close();
  });
});

describe('opening on pglite', () => {
  let target: Target;
  beforeAll(async () => {
    target = await makeTarget('pglite');
  });
  afterAll(async () => {
    await target?.cleanup();
  });

  it('keeps everything across close and reopen, taking over the lock of a dead process', async () => {
    const first = await openStore(target.options);
    await first.joinSession('s1', { id: 'c', name: 'Coach', role: 'coach' });
    const { message } = await first.appendMessage(
      { session_id: 's1', type: 'ai_feedback', author_role: 'ai', author_id: 'bot', message: 'kept', meta: { x: 1 } },
      { idempotencyKey: 'k1' },
    );
    const { job } = await first.updateJob('j1', { status: 'completed', percent: 100, result: { ok: true } });
    await first.close();
    await expect(first.ping()).rejects.toThrow(/closed/);

    // A process that died holding the directory (kill -9) leaves its lock file behind.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    fs.writeFileSync(path.join(target.options.dataDir, 'store.lock'), dead.stdout.toString());

    const second = await openStore(target.options);
    try {
      expect(await second.getSession('s1')).toMatchObject({ coach: { id: 'c', name: 'Coach' } });
      expect(await second.getMessage('s1', message.id)).toEqual(message);
      expect(await second.appendMessage({ ...message, message: 'retry' }, { idempotencyKey: 'k1' })).toEqual({
        message,
        duplicate: true,
      });
      expect(await second.getJob('j1')).toEqual(job);
      const next = await second.appendMessage({ ...message, message: 'new' });
      expect(Number(next.message.id)).toBeGreaterThan(Number(message.id));
    } finally {
      await second.close();
    }
  });
});
