import { randomUUID } from 'node:crypto';
import type {
  BroadcastResponse,
  JobResponse,
  JobState,
  JobUpdate,
  Message,
  MessagesResponse,
  PresenceMap,
  PresenceResponse,
  SessionState,
  SessionStatus,
  SessionsResponse,
} from '@cinder/contract';
import { CinderApiError, CinderNetworkError } from './errors';
import { request, type HttpOptions } from './http';

export interface ClientOptions {
  /** base URL of any Cinder node or the load balancer, e.g. http://localhost:4000 */
  url: string;
  /** SERVER_API_KEY */
  apiKey: string;
  /** per request, default 10 s */
  timeoutMs?: number;
  /** retries of idempotent requests after network errors or 503 (default 2) */
  retries?: number;
  fetch?: typeof fetch;
}

export interface BroadcastOptions {
  /** store the event as a session Message before delivering it (session: topics only) */
  persist?: boolean;
  /**
   * makes a retried persisted broadcast store and deliver nothing new; one
   * is generated when `persist` is set and none is given, so the SDK's own
   * retries are always safe
   */
  idempotencyKey?: string;
}

export interface JobHandle {
  readonly id: string;
  queued(opts?: { ownerId?: string }): Promise<JobState>;
  progress(p: { percent: number; stage?: string; message?: string; ownerId?: string }): Promise<JobState>;
  completed(result?: unknown): Promise<JobState>;
  failed(error: unknown): Promise<JobState>;
  /** the raw update of POST /api/jobs/{id} */
  update(update: JobUpdate): Promise<JobState>;
}

export interface CinderClient {
  broadcast(topic: string, event: string, payload?: Record<string, unknown>, opts?: BroadcastOptions): Promise<BroadcastResponse>;
  /** delivers bytes as a V2 binary broadcast (V1/LongPoll sockets get {"base64": …}) */
  broadcastBinary(topic: string, event: string, bytes: Uint8Array): Promise<BroadcastResponse>;
  job(id: string): JobHandle;
  sessionMessages(sessionId: string, opts?: { after?: string; limit?: number }): Promise<Message[]>;
  sessions(opts: { status: SessionStatus; limit?: number }): Promise<SessionState[]>;
  presence(topic: string): Promise<PresenceMap>;
  disconnectUser(userId: string): Promise<void>;
}

function retriable(err: unknown): boolean {
  return err instanceof CinderNetworkError || (err instanceof CinderApiError && (err.status === 503 || err.status === 502));
}

/** A typed client of Cinder's server API (CONTRACT §6, §7). */
export function createClient(options: ClientOptions): CinderClient {
  const http: HttpOptions = {
    url: options.url.endsWith('/') ? options.url : `${options.url}/`,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? 10_000,
    fetch: options.fetch ?? fetch,
  };
  const retries = options.retries ?? 2;

  async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= retries || !retriable(err)) throw err;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }

  const enc = encodeURIComponent;
  const jobUpdate = (id: string, update: JobUpdate) =>
    withRetry(() => request<JobResponse>(http, 'POST', `api/jobs/${enc(id)}`, update)).then((r) => r.job);

  return {
    async broadcast(topic, event, payload = {}, opts = {}) {
      const body: Record<string, unknown> = { topic, event, payload };
      if (opts.persist) {
        body.persist = true;
        body.idempotency_key = opts.idempotencyKey ?? randomUUID();
        return withRetry(() => request<BroadcastResponse>(http, 'POST', 'api/broadcast', body));
      }
      // Ephemeral broadcasts are not retried: a retry could deliver twice.
      return request<BroadcastResponse>(http, 'POST', 'api/broadcast', body);
    },
    broadcastBinary(topic, event, bytes) {
      return request<BroadcastResponse>(http, 'POST', 'api/broadcast', {
        topic,
        event,
        payload_base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      });
    },
    job(id) {
      return {
        id,
        queued: (o = {}) => jobUpdate(id, { status: 'queued', percent: 0, ...(o.ownerId ? { owner_id: o.ownerId } : {}) }),
        progress: (p) =>
          jobUpdate(id, {
            status: 'running',
            percent: p.percent,
            ...(p.stage !== undefined ? { stage: p.stage } : {}),
            ...(p.message !== undefined ? { message: p.message } : {}),
            ...(p.ownerId ? { owner_id: p.ownerId } : {}),
          }),
        completed: (result) => jobUpdate(id, { status: 'completed', percent: 100, ...(result !== undefined ? { result } : {}) }),
        failed: (error) => jobUpdate(id, { status: 'failed', error }),
        update: (u) => jobUpdate(id, u),
      };
    },
    async sessionMessages(sessionId, opts = {}) {
      const q = new URLSearchParams();
      if (opts.after !== undefined) q.set('after', opts.after);
      if (opts.limit !== undefined) q.set('limit', String(opts.limit));
      const qs = q.toString();
      const r = await withRetry(() => request<MessagesResponse>(http, 'GET', `api/sessions/${enc(sessionId)}/messages${qs ? `?${qs}` : ''}`));
      return r.messages;
    },
    async sessions(opts) {
      const q = new URLSearchParams({ status: opts.status });
      if (opts.limit !== undefined) q.set('limit', String(opts.limit));
      return (await withRetry(() => request<SessionsResponse>(http, 'GET', `api/sessions?${q}`))).sessions;
    },
    async presence(topic) {
      return (await withRetry(() => request<PresenceResponse>(http, 'GET', `api/presence/${enc(topic)}`))).presence;
    },
    async disconnectUser(userId) {
      await withRetry(() => request<{ ok: true }>(http, 'POST', `api/users/${enc(userId)}/disconnect`));
    },
  };
}
