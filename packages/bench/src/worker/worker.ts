/**
 * Client worker process (child_process.fork). Holds a share of the bench's
 * sockets so the client side is spread over processes and cores; the runner
 * steers it with WorkerRequest messages and merges what it reports.
 */
import { signHs256 } from '../jwt';
import type { ClientConnection } from './connection';
import { FanoutRecorder } from './fanout-recorder';
import { PhoenixConnection } from './phoenix-connection';
import { RoomsDriver } from './rooms-driver';
import { SocketIoConnection } from './socketio-connection';
import {
  Envelope,
  OpenResult,
  OpenSpec,
  Status,
  TICK_EVENT,
  TickPayload,
  topicFor,
  WorkerAnswer,
  WorkerRequest,
} from './protocol';

const HEARTBEAT_SLOTS = 30; // every socket heartbeats once per 30 s, spread over the slots

let conns: ClientConnection[] = [];
const groupOf = new WeakMap<ClientConnection, string>();
let dropped = 0;
const fanout = new FanoutRecorder();
const rooms = new RoomsDriver();

function onEvent(conn: ClientConnection, event: string, payload: unknown): void {
  if (event === TICK_EVENT) fanout.onTick(conn, payload as TickPayload);
  else if (event === 'chat:added') rooms.onAdded(conn, payload);
  // presence_state, presence_diff and anything else are not measured
}

function onDrop(): void {
  dropped++;
}

function connectUrl(spec: OpenSpec, index: number): string {
  if (spec.driver === 'socketio') return spec.httpBase;
  const ws = spec.httpBase.replace(/^http/, 'ws');
  const token = spec.jwtSecret
    ? signHs256(
        {
          sub: `${spec.userPrefix}${index}`,
          name: `Bench ${index}`,
          role: 'student',
          sessions: '*',
          jobs: '*',
          exp: Math.floor(Date.now() / 1000) + 6 * 3600,
        },
        spec.jwtSecret,
      )
    : 'none';
  return `${ws}/socket/websocket?token=${token}&vsn=2.0.0`;
}

async function open(spec: OpenSpec): Promise<OpenResult> {
  const result: OpenResult = { opened: 0, failed: 0, notStarted: 0, errors: [] };
  let next = 0;
  const one = async () => {
    while (next < spec.count) {
      if (spec.stopStartingAt !== undefined && Date.now() >= spec.stopStartingAt) {
        result.notStarted = spec.count - next;
        return;
      }
      const index = spec.firstIndex + next++;
      const addr = spec.sourceAddresses.length > 0 ? spec.sourceAddresses[index % spec.sourceAddresses.length] : undefined;
      const Conn = spec.driver === 'socketio' ? SocketIoConnection : PhoenixConnection;
      const conn = new Conn(index, topicFor(spec.topics, index), connectUrl(spec, index), addr, onEvent, onDrop);
      try {
        await conn.open(spec.timeoutMs);
        conns.push(conn);
        groupOf.set(conn, spec.group);
        result.opened++;
      } catch (err) {
        result.failed++;
        if (result.errors.length < 3) result.errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, spec.concurrency) }, one));
  return result;
}

function status(): Status {
  const openByGroup: Record<string, number> = {};
  for (const c of conns) {
    if (!c.isOpen()) continue;
    const g = groupOf.get(c) ?? '';
    openByGroup[g] = (openByGroup[g] ?? 0) + 1;
  }
  return {
    open: conns.filter((c) => c.isOpen()).length,
    openByGroup,
    dropped,
    pendingReplies: conns.reduce((n, c) => n + c.pendingReplies(), 0),
    fanout: fanout.snapshot(),
    roomDeliveries: rooms.deliveredSoFar(),
  };
}

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.cmd) {
    case 'open':
      return open(req.spec);
    case 'window':
      fanout.startWindow(req.w);
      return null;
    case 'status':
      return status();
    case 'collect':
      return fanout.report();
    case 'rooms':
      rooms.start(conns, req.spec);
      return null;
    case 'roomsCollect':
      return rooms.report(conns);
    case 'closeAll': {
      rooms.stop();
      const n = conns.length;
      for (const c of conns) c.close();
      conns = [];
      dropped = 0;
      return n;
    }
  }
}

let slot = 0;
setInterval(() => {
  const s = slot++ % HEARTBEAT_SLOTS;
  for (let i = s; i < conns.length; i += HEARTBEAT_SLOTS) conns[i].heartbeat();
}, 1000).unref();

process.on('message', (msg: Envelope<WorkerRequest>) => {
  handle(msg.body).then(
    (result) => process.send?.({ id: msg.id, ok: true, result } satisfies WorkerAnswer),
    (err: Error) => process.send?.({ id: msg.id, ok: false, error: err.stack ?? String(err) } satisfies WorkerAnswer),
  );
});
process.on('disconnect', () => process.exit(0));
