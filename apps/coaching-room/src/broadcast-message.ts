import type { AuthorRole, Message } from './contract-types';

/**
 * Back-end broadcasts that carry a message, and the type the server derives
 * from the event when it stores one (CONTRACT §6: `ai:feedback` →
 * `ai_feedback`; an explicit `payload.type` wins).
 */
export const MESSAGE_EVENTS: Readonly<Record<string, string>> = {
  'ai:feedback': 'ai_feedback',
  'ai:insight': 'ai_insight',
  'system:notice': 'system_notice',
  'swing:created': 'swing_created',
  'swing:analyzed': 'swing_analyzed',
};

const SYSTEM_TYPES = new Set(['system_notice', 'session_state']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function messageTypeOf(payload: Record<string, unknown>, fallbackType: string): string {
  return typeof payload.type === 'string' && payload.type !== '' ? payload.type : fallbackType;
}

function authorRoleOf(payload: Record<string, unknown>, type: string): AuthorRole {
  const role = payload.author_role;
  if (role === 'ai' || role === 'system' || role === 'coach' || role === 'student') return role;
  return SYSTEM_TYPES.has(type) ? 'system' : 'ai';
}

function textOf(payload: Record<string, unknown>): string {
  for (const key of ['message', 'text', 'summary']) {
    const v = payload[key];
    if (typeof v === 'string' && v.trim() !== '') return v;
  }
  return '';
}

/**
 * A persisted broadcast carries the stored Message's fields next to the
 * back end's own payload; this rebuilds the Message as history returns it
 * (the back end's fields in `meta`), so the live copy and a later catch-up
 * copy are the same timeline entry. Null when the broadcast was not stored.
 */
export function storedMessageFrom(payload: Record<string, unknown>, sessionId: string, fallbackType: string): Message | null {
  if (typeof payload.id !== 'string' && typeof payload.id !== 'number') return null;
  const { id, session_id, type: _type, author_role: _role, author_id, message: _message, inserted_at, meta, ...rest } = payload;
  const type = messageTypeOf(payload, fallbackType);
  return {
    id: String(id),
    session_id: typeof session_id === 'string' ? session_id : sessionId,
    type,
    author_role: authorRoleOf(payload, type),
    author_id: typeof author_id === 'string' ? author_id : authorRoleOf(payload, type),
    message: textOf(payload),
    meta: isRecord(meta) ? meta : rest,
    inserted_at: typeof inserted_at === 'string' ? inserted_at : new Date().toISOString(),
  };
}

/** What a live (unstored) entry is shown as: a Message without an id. */
export function unstoredMessage(type: string, payload: Record<string, unknown>, receivedAt: number): Message {
  return {
    id: '',
    session_id: '',
    type,
    author_role: authorRoleOf(payload, type),
    author_id: typeof payload.author_id === 'string' ? payload.author_id : '',
    message: textOf(payload),
    meta: isRecord(payload.meta) ? payload.meta : payload,
    inserted_at: new Date(receivedAt).toISOString(),
  };
}
