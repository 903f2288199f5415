import { alphaCrown } from '../bounds/alpha.js';
import { crown } from '../bounds/crown.js';
import type { BoundsResult, NodeBounds } from '../bounds/types.js';
import type { Network } from '../net/network.js';
import { nextDown } from '../spec/float.js';
import type { PropertyDisjunct } from '../spec/property.js';
import type { BoundedDomain } from './bnb.js';
import { combinedRowsBound } from './combine_rows.js';

/**
 * Bounding of input boxes for verify's branch and bound: plain data in and out, so the same
 * function runs on the main thread and in worker threads (src/search/bound_worker.ts).
 */

/** A box domain of input-splitting branch and bound. */
export interface BoxDomain {
  lo: Float64Array;
  hi: Float64Array;
  /** Sound bounds of every value over this box (passed to children, which are subsets). */
  nodes?: NodeBounds;
  /** Per polytope: the best lower bound of max_r (C_r·y − d_r) proved on this box or an ancestor (> 0: refuted). */
  polyLower: Float64Array;
  /** Splits since the intermediate bounds were last computed from scratch. */
  age: number;
  /** The coefficients of the row closest to proof (for branching). */
  branchA?: Float64Array;
}

/** Row layout of one disjunct: all polytopes' rows stacked, with each polytope's row range. */
export interface Rows {
  C: Float64Array;
  cOffset: Float64Array;
  R: number;
  ranges: [number, number][];
}

export function stackDisjunct(dj: PropertyDisjunct, m: number): Rows {
  const R = dj.outputs.reduce((s, p) => s + p.rows, 0);
  const C = new Float64Array(R * m), cOffset = new Float64Array(R);
  const ranges: [number, number][] = [];
  let r = 0;
  for (const p of dj.outputs) {
    ranges.push([r, r + p.rows]);
    for (let i = 0; i < p.rows; i++, r++) {
      C.set(p.C.subarray(i * m, (i + 1) * m), r * m);
      cOffset[r] = -p.d[i];
    }
  }
  return { C, cOffset, R, ranges };
}

/** Gather per-domain slices of node bounds into one batch (undefined when any domain lacks them). */
export function gatherParents(doms: BoxDomain[], nValues: number): NodeBounds | undefined {
  if (doms.some((d) => !d.nodes)) return undefined;
  const lo: (Float64Array | undefined)[] = new Array(nValues), hi: (Float64Array | undefined)[] = new Array(nValues);
  for (let v = 0; v < nValues; v++) {
    const first = doms[0].nodes!.lo[v];
    if (!first || doms.some((d) => !d.nodes!.lo[v] || !d.nodes!.hi[v])) continue;
    const size = first.length;
    const l = new Float64Array(doms.length * size), h = new Float64Array(doms.length * size);
    doms.forEach((d, k) => { l.set(d.nodes!.lo[v]!, k * size); h.set(d.nodes!.hi[v]!, k * size); });
    lo[v] = l;
    hi[v] = h;
  }
  return { lo, hi };
}

/** Slice domain k out of batched node bounds. */
export function sliceNodes(nb: NodeBounds, k: number, D: number): NodeBounds {
  const pick = (a: Float64Array | undefined) => {
    if (!a) return undefined;
    const size = a.length / D;
    return a.slice(k * size, (k + 1) * size);
  };
  return { lo: nb.lo.map(pick), hi: nb.hi.map(pick) };
}


/** The result of bounding a batch of boxes: the bounded domains and, per domain, a candidate counterexample (or null). */
export interface BoxBatchResult {
  bounded: BoundedDomain<BoxDomain>[];
  candidates: (Float64Array | null)[];
}

/**
 * Bound a batch of boxes with CROWN on the property's rows (intermediate bounds inherited from
 * each box's parent). A box's objective is min over polytopes of the best lower bound of a row
 * — or of a convex combination of the polytope's rows — over the box or an ancestor: > 0 refutes
 * every polytope on the box. Sound: every number is a sound lower bound (see src/bounds).
 */
export function boundBoxes(net: Network, rows: Rows, doms: BoxDomain[], intermediate: 'auto' | 'forward', signal?: AbortSignal, alphaIterations = 0): BoxBatchResult {
  const n = net.inputSize, D = doms.length;
  const lo = new Float64Array(D * n), hi = new Float64Array(D * n);
  doms.forEach((d, k) => { lo.set(d.lo, k * n); hi.set(d.hi, k * n); });
  const req = {
    net, region: { batch: D, lo, hi }, C: rows.C, cOffset: rows.cOffset,
    parent: gatherParents(doms, net.values.length), wantCoefficients: true, signal, intermediate,
  };
  const res: BoundsResult = alphaIterations > 0 ? alphaCrown(req, { iterations: alphaIterations }) : crown(req);
  const R = rows.R;
  const bounded: BoundedDomain<BoxDomain>[] = [];
  const candidates: (Float64Array | null)[] = [];
  doms.forEach((d, k) => {
    const rowLower = res.lower.subarray(k * R, (k + 1) * R);
    // Per polytope: the best of its rows, and of what the ancestors proved (they contain this box).
    const polyLower = Float64Array.from(d.polyLower);
    let obj = Infinity, weakest = -1, weakRow = -1;
    rows.ranges.forEach(([a, b], p) => {
      let best = b === a ? -Infinity : rowLower[a], bestRow = a;
      for (let r = a + 1; r < b; r++) if (rowLower[r] > best) { best = rowLower[r]; bestRow = r; }
      if (!(best > 0) && b - a > 1 && !(polyLower[p] > 0)) {
        // No single row refutes the polytope: try a convex combination of its rows.
        // res.bias bounds C·y; the rows are C·y − d: add the offsets, rounded down.
        const A = res.A!.subarray((k * R + a) * n, (k * R + b) * n);
        const bias = Float64Array.from({ length: b - a }, (_, i) => nextDown(res.bias![k * R + a + i] + rows.cOffset[a + i]));
        const comb = combinedRowsBound(A, bias, b - a, d.lo, d.hi);
        if (comb > best) best = comb;
      }
      if (best > polyLower[p]) polyLower[p] = best;
      if (polyLower[p] < obj) obj = polyLower[p];
      if (!(polyLower[p] > 0) && (weakest < 0 || polyLower[p] < polyLower[weakest])) { weakest = p; weakRow = bestRow; }
    });
    const dom: BoxDomain = { lo: d.lo, hi: d.hi, polyLower, nodes: sliceNodes(res.nodes, k, D), age: intermediate === 'auto' ? 0 : d.age };
    let cand: Float64Array | null = null;
    if (weakest >= 0 && weakRow < R) {
      const A = res.A!.subarray((k * R + weakRow) * n, (k * R + weakRow + 1) * n);
      dom.branchA = Float64Array.from(A);
      // The corner minimising the row's linear lower bound: a counterexample candidate.
      cand = Float64Array.from({ length: n }, (_, i) => (A[i] >= 0 ? d.lo[i] : d.hi[i]));
    }
    candidates.push(cand);
    bounded.push({ domain: dom, lower: obj });
  });
  return { bounded, candidates };
}
