import { feedbackCardFrom } from '../src/ai-feedback';
import { storedMessageFrom, unstoredMessage } from '../src/broadcast-message';
import type { Message } from '../src/contract-types';
import { allowedActions, placementOf } from '../src/placement';

const seedPayload = {
  session_id: 'sess_123',
  swing_id: 'sw_999',
  summary: 'The face is open at impact.',
  metrics: { face_angle: 5.2, tempo_score: 78, note: { nested: true } },
  recommendations: ['Stronger grip at address.', '', 'Flatter lead wrist at the top.'],
  level: 'intermediate',
};

describe('feedbackCardFrom', () => {
  it('reads the raw ai:feedback payload', () => {
    expect(feedbackCardFrom(seedPayload)).toEqual({
      summary: 'The face is open at impact.',
      metrics: [
        { name: 'Face angle', value: '5.2' },
        { name: 'Tempo score', value: '78' },
      ],
      recommendations: ['Stronger grip at address.', 'Flatter lead wrist at the top.'],
      level: 'intermediate',
      swingId: 'sw_999',
    });
  });

  it('reads a stored Message whose meta holds the card', () => {
    const row = { id: '7', type: 'ai_feedback', message: 'The face is open at impact.', meta: { metrics: { tempo_score: 80 }, recommendations: ['Grip'] } };
    const card = feedbackCardFrom(row);
    expect(card?.summary).toBe('The face is open at impact.');
    expect(card?.metrics).toEqual([{ name: 'Tempo score', value: '80' }]);
    expect(card?.recommendations).toEqual(['Grip']);
  });

  it('returns null when there is nothing card-like', () => {
    expect(feedbackCardFrom({ message: 'hello', meta: {} })).toBeNull();
  });
});

describe('storedMessageFrom', () => {
  it('rebuilds the stored Message from a persisted broadcast, card data in meta', () => {
    const payload = { ...seedPayload, id: '12', type: 'ai_feedback', author_role: 'ai', author_id: 'ai', message: seedPayload.summary, inserted_at: '2025-01-01T00:00:00Z' };
    const m = storedMessageFrom(payload, 'sess_123', 'ai_feedback');
    expect(m).not.toBeNull();
    expect(m!.id).toBe('12');
    expect(m!.author_role).toBe('ai');
    expect(m!.meta.summary).toBe(seedPayload.summary);
    expect(m!.meta.recommendations).toEqual(seedPayload.recommendations);
    expect(feedbackCardFrom(m as unknown as Record<string, unknown>)?.swingId).toBe('sw_999');
  });

  it('is null for a broadcast that was not stored', () => {
    expect(storedMessageFrom(seedPayload, 'sess_123', 'ai_feedback')).toBeNull();
  });

  it('types a stored system notice from its event and files it under system', () => {
    const m = storedMessageFrom({ id: 3, text: 'The coach joined.', level: 'info' }, 's', 'system_notice');
    expect(m).toMatchObject({ id: '3', type: 'system_notice', author_role: 'system', message: 'The coach joined.', meta: { text: 'The coach joined.', level: 'info' } });
  });
});

describe('unstoredMessage', () => {
  it('shows an unstored AI card with its data in meta, so the card reads the same', () => {
    const m = unstoredMessage('ai_feedback', seedPayload, 0);
    expect(m.id).toBe('');
    expect(m.author_role).toBe('ai');
    expect(feedbackCardFrom(m as unknown as Record<string, unknown>)?.summary).toBe(seedPayload.summary);
  });
});

describe('placementOf', () => {
  const base: Message = { id: '1', session_id: 's', type: 'chat_message', author_role: 'student', author_id: 'u1', message: 'hi', meta: {}, inserted_at: '' };

  it('puts own messages right, others left, AI and system apart', () => {
    expect(placementOf(base, 'u1', 'student')).toBe('own');
    expect(placementOf(base, 'u2', 'coach')).toBe('other');
    // the server matches authors by id and role together
    expect(placementOf(base, 'u1', 'coach')).toBe('other');
    expect(placementOf({ ...base, author_role: 'ai', type: 'ai_insight' }, 'u1', 'student')).toBe('ai');
    expect(placementOf({ ...base, author_role: 'system', type: 'system_notice' }, 'u1', 'student')).toBe('system');
    expect(placementOf({ ...base, author_role: 'coach', author_id: 'c1', type: 'session_state' }, 'c1', 'coach')).toBe('system');
  });

  it('lets authors edit and delete, coaches delete others, nobody touch system rows', () => {
    expect(allowedActions('own', 'student')).toEqual({ edit: true, delete: true });
    expect(allowedActions('other', 'student')).toEqual({ edit: false, delete: false });
    expect(allowedActions('other', 'coach')).toEqual({ edit: false, delete: true });
    expect(allowedActions('system', 'coach')).toEqual({ edit: false, delete: false });
  });
});
