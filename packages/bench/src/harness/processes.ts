import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { sleep } from '../clock';

/**
 * Every process the bench starts is registered here so an abort, a failed
 * scenario or Ctrl-C never leaves servers or workers behind.
 */
const live = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** last lines of stdout/stderr, for error messages */
  tail(): string;
  alive(): boolean;
}

export function spawnLogged(cmd: string, args: string[], opts: SpawnOptions): Spawned {
  const child = track(spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] }));
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  return { child, pid: child.pid, tail: () => tail, alive: () => !exited && child.exitCode === null };
}

/** SIGTERM, then SIGKILL after graceMs. */
export async function stopProcess(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    child.kill('SIGKILL');
    await exited;
  }
}

export function killAllSync(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

let hooked = false;
/** Kill children on exit and on SIGINT/SIGTERM of the runner. */
export function installCleanup(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      killAllSync();
      process.exit(130);
    });
  }
}
