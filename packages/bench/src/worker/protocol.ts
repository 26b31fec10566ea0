/** Messages between the runner and its client worker processes. */
import type { HistogramData } from '../histogram';

export type Driver = 'phoenix' | 'socketio';

/** Which topic connection number `index` joins. */
export type TopicPlan = { kind: 'single'; topic: string } | { kind: 'groups'; prefix: string; size: number };

export function topicFor(plan: TopicPlan, index: number): string {
  return plan.kind === 'single' ? plan.topic : `${plan.prefix}${Math.floor(index / plan.size)}`;
}

export interface OpenSpec {
  driver: Driver;
  /** http://127.0.0.1:port of the server */
  httpBase: string;
  /** HS256 secret; tokens are signed per connection when set */
  jwtSecret?: string;
  /** user ids are `${userPrefix}${index}` */
  userPrefix: string;
  /** global connection numbers firstIndex .. firstIndex+count-1 */
  firstIndex: number;
  count: number;
  topics: TopicPlan;
  /** connection i binds sourceAddresses[i % length] */
  sourceAddresses: string[];
  /** connects in flight at once in this worker */
  concurrency: number;
  timeoutMs: number;
  /** Date.now() after which no new connection is started (bounds slow joiners) */
  stopStartingAt?: number;
  /** label for counting open sockets per server when several servers are connected at once */
  group: string;
}

export interface OpenResult {
  opened: number;
  failed: number;
  /** connections never tried because stopStartingAt passed */
  notStarted: number;
  errors: string[];
}

/** The event fan-out broadcasts carry; payload {w, s, t}. */
export const TICK_EVENT = 'bench:tick';
export interface TickPayload {
  /** measurement window */
  w: number;
  /** sequence within the window */
  s: number;
  /** send time, nowMs() */
  t: number;
  /** publisher, when several post at once (burst): order is checked per publisher */
  p?: number;
}

export interface FanoutCounts {
  deliveries: number;
  stale: number;
  outOfOrder: number;
}
export interface FanoutReport extends FanoutCounts {
  latency: HistogramData;
}

export interface RoomsSpec {
  w: number;
  periodMs: number;
  durationMs: number;
}
export interface RoomsReport {
  sessions: number;
  sent: number;
  repliesOk: number;
  replyErrors: Record<string, number>;
  pendingReplies: number;
  replyLatency: HistogramData;
  deliveries: number;
  expectedDeliveries: number;
  deliveryLatency: HistogramData;
}

export interface Status {
  open: number;
  openByGroup: Record<string, number>;
  dropped: number;
  pendingReplies: number;
  fanout: FanoutCounts;
  roomDeliveries: number;
}

export type WorkerRequest =
  | { cmd: 'open'; spec: OpenSpec }
  | { cmd: 'window'; w: number }
  | { cmd: 'status' }
  | { cmd: 'collect' }
  | { cmd: 'rooms'; spec: RoomsSpec }
  | { cmd: 'roomsCollect' }
  | { cmd: 'closeAll' };

export interface Envelope<T> {
  id: number;
  body: T;
}
export type WorkerAnswer = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
