import { randomUUID } from 'node:crypto';
import {
  DEFAULT_CLUSTER_PREFIX,
  type BroadcastResponse,
  type JobResponse,
  type JobState,
  type JobUpdate,
  type Message,
  type MessagesResponse,
  type PresenceMap,
  type PresenceResponse,
  type SessionState,
  type SessionStatus,
  type SessionsResponse,
} from '@cinder/contract';
import { CinderApiError, CinderNetworkError } from './errors';
import { request, type HttpOptions } from './http';
import { createRedisMode } from './redis-mode';

export interface ClientOptions {
  /** base URL of any Cinder node or the load balancer, e.g. http://localhost:4000 */
  url: string;
  /** SERVER_API_KEY */
  apiKey: string;
  /** per request, and how long a `redisUrl`-mode broadcast may wait for Redis; default 10 s */
  timeoutMs?: number;
  /** retries of idempotent requests after network errors or 503 (default 2) */
  retries?: number;
  fetch?: typeof fetch;
  /**
   * The cluster's Redis (the nodes' REDIS_URL). When set, ephemeral
   * broadcasts (no `persist`) are published straight onto it instead of
   * through a node; everything else still uses the HTTP API. Call close()
   * when done: the connection keeps the process alive.
   */
  redisUrl?: string;
}

/** JSON payloads are objects; bytes go as a binary broadcast (V2 binary frame, {"base64": …} on V1). */
export type BroadcastPayload = Record<string, unknown> | Uint8Array;

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
  broadcast(topic: string, event: string, payload?: BroadcastPayload, opts?: BroadcastOptions): Promise<BroadcastResponse>;
  /** delivers bytes as a V2 binary broadcast (V1/LongPoll sockets get {"base64": …}) */
  broadcastBinary(topic: string, event: string, bytes: Uint8Array): Promise<BroadcastResponse>;
  job(id: string): JobHandle;
  sessionMessages(sessionId: string, opts?: { after?: string; limit?: number }): Promise<Message[]>;
  /** most recently changed first; every session without `status` */
  sessions(opts?: { status?: SessionStatus; limit?: number }): Promise<SessionState[]>;
  presence(topic: string): Promise<PresenceMap>;
  disconnectUser(userId: string): Promise<void>;
  /** Closes the Redis connection of `redisUrl` mode once sent broadcasts are confirmed; later Redis-mode broadcasts fail. */
  close(): Promise<void>;
}

function retriable(err: unknown): boolean {
  return err instanceof CinderNetworkError || (err instanceof CinderApiError && (err.status === 503 || err.status === 502));
}

/** A typed client of Cinder's server API (CONTRACT §6, §7). */
export function createClient(options: ClientOptions): CinderClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const http: HttpOptions = {
    url: options.url.endsWith('/') ? options.url : `${options.url}/`,
    apiKey: options.apiKey,
    timeoutMs,
    fetch: options.fetch ?? fetch,
  };
  const retries = options.retries ?? 2;
  const redis = options.redisUrl !== undefined ? createRedisMode(options.redisUrl, DEFAULT_CLUSTER_PREFIX, timeoutMs) : null;

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
      if (redis && !opts.persist) return redis.publish(topic, event, payload);
      const body: Record<string, unknown> =
        payload instanceof Uint8Array ? { topic, event, payload_base64: base64(payload) } : { topic, event, payload };
      if (opts.persist) {
        body.persist = true;
        body.idempotency_key = opts.idempotencyKey ?? randomUUID();
        return withRetry(() => request<BroadcastResponse>(http, 'POST', 'api/broadcast', body));
      }
      // Ephemeral broadcasts are not retried: a retry could deliver twice.
      return request<BroadcastResponse>(http, 'POST', 'api/broadcast', body);
    },
    async broadcastBinary(topic, event, bytes) {
      if (redis) return redis.publish(topic, event, bytes);
      return request<BroadcastResponse>(http, 'POST', 'api/broadcast', { topic, event, payload_base64: base64(bytes) });
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
    async sessions(opts = {}) {
      const q = new URLSearchParams();
      if (opts.status !== undefined) q.set('status', opts.status);
      if (opts.limit !== undefined) q.set('limit', String(opts.limit));
      const qs = q.toString();
      return (await withRetry(() => request<SessionsResponse>(http, 'GET', `api/sessions${qs ? `?${qs}` : ''}`))).sessions;
    },
    async presence(topic) {
      return (await withRetry(() => request<PresenceResponse>(http, 'GET', `api/presence/${enc(topic)}`))).presence;
    },
    async disconnectUser(userId) {
      await withRetry(() => request<{ ok: true }>(http, 'POST', `api/users/${enc(userId)}/disconnect`));
    },
    async close() {
      await redis?.close();
    },
  };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
