/**
 * `pnpm bench`: runs the benchmark suite, prints the markdown table and
 * writes the raw figures to bench-results/<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { runBench } from './bench';
import { parseArgs } from './options';
import { renderTable, renderTargets } from './report/table';
import type { BenchReport } from './results';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');

async function main(): Promise<number> {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const report = await runBench({ options, repoRoot: REPO_ROOT });

  const outDir = isAbsolute(options.outDir) ? options.outDir : join(REPO_ROOT, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));

  const out: string[] = ['', `## Cinder benchmark${report.quick ? ' (quick smoke: figures are not meaningful)' : ''}`, ''];
  out.push(
    `${report.machine.cpus} CPUs, Node ${report.machine.node}, open files ${report.machine.openFileLimit.soft}/${report.machine.openFileLimit.hard}, ` +
      `${(report.durationMs / 1000).toFixed(0)} s`,
    '',
    renderTable(report),
    '',
    '### Targets (ratios measured in this run)',
    '',
    renderTargets(report.targets),
    '',
  );
  const noise = worstForeignCpu(report);
  if (noise > 0.2) {
    out.push(
      `- WARNING: other processes used up to ${noise.toFixed(2)} cores during measurements (of which up to ` +
        `${worstSteal(report).toFixed(2)} stolen by the hypervisor); latency and max-rate ` +
        `figures are disturbed (CPU per delivery and RSS much less so). Re-run on a quiet machine.`,
    );
  }
  for (const n of report.notes) out.push(`- note: ${n}`);
  for (const s of report.skipped) out.push(`- skipped: ${s}`);
  for (const e of report.errors) out.push(`- error in ${e.scenario} / ${e.server}: ${e.message.split('\n')[0]}`);
  out.push('', `raw figures: ${file}`);
  console.log(out.join('\n'));
  return report.errors.length > 0 ? 1 : 0;
}

function worstSteal(r: BenchReport): number {
  const all = [
    ...r.fanout.flatMap((f) => [f.fixed, ...f.ramp].map((w) => w.stealCores)),
    ...r.cluster.map((c) => c.window.stealCores),
    ...r.rooms.map((x) => x.stealCores),
  ];
  return Math.max(0, ...all);
}

function worstForeignCpu(r: BenchReport): number {
  const all = [
    ...r.fanout.flatMap((f) => [f.fixed, ...f.ramp].map((w) => w.foreignCpuCores)),
    ...r.cluster.map((c) => c.window.foreignCpuCores),
    ...r.rooms.map((x) => x.foreignCpuCores),
    ...r.idle.map((x) => x.foreignCpuCores),
  ];
  return Math.max(0, ...all);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
