import type { FastifyInstance } from 'fastify';
import { StoreUnavailableError } from '@cinder/store';
import type { JobUpdate } from '@cinder/contract';
import { BroadcastInputError, type BroadcastService } from '../../services/broadcast-service';
import type { JobService } from '../../services/job-service';
import type { ApiDeps } from './register-api';
import { sendError, zodMessage } from './api-error';
import { broadcastBody, idParam, jobBody, messagesQuery, sessionsQuery, topicParam } from './schemas';

type RouteDeps = ApiDeps & { broadcasts: BroadcastService; jobs: JobService };

function storeDown(err: unknown): boolean {
  return err instanceof StoreUnavailableError;
}

export function registerApiRoutes(api: FastifyInstance, deps: RouteDeps): void {
  api.post('/broadcast', async (req, reply) => {
    const body = broadcastBody.safeParse(req.body);
    if (!body.success) return sendError(reply, 400, 'invalid_request', zodMessage(body.error));
    const b = body.data;
    try {
      const result = await deps.broadcasts.publish({
        topic: b.topic,
        event: b.event,
        payload: b.payload,
        binary: b.payload_base64 !== undefined ? Buffer.from(b.payload_base64, 'base64') : undefined,
        persist: b.persist,
        idempotencyKey: b.idempotency_key,
      });
      return result.id !== undefined ? { ok: true, id: result.id } : { ok: true };
    } catch (err) {
      if (err instanceof BroadcastInputError) return sendError(reply, 400, err.code, err.message);
      if (storeDown(err)) return sendError(reply, 503, 'unavailable', 'the store cannot commit right now');
      throw err;
    }
  });

  api.post('/jobs/:id', async (req, reply) => {
    const params = idParam.safeParse(req.params);
    if (!params.success) return sendError(reply, 400, 'invalid_request', zodMessage(params.error));
    const body = jobBody.safeParse(req.body);
    if (!body.success) return sendError(reply, 400, 'invalid_request', zodMessage(body.error));
    try {
      return { job: await deps.jobs.update(params.data.id, body.data as JobUpdate) };
    } catch (err) {
      if (storeDown(err)) return sendError(reply, 503, 'unavailable', 'the store cannot commit right now');
      throw err;
    }
  });

  api.get('/sessions/:id/messages', async (req, reply) => {
    const params = idParam.safeParse(req.params);
    if (!params.success) return sendError(reply, 400, 'invalid_request', zodMessage(params.error));
    const query = messagesQuery.safeParse(req.query);
    if (!query.success) return sendError(reply, 400, 'invalid_request', zodMessage(query.error));
    try {
      const messages = await deps.store.listMessagesAfter(params.data.id, query.data.after ?? null, query.data.limit);
      return { messages };
    } catch (err) {
      if (storeDown(err)) return sendError(reply, 503, 'unavailable', 'the store is unreachable');
      throw err;
    }
  });

  api.get('/sessions', async (req, reply) => {
    const query = sessionsQuery.safeParse(req.query);
    if (!query.success) return sendError(reply, 400, 'invalid_request', zodMessage(query.error));
    try {
      return { sessions: await deps.store.listSessions(query.data.status, query.data.limit) };
    } catch (err) {
      if (storeDown(err)) return sendError(reply, 503, 'unavailable', 'the store is unreachable');
      throw err;
    }
  });

  api.get('/presence/:topic', async (req, reply) => {
    const params = topicParam.safeParse(req.params);
    if (!params.success) return sendError(reply, 400, 'invalid_request', zodMessage(params.error));
    return { presence: deps.tracker.list(params.data.topic) };
  });

  api.post('/users/:id/disconnect', async (req, reply) => {
    const params = idParam.safeParse(req.params);
    if (!params.success) return sendError(reply, 400, 'invalid_request', zodMessage(params.error));
    deps.endpoint.disconnect(`user_socket:${params.data.id}`);
    return { ok: true };
  });
}
