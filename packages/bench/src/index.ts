export { runBench } from './bench';
export type { RunBenchInput } from './bench';
export { defaultOptions, quickOptions, parseArgs } from './options';
export type { BenchOptions, ScenarioName } from './options';
export type * from './results';
export { renderTable, renderTargets } from './report/table';
