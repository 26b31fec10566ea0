/** Brings packages/store/dist up to date for tests that run the store in a child process. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const STORE_PACKAGE = path.resolve(__dirname, '..');
const REPO = path.resolve(STORE_PACKAGE, '..', '..');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function buildIfStale(pkg: string): void {
  const dir = path.join(REPO, 'packages', pkg);
  const out = path.join(dir, 'dist', 'index.js');
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= newestSource(path.join(dir, 'src'))) return;
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')], {
    cwd: REPO,
    stdio: 'inherit',
  });
  // tsc leaves an unchanged output file's mtime alone; mark the build as fresh.
  const now = new Date();
  fs.utimesSync(out, now, now);
}

export function ensureStoreBuilt(): void {
  buildIfStale('contract');
  buildIfStale('store');
}
