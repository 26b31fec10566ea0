/**
 * A hand-driven V2 WebSocket client for the hardening suites: every frame is
 * kept (so several waits can look at the same stream), replies are matched
 * by ref, and a refused upgrade rejects with its HTTP status.
 */
import { readFileSync } from 'node:fs';
import { signToken, type TestClaims } from '@cinder/testkit';
import { WebSocket } from 'ws';

export type V2Frame = [string | null, string | null, string, string, any];
export interface Reply {
  status: string;
  response: any;
}

export function socketUrl(port: number, token: string | null, extra = ''): string {
  const t = token === null ? '' : `token=${encodeURIComponent(token)}&`;
  return `ws://127.0.0.1:${port}/socket/websocket?${t}vsn=2.0.0${extra}`;
}

export class V2Client {
  readonly frames: Array<V2Frame | Buffer> = [];
  /** replies by ref (refs are unique per client) */
  private readonly replies = new Map<string, Reply>();
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextRef = 0;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frame: V2Frame | Buffer = isBinary ? data : JSON.parse(data.toString('utf8'));
      this.frames.push(frame);
      if (!Buffer.isBuffer(frame) && frame[3] === 'phx_reply' && frame[1] !== null) this.replies.set(frame[1], frame[4]);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
  }

  /** Connects as `claims` (or with a raw token string); rejects with `.status` when refused. */
  static open(port: number, who: TestClaims | string | null, opts: { headers?: Record<string, string>; extra?: string } = {}): Promise<V2Client> {
    const token = who === null ? null : typeof who === 'string' ? who : signToken(who);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(socketUrl(port, token, opts.extra), { headers: opts.headers });
      const client = new V2Client(ws);
      ws.once('unexpected-response', (_req, res) => {
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
        res.resume();
        ws.terminate();
      });
      ws.once('error', reject);
      ws.once('open', () => resolve(client));
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** Sends a push and returns its ref. */
  push(topic: string, event: string, payload: unknown, joinRef: string | null = null): string {
    const ref = String(++this.nextRef);
    this.send([joinRef, ref, topic, event, payload]);
    return ref;
  }

  heartbeat(): string {
    return this.push('phoenix', 'heartbeat', {});
  }

  /** The reply to `ref`. */
  /** The reply to `ref`; rejects on timeout or when the socket closes without one. */
  reply(ref: string, timeoutMs = 5000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err: Error | null, r?: Reply) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(r!);
      };
      const timer = setTimeout(() => finish(new Error(`no reply to ref ${ref} within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        if (done) return;
        const r = this.replies.get(ref);
        if (r === undefined) this.waiters.push(check);
        else finish(null, r);
      };
      check();
      void this.closed.then(() => setImmediate(() => finish(new Error(`socket closed before the reply to ref ${ref}`))));
    });
  }

  replyNow(ref: string): Reply | undefined {
    return this.replies.get(ref);
  }

  async join(topic: string, params: unknown = {}): Promise<Reply & { joinRef: string }> {
    const ref = String(++this.nextRef);
    this.send([ref, ref, topic, 'phx_join', params]);
    return { ...(await this.reply(ref)), joinRef: ref };
  }

  async call(topic: string, event: string, payload: unknown, joinRef: string | null = null, timeoutMs = 5000): Promise<Reply> {
    return this.reply(this.push(topic, event, payload, joinRef), timeoutMs);
  }

  textFrames(): V2Frame[] {
    return this.frames.filter((f): f is V2Frame => !Buffer.isBuffer(f));
  }

  /** Events (not replies) received on a topic. */
  events(topic: string, event?: string): V2Frame[] {
    return this.textFrames().filter((m) => m[2] === topic && m[3] !== 'phx_reply' && (event === undefined || m[3] === event));
  }

  /** Resolves with the first frame (from the start of the stream) matching `pred`. */
  waitFrame(pred: (m: V2Frame) => boolean, timeoutMs = 5000): Promise<V2Frame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.textFrames().find(pred);
        if (found) {
          clearTimeout(timer);
          resolve(found);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; last: ${JSON.stringify(this.textFrames().slice(-5))}`)), timeoutMs);
      const loop = () => {
        if (!check()) this.waiters.push(loop);
      };
      loop();
    });
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

/** Resident set size of a process in KiB, from /proc. */
export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`, or null once `ms` passed (the timer does not outlive the race). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every line a process printed, parsed as JSON; throws naming the first line that is not. */
export function jsonLines(output: string): any[] {
  return output
    .split('\n')
    .filter((l) => l !== '')
    .map((line, i) => {
      try {
        const v = JSON.parse(line);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        return v;
      } catch {
        throw new Error(`output line ${i + 1} is not a JSON object: ${JSON.stringify(line.slice(0, 300))}`);
      }
    });
}
