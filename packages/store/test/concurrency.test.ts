import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { SessionState } from '@cinder/contract';
import { type NewMessage, openStore, type Store } from '@cinder/store';
import { makeTarget, type Target } from './targets';

const msg = (session: string, text: string): NewMessage => ({
  session_id: session,
  type: 'chat_message',
  author_role: 'student',
  author_id: 'stu',
  message: text,
  meta: {},
});

interface Watch {
  /** stops polling; answers the stored ids the poller never received */
  stop(): Promise<string[]>;
  polls: number;
}

/**
 * Reads like a reconnecting client: always `after` the largest id seen so
 * far. If a smaller id could commit after a larger one became visible, this
 * reader would skip it for good; at the end every stored id must have been
 * received.
 */
function watchHistory(store: Store, session: string): Watch {
  const seen = new Set<string>();
  let after: string | null = null;
  let running = true;
  const watch: Watch = { polls: 0, stop: async () => [] };
  const loop = (async () => {
    while (running) {
      const rows = await store.listMessagesAfter(session, after, 10_000);
      watch.polls++;
      for (const m of rows) seen.add(m.id);
      if (rows.length > 0) after = rows[rows.length - 1].id;
    }
  })();
  watch.stop = async () => {
    running = false;
    await loop;
    const stored = await store.listMessagesAfter(session, null, 10_000);
    return stored.map((m) => m.id).filter((id) => !seen.has(id));
  };
  return watch;
}

/** Small waves, so many transactions of different writers interleave. */
async function writeWaves(store: Store, session: string, tag: string, waves: number, perWave: number): Promise<string[]> {
  const ids: string[] = [];
  for (let w = 0; w < waves; w++) {
    const wave = await Promise.all(
      Array.from({ length: perWave }, (_, i) => store.appendMessage(msg(session, `${tag}-${w}-${i}`))),
    );
    ids.push(...wave.map((r) => r.message.id));
  }
  return ids;
}

async function stepWaves(store: Store, session: string, waves: number): Promise<string[]> {
  const ids: string[] = [];
  for (let w = 0; w < waves; w++) {
    const r = await store.updateSession(
      session,
      (s: SessionState) => ({ state: { ...s, current_step: `step-${w}` } }),
      (s) => ({ ...msg(session, s.current_step ?? ''), type: 'session_state', author_role: 'coach', author_id: 'c' }),
    );
    if ('error' in r || !r.message) throw new Error('update failed');
    ids.push(r.message.id);
  }
  return ids;
}

function expectIncreasing(ids: string[]): void {
  for (let i = 1; i < ids.length; i++) expect(Number(ids[i])).toBeGreaterThan(Number(ids[i - 1]));
}

describe('two nodes writing one session (postgres)', () => {
  let target: Target;
  let nodeA: Store;
  let nodeB: Store;
  beforeAll(async () => {
    target = await makeTarget('postgres');
    const options = { ...target.options, opTimeoutMs: 30_000 }; // deadlines are the outage test's subject
    [nodeA, nodeB] = await Promise.all([openStore(options), openStore(options)]);
  });
  afterAll(async () => {
    await nodeA?.close();
    await nodeB?.close();
    await target?.cleanup();
  });

  it('never lets a reader see an id below one it has already seen', async () => {
    const session = `s-${randomUUID()}`;
    await nodeA.joinSession(session, { id: 'c', name: 'C', role: 'coach' });
    const watches = [watchHistory(nodeA, session), watchHistory(nodeB, session)];
    const [idsA, idsB, idsSteps] = await Promise.all([
      writeWaves(nodeA, session, 'a', 40, 4),
      writeWaves(nodeB, session, 'b', 40, 4),
      stepWaves(nodeB, session, 15),
    ]);
    for (const watch of watches) {
      expect(await watch.stop()).toEqual([]);
      expect(watch.polls).toBeGreaterThan(1);
    }
    // Each writer's acknowledgements come in commit order, so its ids increase.
    expectIncreasing(idsA);
    expectIncreasing(idsB);
    expectIncreasing(idsSteps);
    const stored = await nodeB.listMessagesAfter(session, null, 10_000);
    expect(stored.map((m) => m.id).sort()).toEqual([...idsA, ...idsB, ...idsSteps].sort());
    expect((await nodeA.getSession(session))?.current_step).toBe('step-14');
  });

  it('refuses a chat append that waited on the session lock while the session was being ended', async () => {
    const session = `s-${randomUUID()}`;
    await nodeA.joinSession(session, { id: 'c', name: 'C', role: 'coach' });
    // a session:control "end" caught in the middle of its transaction
    const ender = new Client({ connectionString: target.options.databaseUrl });
    await ender.connect();
    try {
      await ender.query('begin');
      await ender.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [session]);
      await ender.query(`update sessions set status = 'ended' where session_id = $1`, [session]);
      let settled = false;
      const append = nodeB.appendMessage(msg(session, 'late'), { requireOpen: true }).then(
        () => 'stored',
        (err: Error) => err.name,
      );
      void append.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false); // it waits for the lock…
      await ender.query('commit');
      // …and then judges the session as it is after that commit, not as it was when the append began
      expect(await append).toBe('SessionEndedError');
    } finally {
      await ender.end();
    }
    expect(await nodeA.countMessagesAfter(session, null)).toBe(0);
  });

  it('stores one row for an idempotency key retried on both nodes at once', async () => {
    const session = `s-${randomUUID()}`;
    for (let round = 0; round < 10; round++) {
      const key = `k-${round}`;
      const [a, b] = await Promise.all([
        nodeA.appendMessage(msg(session, `a${round}`), { idempotencyKey: key }),
        nodeB.appendMessage(msg(session, `b${round}`), { idempotencyKey: key }),
      ]);
      expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
      expect(a.message).toEqual(b.message);
    }
    expect(await nodeA.countMessagesAfter(session, null)).toBe(10);
  });
});

describe('one embedded database (pglite)', () => {
  let target: Target;
  let store: Store;
  beforeAll(async () => {
    target = await makeTarget('pglite');
    store = await openStore({ ...target.options, opTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    await store?.close();
    await target?.cleanup();
  });

  it('refuses a second store on the same data directory and keeps the first working', async () => {
    await expect(openStore(target.options)).rejects.toThrow(/already held|in use/);
    const session = `s-${randomUUID()}`;
    await expect(store.appendMessage(msg(session, 'still fine'))).resolves.toMatchObject({ duplicate: false });
  });

  it('never lets a reader see an id below one it has already seen', async () => {
    const session = `s-${randomUUID()}`;
    await store.joinSession(session, { id: 'c', name: 'C', role: 'coach' });
    const watch = watchHistory(store, session);
    const [idsA, idsB, idsSteps] = await Promise.all([
      writeWaves(store, session, 'a', 12, 4),
      writeWaves(store, session, 'b', 12, 4),
      stepWaves(store, session, 8),
    ]);
    expect(await watch.stop()).toEqual([]);
    expect(watch.polls).toBeGreaterThan(1);
    expectIncreasing(idsA);
    expectIncreasing(idsB);
    expectIncreasing(idsSteps);
    expect(await store.countMessagesAfter(session, null)).toBe(idsA.length + idsB.length + idsSteps.length);
  });
});
