// Bundles the page into dist/: index.html plus content-hashed assets, so the
// server can cache assets forever and only index.html must be revalidated.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { app: 'src/main.ts', styles: 'src/styles.css' },
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: 'linked',
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  legalComments: 'linked',
});

/** The emitted file of one entry point, as a path relative to index.html. */
function assetFor(entry) {
  const out = Object.entries(result.metafile.outputs).find(([, meta]) => meta.entryPoint === entry);
  if (!out) throw new Error(`build: no output for ${entry}`);
  return relative(dist, join(root, out[0])).split('\\').join('/');
}

const script = assetFor('src/main.ts');
const styles = assetFor('src/styles.css');
const template = await readFile(join(root, 'src/index.html'), 'utf8');
if (!template.includes('__SCRIPT__') || !template.includes('__STYLES__')) {
  throw new Error('build: src/index.html must reference __SCRIPT__ and __STYLES__');
}
// Relative asset URLs keep the page working when it is served under a path prefix.
const html = template.replace('__SCRIPT__', `./${script}`).replace('__STYLES__', `./${styles}`);
await writeFile(join(dist, 'index.html'), html);

const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => !file.endsWith('.map'))
  .map(([file, meta]) => `${basename(file)} ${(meta.bytes / 1024).toFixed(1)} KiB`);
console.log(`coaching-room: dist/index.html, ${bytes.join(', ')}`);
