import { crown } from '../bounds/crown.js';
import type { BoundsResult, NodeBounds } from '../bounds/types.js';
import { forward } from '../net/forward.js';
import type { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import type { Property, PropertyDisjunct } from '../spec/property.js';
import { nextDown } from '../spec/float.js';
import { Rng } from '../util/rng.js';
import { resolveSettings } from '../util/settings.js';
import { branchAndBound, type BnbStats, type BoundedDomain } from './bnb.js';
import { combinedRowsBound } from './combine_rows.js';
import { checkCandidate, violation, type Counterexample } from './counterexample.js';
import { FALSIFY_DEFAULTS, falsify, type FalsifySettings } from './falsify.js';

/** Every knob of `verify`, with its default (nnenum-style single settings object). */
export interface VerifySettings {
  /** Parents expanded per branch-and-bound step; their children are bounded in one batch. Default 64. */
  batch: number;
  /** Input dimensions tried per split (the best by the children's bounds is kept). Default 3. */
  trialSplits: number;
  /** A box narrower than this in every dimension is not split further (answer: unknown). Default 1e-9. */
  minWidth: number;
  /** Open domains allowed before answering unknown (memory cap). Default 500,000. */
  maxOpen: number;
  /**
   * Recompute intermediate bounds from scratch (backward CROWN) when a domain is this many splits
   * away from its last fresh computation; in between, children reuse the parent's bounds
   * intersected with their own cheap forward-mode bounds. 1 = always fresh. Default 1.
   */
  freshEvery: number;
  /** Falsification before and during the search. */
  falsify: FalsifySettings;
  /** Seed of the random generator. Default 0. */
  seed: number;
}

export const VERIFY_DEFAULTS: VerifySettings = {
  batch: 64,
  trialSplits: 3,
  minWidth: 1e-9,
  maxOpen: 500_000,
  freshEvery: 1,
  falsify: FALSIFY_DEFAULTS,
  seed: 0,
};

/** Named presets: `default` (the defaults) and `acasxu` (5 inputs, many small domains). */
export const VERIFY_PRESETS: Record<string, Partial<VerifySettings>> = {
  default: {},
  acasxu: { batch: 128, trialSplits: 3 },
};

export type VerifyResultKind = 'sat' | 'unsat' | 'unknown' | 'timeout';

/** The answer of `verify`. `unsat` is a proof; `sat` carries a re-checked counterexample. */
export interface Verdict {
  result: VerifyResultKind;
  counterexample: Counterexample | null;
  /** Best proven lower bound of the objective min_p max_r (C·y − d) over the whole property (> 0 proves it). */
  bound: number;
  time_s: number;
  domains: number;
  /** Why the answer is unknown, when it is. */
  reason?: string;
}

export interface VerifyOptions {
  settings?: Partial<VerifySettings>;
  preset?: string;
  /** Seconds; the answer is `timeout` when it runs out. Default: no limit. */
  timeout?: number;
  /** The network as loaded (unsimplified) for re-checking counterexamples; default: the analysed one. */
  checkNet?: Network;
  /** Called after every branch-and-bound step. */
  onProgress?: (s: BnbStats & { disjunct: number }) => void;
  signal?: AbortSignal;
}

/** A box domain of input-splitting branch and bound. */
interface BoxDomain {
  lo: Float64Array;
  hi: Float64Array;
  /** Sound bounds of every value over this box (passed to children, which are subsets). */
  nodes?: NodeBounds;
  /** Per polytope: the best lower bound of max_r (C_r·y − d_r) proved on this box or an ancestor (> 0: refuted). */
  polyLower: Float64Array;
  /** Splits since the intermediate bounds were last computed from scratch. */
  age: number;
  /** Lower bound per row and the coefficients of the row closest to proof (for branching). */
  rowLower?: Float64Array;
  branchA?: Float64Array;
}

/** Row layout of one disjunct: all polytopes' rows stacked, with each polytope's row range. */
interface Rows {
  C: Float64Array;
  cOffset: Float64Array;
  R: number;
  ranges: [number, number][];
}

function stackDisjunct(dj: PropertyDisjunct, m: number): Rows {
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
function gatherParents(doms: BoxDomain[], nValues: number): NodeBounds | undefined {
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
function sliceNodes(nb: NodeBounds, k: number, D: number): NodeBounds {
  const pick = (a: Float64Array | undefined) => {
    if (!a) return undefined;
    const size = a.length / D;
    return a.slice(k * size, (k + 1) * size);
  };
  return { lo: nb.lo.map(pick), hi: nb.hi.map(pick) };
}

/**
 * Input-splitting branch and bound for one disjunct: bounds by CROWN with the property's rows,
 * intermediate bounds inherited from the parent box; splits chosen among the top dimensions
 * by |a_i|·(u_i − l_i) (a: the coefficients of the row closest to proof) by bounding the
 * children of each trial split and keeping the best; the minimising corner of every domain's
 * linear bound is tried as a counterexample.
 */
class InputSplitProblem {
  readonly rows: Rows;
  gaveUp = 0;
  boundedDomains = 0;

  constructor(
    readonly net: Network,
    readonly checkNet: Network,
    readonly dj: PropertyDisjunct,
    readonly s: VerifySettings,
  ) {
    this.rows = stackDisjunct(dj, net.outputSize);
  }

  /** Bound a batch of boxes; returns bounded domains and any validated counterexample. */
  bound(doms: BoxDomain[], signal?: AbortSignal): { bounded: BoundedDomain<BoxDomain>[]; cex?: Counterexample } {
    if (this.s.freshEvery <= 1 || doms.every((d) => !d.nodes || d.age >= this.s.freshEvery)) return this.boundGroup(doms, 'auto', signal);
    // Two groups, each bounded in one batch; results keep the input order.
    const fresh = doms.map((d) => !d.nodes || d.age >= this.s.freshEvery);
    const a = this.boundGroup(doms.filter((_, k) => fresh[k]), 'auto', signal);
    if (a.cex) return a;
    const b = this.boundGroup(doms.filter((_, k) => !fresh[k]), 'forward', signal);
    if (b.cex) return b;
    let ia = 0, ib = 0;
    return { bounded: doms.map((_, k) => (fresh[k] ? a.bounded[ia++] : b.bounded[ib++])) };
  }

  private boundGroup(doms: BoxDomain[], intermediate: 'auto' | 'forward', signal?: AbortSignal): { bounded: BoundedDomain<BoxDomain>[]; cex?: Counterexample } {
    if (doms.length === 0) return { bounded: [] };
    const { net } = this;
    const n = net.inputSize, D = doms.length;
    const lo = new Float64Array(D * n), hi = new Float64Array(D * n);
    doms.forEach((d, k) => { lo.set(d.lo, k * n); hi.set(d.hi, k * n); });
    const res: BoundsResult = crown({
      net, region: { batch: D, lo, hi }, C: this.rows.C, cOffset: this.rows.cOffset,
      parent: gatherParents(doms, net.values.length), wantCoefficients: true, signal, intermediate,
    });
    this.boundedDomains += D;
    const R = this.rows.R;
    const bounded: BoundedDomain<BoxDomain>[] = [];
    const candidates: Float64Array[] = [];
    doms.forEach((d, k) => {
      const rowLower = res.lower.subarray(k * R, (k + 1) * R);
      // Per polytope: the best of its rows, and of what the ancestors proved (they contain this box).
      const polyLower = Float64Array.from(d.polyLower);
      let obj = Infinity, weakest = -1, weakRow = -1;
      this.rows.ranges.forEach(([a, b], p) => {
        let best = b === a ? -Infinity : rowLower[a], bestRow = a;
        for (let r = a + 1; r < b; r++) if (rowLower[r] > best) { best = rowLower[r]; bestRow = r; }
        if (!(best > 0) && b - a > 1 && !(polyLower[p] > 0)) {
          // No single row refutes the polytope: try a convex combination of its rows.
          // res.bias bounds C·y; the rows are C·y − d: add the offsets, rounded down.
          const A = res.A!.subarray((k * R + a) * n, (k * R + b) * n);
          const bias = Float64Array.from({ length: b - a }, (_, i) => nextDown(res.bias![k * R + a + i] + this.rows.cOffset[a + i]));
          const comb = combinedRowsBound(A, bias, b - a, d.lo, d.hi);
          if (comb > best) best = comb;
        }
        if (best > polyLower[p]) polyLower[p] = best;
        if (polyLower[p] < obj) obj = polyLower[p];
        if (!(polyLower[p] > 0) && (weakest < 0 || polyLower[p] < polyLower[weakest])) { weakest = p; weakRow = bestRow; }
      });
      const dom: BoxDomain = { lo: d.lo, hi: d.hi, polyLower, nodes: sliceNodes(res.nodes, k, D), rowLower: Float64Array.from(rowLower), age: intermediate === 'auto' ? 0 : d.age };
      if (weakest >= 0 && weakRow < R) {
        const A = res.A!.subarray((k * R + weakRow) * n, (k * R + weakRow + 1) * n);
        dom.branchA = Float64Array.from(A);
        // The corner minimising the row's linear lower bound: a counterexample candidate.
        candidates.push(Float64Array.from({ length: n }, (_, i) => (A[i] >= 0 ? d.lo[i] : d.hi[i])));
      }
      bounded.push({ domain: dom, lower: obj });
    });
    if (candidates.length > 0) {
      const xs = new Float64Array(candidates.length * n);
      candidates.forEach((c, k) => xs.set(c, k * n));
      const ys = forward(net, xs, candidates.length);
      const m = net.outputSize;
      for (let k = 0; k < candidates.length; k++) {
        if (violation(ys, k * m, this.dj.outputs) <= 0) {
          const cex = checkCandidate(this.checkNet, candidates[k], this.dj);
          if (cex) return { bounded, cex };
        }
      }
    }
    return { bounded };
  }

  /** The dimensions to try splitting, best first, by |a_i|·width_i (widest when a is all zero). */
  splitDims(d: BoxDomain): number[] {
    const n = d.lo.length;
    const score = Float64Array.from({ length: n }, (_, i) => {
      const w = d.hi[i] - d.lo[i];
      if (!(w > this.s.minWidth)) return -1;
      return (d.branchA ? Math.abs(d.branchA[i]) : 0) * w + 1e-12 * w;
    });
    return Array.from({ length: n }, (_, i) => i).filter((i) => score[i] > 0).sort((a, b) => score[b] - score[a]).slice(0, Math.max(1, this.s.trialSplits));
  }

  async roots(): Promise<BoundedDomain<BoxDomain>[]> {
    const root: BoxDomain = { lo: this.dj.box.lo, hi: this.dj.box.hi, polyLower: new Float64Array(this.dj.outputs.length).fill(-Infinity), age: 0 };
    const { bounded, cex } = this.bound([root]);
    if (cex) throw new FoundCounterexample(cex);
    return bounded;
  }

  async expand(parents: BoundedDomain<BoxDomain>[], signal: AbortSignal): Promise<{ children: BoundedDomain<BoxDomain>[]; witness?: unknown }> {
    const kids: BoxDomain[] = [];
    const plan: { parent: number; dims: number[] }[] = [];
    parents.forEach((p, k) => {
      const dims = this.splitDims(p.domain);
      if (dims.length === 0) { this.gaveUp++; return; }
      plan.push({ parent: k, dims });
      for (const i of dims) {
        const d = p.domain;
        const mid = 0.5 * (d.lo[i] + d.hi[i]);
        const loHi = Float64Array.from(d.hi); loHi[i] = mid;
        const hiLo = Float64Array.from(d.lo); hiLo[i] = mid;
        kids.push({ lo: d.lo, hi: loHi, polyLower: d.polyLower, nodes: d.nodes, age: d.age + 1 });
        kids.push({ lo: hiLo, hi: d.hi, polyLower: d.polyLower, nodes: d.nodes, age: d.age + 1 });
      }
    });
    if (kids.length === 0) return { children: [] };
    const { bounded, cex } = this.bound(kids, signal);
    if (cex) return { children: [], witness: cex };
    const children: BoundedDomain<BoxDomain>[] = [];
    let at = 0;
    for (const { dims } of plan) {
      let best = -Infinity, bestAt = at;
      for (let t = 0; t < dims.length; t++) {
        const a = bounded[at + 2 * t], b = bounded[at + 2 * t + 1];
        const score = Math.min(a.lower, b.lower);
        if (score > best) { best = score; bestAt = at + 2 * t; }
      }
      children.push(bounded[bestAt], bounded[bestAt + 1]);
      at += 2 * dims.length;
    }
    return { children };
  }
}

class FoundCounterexample extends Error {
  constructor(readonly cex: Counterexample) {
    super('counterexample');
  }
}

/**
 * Decide a VNN-LIB property (its unsafe region) on a network: `unsat` only when every domain of
 * every disjunct is refuted by a sound bound; `sat` only with a counterexample rounded to the
 * input type, inside the box, whose float64 and float32-emulated outputs violate the disjunct;
 * otherwise `timeout` or `unknown` with the best proven bound.
 */
export async function verify(net: Network, prop: Property, opts: VerifyOptions = {}): Promise<Verdict> {
  const start = performance.now();
  if (prop.numInputs !== net.inputSize) throw new InputError(`the property has ${prop.numInputs} inputs (X_0..X_${prop.numInputs - 1}); the network takes ${net.inputSize}`);
  if (prop.numOutputs !== net.outputSize) throw new InputError(`the property has ${prop.numOutputs} outputs (Y_0..Y_${prop.numOutputs - 1}); the network gives ${net.outputSize}`);
  if (opts.timeout !== undefined && !(opts.timeout > 0)) throw new InputError(`the timeout must be positive, got ${opts.timeout}`);
  const s = resolveSettings('verify', VERIFY_DEFAULTS, VERIFY_PRESETS, opts.preset, opts.settings);
  const checkNet = opts.checkNet ?? net;
  const rng = new Rng(s.seed);
  const ctrl = new AbortController();
  const timer = opts.timeout !== undefined ? setTimeout(() => ctrl.abort('timeout'), opts.timeout * 1000) : undefined;
  const onOuterAbort = () => ctrl.abort('aborted');
  opts.signal?.addEventListener('abort', onOuterAbort);
  const deadline = opts.timeout !== undefined ? start + opts.timeout * 1000 : Infinity;
  const elapsed = () => (performance.now() - start) / 1000;
  let domains = 0;
  let bound = Infinity;
  let undecided: string | undefined;
  try {
    // Falsification first, on every disjunct.
    for (const dj of prop.disjuncts) {
      const f = falsify(net, checkNet, dj, rng, s.falsify, deadline);
      if (f.cex) return { result: 'sat', counterexample: f.cex, bound: -Infinity, time_s: elapsed(), domains };
    }
    for (let k = 0; k < prop.disjuncts.length; k++) {
      const dj = prop.disjuncts[k];
      const problem = new InputSplitProblem(net, checkNet, dj, s);
      let res;
      try {
        res = await branchAndBound(problem, { batch: s.batch, maxOpen: s.maxOpen, deadline }, ctrl.signal, (st) => opts.onProgress?.({ ...st, disjunct: k }));
      } catch (e) {
        if (e instanceof FoundCounterexample) return { result: 'sat', counterexample: e.cex, bound: -Infinity, time_s: elapsed(), domains: domains + problem.boundedDomains };
        throw e;
      }
      domains += problem.boundedDomains;
      if (res.outcome === 'found') return { result: 'sat', counterexample: res.witness as Counterexample, bound: -Infinity, time_s: elapsed(), domains };
      bound = Math.min(bound, res.stats.globalLower);
      if (res.outcome === 'timeout') return { result: 'timeout', counterexample: null, bound, time_s: elapsed(), domains };
      if (res.outcome === 'aborted') return { result: 'unknown', counterexample: null, bound, time_s: elapsed(), domains, reason: 'aborted' };
      if (res.outcome === 'memory') return { result: 'unknown', counterexample: null, bound, time_s: elapsed(), domains, reason: `more than ${s.maxOpen} open domains` };
      if (problem.gaveUp > 0) undecided = `${problem.gaveUp} domain(s) narrower than ${s.minWidth} could not be decided`;
    }
    if (undecided) return { result: 'unknown', counterexample: null, bound: -Infinity, time_s: elapsed(), domains, reason: undecided };
    return { result: 'unsat', counterexample: null, bound, time_s: elapsed(), domains };
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}
