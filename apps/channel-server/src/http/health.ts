import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../observability/metrics';

export interface ReadinessProbe {
  /** a component name ("store", "redis") and whether it is reachable */
  check(): Promise<Array<{ component: string; ok: boolean; detail?: string }>>;
}

export function registerHealth(app: FastifyInstance, readiness: ReadinessProbe, metrics: Metrics): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const checks = await readiness.check();
    const down = checks.filter((c) => !c.ok);
    const body = { status: down.length === 0 ? 'ok' : 'unavailable', down: down.map((c) => c.component), checks };
    return reply.code(down.length === 0 ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
