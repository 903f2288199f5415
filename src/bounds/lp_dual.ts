/**
 * Validation of an LP lower bound through weak duality — pure TypeScript, no solver.
 *
 * For the LP   min cᵀv  s.t.  rl ≤ A·v ≤ ru,  l ≤ v ≤ u   and ANY vector y (one entry per row),
 *
 *   cᵀv = rᵀv + yᵀ(A·v)   with r = c − Aᵀy,
 *
 * and every feasible v has y_i·(Av)_i ≥ min(y_i·rl_i, y_i·ru_i) and r_j·v_j ≥ min(r_j·l_j, r_j·u_j), so
 *
 *   cᵀv ≥ Σ_i min(y_i·rl_i, y_i·ru_i) + Σ_j min(r_j·l_j, r_j·u_j).
 *
 * This holds whatever y is: a solver's optimal dual makes it (nearly) tight, a wrong or
 * perturbed one only makes it weaker. The solver is therefore never trusted; only the numbers
 * it returns are used, and everything is recomputed here:
 *
 * - y is projected first: y_i = 0 where the side it selects is infinite (y_i > 0 needs a finite
 *   rl_i, y_i < 0 a finite ru_i). A non-finite y_i rejects the dual (the caller falls back).
 * - r is computed in float64; its rounding is charged per column as
 *   |r̂_j − r_j| ≤ δ_j = γ_{k_j+1}·(|c_j| + Σ_i |A_ij·y_i|) (k_j = terms of column j), and
 *   min over [l_j, u_j] of r_j·x ≥ min of r̂_j·x − δ_j·max(|l_j|, |u_j|).
 * - The final sum of N = rows + columns products is charged γ_N·Σ|terms|, products that may have
 *   underflowed a tiny absolute allowance, and the result steps down one ulp.
 *
 * The bound is then rigorous in real arithmetic for the LP exactly as given (the float64 numbers
 * of A, the bounds and c). Infeasibility is never claimed here (no Farkas certificate is used):
 * an infeasible or unbounded LP simply gets no useful bound from its solver's output.
 */
import { nextDown } from '../util/float.js';
import { gamma } from './fp.js';

/** An LP in row-wise sparse form (CSR), as built by the caller and handed to the solver. */
export interface SparseLP {
  numRows: number;
  numCols: number;
  /** CSR: row i holds entries starts[i] .. starts[i+1]−1 (column indices, values). No duplicate column within a row. */
  starts: Int32Array;
  indices: Int32Array;
  values: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
}

/** Allowance for products that underflowed (each off by ≤ 2⁻¹⁰⁷⁵ absolute); generously 2⁻¹⁰⁰⁰ per term. */
const TINY = 2 ** -1000;

/**
 * Whether a solver's dual (Farkas) ray proves the LP empty: through weak duality with every
 * rounding charged (`dualLowerBound`), a lower bound > 0 of the zero objective over the feasible
 * set (with the ray or its negation, whichever sign convention the solver used) — possible only
 * when that set is empty. A validated certificate: the solver is not trusted.
 */
export function rayProvesEmpty(lp: SparseLP, ray: ArrayLike<number>): boolean {
  const zero = new Float64Array(lp.numCols);
  const y = Float64Array.from(ray);
  if (dualLowerBound(lp, zero, y) > 0) return true;
  return dualLowerBound(lp, zero, y.map((v) => -v)) > 0;
}

/**
 * A rigorous lower bound of min cᵀv over the LP, from any row multipliers `y` (e.g. a solver's
 * row duals in the convention c − Aᵀy = reduced costs, which is HiGHS's for minimisation).
 * Returns −∞ when no bound can be proved: y missing, of the wrong length or non-finite, c not
 * finite, an unbounded column with a nonzero reduced cost, or an overflow.
 */
export function dualLowerBound(lp: SparseLP, c: ArrayLike<number>, yIn: ArrayLike<number> | undefined | null): number {
  const { numRows: m, numCols: n, starts, indices, values, rowLower, rowUpper, colLower, colUpper } = lp;
  if (!yIn || yIn.length !== m || c.length !== n) return -Infinity;
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let yi = yIn[i];
    if (!Number.isFinite(yi)) return -Infinity;
    if (yi > 0 && !(rowLower[i] > -Infinity)) yi = 0; // also catches a NaN bound
    else if (yi < 0 && !(rowUpper[i] < Infinity)) yi = 0;
    y[i] = yi === 0 ? 0 : yi; // normalise −0
  }
  // r = c − Aᵀy, with Σ|A_ij·y_i| and the number of terms per column for the error bound.
  const r = new Float64Array(n);
  const s = new Float64Array(n);
  const cnt = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const cj = c[j];
    if (!Number.isFinite(cj)) return -Infinity;
    r[j] = cj;
  }
  let nnzUsed = 0;
  for (let i = 0; i < m; i++) {
    const yi = y[i];
    if (yi === 0) continue;
    for (let k = starts[i], e = starts[i + 1]; k < e; k++) {
      const a = values[k];
      if (a === 0) continue;
      const j = indices[k];
      const p = a * yi;
      r[j] -= p;
      s[j] += Math.abs(p);
      cnt[j]++;
      nnzUsed++;
    }
  }
  let sum = 0, mag = 0, err = 0, maxM = 0, terms = 0;
  for (let i = 0; i < m; i++) {
    const yi = y[i];
    if (yi === 0) continue;
    const t = yi > 0 ? yi * rowLower[i] : yi * rowUpper[i];
    sum += t;
    mag += Math.abs(t);
    terms++;
  }
  for (let j = 0; j < n; j++) {
    const l = colLower[j], u = colUpper[j];
    if (Number.isNaN(l) || Number.isNaN(u)) return -Infinity;
    const al = Math.abs(l), au = Math.abs(u);
    const mj = al > au ? al : au;
    if (cnt[j] > 0) {
      if (mj > maxM) maxM = mj;
      const dj = gamma(cnt[j] + 1) * (Math.abs(c[j]) + s[j]);
      if (dj > 0) err += dj * mj; // +∞ when the column is unbounded: no bound
    }
    const rj = r[j];
    if (rj === 0) continue;
    const t = rj > 0 ? rj * l : rj * u; // −∞ when the chosen side is unbounded
    sum += t;
    mag += Math.abs(t);
    terms++;
  }
  const total = sum - (gamma(terms) * mag + err + (nnzUsed + terms + 1) * (1 + maxM) * TINY);
  if (!Number.isFinite(total)) return -Infinity;
  return nextDown(total);
}

/** A rigorous upper bound of max cᵀv over the LP from multipliers `y` of the LP min (−c)ᵀv. */
export function dualUpperBound(lp: SparseLP, c: ArrayLike<number>, yOfNegated: ArrayLike<number> | undefined | null): number {
  const neg = new Float64Array(c.length);
  for (let j = 0; j < c.length; j++) neg[j] = -c[j];
  return -dualLowerBound(lp, neg, yOfNegated);
}
