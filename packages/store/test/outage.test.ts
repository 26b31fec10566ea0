import { randomUUID } from 'node:crypto';
import { type NewMessage, openStore, type Store, StoreUnavailableError } from '@cinder/store';
import { type PrivatePostgres, startPrivatePostgres } from '@cinder/testkit';

// An outage needs a Postgres server that can go away: PGlite runs inside the
// process and cannot become unreachable, so this file is Postgres only.

const msg = (session: string, text: string): NewMessage => ({
  session_id: session,
  type: 'chat_message',
  author_role: 'student',
  author_id: 'stu',
  message: text,
  meta: {},
});

/** Settles `work` and reports how long it took, failing if it took longer than `ms`. */
async function settleWithin<T>(ms: number, work: Promise<T>): Promise<{ ok: boolean; value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    const value = await Promise.race([work, late]);
    return { ok: true, value };
  } catch (error) {
    if ((error as Error).message?.startsWith('still pending')) throw error;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

describe('Postgres outage', () => {
  let pg: PrivatePostgres;
  let store: Store;
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    store = await openStore({ databaseUrl: pg.url, dataDir: '/nonexistent-unused' });
  }, 60_000);
  afterAll(async () => {
    await store?.close().catch(() => undefined);
    await pg?.close();
  });

  it('rejects every operation with StoreUnavailableError within 5 s, writes nothing, and recovers', async () => {
    const session = `s-${randomUUID()}`;
    await store.joinSession(session, { id: 'c', name: 'C', role: 'coach' });
    const before = await store.appendMessage(msg(session, 'before'));
    const stateBefore = await store.getSession(session);

    await pg.stop();
    const attempts: [string, Promise<unknown>][] = [
      ['ping', store.ping()],
      ...Array.from({ length: 20 }, (_, i) => [`append ${i}`, store.appendMessage(msg(session, `during ${i}`))] as [string, Promise<unknown>]),
      ['keyed append', store.appendMessage(msg(session, 'during keyed'), { idempotencyKey: 'outage-key' })],
      ['getSession', store.getSession(session)],
      ['listMessagesAfter', store.listMessagesAfter(session, null, 10)],
      ['joinSession', store.joinSession(session, { id: 's', name: 'S', role: 'student' })],
      [
        'updateSession',
        store.updateSession(
          session,
          (s) => ({ state: { ...s, status: 'active' } }),
          (s) => ({ ...msg(session, s.status), type: 'session_state', author_role: 'coach', author_id: 'c' }),
        ),
      ],
      ['updateJob', store.updateJob(`j-${randomUUID()}`, { status: 'running' })],
    ];
    const outcomes = await Promise.all(attempts.map(([, p]) => settleWithin(5000, p)));
    outcomes.forEach((o, i) => {
      expect({ op: attempts[i][0], ok: o.ok }).toEqual({ op: attempts[i][0], ok: false });
      expect(o.error).toBeInstanceOf(StoreUnavailableError);
    });

    await pg.start();
    // The same instance works again without being reopened.
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      recovered = await store.ping().then(
        () => true,
        () => new Promise<boolean>((r) => setTimeout(() => r(false), 100)),
      );
    }
    expect(recovered).toBe(true);
    const after = await store.appendMessage(msg(session, 'after'), { idempotencyKey: 'outage-key' });
    expect(after.duplicate).toBe(false); // the keyed append during the outage left nothing behind
    const history = await store.listMessagesAfter(session, null, 100);
    expect(history.map((m) => m.message)).toEqual(['before', 'after']);
    expect(history[0]).toEqual(before.message);
    expect(await store.getSession(session)).toEqual(stateBefore);
  });

  it('rejects the appends of a batch cut off mid-flight and never stores them twice', async () => {
    const session = `s-${randomUUID()}`;
    await store.appendMessage(msg(session, 'warm-up'));
    const texts = Array.from({ length: 300 }, (_, i) => `burst ${i}`);
    const settled = Promise.allSettled(texts.map((t) => store.appendMessage(msg(session, t))));
    // Cut the server off while those batches are being written.
    await new Promise((r) => setImmediate(r));
    await pg.stop('immediate');
    const results = await settled;
    await pg.start();

    const rejected = results.filter((r) => r.status === 'rejected');
    for (const r of rejected) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    let stored: { message: string; id: string }[] = [];
    for (let i = 0; i < 50; i++) {
      try {
        stored = await store.listMessagesAfter(session, null, 1000);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const counts = new Map<string, number>();
    for (const m of stored) counts.set(m.message, (counts.get(m.message) ?? 0) + 1);
    for (const [, n] of counts) expect(n).toBe(1);
    // Every acknowledged append is there, with the id it was acknowledged with.
    const byText = new Map(stored.map((m) => [m.message, m.id]));
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') expect(byText.get(texts[i])).toBe(r.value.message.id);
    });
  });

  it('answers StoreUnavailableError within 5 s when Postgres hangs, and recovers when it answers again', async () => {
    const session = `s-${randomUUID()}`;
    await store.joinSession(session, { id: 'c', name: 'C', role: 'coach' });
    await store.appendMessage(msg(session, 'before'));
    pg.freeze();
    let outcomes: { ok: boolean; error?: unknown }[];
    try {
      outcomes = await Promise.all([
        settleWithin(5000, store.ping()),
        settleWithin(5000, store.getSession(session)),
        ...Array.from({ length: 5 }, (_, i) => settleWithin(5000, store.appendMessage(msg(session, `frozen ${i}`)))),
      ]);
    } finally {
      pg.thaw();
    }
    for (const o of outcomes) {
      expect(o.ok).toBe(false);
      expect(o.error).toBeInstanceOf(StoreUnavailableError);
    }
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      recovered = await store.ping().then(
        () => true,
        () => new Promise<boolean>((r) => setTimeout(() => r(false), 100)),
      );
    }
    expect(recovered).toBe(true);
    await store.appendMessage(msg(session, 'after'));
    // Appends that timed out while the server hung may or may not have
    // committed once it resumed, but never twice and never out of order.
    const texts = (await store.listMessagesAfter(session, null, 100)).map((m) => m.message);
    expect(texts[0]).toBe('before');
    expect(texts[texts.length - 1]).toBe('after');
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('refuses to open while Postgres is down, with StoreUnavailableError', async () => {
    await pg.stop();
    try {
      const outcome = await settleWithin(5000, openStore({ databaseUrl: pg.url, dataDir: '/nonexistent-unused' }));
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toBeInstanceOf(StoreUnavailableError);
    } finally {
      await pg.start();
    }
  });
});
