/**
 * A private, throw-away PostgreSQL server for tests that need an outage:
 * they stop and restart it at will, never touching the machine's own server.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  /** Stops the server (an outage); 'immediate' is a crash-like stop, default 'fast'. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /**
   * Freezes every process of the server (SIGSTOP): connections stay open but
   * nothing answers, like a network partition. `thaw()` resumes them.
   */
  freeze(): void;
  thaw(): void;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

/** The postmaster and the backends and helpers it forked. */
function serverPids(postmaster: number): number[] {
  const children = fs
    .readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  return [postmaster, ...children];
}

function signalAll(postmaster: number, signal: NodeJS.Signals): void {
  for (const pid of serverPids(postmaster)) {
    try {
      process.kill(pid, signal);
    } catch {
      // a backend that just exited
    }
  }
}

function postgresBin(): string {
  if (process.env.CINDER_PG_BIN) return process.env.CINDER_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql; set CINDER_PG_BIN');
  return path.join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

/** initdb and postgres refuse to run as root; as root we run them as `postgres`. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A test's postgres must never outlive the test process, even on failure. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    // SIGQUIT is Postgres's immediate shutdown: it also ends the backends.
    for (const child of live) {
      if (child.pid) signalAll(child.pid, 'SIGCONT');
      child.kill('SIGQUIT');
    }
  });
}

async function waitUntilReady(url: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`private postgres exited (${child.exitCode}): ${fs.readFileSync(log, 'utf8').slice(-2000)}`);
    }
    const c = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('select 1');
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`private postgres not ready: ${fs.readFileSync(log, 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const user = serverUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'postgres.log');
  try {
    if (user) fs.chownSync(dir, user.uid, user.gid);
    execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'], {
      ...user,
      stdio: 'pipe',
    });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  installExitHook();

  let child: ChildProcess | null = null;
  const start = async () => {
    if (child) return;
    const out = fs.openSync(log, 'a');
    if (user) fs.fchownSync(out, user.uid, user.gid);
    // fsync off: this server holds only test data and must start and stop fast.
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
    const proc = spawn(path.join(bin, 'postgres'), args, { ...user, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    live.add(proc);
    proc.on('exit', () => live.delete(proc));
    child = proc;
    try {
      await waitUntilReady(url, proc, log);
    } catch (err) {
      proc.kill('SIGQUIT');
      child = null;
      throw err;
    }
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    const proc = child;
    if (!proc) return;
    child = null;
    if (proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    await exited;
  };

  try {
    await start();
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const running = (): number => {
    if (!child?.pid) throw new Error('private postgres is not running');
    return child.pid;
  };
  return {
    url,
    port,
    start,
    stop,
    freeze: () => signalAll(running(), 'SIGSTOP'),
    thaw: () => signalAll(running(), 'SIGCONT'),
    async close() {
      if (child?.pid) signalAll(child.pid, 'SIGCONT');
      await stop('immediate');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
