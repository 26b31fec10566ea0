import type { BenchContext } from '../harness/context';
import { runWindow, WindowTarget } from '../harness/broadcast-window';
import { rssBytes } from '../harness/proc-stats';
import { SERVER_LABEL, ServerKind } from '../harness/servers';
import type { FanoutResult, RampStep, WindowResult } from '../results';
import { fanoutTopic, fmtMs, openClients, withServer } from './common';

/**
 * Fan-out: one topic, S subscribers, broadcasts through the HTTP API. A fixed
 * rate gives server CPU per delivery and latency; a ramp finds the highest
 * rate whose every delivery arrives with p99 under the limit.
 */
export async function runFanout(ctx: BenchContext, kind: ServerKind, subscribers: number): Promise<FanoutResult> {
  const o = ctx.options.fanout;
  const topic = fanoutTopic(ctx, `fanout-${subscribers}-${kind}`);
  return withServer(ctx, kind, async (server) => {
    const opened = await openClients(ctx, server, subscribers, { kind: 'single', topic }, `fan-${kind}-`);
    if (opened.opened === 0) throw new Error(`no subscriber could join: ${opened.errors.join('; ')}`);
    const target: WindowTarget = {
      pool: ctx.pool,
      publishBase: server.httpBase,
      apiKey: ctx.env.apiKey,
      topic,
      serverPids: [server.pid],
    };
    const fixedRate = o.fixedDeliveriesPerSec / subscribers;
    const drainMs = Math.max(2000, o.p99LimitMs * 4);
    let w = 0;
    // warm-up: JIT and buffers settle before anything is measured
    await runWindow(target, w++, fixedRate, o.warmupMs, drainMs);
    const fixed = await runWindow(target, w++, fixedRate, o.windowMs, drainMs);
    ctx.log(
      `  fixed ${fmtRate(fixed.deliveriesPerSec)}/s: ${fixed.cpuUsPerDelivery?.toFixed(2)} µs CPU/delivery ` +
        `(clients ${((fixed.clientCpuSeconds * 1e6) / Math.max(1, fixed.deliveries)).toFixed(2)}), ` +
        `p50 ${fmtMs(fixed.p50Ms)} p99 ${fmtMs(fixed.p99Ms)} ms, ${fixed.deliveries}/${fixed.expectedDeliveries} delivered` +
        `, others used ${fixed.foreignCpuCores.toFixed(2)} cores`,
    );
    const serverRssBytes = rssBytes([server.pid]);

    const ramp: RampStep[] = [];
    const passes = (r: WindowResult) =>
      r.complete &&
      r.p99Ms !== null &&
      r.p99Ms < o.p99LimitMs &&
      !r.senderLagged &&
      r.achievedBroadcastsPerSec >= 0.95 * r.targetBroadcastsPerSec;
    const step = async (rate: number): Promise<RampStep> => {
      const r = await runWindow(target, w++, rate, o.stepMs, drainMs);
      const s = { ...r, pass: passes(r) };
      ramp.push(s);
      ctx.log(
        `  ramp ${fmtRate(rate * subscribers)}/s target: ${fmtRate(r.deliveriesPerSec)}/s, p99 ${fmtMs(r.p99Ms)} ms, ` +
          `CPU server ${pct(r.serverCpuSeconds, r.elapsedMs)} clients ${pct(r.clientCpuSeconds, r.elapsedMs)} ` +
          `others ${Math.round(r.foreignCpuCores * 100)}%, ` +
          `${r.complete ? 'complete' : 'INCOMPLETE'} -> ${s.pass ? 'pass' : 'fail'}`,
      );
      // a failed step leaves a backlog; let it clear so the next step starts clean
      if (!s.pass) await waitQuiet(ctx);
      return s;
    };
    const stepBudgetMs = o.stepMs + drainMs + 1000;
    let best = passes(fixed) ? fixed : null;
    let lastPassRate = best ? fixedRate : 0;
    let failRate = 0;
    if (best) {
      for (let i = 0, rate = fixedRate * o.stepFactor; i < o.maxSteps; i++, rate *= o.stepFactor) {
        if (ctx.remainingMs() < stepBudgetMs * 2) break;
        const s = await step(rate);
        if (!s.pass) {
          failRate = rate;
          break;
        }
        best = s;
        lastPassRate = rate;
      }
      // one bisection between the last pass and the first failure
      if (failRate > 0 && ctx.remainingMs() > stepBudgetMs * 2) {
        const s = await step(Math.sqrt(lastPassRate * failRate));
        if (s.pass) best = s;
      }
    } else {
      await waitQuiet(ctx);
      for (let rate = fixedRate / 2, i = 0; i < 3 && !best; rate /= 2, i++) {
        if (ctx.remainingMs() < stepBudgetMs * 2) break;
        const s = await step(rate);
        if (s.pass) best = s;
      }
    }
    const result: FanoutResult = {
      server: kind,
      subscribers,
      opened: opened.opened,
      failedToOpen: opened.failed,
      fixed,
      ramp,
      maxSustainedDeliveriesPerSec: best ? best.deliveriesPerSec : 0,
      lowestTriedDeliveriesPerSec: Math.min(fixedRate, ...ramp.map((r) => r.targetBroadcastsPerSec)) * subscribers,
      serverRssBytes,
    };
    ctx.log(`  ${SERVER_LABEL[kind]} max sustained: ${fmtRate(result.maxSustainedDeliveriesPerSec)} deliveries/s`);
    return result;
  });
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
