import type { BenchOptions } from '../options';
import type { BenchReport } from '../results';
import type { ServerEnv } from './servers';
import type { WorkerPool } from './worker-pool';

/** What every scenario gets from the runner. */
export interface BenchContext {
  options: BenchOptions;
  env: ServerEnv;
  pool: WorkerPool;
  /** unique per run, so topics and users never collide with an earlier run's rows */
  runId: string;
  report: BenchReport;
  log(line: string): void;
  /** ms left in the run's budget */
  remainingMs(): number;
}
