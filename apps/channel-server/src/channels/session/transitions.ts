import type { SessionStatus } from '@cinder/contract';

export type TransitionCheck = 'ok' | 'invalid_transition' | 'session_ended';

/**
 * The session lifecycle: waiting→active, active→paused, paused→active,
 * any→ended; the same status again is a step change. Nothing leaves `ended`,
 * and ending twice is refused too.
 */
export function checkTransition(from: SessionStatus, to: SessionStatus): TransitionCheck {
  if (from === 'ended') return 'session_ended';
  if (to === 'ended' || from === to) return 'ok';
  if (from === 'waiting' && to === 'active') return 'ok';
  if (from === 'active' && to === 'paused') return 'ok';
  if (from === 'paused' && to === 'active') return 'ok';
  return 'invalid_transition';
}
