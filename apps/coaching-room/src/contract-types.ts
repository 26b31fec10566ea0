/**
 * The shapes this page relies on: the public contract's shared types
 * (type-only, so nothing of the server is bundled into the page).
 */
export type { Role, AuthorRole, SessionStatus, Participant, SessionState, JobStatus, JobState } from '@cinder/contract';
import type { Message as ContractMessage, Role, SessionState } from '@cinder/contract';

/** A page must render types added after it was built, so `type` stays open. */
export type Message = Omit<ContractMessage, 'type'> & { type: string };

export interface SessionJoinReply {
  session: SessionState;
  messages: Message[];
  recovered: boolean;
}

/** Message types a member may post with `chat:new`, per role. */
export const POSTABLE_TYPES: Record<Role, readonly string[]> = {
  student: ['chat_message', 'feeling_update', 'focus_point'],
  coach: ['chat_message', 'coach_tip', 'feeling_update', 'focus_point'],
};
