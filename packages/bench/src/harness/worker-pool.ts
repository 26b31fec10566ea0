import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { track } from './processes';
import type {
  Envelope,
  FanoutReport,
  OpenResult,
  OpenSpec,
  RoomsReport,
  RoomsSpec,
  Status,
  WorkerAnswer,
  WorkerRequest,
} from '../worker/protocol';

const WORKER_ENTRY = join(__dirname, '..', 'worker', 'worker.js');

class WorkerHandle {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;

  readonly pid: number;

  constructor(private readonly child: ChildProcess) {
    this.pid = child.pid ?? 0;
    child.on('message', (a: WorkerAnswer) => {
      const w = this.waiting.get(a.id);
      if (!w) return;
      this.waiting.delete(a.id);
      if (a.ok) w.resolve(a.result);
      else w.reject(new Error(`worker: ${a.error}`));
    });
    child.once('exit', (code, signal) => {
      this.exited = true;
      for (const w of this.waiting.values()) w.reject(new Error(`worker exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  request<T>(body: WorkerRequest): Promise<T> {
    if (this.exited) return Promise.reject(new Error('worker has exited'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, body } satisfies Envelope<WorkerRequest>);
    });
  }

  stop(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/**
 * The runner's side of the client workers: splits connections across them
 * (whole groups per worker, so a session's members share a process and its
 * clock) and merges what they report.
 */
export class WorkerPool {
  private readonly workers: WorkerHandle[];

  constructor(size: number) {
    this.workers = Array.from(
      { length: size },
      () => new WorkerHandle(track(fork(WORKER_ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))),
    );
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Opens spec.count connections spread over the workers. */
  async open(spec: OpenSpec): Promise<OpenResult> {
    const group = spec.topics.kind === 'groups' ? spec.topics.size : 1;
    const groups = Math.ceil(spec.count / group);
    const parts = this.workers.map((w, k) => {
      const g0 = Math.floor((k * groups) / this.size);
      const g1 = Math.floor(((k + 1) * groups) / this.size);
      const first = g0 * group;
      const count = Math.max(0, Math.min(g1 * group, spec.count) - first);
      return count === 0
        ? Promise.resolve<OpenResult>({ opened: 0, failed: 0, notStarted: 0, errors: [] })
        : w.request<OpenResult>({ cmd: 'open', spec: { ...spec, firstIndex: spec.firstIndex + first, count } });
    });
    const results = await Promise.all(parts);
    return {
      opened: results.reduce((n, r) => n + r.opened, 0),
      failed: results.reduce((n, r) => n + r.failed, 0),
      notStarted: results.reduce((n, r) => n + r.notStarted, 0),
      errors: results.flatMap((r) => r.errors).slice(0, 5),
    };
  }

  async startWindow(w: number): Promise<void> {
    await this.all({ cmd: 'window', w });
  }

  status(): Promise<Status[]> {
    return this.all<Status>({ cmd: 'status' });
  }

  collect(): Promise<FanoutReport[]> {
    return this.all<FanoutReport>({ cmd: 'collect' });
  }

  async startRooms(spec: RoomsSpec): Promise<void> {
    await this.all({ cmd: 'rooms', spec });
  }

  roomsCollect(): Promise<RoomsReport[]> {
    return this.all<RoomsReport>({ cmd: 'roomsCollect' });
  }

  async closeAll(): Promise<void> {
    await this.all({ cmd: 'closeAll' });
  }

  stop(): void {
    for (const w of this.workers) w.stop();
  }

  private all<T>(body: WorkerRequest): Promise<T[]> {
    return Promise.all(this.workers.map((w) => w.request<T>(body)));
  }
}
