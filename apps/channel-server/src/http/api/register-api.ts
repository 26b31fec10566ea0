import type { FastifyInstance, FastifyError } from 'fastify';
import type { Store } from '@cinder/store';
import type { Tracker } from '@cinder/presence';
import type { Endpoint, Logger, PubSub } from '@cinder/runtime';
import type { ProgressCoalescer } from '../../channels/job/progress-coalescer';
import { BroadcastService } from '../../services/broadcast-service';
import { JobService } from '../../services/job-service';
import { bearerMatches } from './api-auth';
import { sendError } from './api-error';
import { drainRequest } from './drain-request';
import { registerApiRoutes } from './routes';

export interface ApiDeps {
  apiKey: string;
  store: Store;
  pubsub: PubSub;
  endpoint: Endpoint<any>;
  tracker: Tracker;
  jobEvents: ProgressCoalescer;
  logger: Logger;
}

/** An oversized upload is read to its end up to this much, so its sender gets the 400 rather than a reset. */
const DRAIN_MAX_BYTES = 16 * 1024 * 1024;
const DRAIN_MAX_MS = 10_000;

/**
 * The server API for back ends (CONTRACT §6), as an encapsulated plugin:
 * bearer auth, JSON errors and schema validation apply to /api only.
 */
export function registerApi(app: FastifyInstance, deps: ApiDeps): { broadcasts: BroadcastService; jobs: JobService } {
  const broadcasts = new BroadcastService(deps.store, deps.pubsub);
  const jobs = new JobService(deps.store, deps.jobEvents);
  app.register(
    async (api) => {
      api.addHook('onRequest', async (req, reply) => {
        if (!bearerMatches(req.headers.authorization, deps.apiKey)) {
          return sendError(reply, 401, 'unauthorized', 'missing or invalid bearer API key');
        }
      });
      api.setErrorHandler(async (err: FastifyError, req, reply) => {
        if (err.statusCode && err.statusCode < 500) {
          const tooLarge = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
          if (tooLarge) await drainRequest(req.raw, DRAIN_MAX_BYTES, DRAIN_MAX_MS);
          const code = tooLarge ? 'payload_too_large' : 'invalid_request';
          // CONTRACT §6: every bad input, an oversized body included, is a 400.
          return sendError(reply, 400, code, err.message);
        }
        deps.logger.error({ err }, 'api request failed');
        return sendError(reply, 500, 'internal', 'internal error');
      });
      api.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
      registerApiRoutes(api, { ...deps, broadcasts, jobs });
    },
    { prefix: '/api' },
  );
  return { broadcasts, jobs };
}
