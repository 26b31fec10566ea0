import { idlePlan } from '../src/scenarios/idle';

describe('idle: sockets spread over server processes', () => {
  it('one process while the limit allows', () => {
    expect(idlePlan(19_000, 19_900)).toEqual([19_000]);
  });

  it('the contract’s 50,000 under a 20,000 open-file limit: three processes of whole sessions', () => {
    const shares = idlePlan(50_000, 19_900);
    expect(shares).toHaveLength(3);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(50_000);
    for (const n of shares) {
      expect(n).toBeLessThanOrEqual(19_900);
      expect(n % 5).toBe(0);
    }
  });

  it('a partial last session stays on one process', () => {
    const shares = idlePlan(43, 20);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(43);
    expect(shares.every((n) => n <= 20)).toBe(true);
    expect(shares.slice(0, -1).every((n) => n % 5 === 0)).toBe(true);
  });
});
