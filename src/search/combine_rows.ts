import { concretize } from '../bounds/crown.js';
import { gamma } from '../bounds/fp.js';

/**
 * A conjunction of rows f_r(x) ≤ 0 (r < R) is infeasible on a box when some convex combination
 * Σ λ_r f_r is positive on the whole box. Given sound linear lower bounds f_r(x) ≥ A_r·x + b_r,
 * this searches λ on the simplex (exponentiated-gradient ascent on the concave function
 * g(λ) = min over the box of Σ λ_r (A_r·x + b_r)) and returns a sound lower bound of
 * max_λ min_x Σ λ_r f_r — rigorous in floating point: the combination's rounding is charged
 * like every other dot product. Never worse than the best single row. The best λ found is
 * written to `lambdaOut` when given.
 */
export function combinedRowsBound(A: Float64Array, b: Float64Array, R: number, lo: Float64Array, hi: Float64Array, iterations = 40, lambdaOut?: Float64Array): number {
  const n = lo.length;
  const m = Float64Array.from({ length: n }, (_, k) => Math.max(Math.abs(lo[k]), Math.abs(hi[k])));
  // Value of row r at the box corner minimising the current combination.
  const rowAt = new Float64Array(R);
  const c = new Float64Array(n);
  const evalG = (lam: Float64Array): number => {
    c.fill(0);
    let s = 0;
    for (let r = 0; r < R; r++) { const l = lam[r]; if (l === 0) continue; s += l * b[r]; for (let k = 0; k < n; k++) c[k] += l * A[r * n + k]; }
    for (let k = 0; k < n; k++) s += c[k] > 0 ? c[k] * lo[k] : c[k] * hi[k];
    for (let r = 0; r < R; r++) {
      let v = b[r];
      for (let k = 0; k < n; k++) v += A[r * n + k] * (c[k] > 0 ? lo[k] : hi[k]);
      rowAt[r] = v;
    }
    return s;
  };
  // Start between the best single row and the uniform mixture.
  let bestRow = 0, bestSingle = -Infinity;
  const single = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    single.fill(0); single[r] = 1;
    const v = evalG(single);
    if (v > bestSingle) { bestSingle = v; bestRow = r; }
  }
  const lam = new Float64Array(R).fill(0.5 / R);
  lam[bestRow] += 0.5;
  let bestLam = new Float64Array(R); bestLam[bestRow] = 1;
  let best = bestSingle;
  for (let it = 0; it < iterations; it++) {
    const g = evalG(lam);
    if (g > best) { best = g; bestLam = Float64Array.from(lam); }
    let spread = 0;
    for (let r = 0; r < R; r++) spread = Math.max(spread, Math.abs(rowAt[r] - g));
    if (spread === 0) break;
    const eta = 2 / (spread * Math.sqrt(it + 1));
    let z = 0;
    for (let r = 0; r < R; r++) { lam[r] *= Math.exp(eta * (rowAt[r] - g)); z += lam[r]; }
    for (let r = 0; r < R; r++) lam[r] /= z;
  }
  // Rigorous value at the best λ: the combined coefficients and constant carry rounding
  // γ_R·(Σ_k Σ_r λ_r|A_rk|·m_k + Σ_r λ_r|b_r|), and concretize charges its own.
  const comb = new Float64Array(n);
  let bias = 0, mag = 0;
  for (let r = 0; r < R; r++) {
    const l = bestLam[r];
    if (l === 0) continue;
    bias += l * b[r];
    mag += l * Math.abs(b[r]);
    for (let k = 0; k < n; k++) { comb[k] += l * A[r * n + k]; mag += l * Math.abs(A[r * n + k]) * m[k]; }
  }
  lambdaOut?.set(bestLam);
  const err = Float64Array.of(gamma(R) * mag);
  const v = concretize(comb, Float64Array.of(bias), err, { batch: 1, lo, hi }, 1)[0];
  return v;
}
