import type { JobState, JobUpdate } from '@cinder/contract';
import type { Store } from '@cinder/store';
import { publicJobState } from '../channels/job/job-state';
import type { ProgressCoalescer } from '../channels/job/progress-coalescer';

/**
 * Job updates from back ends: stored as the job's latest state (what a late
 * joiner gets), then published as `job:progress` (coalesced), `job:completed`
 * or `job:failed`. An exact repeat of a terminal post publishes nothing.
 */
export class JobService {
  constructor(
    private readonly store: Store,
    private readonly events: ProgressCoalescer,
  ) {}

  async update(jobId: string, update: JobUpdate): Promise<JobState> {
    const stored = await this.store.updateJob(jobId, update);
    const job = publicJobState(stored.job);
    // A retried terminal post (the SDK retries after network errors) is
    // acknowledged with the stored state but not published a second time.
    if (stored.repeated) return job;
    if (job.status === 'completed') {
      this.events.terminal(jobId, 'job:completed', { job_id: jobId, result: job.result ?? null });
    } else if (job.status === 'failed') {
      this.events.terminal(jobId, 'job:failed', { job_id: jobId, error: job.error ?? null });
    } else {
      this.events.progress(jobId, { job_id: jobId, status: job.status, percent: job.percent, stage: job.stage, message: job.message });
    }
    return job;
  }
}
