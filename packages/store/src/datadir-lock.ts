/**
 * PGlite is a single-process database: a second process opening the same
 * directory would corrupt it, and PGlite itself does not refuse. A pid file
 * makes the second opener fail with a clear message instead.
 */
import fs from 'node:fs';

const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataDir(lockFile: string): () => void {
  if (heldHere.has(lockFile)) {
    throw new Error(`data directory lock ${lockFile} is already held by this process (store opened twice)`);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const owner = Number(fs.readFileSync(lockFile, 'utf8').trim());
      // Our own pid with no lock held here is a leftover of an earlier run
      // that had the same pid (containers restart as pid 1).
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new Error(`data directory is in use by process ${owner} (lock file ${lockFile})`);
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
  heldHere.add(lockFile);
  return () => {
    heldHere.delete(lockFile);
    fs.rmSync(lockFile, { force: true });
  };
}
