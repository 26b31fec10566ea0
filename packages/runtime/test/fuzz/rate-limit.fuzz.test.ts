/**
 * The inbound token bucket under arbitrary arrival patterns: it never lets
 * more through than burst + rate x elapsed, never refuses a client that
 * stays within the rate, and disconnects only after more refusals in one
 * second than it tolerates.
 */
import fc from 'fast-check';
import { InboundRateLimit } from '../../src/socket/rate-limit';

const RUNS = { numRuns: 300, seed: 5150 };

const limits = fc.record({ perSecond: fc.integer({ min: 1, max: 200 }), burst: fc.integer({ min: 1, max: 200 }) });
/** gaps in ms between arrivals, often zero (bursts) */
const gaps = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 2000 })), { minLength: 1, maxLength: 400 });

it('never allows more than burst + perSecond x elapsed', () => {
  fc.assert(
    fc.property(limits, gaps, (opts, ds) => {
      const start = 1_000_000;
      const rl = new InboundRateLimit({ ...opts, maxRefusalsPerSecond: Infinity });
      // the constructor reads the clock; start the bucket at our epoch
      (rl as unknown as { last: number }).last = start;
      let now = start;
      let allowed = 0;
      for (const d of ds) {
        now += d;
        if (rl.take(now) === 'allow') allowed++;
        expect(allowed).toBeLessThanOrEqual(opts.burst + Math.floor(((now - start) * opts.perSecond) / 1000) + 1e-9);
      }
    }),
    RUNS,
  );
});

it('never refuses a client that stays within its rate', () => {
  fc.assert(
    fc.property(limits, fc.integer({ min: 1, max: 300 }), (opts, n) => {
      const rl = new InboundRateLimit(opts);
      const start = 2_000_000;
      (rl as unknown as { last: number }).last = start;
      const every = Math.ceil(1000 / opts.perSecond);
      for (let i = 0; i < n; i++) expect(rl.take(start + i * every)).toBe('allow');
    }),
    RUNS,
  );
});

it('disconnects only after more refusals within a second than tolerated', () => {
  fc.assert(
    fc.property(limits, fc.integer({ min: 1, max: 50 }), (opts, tolerated) => {
      const rl = new InboundRateLimit({ ...opts, maxRefusalsPerSecond: tolerated });
      const now = 3_000_000;
      (rl as unknown as { last: number }).last = now;
      const decisions = Array.from({ length: opts.burst + tolerated + 1 }, () => rl.take(now));
      expect(decisions.slice(0, opts.burst).every((d) => d === 'allow')).toBe(true);
      expect(decisions.slice(opts.burst, opts.burst + tolerated).every((d) => d === 'refuse')).toBe(true);
      expect(decisions[opts.burst + tolerated]).toBe('disconnect');
    }),
    RUNS,
  );
});
