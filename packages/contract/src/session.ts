/** Shapes of CONTRACT §5.1, shared by the server, the store, the SDK and the web page. */

export type SessionStatus = 'waiting' | 'active' | 'paused' | 'ended';
export const SESSION_STATUSES: readonly SessionStatus[] = ['waiting', 'active', 'paused', 'ended'];

export type Role = 'student' | 'coach';
export type AuthorRole = Role | 'ai' | 'system';

export interface Participant {
  id: string;
  name: string;
}

export interface SessionState {
  session_id: string;
  status: SessionStatus;
  current_step: string | null;
  coach: Participant | null;
  student: Participant | null;
  /** epoch milliseconds */
  updated_at: number;
}

export const MESSAGE_TYPES = [
  'chat_message',
  'coach_tip',
  'feeling_update',
  'focus_point',
  'ai_insight',
  'ai_feedback',
  'swing_created',
  'swing_analyzed',
  'system_notice',
  'session_state',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface Message {
  /** decimal string; increases within a session in commit order */
  id: string;
  session_id: string;
  type: MessageType;
  author_role: AuthorRole;
  author_id: string;
  message: string;
  meta: Record<string, unknown>;
  /** ISO-8601 */
  inserted_at: string;
}

/** The `session:{id}` join reply. */
export interface SessionJoinReply {
  session: SessionState;
  messages: Message[];
  recovered: boolean;
}
