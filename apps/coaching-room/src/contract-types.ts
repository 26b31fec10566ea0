/**
 * The shapes this page relies on, as CONTRACT.md §5 states them. Declared
 * here rather than imported from the server's packages: the page is a client
 * of the public contract only, like any third-party front end.
 */

export type Role = 'student' | 'coach';
export type AuthorRole = Role | 'ai' | 'system';
export type SessionStatus = 'waiting' | 'active' | 'paused' | 'ended';

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
  updated_at: number;
}

export interface Message {
  id: string;
  session_id: string;
  type: string;
  author_role: AuthorRole;
  author_id: string;
  message: string;
  meta: Record<string, unknown>;
  inserted_at: string;
}

export interface SessionJoinReply {
  session: SessionState;
  messages: Message[];
  recovered: boolean;
}

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface JobState {
  job_id: string;
  status: JobStatus;
  percent: number;
  stage: string | null;
  message: string | null;
  result: unknown;
  error: unknown;
  updated_at: number | null;
}

/** Message types a member may post with `chat:new`, per role. */
export const POSTABLE_TYPES: Record<Role, readonly string[]> = {
  student: ['chat_message', 'feeling_update', 'focus_point'],
  coach: ['chat_message', 'coach_tip', 'feeling_update', 'focus_point'],
};
