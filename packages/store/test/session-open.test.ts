import { randomUUID } from 'node:crypto';
import { StoreInputError } from '@cinder/store';
import { appendInOrder, KINDS, storePerSuite } from './targets';

/* A channel join's store call: seat plus a page of history (session-open.ts). */

const sid = () => `s-${randomUUID()}`;
const student = { id: 'stu', name: 'Sam', role: 'student' as const };
const coach = { id: 'co', name: 'Kim', role: 'coach' as const };

describe.each(KINDS)('openSession on %s', (kind) => {
  const store = storePerSuite(kind);

  const fill = (session: string, n: number) => appendInOrder(store, session, n);

  it('creates an unknown session with the joiner seated and no history', async () => {
    const id = sid();
    const opened = await store.openSession(id, student, { latest: 50 });
    expect(opened.messages).toEqual([]);
    expect(opened.session).toEqual(await store.getSession(id));
    expect(opened.session).toMatchObject({ session_id: id, status: 'waiting', student: { id: 'stu', name: 'Sam' }, coach: null });
  });

  it('answers the latest page ascending, the same as joinSession + latestMessages', async () => {
    const id = sid();
    await store.joinSession(id, student);
    const ids = await fill(id, 7);
    await fill(sid(), 3); // another session's messages stay out
    const opened = await store.openSession(id, student, { latest: 3 });
    expect(opened.messages.map((m) => m.id)).toEqual(ids.slice(4));
    expect(opened.messages).toEqual(await store.latestMessages(id, 3));
    expect(opened.session).toEqual(await store.joinSession(id, student));
    expect((await store.openSession(id, student, { latest: 50 })).messages.map((m) => m.id)).toEqual(ids);
    expect((await store.openSession(id, student, { latest: 0 })).messages).toEqual([]);
  });

  it('pages forward after a cursor and leaves deleted messages out', async () => {
    const id = sid();
    await store.joinSession(id, student);
    const ids = await fill(id, 6);
    expect(await store.deleteMessage(id, ids[2])).toBe(true);
    const opened = await store.openSession(id, student, { after: ids[0], limit: 3 });
    expect(opened.messages.map((m) => m.id)).toEqual([ids[1], ids[3], ids[4]]);
    expect(opened.messages).toEqual(await store.listMessagesAfter(id, ids[0], 3));
    expect((await store.openSession(id, student, { after: ids[5], limit: 10 })).messages).toEqual([]);
  });

  it('takes a free seat and still answers with the history', async () => {
    const id = sid();
    await store.joinSession(id, student);
    const ids = await fill(id, 2);
    const opened = await store.openSession(id, coach, { latest: 50 });
    expect(opened.session.coach).toEqual({ id: 'co', name: 'Kim' });
    expect(opened.session.student).toEqual({ id: 'stu', name: 'Sam' });
    expect(opened.messages.map((m) => m.id)).toEqual(ids);
    // a later coach finds the seat taken and changes nothing
    const later = await store.openSession(id, { id: 'co2', name: 'Lee', role: 'coach' }, { latest: 1 });
    expect(later.session.coach).toEqual({ id: 'co', name: 'Kim' });
    expect(later.messages.map((m) => m.id)).toEqual([ids[1]]);
  });

  it('refuses bad arguments without creating anything', async () => {
    const id = sid();
    await expect(store.openSession(id, { id: '', name: 'x', role: 'student' }, { latest: 5 })).rejects.toThrow(StoreInputError);
    await expect(store.openSession(id, { id: 'a', name: 'x', role: 'admin' as never }, { latest: 5 })).rejects.toThrow(StoreInputError);
    await expect(store.openSession(id, student, { latest: -1 })).rejects.toThrow(StoreInputError);
    await expect(store.openSession(id, student, { after: 'nope', limit: 5 })).rejects.toThrow(StoreInputError);
    expect(await store.getSession(id)).toBeNull();
  });
});
