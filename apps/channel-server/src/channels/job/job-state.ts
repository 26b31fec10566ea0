import type { JobState } from '@cinder/contract';

/** The stored job minus its owner: what clients and the API see. */
export function publicJobState(job: JobState & { owner_id?: string | null }): JobState {
  return {
    job_id: job.job_id,
    status: job.status,
    percent: job.percent,
    stage: job.stage,
    message: job.message,
    result: job.result,
    error: job.error,
    updated_at: job.updated_at,
  };
}
