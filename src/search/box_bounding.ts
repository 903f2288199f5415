import { optimiseSlopes } from '../bounds/alpha.js';
import { crown, FORWARD_MODE_MAX_INPUTS } from '../bounds/crown.js';
import { gamma } from '../bounds/fp.js';
import { splitSetOf, type BoundsResult, type NodeBounds, type SplitSet } from '../bounds/types.js';
import type { Network } from '../net/network.js';
import { nextDown, nextUp } from '../util/float.js';
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
  /**
   * ReLU splits restricting the domain to part of its box: triples (node index, element,
   * sign), sign +1 for input ≥ 0 (active), −1 for input ≤ 0 (inactive). Absent: none.
   */
  relu?: Int32Array;
  /** The unstable ReLU-like elements best worth splitting, best first: pairs (node index, element). */
  reluCandidates?: Int32Array;
  /** Splits from the root to this domain. */
  depth: number;
}

/** The batched split set of a batch of domains (undefined when none has ReLU splits). */
export function gatherSplits(net: Network, doms: BoxDomain[]): SplitSet | undefined {
  return splitSetOf(net, doms.map((d) => d.relu));
}

/** BaBSR's score of an unstable ReLU-like element [l, u]: |c|·(−l·u)/(u − l), plus a tie-break by width. */
export function babsrScore(coef: number, l: number, u: number): number {
  return (Math.abs(coef) * (-l * u)) / (u - l) + 1e-12 * (u - l);
}

/** The best `count` (node index, element) pairs offered, by score. */
export class TopCandidates {
  private readonly best: { node: number; j: number; score: number }[] = [];
  constructor(private readonly count: number) {}
  offer(node: number, j: number, score: number): void {
    const best = this.best;
    if (best.length < this.count || score > best[best.length - 1].score) {
      best.push({ node, j, score });
      best.sort((x, y) => y.score - x.score);
      if (best.length > this.count) best.pop();
    }
  }
  /** Pairs (node index, element), best first. */
  pairs(): Int32Array {
    const out = new Int32Array(2 * this.best.length);
    this.best.forEach((b, i) => { out[2 * i] = b.node; out[2 * i + 1] = b.j; });
    return out;
  }
}

/**
 * BaBSR-style scores of the unstable ReLU-like elements of one domain: |c_j|·(−l_j·u_j)/(u_j − l_j),
 * c_j the branching row's coefficient on the op's output (the triangle's height times its weight
 * in the bound). Returns the best `count` as pairs (node index, element), best first.
 */
function reluCandidates(net: Network, nodes: NodeBounds, aOut: Map<number, Float64Array>, k: number, D: number, rowsPerDomain: number, row: number, count: number): Int32Array {
  const best = new TopCandidates(count);
  for (const [node, a] of aOut) {
    const nd = net.nodes[node];
    if (!nd.kind.breakpoints) continue;
    const v = nd.inputs[0], size = net.values[v].size;
    const lo = nodes.lo[v]!, hi = nodes.hi[v]!;
    const ao = (k * rowsPerDomain + row) * size;
    for (let j = 0; j < size; j++) {
      const l = lo[k * size + j], u = hi[k * size + j];
      if (!(l < 0 && u > 0)) continue;
      best.offer(node, j, babsrScore(a[ao + j], l, u));
    }
  }
  return best.pairs();
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

/** Gather per-domain slices of node bounds into one batch (undefined when no domain has them). */
export function gatherParents(doms: BoxDomain[], nValues: number): NodeBounds | undefined {
  const withNodes = doms.find((d) => d.nodes);
  if (!withNodes) return undefined;
  const lo: (Float64Array | undefined)[] = new Array(nValues), hi: (Float64Array | undefined)[] = new Array(nValues);
  for (let v = 0; v < nValues; v++) {
    const first = withNodes.nodes!.lo[v];
    if (!first) continue;
    const size = first.length;
    const l = new Float64Array(doms.length * size), h = new Float64Array(doms.length * size);
    // A domain without (some of) its parent's bounds gets (−∞, ∞) there: nothing to intersect
    // with, so each domain's bounds do not depend on the others in its batch.
    doms.forEach((d, k) => {
      const dl = d.nodes?.lo[v], dh = d.nodes?.hi[v];
      if (dl && dh) { l.set(dl, k * size); h.set(dh, k * size); } else { l.fill(-Infinity, k * size, (k + 1) * size); h.fill(Infinity, k * size, (k + 1) * size); }
    });
    lo[v] = l;
    hi[v] = h;
  }
  return { lo, hi };
}

/** Slice domain k out of batched node bounds (a copy). */
export function sliceNodes(nb: NodeBounds, k: number, D: number): NodeBounds {
  return selectNodes(nb, [k], D);
}


/** A box's objective bound from its polytopes' bounds: the smallest (> 0 refutes every polytope). */
export function boxObjective(polyLower: Float64Array): number {
  return polyLower.reduce((a, v) => (v < a ? v : a), Infinity);
}

/** The unrefuted polytope with the lowest bound (−1 when every one is refuted). */
function weakestPolytope(pl: Float64Array): number {
  let weakest = -1;
  for (let p = 0; p < pl.length; p++) if (!(pl[p] > 0) && (weakest < 0 || pl[p] < pl[weakest])) weakest = p;
  return weakest;
}

/**
 * Per domain and multi-row polytope, the combined row λ·C (λ ≥ 0 on the simplex) in float64,
 * with what its rounding may cost: Σ_r λ_r(C_r·y − d_r) ≥ fl(λC)·y − Σ_j errC_j·|y_j| + fl(λ·(−d)) − errOffset.
 */
class CombinedRows {
  readonly row: Float64Array;
  readonly offset: Float64Array;
  readonly offsetErr: Float64Array;
  readonly cErr: Float64Array;
  constructor(D: number, readonly perDomain: number, readonly m: number) {
    this.row = new Float64Array(D * perDomain * m);
    this.offset = new Float64Array(D * perDomain);
    this.offsetErr = new Float64Array(D * perDomain);
    this.cErr = new Float64Array(D * perDomain * m);
  }
  /** Set slot i (domain k × perDomain + q) to the combination λ of rows [a, a + λ.length). */
  set(i: number, lam: Float64Array, rows: Rows, a: number): void {
    const { m } = this;
    const o = i * m;
    let off = 0, offMag = 0;
    for (let t = 0; t < lam.length; t++) {
      const l = lam[t];
      if (l === 0) continue;
      off += l * rows.cOffset[a + t];
      offMag += Math.abs(l * rows.cOffset[a + t]);
      for (let j = 0; j < m; j++) {
        this.row[o + j] += l * rows.C[(a + t) * m + j];
        this.cErr[o + j] += Math.abs(l * rows.C[(a + t) * m + j]);
      }
    }
    const g = gamma(lam.length + 1);
    for (let j = 0; j < m; j++) this.cErr[o + j] *= g;
    this.offset[i] = off;
    this.offsetErr[i] = g * offMag;
  }
  /** Whether slot i holds a combination. */
  isSet(i: number): boolean {
    return this.offsetErr[i] !== 0 || this.row.subarray(i * this.m, (i + 1) * this.m).some((v) => v !== 0);
  }
  /** A sound lower bound of Σ_r λ_r(C_r·y − d_r) from a lower bound of fl(λC)·y and bounds of y (at yo). */
  lower(i: number, rowLower: number, ylo: Float64Array, yhi: Float64Array, yo: number): number {
    const { m } = this;
    let slack = this.offsetErr[i];
    for (let j = 0; j < m; j++) slack += this.cErr[i * m + j] * Math.max(Math.abs(ylo[yo + j]), Math.abs(yhi[yo + j]));
    return nextDown(nextDown(rowLower + this.offset[i]) - nextUp(slack * (1 + 4 * 2 ** -53)));
  }
}

/** The result of bounding a batch of boxes: the bounded domains and, per domain, a candidate counterexample (or null). */
export interface BoxBatchResult {
  bounded: BoundedDomain<BoxDomain>[];
  candidates: (Float64Array | null)[];
  /** How far below 0 the deepest CROWN bound was that the α-steps lifted above 0 in this batch (0 when none). */
  alphaGain: number;
}

/**
 * The node bounds of some domains of a batch (each value D × size), in the order given (copies).
 * Every copied array is a view into one buffer: one allocation instead of two per value, which
 * the garbage collector and the worker messages (one buffer to clone) handle far faster.
 */
function selectNodes(nb: NodeBounds, which: number[], D: number): NodeBounds {
  let total = 0;
  for (const a of nb.lo) if (a) total += a.length;
  for (const a of nb.hi) if (a) total += a.length;
  const buf = new Float64Array((total / D) * which.length);
  let at = 0;
  const pick = (a: Float64Array | undefined) => {
    if (!a) return undefined;
    const size = a.length / D, out = buf.subarray(at, at + which.length * size);
    at += which.length * size;
    for (let i = 0; i < which.length; i++) out.set(a.subarray(which[i] * size, (which[i] + 1) * size), i * size);
    return out;
  };
  return { lo: nb.lo.map(pick), hi: nb.hi.map(pick) };
}

/**
 * Bound a batch of boxes with CROWN on the property's rows (intermediate bounds inherited from
 * each box's parent). A box's objective is min over polytopes of the best lower bound of a row
 * — or of a convex combination of the polytope's rows — over the box or an ancestor: > 0 refutes
 * every polytope on the box. Sound: every number is a sound lower bound (see src/bounds).
 *
 * α-steps (`alphaIterations`) run only on the domains where a deciding row's CROWN bound is at
 * most `alphaReach` below 0: further down, they do not refute it (the caller passes a multiple of
 * the deepest bound α has lifted above 0 so far, `alphaGain` of the results).
 */
export function boundBoxes(net: Network, rows: Rows, doms: BoxDomain[], intermediate: 'auto' | 'forward', signal?: AbortSignal, alphaIterations = 0, reluCandidateCount = 0, alphaReach = Infinity): BoxBatchResult {
  const n = net.inputSize, m = net.outputSize, D = doms.length;
  const lo = new Float64Array(D * n), hi = new Float64Array(D * n);
  doms.forEach((d, k) => { lo.set(d.lo, k * n); hi.set(d.hi, k * n); });
  const req = {
    net, region: { batch: D, lo, hi }, C: rows.C, cOffset: rows.cOffset,
    parent: gatherParents(doms, net.values.length), wantCoefficients: true, signal, intermediate,
    splits: gatherSplits(net, doms),
    // Few inputs (forward-mode bounds): passes for near-kink stable neurons cost more than they
    // save in the search (measured on ACAS Xu: same domains within 3 %, 5–25 % less time).
    nearKinkFraction: net.inputSize <= FORWARD_MODE_MAX_INPUTS ? 0 : undefined,
  };
  const res: BoundsResult = crown(req);
  const R = rows.R, P = rows.ranges.length;
  // Per domain and polytope: the best of its rows, and of what the ancestors proved (they contain this box).
  const polyLower = doms.map((d) => Float64Array.from(d.polyLower));
  const bestRowOf = new Int32Array(D * P).fill(-1);
  // Polytopes of several rows that no row refutes: the best convex combination λ of their
  // rows' linear bounds, then one backward pass of the combined row λ·C itself, whose
  // relaxation follows the combination's signs (tighter than combining separate bounds).
  const multi = rows.ranges.map(([a, b]) => b - a > 1);
  const Pm = multi.filter(Boolean).length;
  const joint = Pm > 0 ? new CombinedRows(D, Pm, m) : null;
  let anyJoint = false;
  for (let k = 0; k < D; k++) {
    const d = doms[k];
    const rowLower = res.lower.subarray(k * R, (k + 1) * R);
    let q = 0;
    rows.ranges.forEach(([a, b], p) => {
      let best = b === a ? -Infinity : rowLower[a], bestRow = a;
      for (let r = a + 1; r < b; r++) if (rowLower[r] > best) { best = rowLower[r]; bestRow = r; }
      bestRowOf[k * P + p] = bestRow;
      if (!(best > 0) && multi[p] && !(polyLower[k][p] > 0)) {
        // res.bias bounds C·y; the rows are C·y − d: add the offsets, rounded down.
        const A = res.A!.subarray((k * R + a) * n, (k * R + b) * n);
        const bias = Float64Array.from({ length: b - a }, (_, i) => nextDown(res.bias![k * R + a + i] + rows.cOffset[a + i]));
        const lam = new Float64Array(b - a);
        const comb = combinedRowsBound(A, bias, b - a, d.lo, d.hi, 40, lam);
        if (comb > best) best = comb;
        if (!(best > 0)) {
          anyJoint = true;
          joint!.set(k * Pm + q, lam, rows, a);
        }
      }
      if (best > polyLower[k][p]) polyLower[k][p] = best;
      if (multi[p]) q++;
    });
  }
  // One more backward pass from the output: each domain's combined rows and, for ReLU
  // branching or α, a copy of the weakest polytope's best row when it has a single row. The
  // CROWN iterate records the coefficients on every nonlinear op's output (for ReLU scores) and
  // gives the branching coefficients; α-steps then tighten the bounds only (measured: α's own
  // coefficients steer the input splits worse).
  const withBranch = reluCandidateCount > 0;
  const extraRow = withBranch || alphaIterations > 0;
  const RR = Pm + (extraRow ? 1 : 0);
  const branchRowOf = new Int32Array(D).fill(-1);
  const extraPoly = new Int32Array(D).fill(-1);
  const jointIndex = (p: number) => multi.slice(0, p).filter(Boolean).length;
  let second: ReturnType<typeof optimiseSlopes> | null = null;
  // The second pass's rows, per domain: its combined rows, then the extra single row.
  const A0 = new Float64Array(anyJoint || extraRow ? D * RR * m : 0);
  if (anyJoint || extraRow) {
    for (let k = 0; k < D; k++) {
      if (joint) A0.set(joint.row.subarray(k * Pm * m, (k + 1) * Pm * m), k * RR * m);
      if (!extraRow) continue;
      const weakest = weakestPolytope(polyLower[k]);
      if (weakest < 0) continue;
      if (multi[weakest]) branchRowOf[k] = jointIndex(weakest);
      else {
        const r = bestRowOf[k * P + weakest];
        A0.set(rows.C.subarray(r * m, (r + 1) * m), (k * RR + Pm) * m);
        branchRowOf[k] = Pm;
        extraPoly[k] = weakest;
      }
    }
    second = optimiseSlopes(net, res.nodes, req.region, net.outputIds[0], A0, RR, { iterations: 0 }, signal);
  }
  const out = net.outputIds[0];
  const ylo = res.nodes.lo[out]!, yhi = res.nodes.hi[out]!;
  /** Polytope p's bound on domain k from the second pass's row bounds `rl` (−∞ when it had no row for it). */
  const secondBound = (rl: Float64Array, k: number, p: number, q: number): number => {
    if (!multi[p]) return extraPoly[k] === p ? nextDown(rl[k * RR + Pm] + rows.cOffset[bestRowOf[k * P + p]]) : -Infinity;
    const i = k * Pm + q;
    return joint!.isSet(i) ? joint!.lower(i, rl[k * RR + q], ylo, yhi, k * m) : -Infinity;
  };
  /** Calls f(p, q) for each polytope p with q its index among the multi-row ones. */
  const eachPolytope = (f: (p: number, q: number) => void) => {
    let q = 0;
    for (let p = 0; p < P; p++) { f(p, q); if (multi[p]) q++; }
  };
  let alphaGain = 0;
  if (second && alphaIterations > 0) {
    const first = second.lower;
    const active: number[] = [];
    for (let k = 0; k < D; k++) {
      let near = false;
      eachPolytope((p, q) => {
        const v = secondBound(first, k, p, q);
        if (v > -Infinity && !(v > 0) && !(polyLower[k][p] > 0) && v >= -alphaReach) near = true;
      });
      if (near) active.push(k);
    }
    if (active.length > 0) {
      const sub = {
        batch: active.length,
        lo: new Float64Array(active.length * n),
        hi: new Float64Array(active.length * n),
      };
      const rowsA0 = new Float64Array(active.length * RR * m);
      active.forEach((k, i) => {
        sub.lo.set(req.region.lo.subarray(k * n, (k + 1) * n), i * n);
        sub.hi.set(req.region.hi.subarray(k * n, (k + 1) * n), i * n);
        rowsA0.set(A0.subarray(k * RR * m, (k + 1) * RR * m), i * RR * m);
      });
      const tuned = optimiseSlopes(net, selectNodes(res.nodes, active, D), sub, out, rowsA0, RR, { iterations: alphaIterations }, signal);
      const lower = Float64Array.from(first);
      active.forEach((k, i) => {
        for (let r = 0; r < RR; r++) if (tuned.lower[i * RR + r] > lower[k * RR + r]) lower[k * RR + r] = tuned.lower[i * RR + r];
        eachPolytope((p, q) => {
          const before = secondBound(first, k, p, q), after = secondBound(lower, k, p, q);
          if (before > -Infinity && !(before > 0) && after > 0 && -before > alphaGain) alphaGain = -before;
        });
      });
      second = { ...second, lower };
    }
  }
  if (second) {
    for (let k = 0; k < D; k++) {
      eachPolytope((p, q) => {
        const v = secondBound(second!.lower, k, p, q);
        if (v > polyLower[k][p]) polyLower[k][p] = v;
      });
    }
  }
  const bounded: BoundedDomain<BoxDomain>[] = [];
  const candidates: (Float64Array | null)[] = [];
  doms.forEach((d, k) => {
    const pl = polyLower[k];
    const obj = boxObjective(pl);
    const weakest = weakestPolytope(pl);
    const dom: BoxDomain = { lo: d.lo, hi: d.hi, polyLower: pl, nodes: sliceNodes(res.nodes, k, D), age: intermediate === 'auto' ? 0 : d.age, depth: d.depth };
    if (d.relu) dom.relu = d.relu;
    let cand: Float64Array | null = null;
    if (weakest >= 0) {
      // Branch on the coefficients of the weakest polytope's combined row, or its best row.
      let A: Float64Array;
      const q = multi[weakest] && anyJoint ? jointIndex(weakest) : -1;
      if (q >= 0 && joint!.isSet(k * Pm + q)) {
        A = second!.first.A.subarray((k * RR + q) * n, (k * RR + q + 1) * n);
      } else {
        const r = bestRowOf[k * P + weakest];
        A = res.A!.subarray((k * R + r) * n, (k * R + r + 1) * n);
      }
      dom.branchA = Float64Array.from(A);
      if (withBranch && branchRowOf[k] >= 0 && second) {
        dom.reluCandidates = reluCandidates(net, res.nodes, second.first.record!.aOut, k, D, RR, branchRowOf[k], reluCandidateCount);
      }
      // The corner minimising the row's linear lower bound: a counterexample candidate.
      cand = Float64Array.from({ length: n }, (_, i) => (A[i] >= 0 ? d.lo[i] : d.hi[i]));
    }
    candidates.push(cand);
    bounded.push({ domain: dom, lower: obj });
  });
  return { bounded, candidates, alphaGain };
}
