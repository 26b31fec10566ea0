import type { BenchContext } from '../harness/context';
import { combineWindows, measureWindow, runWindow, WindowMeasurement, WindowTarget } from '../harness/broadcast-window';
import { rssBytes } from '../harness/proc-stats';
import { SERVER_LABEL, ServerHandle, ServerKind, startServer } from '../harness/servers';
import type { FanoutResult, RampStep, WindowResult } from '../results';
import { fanoutTopic, fmtMs, openClients } from './common';

/**
 * The fixed-rate measurement is split into rounds taken in turns by every
 * server, so a neighbour's burst of load on a shared machine lands on all of
 * them alike instead of skewing one server's ratio.
 */
const ROUNDS = 3;

interface Contender {
  kind: ServerKind;
  server: ServerHandle;
  target: WindowTarget;
  opened: number;
  failedToOpen: number;
  parts: WindowMeasurement[];
}

/**
 * Fan-out: one topic, S subscribers, broadcasts through the HTTP API. All
 * servers are up and subscribed at once; a fixed rate, measured in
 * interleaved rounds, gives server CPU per delivery and latency; then a ramp
 * per server finds the highest rate whose every delivery arrives with p99
 * under the limit.
 */
export async function runFanoutSet(ctx: BenchContext, kinds: ServerKind[], subscribers: number): Promise<void> {
  const o = ctx.options.fanout;
  const fixedRate = o.fixedDeliveriesPerSec / subscribers;
  const drainMs = Math.max(o.drainMs, o.p99LimitMs * 4);
  const fail = (kind: ServerKind, err: unknown) => {
    const message = (err as Error).message;
    ctx.report.errors.push({ scenario: `fan-out ${subscribers}`, server: kind, message });
    ctx.log(`  ${SERVER_LABEL[kind]} FAILED: ${message.split('\n')[0]}`);
  };
  let w = 0;
  const field: Contender[] = [];
  try {
    for (const kind of kinds) {
      let server: ServerHandle | undefined;
      try {
        server = await startServer(kind, ctx.env);
        const topic = fanoutTopic(ctx, `fanout-${subscribers}-${kind}`);
        const opened = await openClients(ctx, server, subscribers, { kind: 'single', topic }, `fan-${kind}-`, kind);
        if (opened.opened === 0) throw new Error(`no subscriber could join: ${opened.errors.join('; ')}`);
        const target = { pool: ctx.pool, publishBase: server.httpBase, apiKey: ctx.env.apiKey, topic, serverPids: [server.pid], group: kind };
        field.push({ kind, server, target, opened: opened.opened, failedToOpen: opened.failed, parts: [] });
        ctx.log(`  ${SERVER_LABEL[kind]}: ${opened.opened} subscribers joined`);
      } catch (err) {
        fail(kind, err);
        await server?.stop();
      }
    }
    // warm-up: JIT and buffers settle before anything is measured
    for (const c of field) await runWindow(c.target, w++, fixedRate, o.warmupMs, drainMs);
    for (let round = 0; round < ROUNDS; round++) {
      const order = [...field.slice(round % field.length), ...field.slice(0, round % field.length)];
      for (const c of order) c.parts.push(await measureWindow(c.target, w++, fixedRate, o.windowMs / ROUNDS, drainMs));
    }
    for (const c of field) {
      try {
        const fixed = combineWindows(c.parts);
        ctx.log(
          `  ${SERVER_LABEL[c.kind]} fixed ${fmtRate(fixed.deliveriesPerSec)}/s: ${fixed.cpuUsPerDelivery?.toFixed(2)} µs CPU/delivery ` +
            `(clients ${((fixed.clientCpuSeconds * 1e6) / Math.max(1, fixed.deliveries)).toFixed(2)}), ` +
            `p50 ${fmtMs(fixed.p50Ms)} p99 ${fmtMs(fixed.p99Ms)} ms, ${fixed.deliveries}/${fixed.expectedDeliveries} delivered` +
            `, others used ${fixed.foreignCpuCores.toFixed(2)} cores (steal ${fixed.stealCores.toFixed(2)})`,
        );
        const serverRssBytes = rssBytes([c.server.pid]);
        const { ramp, best } = await rampUp(ctx, c, fixed, fixedRate, drainMs, () => w++);
        const result: FanoutResult = {
          server: c.kind,
          subscribers,
          opened: c.opened,
          failedToOpen: c.failedToOpen,
          fixed,
          ramp,
          maxSustainedDeliveriesPerSec: best ? best.deliveriesPerSec : 0,
          lowestTriedDeliveriesPerSec: Math.min(fixedRate, ...ramp.map((r) => r.targetBroadcastsPerSec)) * subscribers,
          serverRssBytes,
        };
        ctx.report.fanout.push(result);
        ctx.log(`  ${SERVER_LABEL[c.kind]} max sustained: ${fmtRate(result.maxSustainedDeliveriesPerSec)} deliveries/s`);
      } catch (err) {
        fail(c.kind, err);
      }
    }
  } finally {
    for (const c of field) await c.server.stop();
    await ctx.pool.closeAll();
  }
}

/** Geometric steps up from the fixed rate (or down, if it failed), then one bisection; a failed step is run twice. */
async function rampUp(
  ctx: BenchContext,
  c: Contender,
  fixed: WindowResult,
  fixedRate: number,
  drainMs: number,
  nextW: () => number,
): Promise<{ ramp: RampStep[]; best: WindowResult | null }> {
  const o = ctx.options.fanout;
  const ramp: RampStep[] = [];
  const passes = (r: WindowResult) =>
    r.complete &&
    r.p99Ms !== null &&
    r.p99Ms < o.p99LimitMs &&
    !r.senderLagged &&
    r.achievedBroadcastsPerSec >= 0.95 * r.targetBroadcastsPerSec;
  const step = async (rate: number): Promise<RampStep> => {
    const r = await runWindow(c.target, nextW(), rate, o.stepMs, drainMs);
    const s = { ...r, pass: passes(r) };
    ramp.push(s);
    ctx.log(
      `  ramp ${fmtRate(rate * r.subscribers)}/s target: ${fmtRate(r.deliveriesPerSec)}/s, p99 ${fmtMs(r.p99Ms)} ms, ` +
        `CPU server ${pct(r.serverCpuSeconds, r.elapsedMs)} clients ${pct(r.clientCpuSeconds, r.elapsedMs)} ` +
        `others ${Math.round(r.foreignCpuCores * 100)}%, ` +
        `${r.complete ? 'complete' : 'INCOMPLETE'} -> ${s.pass ? 'pass' : 'fail'}`,
    );
    // a failed step leaves a backlog; let it clear so the next step starts clean
    if (!s.pass) await waitQuiet(ctx);
    return s;
  };
  const stepBudgetMs = o.stepMs + drainMs + 1000;
  // One disturbed window on a shared machine must not decide the whole ramp:
  // a rate fails only if it fails twice.
  const confirmed = async (rate: number): Promise<RampStep> => {
    const s = await step(rate);
    if (s.pass || ctx.remainingMs() < stepBudgetMs * 2) return s;
    return step(rate);
  };
  let best: WindowResult | null = passes(fixed) ? fixed : null;
  if (!best && ctx.remainingMs() > stepBudgetMs * 2) {
    const again = await step(fixedRate);
    if (again.pass) best = again;
  }
  if (best) {
    let lastPassRate = fixedRate;
    let failRate = 0;
    for (let i = 0, rate = fixedRate * o.stepFactor; i < o.maxSteps; i++, rate *= o.stepFactor) {
      if (ctx.remainingMs() < stepBudgetMs * 2) break;
      const s = await confirmed(rate);
      if (!s.pass) {
        failRate = rate;
        break;
      }
      best = s;
      lastPassRate = rate;
    }
    if (failRate > 0 && ctx.remainingMs() > stepBudgetMs * 2) {
      const s = await confirmed(Math.sqrt(lastPassRate * failRate));
      if (s.pass) best = s;
    }
  } else {
    for (let rate = fixedRate / 2, i = 0; i < 2 && !best; rate /= 2, i++) {
      if (ctx.remainingMs() < stepBudgetMs * 2) break;
      const s = await step(rate);
      if (s.pass) best = s;
    }
  }
  return { ramp, best };
}

/** Waits until deliveries stop arriving (at most 10 s). */
async function waitQuiet(ctx: BenchContext): Promise<void> {
  let last = -1;
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const st = await ctx.pool.status();
    const n = st.reduce((a, s) => a + s.fanout.deliveries + s.fanout.stale, 0);
    if (n === last) return;
    last = n;
    await new Promise((r) => setTimeout(r, 300));
  }
}

function pct(cpuSeconds: number, ms: number): string {
  return `${Math.round((cpuSeconds * 1e5) / Math.max(1, ms))}%`;
}

export function fmtRate(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}
