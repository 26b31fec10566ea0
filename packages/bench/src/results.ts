/** Everything a run measures; written verbatim to bench-results/<timestamp>.json. */
import type { ServerKind } from './harness/servers';

export interface WindowResult {
  targetBroadcastsPerSec: number;
  subscribers: number;
  broadcastsSent: number;
  broadcastsFailed: number;
  /** the sender could not keep the schedule (server slow to accept) */
  senderLagged: boolean;
  /** from the first send to the last (at least the scheduled span) */
  sendSeconds: number;
  achievedBroadcastsPerSec: number;
  expectedDeliveries: number;
  deliveries: number;
  complete: boolean;
  outOfOrder: number;
  stale: number;
  deliveriesPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  meanMs: number | null;
  serverCpuSeconds: number;
  /** the client workers' CPU over the same span: on 2 cores they saturate first */
  clientCpuSeconds: number;
  /** average cores used by processes outside the bench meanwhile (a shared machine's noise) */
  foreignCpuCores: number;
  /** of those, cores the hypervisor gave to other guests (steal) */
  stealCores: number;
  cpuUsPerDelivery: number | null;
  elapsedMs: number;
}

export interface RampStep extends WindowResult {
  pass: boolean;
}

export interface FanoutResult {
  server: ServerKind;
  subscribers: number;
  opened: number;
  failedToOpen: number;
  fixed: WindowResult;
  ramp: RampStep[];
  /** deliveries/s of the fastest passing step; 0 when none passed */
  maxSustainedDeliveriesPerSec: number;
  /** the slowest rate tried, so "none passed" can be read as "below this" */
  lowestTriedDeliveriesPerSec: number;
  serverRssBytes: number;
}

export interface BurstResult {
  server: ServerKind;
  subscribers: number;
  opened: number;
  publishers: number;
  broadcastsSent: number;
  broadcastsFailed: number;
  expectedDeliveries: number;
  deliveries: number;
  complete: boolean;
  outOfOrder: number;
  /** from the first post until the last delivery arrived */
  elapsedMs: number;
  deliveriesPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  foreignCpuCores: number;
  cpuUsPerDelivery: number | null;
}

export interface RoomsResult {
  server: ServerKind;
  sessions: number;
  sockets: number;
  failedToOpen: number;
  measureMs: number;
  sent: number;
  messagesPerSec: number;
  repliesOk: number;
  replyErrors: Record<string, number>;
  pendingReplies: number;
  replyP50Ms: number | null;
  replyP99Ms: number | null;
  deliveries: number;
  expectedDeliveries: number;
  complete: boolean;
  deliveryP50Ms: number | null;
  deliveryP99Ms: number | null;
  serverCpuSeconds: number;
  foreignCpuCores: number;
  stealCores: number;
}

export interface IdleResult {
  server: ServerKind;
  requested: number;
  /** server processes sharing the sockets (whole sessions each) */
  processes: number;
  /** sockets one process may hold: the open-file limit's, unless --idle-per-process */
  perProcessLimit: number;
  joined: number;
  failed: number;
  /** sockets not attempted because joining hit the time cap */
  notStarted: number;
  stillOpen: number;
  sourceAddresses: number;
  joinSeconds: number;
  joinsPerSec: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPerSocketBytes: number | null;
  /** during the joins */
  foreignCpuCores: number;
}

export interface ClusterResult {
  server: ServerKind;
  subscribers: number;
  opened: number;
  window: WindowResult;
  /** p50 of the same load on one node, from the fan-out scenario of this run or measured here */
  singleNodeP50Ms: number | null;
  hopAddedP50Ms: number | null;
  redisCpuSeconds: number;
}

export interface ScenarioError {
  scenario: string;
  server: ServerKind | 'all';
  message: string;
}

export interface TargetRow {
  target: string;
  /** a ratio (×) or milliseconds, as `unit` says */
  value: number | null;
  unit: '×' | 'ms';
  limit: string;
  /** null: not measurable in this run (a server or scenario missing) */
  met: boolean | null;
}

export interface BenchReport {
  startedAt: string;
  durationMs: number;
  quick: boolean;
  machine: { cpus: number; node: string; openFileLimit: { soft: number | null; hard: number | null }; kernel: string };
  options: unknown;
  fanout: FanoutResult[];
  burst: BurstResult[];
  rooms: RoomsResult[];
  idle: IdleResult[];
  cluster: ClusterResult[];
  targets: TargetRow[];
  skipped: string[];
  notes: string[];
  errors: ScenarioError[];
}
