/** Bodies and answers of the server HTTP API (CONTRACT §6). */
import type { JobState, JobUpdate } from './job';
import type { Message, SessionState } from './session';

export interface BroadcastRequest {
  topic: string;
  event: string;
  payload?: Record<string, unknown>;
  payload_base64?: string;
  persist?: boolean;
  idempotency_key?: string;
}
export interface BroadcastResponse {
  ok: true;
  /** the stored Message id when `persist` was set */
  id?: string;
}

export type JobRequest = JobUpdate;
export interface JobResponse {
  job: JobState;
}

export interface MessagesResponse {
  messages: Message[];
}
export interface SessionsResponse {
  sessions: SessionState[];
}

export interface PresenceMeta {
  phx_ref: string;
  phx_ref_prev?: string;
  [key: string]: unknown;
}
export type PresenceMap = Record<string, { metas: PresenceMeta[] }>;
export interface PresenceResponse {
  presence: PresenceMap;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}
