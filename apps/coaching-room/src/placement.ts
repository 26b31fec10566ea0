import type { Message, Role } from './contract-types';

/** Where a message sits: own on the right, others on the left, AI in its own style, system centred. */
export type Placement = 'own' | 'other' | 'ai' | 'system';

const SYSTEM_TYPES = new Set(['system_notice', 'session_state']);
const AI_TYPES = new Set(['ai_insight', 'ai_feedback', 'swing_analyzed']);

export function placementOf(message: Message, selfId: string, selfRole: Role): Placement {
  // A session_state row carries the coach as author but reads as a notice to everyone.
  if (message.author_role === 'system' || SYSTEM_TYPES.has(message.type)) return 'system';
  if (message.author_role === 'ai' || AI_TYPES.has(message.type)) return 'ai';
  if (message.author_id === selfId && message.author_role === selfRole) return 'own';
  return 'other';
}

/** Own messages may be edited; the author or any coach may delete; system rows are left alone. */
export function allowedActions(placement: Placement, selfRole: Role): { edit: boolean; delete: boolean } {
  return {
    edit: placement === 'own',
    delete: placement === 'own' || (selfRole === 'coach' && placement !== 'system'),
  };
}
