/**
 * Three real channel-server processes (node-a, node-b, node-c) on loopback,
 * sharing one private Redis and one fresh Postgres database, behind a private
 * nginx doing plain round-robin. Each test file starts its own, so stopping
 * Redis or killing a node touches nothing else.
 */
import {
  createTestDatabase,
  startPrivateRedis,
  startRoundRobin,
  startServer,
  type LoadBalancer,
  type PrivateRedis,
  type ServerProcess,
} from '@cinder/testkit';
import { api, securedEnv } from '../support/cluster-env';

export const NODE_IDS = ['node-a', 'node-b', 'node-c'] as const;
export type NodeId = (typeof NODE_IDS)[number];

export interface Cluster {
  readonly redis: PrivateRedis;
  readonly lb: LoadBalancer;
  /** the live process of each node (replaced by restart) */
  readonly nodes: Record<NodeId, ServerProcess>;
  url(node: NodeId): string;
  /** kill -9 */
  kill(node: NodeId): Promise<void>;
  /** SIGTERM (graceful drain) and wait for exit; returns the exit code */
  terminate(node: NodeId): Promise<number | null>;
  /** starts a killed or terminated node again with the same env and port */
  restart(node: NodeId): Promise<ServerProcess>;
  /** GET /readyz of one node */
  readyz(node: NodeId): Promise<{ status: number; body: any }>;
  /** waits until every live node answers /readyz with `status` */
  waitReady(status: 200 | 503, timeoutMs?: number): Promise<void>;
  /** every node's output, for failure messages */
  logs(): string;
  close(): Promise<void>;
}

export interface ClusterOptions {
  /**
   * The nodes' DATABASE_URL, e.g. a private Postgres a test restarts; by
   * default a fresh database on the machine's Postgres (dropped on close).
   */
  databaseUrl?: string;
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.close());
    let databaseUrl = opts.databaseUrl;
    if (databaseUrl === undefined) {
      const db = await createTestDatabase('cinder_cluster');
      cleanups.push(() => db.drop());
      databaseUrl = db.url;
    }
    const nodes = {} as Record<NodeId, ServerProcess>;
    const killed = new Set<NodeId>();
    cleanups.push(() => Promise.all(NODE_IDS.map((id) => nodes[id]?.kill())));
    // A test process that dies without running afterAll must not leave nodes behind.
    const killOnExit = () => NODE_IDS.forEach((id) => nodes[id]?.child.kill('SIGKILL'));
    process.once('exit', killOnExit);
    cleanups.push(async () => process.off('exit', killOnExit));
    await Promise.all(
      NODE_IDS.map(async (id) => {
        nodes[id] = await startServer(
          securedEnv({ REDIS_URL: redis.url, DATABASE_URL: databaseUrl, NODE_ID: id, LOG_LEVEL: 'info' }),
        );
      }),
    );
    const lb = await startRoundRobin(NODE_IDS.map((id) => nodes[id].port));
    cleanups.push(() => lb.stop());

    const readyz = async (node: NodeId) => {
      try {
        const res = await fetch(`${nodes[node].url}/readyz`);
        return { status: res.status, body: await res.json() };
      } catch (err) {
        return { status: 0, body: String(err) };
      }
    };
    const cluster: Cluster = {
      redis,
      lb,
      nodes,
      url: (node) => nodes[node].url,
      async kill(node) {
        killed.add(node);
        await nodes[node].kill();
      },
      async terminate(node) {
        killed.add(node);
        return nodes[node].stop();
      },
      async restart(node) {
        const old = nodes[node];
        nodes[node] = await startServer(old.env, { port: old.port });
        killed.delete(node);
        return nodes[node];
      },
      readyz,
      async waitReady(status, timeoutMs = 15_000) {
        const live = NODE_IDS.filter((id) => !killed.has(id));
        const last: Record<string, number> = {};
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const answers = await Promise.all(live.map((id) => readyz(id)));
          answers.forEach((a, i) => (last[live[i]] = a.status));
          if (answers.every((a) => a.status === status)) return;
          if (Date.now() > deadline) throw new Error(`readyz never became ${status} everywhere: ${JSON.stringify(last)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      logs: () => NODE_IDS.map((id) => `--- ${id} ---\n${nodes[id].output().slice(-4000)}`).join('\n'),
      close,
    };
    // The trackers must know each other before presence can be a union.
    await cluster.waitReady(200);
    return cluster;
  } catch (err) {
    await close();
    throw err;
  }
}

/** GET /api/presence/{topic} on one node: user id -> number of metas. */
export async function presenceCounts(baseUrl: string, topic: string): Promise<Record<string, number>> {
  const res = await api(baseUrl, 'GET', `/api/presence/${encodeURIComponent(topic)}`);
  if (res.status !== 200) throw new Error(`presence on ${baseUrl}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(res.body.presence as Record<string, { metas: unknown[] }>)) out[key] = v.metas.length;
  return out;
}

/** Waits until every given node's /api/presence for `topic` equals `expected`. */
export async function waitPresenceEverywhere(
  cluster: Cluster,
  nodes: readonly NodeId[],
  topic: string,
  expected: Record<string, number>,
  timeoutMs = 15_000,
): Promise<void> {
  const seen: Record<string, unknown> = {};
  const want = JSON.stringify(sortKeys(expected));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await Promise.all(nodes.map((n) => presenceCounts(cluster.url(n), topic)));
    all.forEach((p, i) => (seen[nodes[i]] = p));
    if (all.every((p) => JSON.stringify(sortKeys(p)) === want)) return;
    if (Date.now() > deadline) throw new Error(`presence of ${topic} never became ${want}: ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Reads until `ok` holds (async waitFor); returns the last value, throws with it on timeout. */
export async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
