import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BroadcastService } from '../services/broadcast-service';
import type { JobService } from '../services/job-service';
import type { Logger } from '@cinder/runtime';

const body = z.object({ session_id: z.string().min(1).max(200) });
const STAGES = ['uploading', 'pose estimation', 'swing analysis', 'writing feedback'];

/**
 * Dev mode only: plays the part of an AI worker through the same services
 * the HTTP API uses — job progress on `job:{id}`, then a persisted
 * `ai:feedback` in the session — so the coaching room can be tried without a
 * back end.
 */
export function registerDevSimulation(app: FastifyInstance, deps: { broadcasts: BroadcastService; jobs: JobService; logger: Logger }): void {
  app.post('/dev/simulate-analysis', async (req, reply) => {
    const parsed = body.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: { code: 'invalid_request', message: 'session_id is required' } });
    const sessionId = parsed.data.session_id;
    const jobId = `analysis-${randomUUID().slice(0, 8)}`;
    await deps.jobs.update(jobId, { status: 'queued', percent: 0, stage: 'queued' });
    await deps.broadcasts.publish({ topic: `session:${sessionId}`, event: 'analysis:started', payload: { job_id: jobId } });
    void run(deps, sessionId, jobId).catch((err) => deps.logger.error({ err, jobId }, 'simulated analysis failed'));
    return { job_id: jobId };
  });
}

async function run(deps: { broadcasts: BroadcastService; jobs: JobService }, sessionId: string, jobId: string): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(400);
  for (let percent = 10; percent <= 100; percent += 10) {
    await deps.jobs.update(jobId, { status: 'running', percent, stage: STAGES[Math.min(STAGES.length - 1, Math.floor(percent / 26))] });
    await sleep(180);
  }
  const feedback = {
    swing_id: `sw_${jobId.slice(-4)}`,
    summary: 'The club face opens slightly at impact.',
    metrics: { face_angle: 5.2, tempo_score: 78 },
    recommendations: ['Set a slightly stronger grip at address.', 'Keep the lead wrist flatter at the top of the backswing.'],
    level: 'intermediate',
  };
  await deps.jobs.update(jobId, { status: 'completed', percent: 100, stage: 'done', result: feedback });
  await deps.broadcasts.publish({ topic: `session:${sessionId}`, event: 'ai:feedback', payload: feedback, persist: true, idempotencyKey: jobId });
}
