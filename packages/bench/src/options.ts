import type { ServerKind } from './harness/servers';

/** quick runs use one database per runner process; see dropStaleSmokeDatabases */
export const SMOKE_DB_PREFIX = 'bench_cinder_smoke_';

export type ScenarioName = 'fanout' | 'burst' | 'rooms' | 'idle' | 'cluster';
export const ALL_SCENARIOS: ScenarioName[] = ['fanout', 'burst', 'rooms', 'idle', 'cluster'];
export const ALL_SERVERS: ServerKind[] = ['cinder', 'raw', 'socketio'];

export interface BenchOptions {
  quick: boolean;
  servers: ServerKind[];
  scenarios: ScenarioName[];
  /** client worker processes */
  workers: number;
  /** whole run, ms; units that would not fit are skipped and reported */
  budgetMs: number;
  fanout: {
    subscribers: number[];
    /** `job` topics carry no presence; a 10,000-member `session` topic would
     * spend the run on O(n²) presence_diff traffic while subscribers join */
    topicKind: 'job' | 'session';
    fixedDeliveriesPerSec: number;
    warmupMs: number;
    windowMs: number;
    stepMs: number;
    stepFactor: number;
    maxSteps: number;
    p99LimitMs: number;
    /** how long to wait after the last send for stragglers; ends early once all arrived */
    drainMs: number;
  };
  /** many publishers at once, each posting as fast as the server answers */
  burst: { subscribers: number; publishers: number; broadcasts: number; warmupBroadcasts: number; drainMs: number };
  rooms: { sessions: number; size: number; periodMs: number; warmupMs: number; measureMs: number };
  /**
   * joinCapMs bounds the join phase: a slow joiner is measured on fewer
   * sockets, not allowed to eat the run. perProcess (default: what the
   * open-file limit lets one process hold) decides how many server
   * processes share the sockets.
   */
  idle: { sockets: number; settleMs: number; joinCapMs: number; perProcess?: number };
  cluster: { subscribers: number };
  adminDatabaseUrl: string;
  databaseName: string;
  /** directory for <timestamp>.json; relative paths are resolved against the repository root */
  outDir: string;
}

export function defaultOptions(): BenchOptions {
  return {
    quick: false,
    servers: [...ALL_SERVERS],
    scenarios: [...ALL_SCENARIOS],
    workers: 2,
    budgetMs: 14 * 60_000,
    fanout: {
      subscribers: [1000, 10_000],
      topicKind: 'job',
      fixedDeliveriesPerSec: 20_000,
      warmupMs: 1500,
      windowMs: 6000,
      stepMs: 3000,
      stepFactor: 1.5,
      maxSteps: 7,
      p99LimitMs: 250,
      drainMs: 2000,
    },
    burst: { subscribers: 1000, publishers: 16, broadcasts: 3000, warmupBroadcasts: 300, drainMs: 60_000 },
    rooms: { sessions: 1000, size: 5, periodMs: 1000, warmupMs: 3000, measureMs: 12_000 },
    idle: { sockets: 50_000, settleMs: 3000, joinCapMs: 120_000 },
    cluster: { subscribers: 1000 },
    adminDatabaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    // not `cinder_…`: scripts/test-prerequisites.sh drops those, even under a running bench
    databaseName: 'bench_cinder',
    outDir: 'bench-results',
  };
}

/** A few of everything: proves the harness works end to end in seconds. */
export function quickOptions(): BenchOptions {
  const o = defaultOptions();
  return {
    ...o,
    quick: true,
    budgetMs: 60_000,
    fanout: {
      ...o.fanout,
      subscribers: [20],
      fixedDeliveriesPerSec: 400,
      warmupMs: 200,
      windowMs: 700,
      stepMs: 400,
      stepFactor: 2,
      maxSteps: 1,
      // the smoke asserts completeness, and a busy machine may be slow
      drainMs: 10_000,
    },
    burst: { subscribers: 10, publishers: 4, broadcasts: 40, warmupBroadcasts: 8, drainMs: 10_000 },
    rooms: { sessions: 2, size: 5, periodMs: 200, warmupMs: 300, measureMs: 800 },
    // two processes of 20: the smoke walks the path a full run takes past the open-file limit
    idle: { sockets: 40, settleMs: 200, joinCapMs: 15_000, perProcess: 20 },
    cluster: { subscribers: 20 },
    // per process: two test runs on the shared machine must not drop each other's database
    databaseName: `${SMOKE_DB_PREFIX}${process.pid}`,
  };
}

const USAGE = `usage: node packages/bench/dist/run.js [options]
  --quick                      a few subscribers and messages (the test-suite smoke)
  --servers=cinder,raw,socketio
  --scenarios=fanout,burst,rooms,idle,cluster
  --subscribers=1000,10000     fan-out sizes
  --idle-sockets=N             idle scenario target (default 50000, as in the contract)
  --idle-per-process=N         sockets one server process holds in idle (default: the open-file limit allows)
  --fanout-topic=job|session
  --workers=N                  client worker processes
  --budget-s=N                 whole-run time budget
  --out=DIR                    where the JSON goes (default bench-results/)
  --database=NAME              Postgres database to (re)create for Cinder`;

export function parseArgs(argv: string[]): BenchOptions {
  const o = argv.includes('--quick') ? quickOptions() : defaultOptions();
  for (const arg of argv) {
    const [key, value = ''] = arg.split('=', 2);
    const list = () => value.split(',').map((s) => s.trim()).filter(Boolean);
    const int = () => {
      const n = Number(value);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${key} needs a positive integer, got "${value}"\n${USAGE}`);
      return n;
    };
    switch (key) {
      case '--quick':
        break;
      case '--servers':
        o.servers = checkedList(list(), ALL_SERVERS, key);
        break;
      case '--scenarios':
        o.scenarios = checkedList(list(), ALL_SCENARIOS, key);
        break;
      case '--subscribers':
        o.fanout.subscribers = list().map((s) => {
          const n = Number(s);
          if (!Number.isInteger(n) || n <= 0) throw new Error(`--subscribers: "${s}" is not a positive integer`);
          return n;
        });
        break;
      case '--idle-sockets':
        o.idle.sockets = int();
        break;
      case '--idle-per-process':
        o.idle.perProcess = int();
        break;
      case '--fanout-topic':
        if (value !== 'job' && value !== 'session') throw new Error(`--fanout-topic must be job or session\n${USAGE}`);
        o.fanout.topicKind = value;
        break;
      case '--workers':
        o.workers = int();
        break;
      case '--budget-s':
        o.budgetMs = int() * 1000;
        break;
      case '--out':
        if (!value) throw new Error(`--out needs a directory\n${USAGE}`);
        o.outDir = value;
        break;
      case '--database':
        if (!/^[a-z_][a-z0-9_]*$/.test(value)) throw new Error(`--database must be a plain lower-case name`);
        o.databaseName = value;
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return o;
}

function checkedList<T extends string>(values: string[], allowed: readonly T[], key: string): T[] {
  for (const v of values) if (!allowed.includes(v as T)) throw new Error(`${key}: unknown "${v}" (one of ${allowed.join(', ')})`);
  if (values.length === 0) throw new Error(`${key} needs at least one value`);
  return values as T[];
}
