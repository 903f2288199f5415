import { describe, expect, it } from 'vitest';
import { getHighs } from '../bounds/lp.js';
import { forward } from '../net/forward.js';
import type { Network } from '../net/network.js';
import type { PropertyDisjunct } from '../spec/property.js';
import { Rng } from '../util/rng.js';
import { buildFromSpec, randomDense } from '../../test/helpers/random_net.js';
import { boundBoxes, stackDisjunct, type BoxDomain } from './box_bounding.js';
import { boundBoxByLp, countUnstable } from './box_lp.js';
import { violation } from './counterexample.js';

const GRID = 41;

/** Minimum of the disjunct's objective (min over polytopes of max over rows) on a GRID² grid of a 2-D box. */
function gridMinimum(net: Network, dj: PropertyDisjunct, lo: Float64Array, hi: Float64Array): number {
  const xs = new Float64Array(GRID * GRID * 2);
  for (let i = 0; i < GRID; i++) for (let j = 0; j < GRID; j++) {
    xs[(i * GRID + j) * 2] = lo[0] + ((hi[0] - lo[0]) * i) / (GRID - 1);
    xs[(i * GRID + j) * 2 + 1] = lo[1] + ((hi[1] - lo[1]) * j) / (GRID - 1);
  }
  const ys = forward(net, xs, GRID * GRID);
  let best = Infinity;
  for (let s = 0; s < GRID * GRID; s++) best = Math.min(best, violation(ys, s * net.outputSize, dj.outputs));
  return best;
}

describe('boundBoxByLp (the LP tier of verify)', () => {
  // Two rows (y0 is the largest is unsafe): y1 − y0 ≤ 0.1 and y2 − y0 ≤ 0.1.
  const C = Float64Array.of(-1, 1, 0, -1, 0, 1);
  it('bounds max over rows soundly on random boxes, and exactly where no ReLU is unstable', async () => {
    const highs = await getHighs();
    let exactChecked = 0, tighter = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const net = buildFromSpec(randomDense({ seed, inputs: 2, widths: [8, 8], outputs: 3, act: 'Relu' }));
      const rng = new Rng(100 + seed);
      for (let t = 0; t < 12; t++) {
        const w = [1, 0.3, 0.05, 0.01][t % 4];
        const c0 = -1 + 2 * rng.next(), c1 = -1 + 2 * rng.next();
        const lo = Float64Array.of(c0 - w, c1 - w), hi = Float64Array.of(c0 + w, c1 + w);
        const dj: PropertyDisjunct = { box: { lo, hi }, outputs: [{ C, d: Float64Array.of(0.1, 0.1), rows: 2, numOutputs: 3 }] };
        const rows = stackDisjunct(dj, 3);
        const root: BoxDomain = { lo, hi, polyLower: Float64Array.of(-Infinity), age: 0, depth: 0 };
        const crownDom = boundBoxes(net, rows, [root], 'auto').bounded[0].domain;
        const res = boundBoxByLp(highs, net, rows, crownDom, 10);
        const lpBound = res.polyLower[0];
        const min = gridMinimum(net, dj, lo, hi);
        if (crownDom.polyLower[0] > 0) continue; // refuted already: the tier does not run
        expect(lpBound).toBeGreaterThan(-Infinity);
        // Sound: below the objective at every grid point.
        expect(lpBound).toBeLessThanOrEqual(min);
        if (lpBound > crownDom.polyLower[0] + 1e-9) tighter++;
        if (countUnstable(net, crownDom.nodes!) === 0) {
          // Affine network on the box: the LP is the exact problem, its optimum is attained.
          const x = res.candidates[0];
          const y = forward(net, x);
          expect(violation(y, 0, dj.outputs) - lpBound).toBeLessThan(1e-9);
          exactChecked++;
        }
      }
    }
    expect(exactChecked).toBeGreaterThan(3);
    expect(tighter).toBeGreaterThan(3);
  });
});
