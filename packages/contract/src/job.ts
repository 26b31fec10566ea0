/** Shapes of CONTRACT §5.2. */

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed';
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'completed', 'failed'];

export interface JobState {
  job_id: string;
  status: JobStatus;
  percent: number;
  stage: string | null;
  message: string | null;
  result: unknown;
  error: unknown;
  /** epoch milliseconds, null for a job never posted */
  updated_at: number | null;
}

export interface JobUpdate {
  owner_id?: string;
  status: JobStatus;
  percent?: number;
  stage?: string;
  message?: string;
  result?: unknown;
  error?: unknown;
}
