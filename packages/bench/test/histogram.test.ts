import { Histogram } from '../src/histogram';

describe('Histogram', () => {
  it('answers quantiles within its 1 % bucket precision', () => {
    const h = new Histogram();
    for (let i = 1; i <= 1000; i++) h.recordMs(i);
    expect(h.count).toBe(1000);
    expect(h.quantileMs(0.5)).toBeGreaterThanOrEqual(500);
    expect(h.quantileMs(0.5)).toBeLessThanOrEqual(505);
    expect(h.quantileMs(0.99)).toBeGreaterThanOrEqual(990);
    expect(h.quantileMs(0.99)).toBeLessThanOrEqual(1000);
  });

  it('merges exactly what another histogram holds', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 0; i < 100; i++) a.recordMs(0.2);
    for (let i = 0; i < 100; i++) b.recordMs(40);
    a.merge(b.toData());
    expect(a.count).toBe(200);
    expect(a.quantileMs(0.25)).toBeCloseTo(0.2, 2);
    expect(a.quantileMs(0.75)).toBeGreaterThanOrEqual(40);
    expect(a.quantileMs(0.75)).toBeLessThan(40.5);
  });

  it('counts missing samples as infinitely late, so loss shows in p99', () => {
    const h = new Histogram();
    for (let i = 0; i < 98; i++) h.recordMs(1);
    h.recordMissing(2);
    expect(h.quantileMs(0.5)).toBeLessThan(1.02);
    expect(h.quantileMs(0.99)).toBe(Infinity);
  });

  it('has no quantiles without samples', () => {
    expect(new Histogram().quantileMs(0.5)).toBeNull();
  });
});
