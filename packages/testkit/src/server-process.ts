import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase } from './test-database';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const SERVER_MAIN = join(REPO_ROOT, 'apps/channel-server/dist/main.js');

/** A free TCP port on loopback (bind :0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export function tempDir(prefix = 'cinder-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface ServerProcess {
  readonly port: number;
  readonly url: string;
  readonly env: Record<string, string>;
  readonly child: ChildProcess;
  /** everything the process printed so far */
  output(): string;
  /** SIGKILL and wait for exit */
  kill(): Promise<void>;
  /** SIGTERM (graceful) and wait for exit; returns the exit code */
  stop(timeoutMs?: number): Promise<number | null>;
  exited(): Promise<number | null>;
}

const DEFAULT_ENV = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'test' };

/**
 * Starts a real channel-server process (the built dist) and waits until
 * /healthz answers. By default it gets a fresh Postgres database; pass
 * `store: 'pglite'` for the embedded back end (fresh DATA_DIR), or pass the
 * previous `env` again to restart on the same data.
 */
export async function startServer(
  env: Record<string, string | undefined> = {},
  opts: { port?: number; waitReady?: boolean; timeoutMs?: number; store?: 'postgres' | 'pglite' } = {},
): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  // A fresh Postgres database starts in a blink; PGlite's first start runs
  // initdb (seconds), so suites opt into it where the back end is the point.
  if (!('DATABASE_URL' in env) && (opts.store ?? 'postgres') === 'postgres') {
    env = { ...env, DATABASE_URL: (await createTestDatabase('cinder_srv')).url };
  }
  const fullEnv: Record<string, string> = {};
  const inherited = { ...process.env };
  delete inherited.DATABASE_URL;
  for (const [k, v] of Object.entries({ ...inherited, ...DEFAULT_ENV, DATA_DIR: tempDir('cinder-data-'), ...env, PORT: String(port) })) {
    if (v !== undefined) fullEnv[k] = v;
  }
  delete fullEnv.NODE_OPTIONS;
  const child = spawn(process.execPath, [SERVER_MAIN], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d.toString()));
  child.stderr!.on('data', (d) => (out += d.toString()));
  const exitPromise = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  let exitedCode: number | null | undefined;
  void exitPromise.then((c) => (exitedCode = c));
  const proc: ServerProcess = {
    port,
    url: `http://127.0.0.1:${port}`,
    env: fullEnv,
    child,
    output: () => out,
    exited: () => exitPromise,
    async kill() {
      if (exitedCode === undefined) child.kill('SIGKILL');
      await exitPromise;
    },
    async stop(timeoutMs = 15000) {
      if (exitedCode !== undefined) return exitedCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exitPromise;
      clearTimeout(timer);
      return code;
    },
  };
  if (opts.waitReady !== false) {
    const deadline = Date.now() + (opts.timeoutMs ?? 30000);
    for (;;) {
      if (exitedCode !== undefined) throw new Error(`server exited with ${exitedCode} before it was ready:\n${out}`);
      try {
        const r = await fetch(`${proc.url}/healthz`);
        if (r.ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        await proc.kill();
        throw new Error(`server not ready within timeout:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return proc;
}
