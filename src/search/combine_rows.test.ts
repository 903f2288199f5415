import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { combinedRowsBound } from './combine_rows.js';

describe('combinedRowsBound', () => {
  it('is a lower bound of max_r (A_r·x + b_r) at every point of the box (sampled and corners)', () => {
    const rng = new Rng(3);
    for (let t = 0; t < 300; t++) {
      const n = 1 + rng.int(5), R = 2 + rng.int(4);
      const lo = Float64Array.from({ length: n }, () => rng.uniform(-1, 0.5));
      const hi = Float64Array.from(lo, (l) => l + rng.uniform(0, 1));
      const A = Float64Array.from({ length: R * n }, () => rng.uniform(-2, 2));
      const b = Float64Array.from({ length: R }, () => rng.uniform(-1, 1));
      const bound = combinedRowsBound(A, b, R, lo, hi);
      const check = (x: Float64Array) => {
        let mx = -Infinity;
        for (let r = 0; r < R; r++) {
          let v = b[r];
          for (let k = 0; k < n; k++) v += A[r * n + k] * x[k];
          mx = Math.max(mx, v);
        }
        expect(bound).toBeLessThanOrEqual(mx + 1e-12 * (1 + Math.abs(mx)));
      };
      for (let c = 0; c < 1 << n; c++) check(Float64Array.from({ length: n }, (_, k) => ((c >> k) & 1 ? hi[k] : lo[k])));
      for (let s = 0; s < 200; s++) check(Float64Array.from({ length: n }, (_, k) => rng.uniform(lo[k], hi[k])));
    }
  });

  it('proves what no single row proves: y ≥ x and y ≥ −x imply max > 0 away from 0', () => {
    // Rows f1 = x − 0.1, f2 = −x − 0.1 ... max(f1, f2) = |x| − 0.1 ≥ 0.4 on x ∈ [0.5, 1] ∪ …;
    // on [−1, 1] it is not positive, but rows f1 = x + 1, f2 = 1 − x: each single row has min 0,
    // and (f1 + f2)/2 = 1 > 0 everywhere.
    const A = Float64Array.of(1, -1), b = Float64Array.of(1, 1);
    const lo = Float64Array.of(-1), hi = Float64Array.of(1);
    const bound = combinedRowsBound(A, b, 2, lo, hi);
    expect(bound).toBeGreaterThan(0.99);
    expect(bound).toBeLessThanOrEqual(1);
  });
});
