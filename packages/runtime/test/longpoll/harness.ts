import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryAdapter } from '@cinder/pubsub';
import {
  defineChannel,
  Endpoint,
  errorReason,
  LongPollTransport,
  ok,
  PubSub,
  WebSocketTransport,
  type LongPollTransportOptions,
  type Logger,
  type PubSubAdapter,
  type TerminateReason,
} from '@cinder/runtime';

export const LP_PATH = '/socket/longpoll';

export interface Assigns {
  user: string;
}

export interface LogLine {
  level: string;
  obj: object;
  msg?: string;
}

/** What the test channel and the connect callback saw, for assertions. */
export interface Observed {
  connects: Array<{ params: Record<string, unknown>; authToken: string | undefined }>;
  received: Array<{ event: string; payload: unknown }>;
  terminated: Array<{ topic: string; reason: TerminateReason }>;
  logs: LogLine[];
}

export interface TestNode {
  readonly endpoint: Endpoint<Assigns>;
  readonly longpoll: LongPollTransport<Assigns>;
  readonly server: http.Server;
  readonly port: number;
  readonly observed: Observed;
  /** http://127.0.0.1:<port>/socket/longpoll?<query> */
  url(query: string): string;
  close(): Promise<void>;
}

export interface NodeOptions {
  adapter?: PubSubAdapter;
  longpoll?: Partial<LongPollTransportOptions>;
  /** attach a WebSocket transport at /socket/websocket too */
  websocket?: boolean;
  allowedOrigin?: string;
  maxFrameBytes?: number;
}

/**
 * One node: an Endpoint with a small test channel on `room:*`, the LongPoll
 * transport mounted on a real HTTP server on a free port.
 *
 * The channel: join ok {ok:true} (room:forbidden is refused); `echo` replies
 * with its payload; `shout` broadcasts it; `whoami` replies {user}.
 */
export async function startNode(opts: NodeOptions = {}): Promise<TestNode> {
  const observed: Observed = { connects: [], received: [], terminated: [], logs: [] };
  const record = (level: string) => (obj: object, msg?: string) => void observed.logs.push({ level, obj, msg });
  const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  const adapter = opts.adapter ?? new MemoryAdapter('solo');
  const pubsub = new PubSub(adapter);
  await pubsub.start();

  const room = defineChannel<Assigns>({
    topic: 'room:*',
    join(topic) {
      return topic === 'room:forbidden' ? errorReason('unauthorized') : ok({ ok: true });
    },
    events: {
      echo(payload) {
        observed.received.push({ event: 'echo', payload });
        return ok(payload);
      },
      shout(payload, ctx) {
        observed.received.push({ event: 'shout', payload });
        ctx.broadcast('shout', payload);
      },
      whoami(_payload, ctx) {
        return ok({ user: ctx.socket.assigns.user, transport: ctx.socket.transport });
      },
    },
    terminate(reason, ctx) {
      observed.terminated.push({ topic: ctx.topic, reason });
    },
  });

  const endpoint = new Endpoint<Assigns>({
    pubsub,
    channels: [room],
    authenticate(params, info) {
      observed.connects.push({ params: { ...params }, authToken: info.authToken });
      if (params.reject !== undefined || info.authToken === 'reject') return null;
      const user = typeof params.user === 'string' ? params.user : info.authToken ? `tok:${info.authToken}` : 'anon';
      return { id: `user_socket:${user}`, assigns: { user } };
    },
    checkOrigin: opts.allowedOrigin ? (origin) => origin === opts.allowedOrigin : undefined,
    logger,
    maxFrameBytes: opts.maxFrameBytes ?? 65536,
    maxChannelsPerSocket: 100,
    idleTimeoutMs: 60_000,
    maxBufferedBytes: 8 * 1024 * 1024,
  });
  const longpoll = new LongPollTransport(endpoint, { path: LP_PATH, windowMs: 1000, ...opts.longpoll });
  const server = http.createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] === LP_PATH) return longpoll.handle(req, res);
    res.writeHead(404).end();
  });
  let websocket: WebSocketTransport<Assigns> | null = null;
  if (opts.websocket) {
    websocket = new WebSocketTransport(endpoint, { path: '/socket/websocket' });
    websocket.attach(server);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint,
    longpoll,
    server,
    port,
    observed,
    url: (query) => `http://127.0.0.1:${port}${LP_PATH}${query === '' ? '' : `?${query}`}`,
    async close() {
      endpoint.closeAll(1012, 'service restart');
      longpoll.close();
      websocket?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await adapter.close();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** the parsed body, or undefined when it is not JSON */
  json: any;
}

/** One plain HTTP request, on a fresh connection (what a round-robin balancer would do). */
export function request(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; signal?: AbortSignal } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: opts.headers, agent: false, signal: opts.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'access-control-allow-origin': '*',
};

/** Asserts Phoenix's LongPoll JSON answer: HTTP 200, its headers, this body. */
export function expectLongPollJson(res: RawResponse, body: unknown): void {
  expect(res.status).toBe(200);
  expect(res.headers).toMatchObject({ ...JSON_HEADERS, 'content-length': String(Buffer.byteLength(res.body)) });
  expect(res.json).toEqual(body);
}

/** A session opened with GET: returns its token. */
export async function openSession(node: TestNode, query = 'vsn=2.0.0&user=lpuser'): Promise<string> {
  const res = await request('GET', node.url(query));
  expectLongPollJson(res, { messages: [], status: 410, token: expect.any(String) });
  return res.json.token as string;
}

export function post(node: TestNode, query: string, body: string, contentType = 'text/plain'): Promise<RawResponse> {
  return request('POST', node.url(query), { headers: { 'content-type': contentType }, body });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The promise's value, or null if it has not settled within `ms` (the timer never outlives the call). */
export async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
