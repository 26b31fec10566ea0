import { randomUUID } from 'node:crypto';
import type { Message } from '@cinder/contract';
import { chatMessage, KINDS, storePerSuite } from './targets';

const msg = chatMessage;

describe.each(KINDS)('group commit on %s', (kind) => {
  const commits: { ms: number; rows: number }[] = [];
  // A generous deadline: these tests count transactions on a shared,
  // possibly busy machine; deadlines have their own test (outage).
  const store = storePerSuite(kind, { opTimeoutMs: 30_000, onCommit: (ms, rows) => commits.push({ ms, rows }) });

  it('writes 500 simultaneous appends in far fewer transactions, each acknowledged after commit', async () => {
    const session = `s-${randomUUID()}`;
    const before = { ...store.stats };
    const commitsBefore = commits.length;
    const resolved: Message[] = [];
    const visibleWhenResolved: boolean[] = [];
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        store.appendMessage(msg(session, `m${i}`)).then(async ({ message }) => {
          resolved.push(message);
          // Acknowledged means committed: a fresh read (another pooled
          // connection on Postgres) finds it. Sampled to keep the test quick.
          if (i % 10 === 0) visibleWhenResolved.push((await store.getMessage(session, message.id)) !== null);
        }),
      ),
    );
    const batches = store.stats.batches - before.batches;
    expect(store.stats.rows - before.rows).toBe(500);
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(batches).toBeLessThanOrEqual(50);
    expect(commits.length - commitsBefore).toBe(batches);
    expect(commits.slice(commitsBefore).reduce((n, c) => n + c.rows, 0)).toBe(500);
    for (const c of commits) expect(c.ms).toBeGreaterThanOrEqual(0);
    expect(visibleWhenResolved).toEqual(Array(50).fill(true));

    const ids = resolved.map((m) => Number(m.id));
    expect(new Set(ids).size).toBe(500);
    // Resolution order is commit order; ids increase along it.
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    // And the stored order is the order the appends were issued in.
    const stored = await store.listMessagesAfter(session, null, 1000);
    expect(stored.map((m) => m.message)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    expect(stored.map((m) => m.id)).toEqual(resolved.map((m) => m.id));
  });

  it('keeps batches bounded and id order equal to commit order across waves and sessions', async () => {
    const sessions = [`a-${randomUUID()}`, `b-${randomUUID()}`, `c-${randomUUID()}`];
    const commitsBefore = commits.length;
    const order: Message[] = [];
    const waves: Promise<unknown>[] = [];
    // New appends arrive while earlier batches are still committing.
    for (let wave = 0; wave < 4; wave++) {
      for (let i = 0; i < 300; i++) {
        const session = sessions[i % sessions.length];
        waves.push(store.appendMessage(msg(session, `w${wave}-${i}`)).then(({ message }) => order.push(message)));
      }
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(waves);
    const mine = commits.slice(commitsBefore);
    expect(mine.reduce((n, c) => n + c.rows, 0)).toBe(1200);
    expect(mine.length).toBeGreaterThanOrEqual(3); // 1200 rows cannot fit the 500-row limit in fewer
    for (const c of mine) expect(c.rows).toBeLessThanOrEqual(500);
    for (const session of sessions) {
      const seen = order.filter((m) => m.session_id === session).map((m) => Number(m.id));
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
      const stored = await store.listMessagesAfter(session, null, 1000);
      expect(stored.map((m) => Number(m.id))).toEqual(seen);
    }
  });
});
