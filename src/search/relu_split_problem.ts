import { proveSplitsEmpty } from '../bounds/beta.js';
import { buildNetLP, getHighs, type Highs } from '../bounds/lp.js';
import { rayProvesEmpty, type SparseLP } from '../bounds/lp_dual.js';
import { splitSetOf, type SplitSet } from '../bounds/types.js';
import { forward } from '../net/forward.js';
import type { Network } from '../net/network.js';
import type { PropertyDisjunct } from '../spec/property.js';
import { parentsThatFit, type BnbProblem, type BoundedDomain } from './bnb.js';
import type { VerifySettings } from './verify.js';
import { boundBoxByLp } from './box_lp.js';
import { boxObjective } from './box_bounding.js';
import { checkCandidate, violation, type Counterexample } from './counterexample.js';
import { boundReluJob, checkReluResult, domainBounds, mergeReluResults, reluContextData, reluRootContext, rootReluDomain, splitReluDomain, type ReluBatchResult, type ReluContext, type ReluDomain, type ReluJobArgs } from './relu_split.js';
import { WorkerPool } from './pool.js';

/** The settings ReLU-split branch and bound reads (a subset of verify's, documented there). */
export type ReluSplitSettings = Pick<VerifySettings, 'betaIterations' | 'betaCatchUpIterations' | 'betaWarmSplits' | 'betaRootIterations' | 'betaIntermediateIterations' | 'betaIntermediateShare' | 'betaLrAlpha' | 'betaLrBeta' | 'fsbCandidates' | 'fsbTrialIterations' | 'fsbMaxLayers' | 'reluRebound' | 'lpMaxUnstable' | 'lpTimeLimit' | 'workers'>;

/**
 * Objective values at the given inputs (forward pass) and the first that validates as a
 * counterexample of the disjunct (re-checked on `checkNet` with float32 emulation, see
 * checkCandidate): values are witnesses only, never bounds.
 */
export function tryPoints(net: Network, checkNet: Network, dj: PropertyDisjunct, points: Float64Array[]): { values: Float64Array; cex?: Counterexample } {
  const n = net.inputSize, m = net.outputSize;
  const values = new Float64Array(points.length);
  if (points.length === 0) return { values };
  const xs = new Float64Array(points.length * n);
  points.forEach((x, i) => xs.set(x, i * n));
  const ys = forward(net, xs, points.length);
  for (let i = 0; i < points.length; i++) {
    values[i] = violation(ys, i * m, dj.outputs);
    if (values[i] <= 0) {
      const cex = checkCandidate(checkNet, points[i], dj);
      if (cex) return { values, cex };
    }
  }
  return { values };
}

/**
 * Whether the LP's constraints are proved contradictory: HiGHS (zero objective) reports the LP
 * infeasible and its dual ray y (or −y) gives, through weak duality with every rounding charged
 * (`dualLowerBound`), a lower bound > 0 of the zero objective over the feasible set — which is
 * possible only when that set is empty. A validated Farkas certificate; the solver is not trusted.
 */
export function proveLpInfeasible(highs: Highs, lp: SparseLP, timeLimit: number): boolean {
  let model;
  try {
    model = highs.createModel({
      numCols: lp.numCols, numRows: lp.numRows, colCost: new Float64Array(lp.numCols), colLower: lp.colLower, colUpper: lp.colUpper,
      rowLower: lp.rowLower, rowUpper: lp.rowUpper,
      matrix: { format: 'csr', numRows: lp.numRows, numCols: lp.numCols, starts: lp.starts, indices: lp.indices, values: lp.values },
    });
    model.options.set({ output_flag: false });
    if (timeLimit > 0 && Number.isFinite(timeLimit)) model.options.set('time_limit', timeLimit);
    model.run();
    if (model.getModelStatus() !== highs.constants.modelStatus.infeasible) return false;
    const ray = model.getDualRay();
    return !!ray && rayProvesEmpty(lp, ray.values);
  } catch {
    return false;
  } finally {
    model?.dispose();
  }
}

/**
 * Branch and bound on ReLU splits for one disjunct (see relu_split.ts): each expansion splits a
 * domain on its best BaBSR candidate (or, with `fsbCandidates` > 1, the candidate whose children
 * are bounded best: filtered smart branching), children bounded by β-CROWN warm-started from the
 * parent. Domains with few unstable ReLUs left go to the triangle LP with all split constraints
 * (HiGHS, dual-validated: box_lp.ts), which refutes them when its bound is > 0 and decides them
 * when none is left; its optimum is tried as a counterexample. Every domain's minimising input
 * is tried too.
 */
export class ReluSplitProblem implements BnbProblem<ReluDomain> {
  gaveUp = 0;
  boundedDomains = 0;
  /** Candidate children bounded only to choose a split (filtered smart branching). */
  trialDomains = 0;
  /** Backward passes and milliseconds spent in β-CROWN (per-domain cost reporting). */
  passes = 0;
  boundMs = 0;
  /** Domains refuted by a proof that their split set is empty. */
  emptyProved = 0;
  ctx!: ReluContext;
  private pending: Counterexample | undefined;
  private msPerDomain = 0;
  private highs: Highs | null = null;

  constructor(
    readonly net: Network,
    readonly checkNet: Network,
    readonly dj: PropertyDisjunct,
    readonly s: ReluSplitSettings,
    readonly deadline = Infinity,
    readonly signal?: AbortSignal,
  ) {}

  /**
   * Candidates per split: `fsbCandidates` on networks with at most `fsbMaxLayers` splittable
   * layers, else 1 (BaBSR alone). One-pass trials miss what an early split does through the
   * re-bounding of the layers after it: on 256x4 they chose worse than BaBSR (docs/verify.md).
   */
  get fsbK(): number {
    return this.ctx && this.ctx.layout.nodes.length <= this.s.fsbMaxLayers ? Math.max(1, this.s.fsbCandidates) : 1;
  }

  private beta(iterations: number) {
    return { iterations, lrAlpha: this.s.betaLrAlpha, lrBeta: this.s.betaLrBeta, stopAbove: 0 };
  }

  /** Worker threads bounding chunks of each batch (started after the root, when `workers` > 1). */
  pool: WorkerPool<ReluDomain, ReluJobArgs, ReluBatchResult> | null = null;

  /**
   * β-CROWN bounds of a batch of domains (pool or here); every domain's minimising input is tried
   * as a counterexample. A `trial` batch (filtered smart branching's scoring of candidate splits)
   * skips re-bounding intermediate layers and ranking its own candidates (they are never split),
   * and is counted apart from the search's domains. `catchUp`: further steps for children still
   * below their parent's bound (`betaCatchUpIterations`; only for children of a split).
   */
  private async bound(doms: ReluDomain[], iterations: number, signal?: AbortSignal, trial = false, catchUp = 0): Promise<ReluBatchResult & { cex?: Counterexample }> {
    const t0 = performance.now();
    const args: ReluJobArgs = { settings: this.beta(iterations), candidateCount: trial ? 1 : this.fsbK, rebound: this.s.reluRebound && !trial, deadlineEpoch: performance.timeOrigin + this.deadline, catchUp };
    const res = this.pool && doms.length >= 2 ? await this.pool.bound(doms, args, signal) : boundReluJob(this.ctx, doms, args, signal);
    this.boundMs += performance.now() - t0;
    this.passes += res.passes;
    if (trial) this.trialDomains += doms.length;
    else this.boundedDomains += doms.length;
    const at = res.candidates.flatMap((c, k) => (c ? [k] : []));
    const { values, cex } = tryPoints(this.net, this.checkNet, this.dj, at.map((k) => res.candidates[k]!));
    at.forEach((k, i) => { res.bounded[k].upper = values[i]; });
    return cex ? { ...res, cex } : res;
  }

  /** Start the worker threads once the root context exists (they rebuild it from plain data). */
  private startPool(): void {
    if (this.pool || this.s.workers <= 1) return;
    const ctx = this.ctx;
    this.pool = WorkerPool.start<ReluDomain, ReluJobArgs, ReluBatchResult>(this.net, {
      kind: 'relu',
      initData: reluContextData(ctx),
      boundHere: (doms, a, signal) => boundReluJob(ctx, doms, a, signal),
      check: checkReluResult,
      merge: mergeReluResults,
    }, this.s.workers);
  }

  async roots(): Promise<BoundedDomain<ReluDomain>[]> {
    const budget = Number.isFinite(this.deadline) ? this.s.betaIntermediateShare * (this.deadline - performance.now()) : Infinity;
    this.ctx = reluRootContext(this.net, this.dj, this.signal, this.s.betaIntermediateIterations, performance.now() + budget);
    const res = await this.bound([rootReluDomain(this.ctx, this.dj.outputs.length)], this.s.betaRootIterations, this.signal);
    if (res.cex) this.pending = res.cex;
    const roots = await this.perPolytope(res.bounded[0]);
    this.startPool();
    return roots;
  }

  /**
   * One root per polytope the root leaves open, each with only that polytope open (the others
   * marked refuted, +∞): the disjunct is refuted when every polytope is refuted over the whole
   * box, and each copy's tree covers the box for its polytope, so the trees together prove
   * exactly what one tree would. Each tree branches on its own row's candidates instead of the
   * weakest row's of all (a split that helps one row is wasted on the others). The copies start
   * from the root's α of their rows and get their candidates from one pass.
   */
  private async perPolytope(root: BoundedDomain<ReluDomain>): Promise<BoundedDomain<ReluDomain>[]> {
    const d = root.domain, ranges = this.ctx.rows.ranges;
    const open = ranges.map((_, p) => p).filter((p) => !(d.polyLower[p] > 0));
    if (open.length < 2 || !d.alpha) return [root];
    const S = this.ctx.layout.total;
    const copies = open.map((p): ReluDomain => {
      const polyLower = Float64Array.from(d.polyLower, (v, q) => (q === p ? v : Infinity));
      const [a, b] = ranges[p];
      const at: number[] = [];
      d.rows.forEach((r, i) => { if (r >= a && r < b) at.push(i); });
      const alpha = new Float32Array(at.length * S);
      at.forEach((i, j) => alpha.set(d.alpha!.subarray(i * S, (i + 1) * S), j * S));
      return { splits: d.splits, polyLower, rows: Int32Array.from(at, (i) => d.rows[i]), alpha, beta: new Float32Array(0), unstable: d.unstable, depth: d.depth, bounds: d.bounds };
    });
    const res = await this.bound(copies, 0, this.signal);
    if (res.cex) this.pending ??= res.cex;
    return res.bounded;
  }

  async expand(allParents: BoundedDomain<ReluDomain>[], signal: AbortSignal): Promise<{ children: BoundedDomain<ReluDomain>[]; witness?: unknown }> {
    if (this.pending) return { children: [], witness: this.pending };
    const { now: parents, later: untouched } = parentsThatFit(allParents, this.msPerDomain, 2, this.deadline);
    const t0 = performance.now();
    const children: BoundedDomain<ReluDomain>[] = [...untouched];
    // LP leaves first: domains with few unstable ReLUs left.
    const toSplit: BoundedDomain<ReluDomain>[] = [];
    for (const p of parents) {
      const d = p.domain;
      if (this.s.lpMaxUnstable > 0 && d.unstable <= this.s.lpMaxUnstable || !d.candidates || d.candidates.length === 0) {
        const leaf = await this.lpLeaf(p, signal);
        if (leaf.cex) return { children: [], witness: leaf.cex };
        if (leaf.refuted) continue;
        if (!d.candidates || d.candidates.length === 0) { this.gaveUp++; continue; }
      }
      toSplit.push(p);
    }
    const k = this.fsbK;
    // Filtered smart branching: the children of each parent's top-k candidates are bounded as
    // trials and the candidate whose children fall least below 0 is chosen. Cheap trials (steps <
    // betaIterations: the parent's α and β, no intermediate re-bounding) only choose — the chosen
    // pair is then bounded in full; full trials are kept as bounded.
    const cheap = k > 1 && this.s.fsbTrialIterations < this.s.betaIterations;
    const plan = toSplit.map((p) => Math.min(k, p.domain.candidates!.length / 2));
    const pick = plan.map(() => 0);
    const trialKids: ReluDomain[] = [];
    toSplit.forEach((p, q) => {
      // A single candidate needs no cheap trial.
      if (cheap && plan[q] < 2) return;
      const c = p.domain.candidates!;
      for (let t = 0; t < plan[q]; t++) trialKids.push(...splitReluDomain(p.domain, c[2 * t], c[2 * t + 1], this.ctx, this.s.betaWarmSplits));
    });
    if (trialKids.length > 0) {
      const res = cheap
        ? await this.bound(trialKids, this.s.fsbTrialIterations, signal, true)
        : await this.bound(trialKids, this.s.betaIterations, signal, false, this.s.betaCatchUpIterations);
      if (res.cex) return { children: [], witness: res.cex };
      let at = 0;
      plan.forEach((trials, q) => {
        if (cheap && trials < 2) return;
        let best = -Infinity;
        for (let t = 0; t < trials; t++) {
          const score = Math.min(res.bounded[at + 2 * t].lower, 0) + Math.min(res.bounded[at + 2 * t + 1].lower, 0);
          if (score > best) { best = score; pick[q] = t; }
        }
        if (!cheap) children.push(res.bounded[at + 2 * pick[q]], res.bounded[at + 2 * pick[q] + 1]);
        at += 2 * trials;
      });
    }
    if (cheap && toSplit.length > 0) {
      const kids = toSplit.flatMap((p, q) => {
        const c = p.domain.candidates!;
        return splitReluDomain(p.domain, c[2 * pick[q]], c[2 * pick[q] + 1], this.ctx, this.s.betaWarmSplits);
      });
      const full = await this.bound(kids, this.s.betaIterations, signal, false, this.s.betaCatchUpIterations);
      if (full.cex) return { children: [], witness: full.cex };
      children.push(...full.bounded);
    }
    if (toSplit.length > 0) {
      const ms = (performance.now() - t0) / (2 * toSplit.length);
      this.msPerDomain = this.msPerDomain === 0 ? ms : 0.7 * this.msPerDomain + 0.3 * ms;
    }
    return { children };
  }

  /**
   * The triangle LP over the whole box with every split constraint of the domain (root bounds
   * clamped by the splits): refutes the domain when its dual-validated bound is > 0; its optimum
   * is tried as a counterexample. Updates the domain's polytope bounds in place.
   */
  private async lpLeaf(b: BoundedDomain<ReluDomain>, signal: AbortSignal): Promise<{ refuted: boolean; cex?: Counterexample }> {
    const left = (this.deadline - performance.now()) / 1000;
    if (left < 0.05 || signal.aborted) return { refuted: false };
    this.highs ??= await getHighs();
    const d = b.domain;
    const splits: SplitSet = splitSetOf(this.net, [d.splits]) ?? new Map();
    const { nb: nodes, empty } = domainBounds(this.ctx, [d], false);
    if (empty[0]) { this.emptyProved++; b.lower = Infinity; return { refuted: true }; }
    const view = { lo: this.ctx.lo, hi: this.ctx.hi, nodes, polyLower: d.polyLower, relu: d.splits, age: 0, depth: d.depth };
    const res = boundBoxByLp(this.highs, this.net, this.ctx.rows, view, Math.min(this.s.lpTimeLimit, 0.5 * left), signal);
    const pl = Float64Array.from(d.polyLower);
    for (let p = 0; p < pl.length; p++) if (res.polyLower[p] > pl[p]) pl[p] = res.polyLower[p];
    d.polyLower = pl;
    b.lower = boxObjective(pl);
    const { cex } = tryPoints(this.net, this.checkNet, this.dj, res.candidates);
    if (cex) return { refuted: false, cex };
    if (b.lower > 0) return { refuted: true };
    // An LP without an optimum (infeasible: the splits may leave no input) proves nothing by
    // itself; a sound proof that the split set is empty refutes the domain: HiGHS's Farkas ray
    // validated by weak duality, or β-CROWN on the zero function.
    if (proveLpInfeasible(this.highs, buildNetLP(this.net, nodes, 0, this.net.outputIds[0], splits), Math.min(this.s.lpTimeLimit, 0.5 * left))) {
      this.emptyProved++;
      b.lower = Infinity;
      return { refuted: true };
    }
    const region = { batch: 1, lo: this.ctx.lo, hi: this.ctx.hi };
    if (proveSplitsEmpty(this.net, nodes, region, splits, { lrAlpha: this.s.betaLrAlpha, iterations: 200, decay: 0.99 }, signal)[0]) {
      this.emptyProved++;
      b.lower = Infinity;
      return { refuted: true };
    }
    return { refuted: false };
  }
}
