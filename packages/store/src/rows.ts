/** Conversions between table rows and the contract's shapes. */
import type { AuthorRole, JobState, JobStatus, Message, MessageType, SessionState, SessionStatus } from '@cinder/contract';
import type { jobs, messages, sessions } from './schema';

export type SessionRow = typeof sessions.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;

export type StoredJob = JobState & { owner_id: string | null };

export function toSessionState(row: SessionRow): SessionState {
  return {
    session_id: row.sessionId,
    status: row.status as SessionStatus,
    current_step: row.currentStep,
    coach: row.coachId === null ? null : { id: row.coachId, name: row.coachName ?? '' },
    student: row.studentId === null ? null : { id: row.studentId, name: row.studentName ?? '' },
    updated_at: row.updatedAt,
  };
}

export function toMessage(row: MessageRow): Message {
  return {
    id: String(row.id),
    session_id: row.sessionId,
    type: row.type as MessageType,
    author_role: row.authorRole as AuthorRole,
    author_id: row.authorId,
    message: row.message,
    meta: row.meta,
    inserted_at: row.insertedAt.toISOString(),
  };
}

export function toJob(row: JobRow): StoredJob {
  return {
    job_id: row.jobId,
    status: row.status as JobStatus,
    percent: row.percent,
    stage: row.stage,
    message: row.message,
    result: row.result ?? null,
    error: row.error ?? null,
    updated_at: row.updatedAt,
    owner_id: row.ownerId,
  };
}
