/**
 * Reach objectives and the sound evaluation of a scalar objective at concrete points.
 *
 * A user objective is g(y) = min_r (C_r·y + d_r): one row for an output or a linear objective
 * c·y + d, the rows y_c − y_j (j ≠ c) for the classification margin. Its minimum and its
 * maximum are both found by MINIMISING a scalar h:
 *   min g  →  h = min_r rows           ('min' combine)
 *   max g  →  h = −g = max_r (−rows)   ('max' combine: the margin's max is a max–min, and a
 *                                       box's bound of h is max_r of the rows' bounds, never
 *                                       the gradient of a max)
 */
import { ibpRows } from '../bounds/index.js';
import type { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import { marginRows } from '../spec/property.js';

/** A user-facing objective: g(y) = min over its rows of C_r·y + d_r. */
export interface ReachObjective {
  /** R × m rows. */
  C: Float64Array;
  /** R constants. */
  d: Float64Array;
  rows: number;
  /** How it was given: 'output' (one index), 'linear' (c·y + d), 'margin' (class c). */
  kind: 'output' | 'linear' | 'margin';
  /** A short description for the report, e.g. "y3", "margin of class 7", "c·y + d". */
  label: string;
  /** The output index (kind 'output') or the class (kind 'margin'). */
  index?: number;
}

/** A scalar to minimise: h(y) = combine_r (C_r·y + d_r). */
export interface MinProblem {
  C: Float64Array;
  d: Float64Array;
  rows: number;
  combine: 'min' | 'max';
}

/** Objective: output j. */
export function outputObjective(m: number, j: number): ReachObjective {
  if (!Number.isInteger(j) || j < 0 || j >= m) throw new InputError(`output index ${j} is out of range (the network has ${m} outputs: 0..${m - 1})`);
  const C = new Float64Array(m);
  C[j] = 1;
  return { C, d: new Float64Array(1), rows: 1, kind: 'output', label: `y${j}`, index: j };
}

/** Objective: c·y + d (c of length m). */
export function linearObjective(m: number, c: ArrayLike<number>, d = 0): ReachObjective {
  if (c.length !== m) throw new InputError(`the objective has ${c.length} coefficients; the network has ${m} outputs`);
  for (let i = 0; i < c.length; i++) if (!Number.isFinite(c[i])) throw new InputError(`the objective: entry ${i} (${c[i]}) is not a finite number`);
  if (!Number.isFinite(d)) throw new InputError(`the objective's constant (${d}) is not a finite number`);
  return { C: Float64Array.from(c), d: Float64Array.of(d), rows: 1, kind: 'linear', label: 'c·y + d' };
}

/** Objective: the classification margin y_c − max_{j≠c} y_j = min_{j≠c} (y_c − y_j). */
export function marginObjective(m: number, c: number): ReachObjective {
  if (!Number.isInteger(c) || c < 0 || c >= m) throw new InputError(`margin class ${c} is out of range (the network has ${m} outputs: 0..${m - 1})`);
  if (m < 2) throw new InputError('the margin needs a network with at least 2 outputs');
  const R = m - 1;
  return { C: marginRows(m, c), d: new Float64Array(R), rows: R, kind: 'margin', label: `margin of class ${c}`, index: c };
}

/** The scalar whose minimum is the objective's minimum ('min') or minus its maximum ('max'). */
export function minProblem(obj: ReachObjective, sense: 'min' | 'max'): MinProblem {
  if (sense === 'min') return { C: obj.C, d: obj.d, rows: obj.rows, combine: 'min' };
  return { C: obj.C.map((v) => -v), d: obj.d.map((v) => -v), rows: obj.rows, combine: 'max' };
}

/** Combine per-row values of `count` items (count × R) into one value per item. */
export function combineRows(p: MinProblem, v: Float64Array, count: number, out = new Float64Array(count)): Float64Array {
  const R = p.rows;
  for (let i = 0; i < count; i++) {
    let b = v[i * R];
    for (let r = 1; r < R; r++) {
      const x = v[i * R + r];
      if (p.combine === 'min' ? x < b : x > b) b = x;
    }
    // NaN proves nothing: −∞ for lower bounds is the caller's job; keep NaN visible here.
    out[i] = b;
  }
  return out;
}

/**
 * Sound enclosure of every row at `count` concrete points X (count × n), in real arithmetic:
 * lower ≤ C_r·f(x) + d_r ≤ upper for the exact network on the float64 point x (interval
 * arithmetic on the degenerate box [x, x], so the forward pass's rounding is charged).
 */
export function pointRows(net: Network, p: MinProblem, X: Float64Array, count: number): { lower: Float64Array; upper: Float64Array } {
  const r = ibpRows({ net, region: { batch: count, lo: X, hi: X }, C: p.C, cOffset: p.d });
  return { lower: r.lower, upper: r.upper };
}

/**
 * Sound enclosure of h at concrete points: lower ≤ h(x) ≤ upper. The upper value is a
 * witness value (the minimum's `upper`), the lower one feeds Lipschitz bounds.
 */
export function pointValues(net: Network, p: MinProblem, X: Float64Array, count: number): { lower: Float64Array; upper: Float64Array; rowsLower: Float64Array } {
  const r = pointRows(net, p, X, count);
  const lower = combineRows(p, r.lower, count), upper = combineRows(p, r.upper, count);
  for (let i = 0; i < count; i++) {
    if (!(lower[i] === lower[i])) lower[i] = -Infinity;
    if (!(upper[i] === upper[i])) upper[i] = Infinity;
  }
  return { lower, upper, rowsLower: r.lower };
}
