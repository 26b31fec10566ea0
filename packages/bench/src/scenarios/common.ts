import type { BenchContext } from '../harness/context';
import { NodeOptions, ServerHandle, ServerKind, startServer } from '../harness/servers';
import { takeSourceAddresses } from '../harness/source-addresses';
import type { OpenResult, TopicPlan } from '../worker/protocol';

/** Starts a server, runs fn, and always closes the clients and stops the server. */
export async function withServer<T>(
  ctx: BenchContext,
  kind: ServerKind,
  fn: (server: ServerHandle) => Promise<T>,
  node: NodeOptions = {},
): Promise<T> {
  const server = await startServer(kind, ctx.env, node);
  try {
    return await fn(server);
  } finally {
    await server.stop();
    await ctx.pool.closeAll();
  }
}

export async function openClients(
  ctx: BenchContext,
  server: ServerHandle,
  count: number,
  topics: TopicPlan,
  userPrefix: string,
  group: string,
  timeoutMs = 20_000,
  capMs = 90_000,
): Promise<OpenResult> {
  const result = await ctx.pool.open({
    driver: server.driver,
    httpBase: server.httpBase,
    jwtSecret: server.kind === 'cinder' ? ctx.env.jwtSecret : undefined,
    userPrefix,
    firstIndex: 0,
    count,
    topics,
    sourceAddresses: takeSourceAddresses(count),
    concurrency: 50,
    timeoutMs,
    stopStartingAt: Date.now() + Math.min(capMs, Math.max(5000, ctx.remainingMs() / 3)),
    group,
  });
  if (result.failed > 0) ctx.log(`  ${result.failed} of ${count} clients failed to join: ${result.errors.join('; ')}`);
  if (result.notStarted > 0) ctx.log(`  joining was too slow: ${result.notStarted} of ${count} clients not started within the cap`);
  return result;
}

export function fanoutTopic(ctx: BenchContext, label: string): string {
  return ctx.options.fanout.topicKind === 'job' ? `job:bench-${ctx.runId}-${label}` : `session:bench-${ctx.runId}-${label}`;
}

export function fmtMs(v: number | null): string {
  return v === null ? '-' : v === Infinity ? '∞' : v.toFixed(2);
}
