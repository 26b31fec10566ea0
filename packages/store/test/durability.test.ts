import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import { openStore } from '@cinder/store';
import { ensureStoreBuilt, STORE_PACKAGE } from './build';
import { KINDS, makeTarget, type Target } from './targets';

interface Writer {
  child: ChildProcess;
  /** id -> text of every append the child reported as acknowledged */
  acks: Map<string, string>;
  opened: Promise<void>;
  /** resolves once `n` acknowledgements have been printed */
  acked(n: number): Promise<void>;
  exited: Promise<unknown>;
}

function startWriter(options: object, session: string): Writer {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'fixtures', 'writer.js'), STORE_PACKAGE, JSON.stringify(options), session],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const acks = new Map<string, string>();
  const waiters: { n: number; resolve(): void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const failed = exited.then(() => {
    throw new Error(`writer exited early: ${stderr}`);
  });
  failed.catch(() => undefined);
  let markOpen: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (markOpen = resolve));
  readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line === 'open') markOpen();
    const [word, id, text] = line.split(' ');
    if (word !== 'ack') return;
    acks.set(id, text);
    for (const w of waiters.filter((x) => acks.size >= x.n)) w.resolve();
  });
  return {
    child,
    acks,
    exited,
    opened: Promise.race([opened, failed]),
    acked: (n) => Promise.race([new Promise<void>((resolve) => waiters.push({ n, resolve })), failed]),
  };
}

beforeAll(() => ensureStoreBuilt(), 120_000);

describe.each(KINDS)('durability on %s', (kind) => {
  let target: Target;
  let writer: Writer | undefined;
  beforeAll(async () => {
    target = await makeTarget(kind);
  });
  afterAll(async () => {
    writer?.child.kill('SIGKILL');
    await writer?.exited;
    await target?.cleanup();
  });

  it('keeps every acknowledged message when the writing process is killed with SIGKILL', async () => {
    const session = `s-${randomUUID()}`;
    writer = startWriter(target.options, session);
    await writer.opened;
    if (kind === 'pglite') {
      // The embedded database belongs to one process at a time.
      await expect(openStore(target.options)).rejects.toThrow(/in use by process/);
    }
    await writer.acked(30);
    writer.child.kill('SIGKILL');
    expect(await writer.exited).toBeNull(); // exit code null: it died by the signal
    const acks = new Map(writer.acks);
    expect(acks.size).toBeGreaterThanOrEqual(30);

    const store = await openStore(target.options);
    try {
      const stored = await store.listMessagesAfter(session, null, 10_000);
      const byId = new Map(stored.map((m) => [m.id, m.message]));
      for (const [id, text] of acks) expect(byId.get(id)).toBe(text);
      // Nothing unacknowledged is half there either: rows are whole and ordered.
      expect(stored.map((m) => Number(m.id))).toEqual([...stored.map((m) => Number(m.id))].sort((a, b) => a - b));
    } finally {
      await store.close();
    }
  });
});
