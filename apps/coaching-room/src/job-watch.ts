import type { Channel, Socket } from 'phoenix';
import type { JobState, JobStatus } from './contract-types';
import { describeReason, reasonOf } from './reasons';

/** What the progress bar shows for one analysis job. */
export interface JobView {
  jobId: string;
  status: JobStatus;
  percent: number;
  stage: string | null;
  message: string | null;
  error: string | null;
}

function clampPercent(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.min(100, v)) : null;
}

function errorText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
  return 'The analysis failed.';
}

/**
 * Follows `job:{id}` topics. The join reply carries the job's latest state,
 * so joining after an `analysis:started` announcement misses nothing even if
 * the job already moved on; a finished job's channel is left.
 */
export class JobWatcher {
  private readonly jobs = new Map<string, JobView>();
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly socket: Socket,
    private readonly onChange: (jobs: JobView[]) => void,
  ) {}

  watch(jobId: string): void {
    if (this.channels.has(jobId) || this.jobs.get(jobId)?.status === 'completed') return;
    if (!this.jobs.has(jobId)) this.set({ jobId, status: 'queued', percent: 0, stage: null, message: null, error: null });
    const channel = this.socket.channel(`job:${jobId}`, {});
    this.channels.set(jobId, channel);
    channel.on('job:progress', (p: { percent?: unknown; stage?: unknown; message?: unknown }) => {
      const current = this.jobs.get(jobId);
      if (!current || current.status === 'completed' || current.status === 'failed') return;
      this.set({
        ...current,
        status: 'running',
        percent: clampPercent(p.percent) ?? current.percent,
        stage: typeof p.stage === 'string' ? p.stage : current.stage,
        message: typeof p.message === 'string' ? p.message : current.message,
      });
    });
    channel.on('job:completed', () => this.finish(jobId, { status: 'completed', percent: 100 }));
    channel.on('job:failed', (p: { error?: unknown }) => this.finish(jobId, { status: 'failed', error: errorText(p.error) }));
    channel
      .join()
      .receive('ok', (reply: { job?: JobState }) => {
        const job = reply.job;
        const current = this.jobs.get(jobId);
        if (!job || !current) return;
        // A job never posted reads as queued with no update time: keep what live events said.
        if (job.updated_at === null && current.status !== 'queued') return;
        const next: JobView = {
          jobId,
          status: job.status,
          percent: clampPercent(job.percent) ?? 0,
          stage: job.stage,
          message: job.message,
          error: job.status === 'failed' ? errorText(job.error) : null,
        };
        if (job.status === 'completed' || job.status === 'failed') this.finish(jobId, next);
        else this.set(next);
      })
      .receive('error', (resp: unknown) => this.finish(jobId, { status: 'failed', error: `Cannot follow this analysis. ${describeReason(reasonOf(resp))}` }));
  }

  list(): JobView[] {
    return [...this.jobs.values()];
  }

  stop(): void {
    for (const channel of this.channels.values()) channel.leave();
    this.channels.clear();
  }

  private finish(jobId: string, patch: Partial<JobView>): void {
    const current = this.jobs.get(jobId);
    if (current) this.set({ ...current, ...patch });
    const channel = this.channels.get(jobId);
    if (channel) {
      this.channels.delete(jobId);
      channel.leave();
    }
  }

  private set(view: JobView): void {
    this.jobs.set(view.jobId, view);
    this.onChange(this.list());
  }
}
