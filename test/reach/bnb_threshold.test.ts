/**
 * The engine's moving threshold (reach's incumbent − eps): read at every push and pop, domains
 * whose bound passes it are dropped, and the final global bound is the least bound of the dropped
 * domains (sound: every domain's bound is a lower bound of the objective over it).
 */
import { describe, expect, it } from 'vitest';
import { branchAndBound, type BnbProblem } from '../../src/search/bnb.js';

/** Minimise f(x) = (x − 0.3)² on [0, 1] by interval halving with the exact range of f as bound. */
function problem(eps: number): { p: BnbProblem<[number, number]>; best: () => number; reads: () => number } {
  const f = (x: number) => (x - 0.3) ** 2;
  const lowerOf = (a: number, b: number) => (a <= 0.3 && 0.3 <= b ? 0 : Math.min(f(a), f(b)));
  let best = Infinity, reads = 0;
  const bound = (a: number, b: number) => {
    best = Math.min(best, f(0.5 * (a + b)));
    return { domain: [a, b] as [number, number], lower: lowerOf(a, b), upper: f(0.5 * (a + b)) };
  };
  return {
    best: () => best,
    reads: () => reads,
    p: {
      threshold: () => { reads++; return best - eps; },
      roots: async () => [bound(0, 1)],
      expand: async (parents) => ({ children: parents.flatMap(({ domain: [a, b] }) => [bound(a, 0.5 * (a + b)), bound(0.5 * (a + b), b)]) }),
    },
  };
}

describe('branchAndBound with a moving threshold', () => {
  it('stops once every domain is within eps of the incumbent; the global bound is a proof', async () => {
    for (const eps of [1e-2, 1e-4, 1e-6]) {
      const { p, best, reads } = problem(eps);
      const res = await branchAndBound(p, { batch: 4 });
      expect(res.outcome).toBe('proved');
      expect(reads()).toBeGreaterThan(0);
      // Exact minimum 0: the global bound is ≤ 0 ... and the incumbent is within eps of it.
      expect(res.stats.globalLower).toBeLessThanOrEqual(0);
      expect(best() - res.stats.globalLower).toBeLessThanOrEqual(eps);
    }
  });

  it('a number threshold behaves as before (a domain is dropped when its bound exceeds it)', async () => {
    const { p } = problem(0);
    const fixed: BnbProblem<[number, number]> = { ...p, threshold: -1 };
    const res = await branchAndBound(fixed, { batch: 4, deadline: performance.now() + 200 });
    // Nothing exceeds −1 (the minimum is 0 ≥ −1 but bounds are ≥ 0 > −1: all dropped at once).
    expect(res.outcome).toBe('proved');
    expect(res.stats.visited).toBe(1);
  });
});
