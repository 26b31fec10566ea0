import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Tracker } from '@cinder/presence';
import { MemoryAdapter } from '@cinder/pubsub';
import {
  Endpoint,
  PubSub,
  WebSocketTransport,
  defineChannel,
  errorReason,
  jsonBroadcast,
  ok,
  silentLogger,
  type ChannelDefinition,
  type ConnectInfo,
  type ConnectResult,
  type EndpointOptions,
} from '@cinder/runtime';

/**
 * The server the Phoenix transcripts were captured from, rebuilt on Cinder
 * (see shared/spec/phoenix-transcripts/README.md): `/socket` accepts any
 * params, `/authsocket` authenticates with the phoenix.js authToken, and one
 * channel serves `room:*` and `session:*`. A few extra events and the
 * `joincrash:*` route exist only for the protocol-table tests; no transcript
 * uses them.
 */

interface Assigns {
  readonly user: string;
}

export interface ReferenceOptions {
  readonly maxFrameBytes?: number;
  readonly maxChannelsPerSocket?: number;
  readonly idleTimeoutMs?: number;
  readonly checkOrigin?: (origin: string) => boolean;
}

export interface ReferenceServer {
  readonly endpoint: Endpoint<Assigns>;
  readonly authEndpoint: Endpoint<Assigns>;
  readonly tracker: Tracker;
  readonly socketPort: number;
  readonly authPort: number;
  /** every authToken the /authsocket connect callback received, in order */
  readonly authTokens: Array<string | undefined>;
  /** ws:// URL on the right listener: paths under /authsocket go to the auth mount */
  url(pathAndQuery: string): string;
  close(): Promise<void>;
}

function roleOf(params: unknown): unknown {
  const role = params !== null && typeof params === 'object' ? (params as Record<string, unknown>).role : undefined;
  // Elixir's `||`: only nil and false fall back.
  return role === undefined || role === null || role === false ? 'student' : role;
}

function referenceChannel(topic: string, tracker: Tracker, disconnect: (socketId: string) => void): ChannelDefinition<Assigns> {
  return defineChannel<Assigns>({
    topic,
    join(t, params, ctx) {
      if (t === 'session:forbidden') return errorReason('unauthorized');
      ctx.state.role = roleOf(params);
      return ok({ ok: true });
    },
    afterJoin(ctx) {
      // Track first, then push the state: the joiner's own diff and the
      // state may come in either order on Phoenix; this one matches most
      // of the recordings.
      tracker.track(ctx, ctx.topic, ctx.socket.assigns.user, { role: ctx.state.role });
      ctx.push('presence_state', tracker.list(ctx.topic));
    },
    events: {
      echo: (payload) => ok(payload),
      shout: (payload, ctx) => {
        ctx.broadcast('shout', payload);
      },
      crash: () => {
        throw new Error('crash requested');
      },
      disconnect_socket: (_payload, ctx) => {
        if (ctx.socket.id !== null) disconnect(ctx.socket.id);
      },
      // Extras for the protocol-table tests (not in the captured server).
      push_back: (payload, ctx) => {
        ctx.push('pushed', payload);
      },
      stop: (_payload, ctx) => {
        ctx.stop();
        return ok({ stopping: true });
      },
      set_role: (payload, ctx) => {
        tracker.update(ctx, ctx.topic, ctx.socket.assigns.user, { role: roleOf(payload) });
      },
    },
    terminate(_reason, ctx) {
      tracker.untrackOwner(ctx);
    },
  });
}

const joinCrash = defineChannel<Assigns>({
  topic: 'joincrash:*',
  join() {
    throw new Error('join crashed on purpose');
  },
});

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

export async function startReferenceServer(opts: ReferenceOptions = {}): Promise<ReferenceServer> {
  const adapter = new MemoryAdapter('conformance');
  const pubsub = new PubSub(adapter);
  await pubsub.start();
  const tracker = new Tracker({
    nodeId: 'conformance',
    adapter,
    emitDiff: (topic, diff) => pubsub.localBroadcast(jsonBroadcast(topic, 'presence_diff', diff)),
  });
  tracker.start();

  let endpoint: Endpoint<Assigns> | null = null;
  const disconnect = (id: string) => endpoint?.disconnect(id);
  const channels = [referenceChannel('room:*', tracker, disconnect), referenceChannel('session:*', tracker, disconnect), joinCrash];
  const base: Omit<EndpointOptions<Assigns>, 'authenticate'> = {
    pubsub,
    channels,
    logger: silentLogger,
    maxFrameBytes: opts.maxFrameBytes ?? 1024 * 1024,
    maxChannelsPerSocket: opts.maxChannelsPerSocket ?? 100,
    idleTimeoutMs: opts.idleTimeoutMs ?? 60_000,
    maxBufferedBytes: 8 * 1024 * 1024,
    checkOrigin: opts.checkOrigin ? (origin) => opts.checkOrigin!(origin) : undefined,
  };
  const userOf = (params: Record<string, unknown>): string | undefined => (typeof params.user === 'string' ? params.user : undefined);
  const asSocket = (user: string): ConnectResult<Assigns> => ({ id: `user_socket:${user}`, assigns: { user } });

  endpoint = new Endpoint<Assigns>({
    ...base,
    authenticate: (params) => asSocket(userOf(params) ?? `anon-${randomBytes(4).toString('hex')}`),
  });
  const authTokens: Array<string | undefined> = [];
  const authEndpoint = new Endpoint<Assigns>({
    ...base,
    authenticate: (params, info: ConnectInfo) => {
      authTokens.push(info.authToken);
      if (info.authToken === 'reject' || params.reject !== undefined) return null;
      return asSocket(userOf(params) ?? `tok:${info.authToken}`);
    },
  });
  endpoint.start();
  authEndpoint.start();

  const notFound = (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(404, { 'content-length': 9 }).end('not found');
  };
  const socketServer = http.createServer(notFound);
  const authServer = http.createServer(notFound);
  const socketTransport = new WebSocketTransport(endpoint, { path: '/socket/websocket' });
  const authTransport = new WebSocketTransport(authEndpoint, { path: '/authsocket/websocket' });
  socketTransport.attach(socketServer);
  authTransport.attach(authServer);
  const socketPort = await listen(socketServer);
  const authPort = await listen(authServer);
  const ep = endpoint;

  return {
    endpoint: ep,
    authEndpoint,
    tracker,
    socketPort,
    authPort,
    authTokens,
    url(pathAndQuery) {
      const port = pathAndQuery.startsWith('/authsocket/') ? authPort : socketPort;
      return `ws://127.0.0.1:${port}${pathAndQuery}`;
    },
    async close() {
      for (const e of [ep, authEndpoint]) {
        e.stop();
        e.closeAll(1001, 'test over');
      }
      socketTransport.close();
      authTransport.close();
      tracker.shutdown(false);
      for (const s of [socketServer, authServer]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      await adapter.close();
    },
  };
}
