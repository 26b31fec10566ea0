import type { Message } from '../src/contract-types';
import { compareMessageIds } from '../src/message-id';
import { Timeline } from '../src/timeline';

function msg(id: string, text = `message ${id}`, meta: Record<string, unknown> = {}): Message {
  return {
    id,
    session_id: 's1',
    type: 'chat_message',
    author_role: 'student',
    author_id: 'u1',
    message: text,
    meta,
    inserted_at: '2025-01-01T00:00:00.000Z',
  };
}

function ids(t: Timeline): string[] {
  return t.entries().map((e) => (e.kind === 'message' ? e.message.id : e.key));
}

describe('compareMessageIds', () => {
  it('orders decimal ids numerically, beyond 2^53 too', () => {
    expect(compareMessageIds('9', '10')).toBeLessThan(0);
    expect(compareMessageIds('10', '9')).toBeGreaterThan(0);
    expect(compareMessageIds('9007199254740993', '9007199254740992')).toBeGreaterThan(0);
    expect(compareMessageIds('42', '42')).toBe(0);
    expect(compareMessageIds('007', '7')).toBe(0);
  });
});

describe('Timeline', () => {
  it('keeps id order whatever order messages arrive in', () => {
    const t = new Timeline();
    for (const id of ['3', '1', '10', '2']) t.add(msg(id));
    expect(ids(t)).toEqual(['1', '2', '3', '10']);
    expect(t.lastSeenId).toBe('10');
  });

  it('ignores a message delivered twice (live broadcast and rejoin catch-up)', () => {
    const t = new Timeline();
    expect(t.add(msg('5'))).toBe(true);
    expect(t.add(msg('5'))).toBe(false);
    expect(t.size).toBe(1);
  });

  it('keeps an edit that arrived live when an older copy comes later', () => {
    const t = new Timeline();
    t.add(msg('1', 'first'));
    t.update(msg('1', 'edited', { edited_at: 100 }));
    t.add(msg('1', 'first'));
    expect(t.get('1')?.message).toBe('edited');
    t.add(msg('1', 'edited again', { edited_at: 200 }));
    expect(t.get('1')?.message).toBe('edited again');
  });

  it('does not resurrect a deleted message, and keeps its id as the since cursor', () => {
    const t = new Timeline();
    t.add(msg('1'));
    t.add(msg('2'));
    expect(t.remove('2')).toBe(true);
    expect(t.add(msg('2'))).toBe(false);
    expect(ids(t)).toEqual(['1']);
    expect(t.lastSeenId).toBe('2');
  });

  it('ignores edits of messages it never had', () => {
    const t = new Timeline();
    expect(t.update(msg('9', 'edited', { edited_at: 1 }))).toBe(false);
    expect(t.size).toBe(0);
  });

  it('places an unstored AI card after what was known when it arrived', () => {
    const t = new Timeline();
    t.add(msg('1'));
    t.add(msg('2'));
    t.addLive('ai_feedback', { summary: 'card' }, 0);
    t.add(msg('3'));
    expect(ids(t)).toEqual(['1', '2', 'live-1', '3']);
    // The message the card followed is deleted: the card still comes before the newer one.
    t.remove('2');
    expect(ids(t)).toEqual(['1', 'live-1', '3']);
  });

  it('lets a stored session_state row take the place of the live notice that stood in for it', () => {
    const t = new Timeline();
    t.add(msg('1'));
    t.addLive('session_state', { status: 'active' }, 0);
    t.addLive('ai_feedback', { summary: 'card' }, 0);
    expect(ids(t)).toEqual(['1', 'live-1', 'live-2']);
    t.add({ ...msg('2'), type: 'session_state', author_role: 'coach', meta: { status: 'active' } });
    expect(ids(t)).toEqual(['1', 'live-2', '2']);
  });

  it('puts a card that arrived before any message first', () => {
    const t = new Timeline();
    t.addLive('ai_feedback', { summary: 'card' }, 0);
    t.add(msg('1'));
    expect(ids(t)).toEqual(['live-1', '1']);
  });
});
