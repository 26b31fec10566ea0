/** Latest state of back-end jobs (CONTRACT §5.2). */
import type { JobUpdate } from '@cinder/contract';
import { JOB_STATUSES } from '@cinder/contract';
import { type SQL, and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './db';
import { StoreInputError } from './errors';
import { type StoredJob, toJob } from './rows';
import { jobs } from './schema';
import { requireId, requireJson, requireOneOf, requireText } from './validate';

/** A job nobody has posted yet: clients may subscribe before the back end starts. */
function unposted(jobId: string): StoredJob {
  return {
    job_id: jobId,
    status: 'queued',
    percent: 0,
    stage: null,
    message: null,
    result: null,
    error: null,
    updated_at: null,
    owner_id: null,
  };
}

export async function getJob(db: Db, jobId: string): Promise<StoredJob> {
  requireId(jobId, 'job id');
  const [row] = await db.select().from(jobs).where(eq(jobs.jobId, jobId)).limit(1);
  return row ? toJob(row) : unposted(jobId);
}

function optionalString(value: unknown, what: string): string | undefined {
  return value === undefined ? undefined : requireText(value, what);
}

export interface JobUpdateResult {
  job: StoredJob;
  /**
   * true when the update repeated the job's terminal state exactly (a retry
   * of a `completed` or `failed` post): nothing was written, and nothing
   * should be published again.
   */
  repeated: boolean;
}

const TERMINAL = ['completed', 'failed'];

/**
 * Merges `update` into the job in one statement: `status` always replaces,
 * every other field replaces only when present, so a progress post keeps an
 * earlier stage or owner. A first post fills absent fields with the
 * unposted defaults. An exact repeat of a terminal state leaves the row as
 * it is and says so.
 */
export async function updateJob(db: Db, jobId: string, update: JobUpdate): Promise<JobUpdateResult> {
  requireId(jobId, 'job id');
  if (typeof update !== 'object' || update === null) throw new StoreInputError('job update must be an object');
  const status = requireOneOf(update.status, JOB_STATUSES, 'status');
  if (update.percent !== undefined && (typeof update.percent !== 'number' || !Number.isFinite(update.percent))) {
    throw new StoreInputError('percent must be a finite number');
  }
  if (update.owner_id !== undefined) requireId(update.owner_id, 'owner_id');
  const stage = optionalString(update.stage, 'stage');
  const message = optionalString(update.message, 'message');
  if (update.result !== undefined) requireJson(update.result, 'result');
  if (update.error !== undefined) requireJson(update.error, 'error');

  const changes: Partial<typeof jobs.$inferInsert> = { status, updatedAt: Date.now() };
  if (update.owner_id !== undefined) changes.ownerId = update.owner_id;
  if (update.percent !== undefined) changes.percent = update.percent;
  if (stage !== undefined) changes.stage = stage;
  if (message !== undefined) changes.message = message;
  if (update.result !== undefined) changes.result = update.result;
  if (update.error !== undefined) changes.error = update.error;

  // Same terminal status and every given field already equal (jsonb compares by value).
  const same: SQL[] = [inArray(jobs.status, TERMINAL), eq(jobs.status, sql.raw('excluded.status'))];
  for (const [given, column, name] of [
    [update.owner_id, jobs.ownerId, 'owner_id'],
    [update.percent, jobs.percent, 'percent'],
    [stage, jobs.stage, 'stage'],
    [message, jobs.message, 'message'],
    [update.result, jobs.result, 'result'],
    [update.error, jobs.error, 'error'],
  ] as const) {
    if (given !== undefined) same.push(sql`${column} is not distinct from ${sql.raw(`excluded.${name}`)}`);
  }
  const [row] = await db
    .insert(jobs)
    .values({ jobId, percent: 0, ...changes, status, updatedAt: changes.updatedAt as number })
    .onConflictDoUpdate({ target: jobs.jobId, set: changes, setWhere: sql`not (${and(...same)})` })
    .returning();
  if (row) return { job: toJob(row), repeated: false };
  return { job: await getJob(db, jobId), repeated: true };
}
