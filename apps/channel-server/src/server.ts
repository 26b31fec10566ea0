import type { AddressInfo } from 'node:net';
import { MAX_API_BODY_BYTES } from '@cinder/contract';
import { openStore, type Store } from '@cinder/store';
import { Tracker } from '@cinder/presence';
import { MemoryAdapter, RedisAdapter } from '@cinder/pubsub';
import { Endpoint, jsonBroadcast, PubSub, WebSocketTransport, LongPollTransport, type PubSubAdapter } from '@cinder/runtime';
import type { Config } from './config/config';
import { makeOriginCheck } from './config/origin-check';
import { TokenVerifier } from './auth/token-verifier';
import { authenticateSocket } from './auth/authenticate-socket';
import { TokenExpiryWatcher } from './auth/token-expiry';
import { sessionChannel } from './channels/session/session-channel';
import { jobChannel } from './channels/job/job-channel';
import { userChannel } from './channels/user/user-channel';
import type { ChannelDeps } from './channels/deps';
import type { SocketAssigns } from './channels/assigns';
import { createHttpApp } from './http/http-app';
import { registerDevToken } from './http/dev-token';
import { registerHealth } from './http/health';
import { registerApi } from './http/api/register-api';
import { registerCoachingRoom } from './http/coaching-room';
import { registerDevSimulation } from './http/dev-simulation';
import { createMetrics } from './observability/metrics';
import type { AppLogger } from './observability/logger';
import { messageFirstLogger } from './observability/logger-adapter';
import { ProgressCoalescer } from './channels/job/progress-coalescer';

const WEBSOCKET_PATH = '/socket/websocket';
const LONGPOLL_PATH = '/socket/longpoll';

export interface RunningCinder {
  port: number;
  endpoint: Endpoint<SocketAssigns>;
  store: Store;
  /** graceful: drain sockets (1012), finish commits, leave presence */
  stop(): Promise<void>;
}

/** Builds one node from its configuration and starts listening. */
export async function startCinder(config: Config, logger: AppLogger): Promise<RunningCinder> {
  const adapter: PubSubAdapter = config.redisUrl
    ? new RedisAdapter({ url: config.redisUrl, nodeId: config.nodeId, logger: messageFirstLogger(logger) })
    : new MemoryAdapter(config.nodeId);
  const pubsub = new PubSub(adapter);
  await pubsub.start();

  // Metrics exist only once the endpoint does; commits report through this hook.
  let observeCommit: (seconds: number) => void = () => undefined;
  const store = await openStore({
    databaseUrl: config.databaseUrl ?? undefined,
    dataDir: config.dataDir,
    logger,
    onCommit: (ms) => observeCommit(ms / 1000),
  });
  const tracker = new Tracker({
    nodeId: config.nodeId,
    adapter,
    emitDiff: (topic, diff) => pubsub.localBroadcast(jsonBroadcast(topic, 'presence_diff', diff)),
    logger: messageFirstLogger(logger),
  });
  tracker.start();

  const verifier = new TokenVerifier({ secret: config.jwtSecret, publicKey: config.jwtPublicKey });
  const deps: ChannelDeps = { store, tracker, verifier, logger, maxFrameBytes: config.maxFrameBytes };
  const endpoint = new Endpoint<SocketAssigns>({
    pubsub,
    channels: [sessionChannel(deps), jobChannel(deps), userChannel(deps)],
    authenticate: (params, info) => authenticateSocket(verifier, logger, params, info),
    checkOrigin: makeOriginCheck(config.checkOrigin, config.sameHostOrigin),
    logger,
    maxFrameBytes: config.maxFrameBytes,
    maxChannelsPerSocket: config.maxChannelsPerSocket,
    idleTimeoutMs: 60_000,
    maxBufferedBytes: config.maxBufferedBytes,
    rateLimit: { perSecond: config.rateLimit.perSecond, burst: config.rateLimit.burst },
    joinRateLimit: { perSecond: config.joinRateLimit.perSecond, burst: config.joinRateLimit.burst },
    maxSocketsPerId: config.maxSocketsPerUser,
  });
  endpoint.start();
  const expiry = new TokenExpiryWatcher(endpoint, logger);
  expiry.start();
  const metrics = createMetrics(endpoint, pubsub, adapter);
  pubsub.onFanout = (seconds) => metrics.fanoutSeconds.observe(seconds);
  observeCommit = (seconds) => metrics.storeCommitSeconds.observe(seconds);

  const websocket = new WebSocketTransport(endpoint, { path: WEBSOCKET_PATH });
  const longpoll = new LongPollTransport(endpoint, { path: LONGPOLL_PATH });
  const { app, server } = createHttpApp({
    longpoll: (req, res) => longpoll.handle(req, res),
    websocketPath: WEBSOCKET_PATH,
    longpollPath: LONGPOLL_PATH,
    bodyLimit: MAX_API_BODY_BYTES,
  });
  const jobEvents = new ProgressCoalescer((jobId, event, payload) => pubsub.broadcast(jsonBroadcast(`job:${jobId}`, event, payload)));

  if (config.devMode && config.jwtSecret) registerDevToken(app, config.jwtSecret);
  registerHealth(
    app,
    {
      async check() {
        const link = adapter.status();
        const checks = [];
        try {
          await store.ping();
          checks.push({ component: 'store', ok: true });
        } catch (err) {
          checks.push({ component: 'store', ok: false, detail: err instanceof Error ? err.message : String(err) });
        }
        if (config.redisUrl) checks.push({ component: 'redis', ok: link.ok, detail: link.detail });
        return checks;
      },
    },
    metrics,
  );
  const services = registerApi(app, { apiKey: config.serverApiKey, store, pubsub, endpoint, tracker, jobEvents, logger });
  if (config.devMode) registerDevSimulation(app, { ...services, logger });
  registerCoachingRoom(app, { devMode: config.devMode });

  await app.ready();
  websocket.attach(server());
  await app.listen({ port: config.port, host: config.host });
  const port = (server().address() as AddressInfo).port;

  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  logger.info({ port, store: store.kind, cluster: config.redisUrl ? 'redis' : 'single-node' }, 'cinder listening');
  if (config.devMode) {
    logger.warn('dev mode: JWT_SECRET is not set; tokens come from GET /dev/token and a random secret (never use this in production)');
    process.stdout.write(`\n  Cinder is running: ${url}\n  Coaching room:     ${url}/\n  Dev tokens:        ${url}/dev/token?sub=alice&name=Alice&role=student&sessions=*\n`);
  }
  if (config.serverApiKeyGenerated) process.stdout.write(`  Server API key:    ${config.serverApiKey}\n\n`);

  let stopped = false;
  return {
    port,
    endpoint,
    store,
    async stop() {
      if (stopped) return;
      stopped = true;
      endpoint.stop();
      expiry.stop();
      // Stop taking new connections, let in-flight commits finish and reply,
      // then close sockets with 1012 so phoenix.js reconnects (elsewhere).
      server().close();
      await endpoint.drain(10_000);
      longpoll.close();
      websocket.close();
      jobEvents.close();
      tracker.shutdown(true);
      await store.close();
      await app.close().catch(() => undefined);
      await adapter.close();
    },
  };
}
