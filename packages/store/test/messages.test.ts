import { randomUUID } from 'node:crypto';
import { StoreInputError } from '@cinder/store';
import { appendInOrder, chatMessage, KINDS, storePerSuite } from './targets';

const sid = () => `s-${randomUUID()}`;
const msg = chatMessage;

describe.each(KINDS)('messages on %s', (kind) => {
  const store = storePerSuite(kind);

  const fill = (session: string, n: number) => appendInOrder(store, session, n);

  it('stores a message and returns it whole', async () => {
    const s = sid();
    const before = Date.now();
    const { message, duplicate } = await store.appendMessage(
      msg(s, 'héllo 👋', { type: 'feeling_update', author_role: 'coach', author_id: 'c1', meta: { mood: 'good', n: [1, 2] } }),
    );
    expect(duplicate).toBe(false);
    expect(message).toEqual({
      id: expect.stringMatching(/^\d+$/),
      session_id: s,
      type: 'feeling_update',
      author_role: 'coach',
      author_id: 'c1',
      message: 'héllo 👋',
      meta: { mood: 'good', n: [1, 2] },
      inserted_at: expect.any(String),
    });
    expect(new Date(message.inserted_at).toISOString()).toBe(message.inserted_at);
    expect(Date.parse(message.inserted_at)).toBeGreaterThanOrEqual(before - 1000);
    expect(await store.getMessage(s, message.id)).toEqual(message);
    // A persisted broadcast may reach a session nobody joined yet: it now exists, waiting.
    expect(await store.getSession(s)).toMatchObject({ session_id: s, status: 'waiting', coach: null, student: null });
  });

  it('stores texts and meta that array literals would mangle exactly as sent, in one batch', async () => {
    const s = sid();
    const texts = ['NULL', 'null', '', 'a,b', '{x}', '"quoted"', 'back\\slash', ' padded ', 'tab\there', 'line\nbreak', '한국어 👋'];
    const metas = [{ q: '"{,}"\\' }, { nested: { a: [1, 'NULL', null] } }, {}];
    const written = await Promise.all(
      texts.map((t, i) => store.appendMessage(msg(s, t, { meta: metas[i % metas.length] }), i % 2 === 0 ? { idempotencyKey: `k-${t}-${i}` } : {})),
    );
    expect(written.map((w) => w.message.message)).toEqual(texts);
    const stored = await store.listMessagesAfter(s, null, 50);
    expect(stored.map((m) => m.message)).toEqual(texts);
    expect(stored.map((m) => m.meta)).toEqual(texts.map((_, i) => metas[i % metas.length]));
    expect(stored).toEqual(written.map((w) => w.message));
  });

  it('keeps each session its own history, ordered by increasing ids', async () => {
    const a = sid();
    const b = sid();
    const idsA = await fill(a, 5);
    const idsB = await fill(b, 3);
    const numeric = idsA.map(Number);
    expect([...numeric].sort((x, y) => x - y)).toEqual(numeric);
    expect(new Set(numeric).size).toBe(5);
    expect((await store.listMessagesAfter(a, null, 100)).map((m) => m.id)).toEqual(idsA);
    expect((await store.listMessagesAfter(b, null, 100)).map((m) => m.id)).toEqual(idsB);
    expect(await store.getMessage(b, idsA[0])).toBeNull();
  });

  it('pages with after and limit, ascending', async () => {
    const s = sid();
    const ids = await fill(s, 12);
    expect((await store.listMessagesAfter(s, ids[3], 4)).map((m) => m.id)).toEqual(ids.slice(4, 8));
    expect((await store.listMessagesAfter(s, ids[11], 4)).map((m) => m.id)).toEqual([]);
    expect((await store.listMessagesAfter(s, '0', 2)).map((m) => m.id)).toEqual(ids.slice(0, 2));
    // Walking page by page visits every message once.
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { messages: { id: string }[]; more: boolean } = await store.pageAfter(s, after, 5);
      seen.push(...page.messages.map((m) => m.id));
      if (!page.more) break;
      after = page.messages[page.messages.length - 1].id;
    }
    expect(seen).toEqual(ids);
  });

  it('returns the latest n ascending', async () => {
    const s = sid();
    const ids = await fill(s, 7);
    expect((await store.latestMessages(s, 3)).map((m) => m.id)).toEqual(ids.slice(4));
    expect((await store.latestMessages(s, 50)).map((m) => m.id)).toEqual(ids);
    expect(await store.latestMessages(sid(), 50)).toEqual([]);
  });

  it('tells whether more than the cap were missed after an id', async () => {
    const s = sid();
    const ids = await fill(s, 6);
    expect(await store.pageAfter(s, ids[0], 5)).toEqual({ messages: expect.any(Array), more: false });
    const capped = await store.pageAfter(s, ids[0], 4);
    expect(capped.more).toBe(true);
    expect(capped.messages.map((m) => m.id)).toEqual(ids.slice(1, 5));
    expect(await store.countMessagesAfter(s, ids[0])).toBe(5);
    expect(await store.countMessagesAfter(s, null)).toBe(6);
    expect(await store.countMessagesAfter(s, ids[5])).toBe(0);
  });

  it('edits a message in place and records edited_at', async () => {
    const s = sid();
    const { message } = await store.appendMessage(msg(s, 'first draft', { meta: { tag: 'x' } }));
    const edited = await store.editMessage(s, message.id, 'final words', 1_700_000_000_123);
    expect(edited).toEqual({ ...message, message: 'final words', meta: { tag: 'x', edited_at: 1_700_000_000_123 } });
    expect(await store.getMessage(s, message.id)).toEqual(edited);
    expect(await store.editMessage(s, '999999999', 'x', 1)).toBeNull();
    expect(await store.editMessage(sid(), message.id, 'x', 1)).toBeNull();
    expect(await store.editMessage(s, 'not-an-id', 'x', 1)).toBeNull();
    await expect(store.editMessage(s, message.id, 'x', Number.NaN)).rejects.toBeInstanceOf(StoreInputError);
    expect(await store.getMessage(s, message.id)).toEqual(edited);
  });

  it('soft-deletes: reads never return a deleted message again', async () => {
    const s = sid();
    const ids = await fill(s, 4);
    expect(await store.deleteMessage(s, ids[1])).toBe(true);
    expect(await store.deleteMessage(s, ids[1])).toBe(false);
    expect(await store.deleteMessage(sid(), ids[2])).toBe(false);
    expect(await store.deleteMessage(s, 'nope')).toBe(false);
    expect(await store.getMessage(s, ids[1])).toBeNull();
    expect(await store.editMessage(s, ids[1], 'resurrect', 1)).toBeNull();
    expect((await store.listMessagesAfter(s, null, 10)).map((m) => m.id)).toEqual([ids[0], ids[2], ids[3]]);
    expect((await store.latestMessages(s, 2)).map((m) => m.id)).toEqual([ids[2], ids[3]]);
    expect(await store.countMessagesAfter(s, null)).toBe(3);
    // A new message still gets a larger id than the deleted one.
    const next = await store.appendMessage(msg(s, 'after delete'));
    expect(Number(next.message.id)).toBeGreaterThan(Number(ids[3]));
  });

  it('stores a message once per idempotency key and returns the original on retry', async () => {
    const s = sid();
    const key = `k-${randomUUID()}`;
    const first = await store.appendMessage(msg(s, 'once', { author_role: 'ai', author_id: 'bot' }), { idempotencyKey: key });
    expect(first.duplicate).toBe(false);
    const retry = await store.appendMessage(msg(s, 'once (retried, maybe changed)'), { idempotencyKey: key });
    expect(retry).toEqual({ message: first.message, duplicate: true });
    // The same key in another session is another request.
    const other = await store.appendMessage(msg(sid(), 'elsewhere'), { idempotencyKey: key });
    expect(other.duplicate).toBe(false);
    expect((await store.listMessagesAfter(s, null, 10)).map((m) => m.id)).toEqual([first.message.id]);
  });

  it('deduplicates simultaneous retries of one key to a single row', async () => {
    const s = sid();
    const key = `k-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.appendMessage(msg(s, `try ${i}`), { idempotencyKey: key })),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    const original = results.find((r) => !r.duplicate)?.message;
    for (const r of results) expect(r.message).toEqual(original);
    expect(await store.latestMessages(s, 20)).toEqual([original]);
  });

  it('refuses malformed messages and arguments without storing anything', async () => {
    const s = sid();
    const bad: unknown[] = [
      { ...msg(s, 'x'), session_id: '' },
      { ...msg(s, 'x'), message: 42 },
      { ...msg(s, 'x'), meta: [] },
      { ...msg(s, 'x'), meta: null },
      { ...msg(s, 'nul \u0000 inside') },
      { ...msg(s, 'lone \ud800 surrogate') },
      { ...msg(s, 'x'), meta: { k: 'nul \u0000' } },
      { ...msg(s, 'x'), meta: { k: BigInt(1) } },
    ];
    for (const m of bad) await expect(store.appendMessage(m as NewMessage)).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.appendMessage(msg(s, 'x'), { idempotencyKey: '' })).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.listMessagesAfter(s, 'abc', 10)).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.listMessagesAfter(s, null, 0)).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.latestMessages(s, 1.5)).rejects.toBeInstanceOf(StoreInputError);
    expect(await store.getMessage(s, '1e3')).toBeNull();
    expect(await store.getSession(s)).toBeNull();
    // Text a user may legitimately send, backslashes included, is stored as is.
    const odd = await store.appendMessage(msg(s, 'path C:\\ud800 and \\u0000', { meta: { raw: '\\u0000' } }));
    expect(await store.getMessage(s, odd.message.id)).toEqual(odd.message);
  });
});
