import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports';
import { Spawned, spawnLogged, stopProcess } from './processes';
import { waitForOk } from './http';

export type ServerKind = 'cinder' | 'raw' | 'socketio';
/** How the client workers speak to a server. */
export type Driver = 'phoenix' | 'socketio';

export const SERVER_LABEL: Record<ServerKind, string> = {
  cinder: 'Cinder',
  raw: 'raw ws',
  socketio: 'Socket.IO',
};

export interface BenchSecrets {
  jwtSecret: string;
  apiKey: string;
}

export interface ServerEnv extends BenchSecrets {
  repoRoot: string;
  databaseUrl?: string;
  dataDir: string;
}

export interface NodeOptions {
  redisUrl?: string;
  nodeId?: string;
}

export interface ServerHandle {
  kind: ServerKind;
  driver: Driver;
  port: number;
  pid: number;
  httpBase: string;
  stop(): Promise<void>;
}

/** BENCH_CINDER_ENTRY benches another build of the server (e.g. a release) instead of this tree's. */
export function cinderEntry(repoRoot: string): string {
  return process.env.BENCH_CINDER_ENTRY || join(repoRoot, 'apps', 'channel-server', 'dist', 'main.js');
}

export function cinderAvailable(repoRoot: string): boolean {
  return existsSync(cinderEntry(repoRoot));
}

const BASELINE_ENTRY: Record<Exclude<ServerKind, 'cinder'>, string> = {
  raw: join(__dirname, '..', 'servers', 'raw-ws.js'),
  socketio: join(__dirname, '..', 'servers', 'socketio.js'),
};

export async function startServer(kind: ServerKind, env: ServerEnv, node: NodeOptions = {}): Promise<ServerHandle> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: 'development',
    JWT_SECRET: env.jwtSecret,
    SERVER_API_KEY: env.apiKey,
    LOG_LEVEL: 'warn',
    DATA_DIR: env.dataDir,
  };
  delete childEnv.REDIS_URL;
  delete childEnv.NODE_ID;
  delete childEnv.DATABASE_URL;
  if (env.databaseUrl) childEnv.DATABASE_URL = env.databaseUrl;
  if (node.redisUrl) childEnv.REDIS_URL = node.redisUrl;
  if (node.nodeId) childEnv.NODE_ID = node.nodeId;

  const entry = kind === 'cinder' ? cinderEntry(env.repoRoot) : BASELINE_ENTRY[kind];
  const proc: Spawned = spawnLogged(process.execPath, [entry], { env: childEnv, cwd: env.repoRoot });
  const httpBase = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(`${httpBase}/healthz`, kind === 'cinder' ? 30_000 : 10_000, proc.alive);
  } catch (err) {
    await stopProcess(proc.child, 500);
    throw new Error(`${SERVER_LABEL[kind]} did not become ready: ${(err as Error).message}\n${proc.tail()}`);
  }
  return {
    kind,
    driver: kind === 'socketio' ? 'socketio' : 'phoenix',
    port,
    pid: proc.pid,
    httpBase,
    stop: () => stopProcess(proc.child, 3000),
  };
}
