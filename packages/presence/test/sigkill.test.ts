import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Cluster, FAST, clientRefs, diffsWith, refs } from './nodes';
import { uniquePrefix, waitFor } from './wait';

const URL = 'redis://127.0.0.1:6379';
const T = 'room:lobby';

function startChild(prefix: string, nodeId: string, keys: string[]): Promise<{ child: ChildProcess; refs: string[] }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures/tracker-node.js'), URL, prefix, nodeId, T, ...keys], {
    env: { ...process.env, TRACKER_TIMING: JSON.stringify(FAST) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ child, refs: JSON.parse(out.split('\n')[0]).refs });
    });
    child.stderr!.on('data', (d) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`tracker node exited (${code}): ${err}`)));
  });
}

describe('a tracker process killed with SIGKILL', () => {
  let cluster: Cluster;
  let child: ChildProcess | null = null;
  let prefix: string;

  beforeEach(() => {
    prefix = uniquePrefix('sigkill');
    cluster = new Cluster(URL, prefix);
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    await cluster.closeAll();
  });

  test('its presences leave every other node with presence_diff leaves', async () => {
    const a = await cluster.node('a');
    const b = await cluster.node('b');
    const mine = a.tracker.track({}, T, 'local', {});
    const started = await startChild(prefix, 'doomed', ['k1', 'k2']);
    child = started.child;
    const [k1, k2] = started.refs;
    const full = JSON.stringify({ k1: [k1], k2: [k2], local: [mine] });
    await waitFor('the child presences to reach a and b', () => [a, b].every((n) => JSON.stringify(refs(n, T)) === full), 10_000);

    child.kill('SIGKILL');
    const after = JSON.stringify({ local: [mine] });
    await waitFor(
      'the dead node to leave',
      () => [a, b].every((n) => JSON.stringify(refs(n, T)) === after && JSON.stringify(clientRefs(n, T)) === after),
      10_000,
    );
    for (const n of [a, b]) {
      expect(diffsWith(n, 'leaves', k1)).toEqual([{ joins: {}, leaves: { k1: { metas: [expect.objectContaining({ phx_ref: k1 })] }, k2: { metas: [expect.objectContaining({ phx_ref: k2 })] } } }]);
    }
  });
});
