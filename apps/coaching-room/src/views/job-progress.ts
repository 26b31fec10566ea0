import type { JobView } from '../job-watch';
import { byId, h } from './dom';

const STATUS_TEXT: Record<string, string> = {
  queued: 'Queued',
  running: 'Analysing',
  completed: 'Analysis complete',
  failed: 'Analysis failed',
};

const SHOWN_JOBS = 3;

/** Progress bars for the session's AI analysis jobs, newest first. */
export class JobProgressView {
  private readonly list = byId('job-list');

  render(jobs: JobView[]): void {
    const shown = jobs.slice(-SHOWN_JOBS).reverse();
    this.list.replaceChildren(
      ...shown.map((job) => {
        const labelId = `job-label-${job.jobId}`;
        // The stage only means something while the job runs.
        const stage = job.stage && (job.status === 'running' || job.status === 'queued') ? ` — ${job.stage}` : '';
        const percent = Math.round(job.percent);
        return h(
          'li',
          { class: `job job--${job.status}`, 'data-testid': 'job-progress', 'data-job-id': job.jobId, 'data-status': job.status, 'data-percent': percent },
          h('span', { id: labelId, class: 'job-label' }, `${STATUS_TEXT[job.status] ?? job.status}${stage}`),
          h('progress', { max: 100, value: percent, 'aria-labelledby': labelId, 'data-testid': 'job-progress-bar' }, `${percent}%`),
          h('span', { class: 'job-percent', 'aria-hidden': 'true' }, `${percent}%`),
          job.status === 'failed' && job.error ? h('p', { class: 'job-error', role: 'alert' }, job.error) : null,
          job.status !== 'failed' && job.message ? h('p', { class: 'job-message' }, job.message) : null,
        );
      }),
    );
  }

  clear(): void {
    this.list.replaceChildren();
  }
}
