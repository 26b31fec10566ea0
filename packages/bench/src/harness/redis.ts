import { freePort } from './ports';
import { spawnLogged, stopProcess } from './processes';
import { sleep } from '../clock';
import { Socket } from 'node:net';

/**
 * A private redis-server for the cluster scenario: the machine's Redis is
 * shared with other test suites whose pub/sub traffic would land in our
 * measurement, and a private one lets us read its CPU too.
 */
export interface RedisInstance {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisInstance> {
  const port = await freePort();
  const proc = spawnLogged(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
    {},
  );
  const deadline = Date.now() + 5000;
  while (!(await canConnect(port))) {
    if (!proc.alive() || Date.now() > deadline) {
      await stopProcess(proc.child, 200);
      throw new Error(`redis-server did not start: ${proc.tail()}`);
    }
    await sleep(50);
  }
  return { url: `redis://127.0.0.1:${port}`, pid: proc.pid, stop: () => stopProcess(proc.child, 1000) };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}
