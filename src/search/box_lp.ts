import { finishRows, intervalRows } from '../bounds/crown.js';
import { buildNetLP, solveLowerBounds, type Highs, type NetLP } from '../bounds/lp.js';
import type { NodeBounds } from '../bounds/types.js';
import type { Network } from '../net/network.js';
import { gatherSplits, type BoxDomain, type Rows } from './box_bounding.js';

/**
 * The LP tier of input-splitting branch and bound: a box whose CROWN bounds leave few ReLU-like
 * elements unstable is nearly affine, and the triangle-relaxation LP over it (every stable
 * element exact, each unstable one its convex hull) is close to exact — and, unlike a bound of
 * one row or of one fixed combination of rows, it bounds the polytope's objective
 * max_r (C_r·y − d_r) itself, through one epigraph column.
 */

/** Unstable elements (input bounds straddling 0) of every ReLU-like op over domain 0 of `nodes`; stops counting past `limit`. */
export function countUnstable(net: Network, nodes: NodeBounds, limit = Infinity): number {
  let count = 0;
  for (const node of net.nodes) {
    if (!node.kind.breakpoints) continue;
    const v = node.inputs[0];
    const lo = nodes.lo[v], hi = nodes.hi[v];
    if (!lo || !hi) return Infinity;
    const size = net.values[v].size;
    for (let j = 0; j < size; j++) {
      if (lo[j] < 0 && hi[j] > 0 && ++count > limit) return count;
    }
  }
  return count;
}

/**
 * Append one column t and, per row r of [a, b), the row t − C_r·y ≥ −d_r (y: the LP's output
 * columns; elements sharing a column add up). t is bounded by [tLower, tUpper], which must hold
 * for max_r (C_r·y − d_r) at every point of the domain. Returns null when an output element
 * has no column.
 */
function withEpigraph(lp: NetLP, out: number, rows: Rows, a: number, b: number, m: number, tLower: number, tUpper: number): NetLP | null {
  const yCols = lp.colOf[out];
  if (!yCols) return null;
  const t = lp.numCols;
  const extraRows = b - a;
  const maxNnz = extraRows * (m + 1);
  const starts = new Int32Array(lp.numRows + extraRows + 1);
  starts.set(lp.starts);
  const indices = new Int32Array(lp.indices.length + maxNnz);
  indices.set(lp.indices);
  const values = new Float64Array(lp.values.length + maxNnz);
  values.set(lp.values);
  const rowLower = new Float64Array(lp.numRows + extraRows);
  rowLower.set(lp.rowLower);
  const rowUpper = new Float64Array(lp.numRows + extraRows).fill(Infinity);
  rowUpper.set(lp.rowUpper);
  let nnz = lp.indices.length;
  const coef = new Map<number, number>();
  for (let r = a; r < b; r++) {
    coef.clear();
    for (let j = 0; j < m; j++) {
      const c = rows.C[r * m + j];
      if (c === 0) continue;
      if (yCols[j] < 0) return null;
      coef.set(yCols[j], (coef.get(yCols[j]) ?? 0) - c);
    }
    indices[nnz] = t;
    values[nnz++] = 1;
    for (const [col, v] of coef) {
      if (v === 0) continue;
      indices[nnz] = col;
      values[nnz++] = v;
    }
    const i = lp.numRows + r - a;
    rowLower[i] = rows.cOffset[r];
    starts[i + 1] = nnz;
  }
  const colLower = new Float64Array(t + 1);
  colLower.set(lp.colLower);
  colLower[t] = tLower;
  const colUpper = new Float64Array(t + 1);
  colUpper.set(lp.colUpper);
  colUpper[t] = tUpper;
  return {
    numRows: lp.numRows + extraRows,
    numCols: t + 1,
    starts,
    indices: indices.slice(0, nnz),
    values: values.slice(0, nnz),
    rowLower,
    rowUpper,
    colLower,
    colUpper,
    colOf: lp.colOf,
  };
}

/**
 * Interval bounds of max_r (C_r·y − d_r) over output bounds [ylo, yhi] (the rows' interval
 * bounds, rounded outward, with their offsets): a sound range for the epigraph column.
 */
function objectiveRange(rows: Rows, a: number, b: number, m: number, ylo: Float64Array, yhi: Float64Array): [number, number] {
  const R = b - a;
  const { lower, upper } = intervalRows(rows.C.subarray(a * m, b * m), R, ylo, yhi, 1);
  finishRows(lower, upper, R, 1, rows.cOffset.subarray(a, b));
  return [Math.max(...lower), Math.max(...upper)];
}

/** What the LP tier proved on one box. */
export interface BoxLpResult {
  /** Per polytope: a sound lower bound of max_r (C_r·y − d_r) over the box (−∞ where no LP was solved). */
  polyLower: Float64Array;
  /** Input points of the LP optima (candidates to check, never proofs). */
  candidates: Float64Array[];
}

/**
 * Bound every polytope not yet refuted on one box (`dom.nodes`: its sound bounds of every value)
 * by the triangle-relaxation LP of min t s.t. t ≥ C_r·y − d_r for each of its rows (see
 * `buildNetLP`). Sound: each bound is HiGHS's dual re-validated by `dualLowerBound` with every
 * rounding charged; an LP that is not solved to optimality proves nothing (−∞).
 */
export function boundBoxByLp(highs: Highs, net: Network, rows: Rows, dom: BoxDomain, timeLimit: number, signal?: AbortSignal): BoxLpResult {
  const m = net.outputSize, out = net.outputIds[0], inp = net.inputIds[0];
  const P = rows.ranges.length;
  const polyLower = new Float64Array(P).fill(-Infinity);
  const candidates: Float64Array[] = [];
  const nodes = dom.nodes;
  const ylo = nodes?.lo[out], yhi = nodes?.hi[out];
  if (!nodes || !ylo || !yhi) return { polyLower, candidates };
  const base = buildNetLP(net, nodes, 0, out, gatherSplits(net, [dom]));
  for (let p = 0; p < P; p++) {
    if (dom.polyLower[p] > 0) continue;
    const [a, b] = rows.ranges[p];
    if (b === a) continue;
    let [tLower, tUpper] = objectiveRange(rows, a, b, m, ylo, yhi);
    if (dom.polyLower[p] > tLower) tLower = dom.polyLower[p];
    if (!(tLower <= tUpper) || !Number.isFinite(tLower) || !Number.isFinite(tUpper)) continue;
    const lp = withEpigraph(base, out, rows, a, b, m, tLower, tUpper);
    if (!lp) continue;
    const primals: (Float64Array | null)[] = [null];
    polyLower[p] = solveLowerBounds(highs, lp, Int32Array.of(lp.numCols - 1), [Float64Array.of(1)], timeLimit, signal, primals)[0];
    const xCols = lp.colOf[inp], v = primals[0];
    if (v && xCols && xCols.every((c) => c >= 0)) candidates.push(Float64Array.from(xCols, (c) => v[c]));
  }
  return { polyLower, candidates };
}
