/**
 * `bnb`: best-first Lipschitz branch-and-bound on boxes through the one engine
 * (src/search/bnb.ts), ReachLipBnB-style but with sound constants.
 *
 * - A box's lower bound is the better of the linear bound (CROWN) and the Lipschitz bound in
 *   mean-value form ({@link boundBoxes}); which one decided is counted.
 * - Upper bounds: every box's centre and the corner minimising its linear lower bound are
 *   evaluated soundly (interval forward pass on the point); the best few centres of each batch
 *   get a short local descent.
 * - Moving threshold: a box is dropped once its lower bound ≥ incumbent − eps (the engine's
 *   threshold function), so the search ends with incumbent − lower ≤ eps.
 * - Split rule: halve, among the coordinates at least a tenth as wide as the widest, the one with the largest term in the bound that decided the box:
 *   L_i·width_i for the Lipschitz bound (splitting i halves exactly that term),
 *   width_i·max_r |A_{r,i}| (the CROWN coefficients) for the linear bound. With
 *   `trialSplits` > 1, that many candidates are tried and the pair of children whose worse
 *   lower bound is best is kept.
 * - ReLU splitting (piecewise-linear nets, boxes): a root box with few unstable ReLU-like
 *   elements (`reluLpMaxUnstable`, `reluLpPerInput`) is searched on by ReLU splits instead, each
 *   domain also bounded by the triangle-relaxation LP of relu_lp.ts (dual-proved; one
 *   warm-started HiGHS model per root box), its optimum offered as a witness; a domain with no
 *   unstable element left whose LP optimum does not close it falls back to input splits.
 */
import { branchAndBound, type BoundedDomain, type BnbProblem } from '../search/bnb.js';
import type { Network } from '../net/network.js';
import type { NodeBounds } from '../bounds/types.js';
import { addUp } from '../util/float.js';
import { boundBoxes, deadlineSignal, type Decider } from './bound.js';
import { Incumbent } from './incumbent.js';
import type { MinProblem } from './objective.js';
import type { ReachRegion } from './region.js';
import { pushTrace, type DecidedCounts, type MinResult, type MinSettings } from './types.js';
import { getHighs, type Highs } from '../bounds/lp.js';
import { countUnstableIn, ReluLpModel, reluLpApplies } from './relu_lp.js';
import { reluNodes } from '../bounds/prepare.js';
import { splitSetOf } from '../bounds/types.js';

interface BoxDomain {
  lo: Float64Array;
  hi: Float64Array;
  /** Coordinates to try splitting, best first (empty: a point). */
  dims: number[];
  /** The box's intermediate bounds (its children's are intersected with them). */
  nodes?: NodeBounds;
  /** ReLU splits (triples node, element, sign ±1): the domain is the part of the box where they hold (relu_lp.ts). */
  relu?: Int32Array;
  /** The unstable element to split next (ReLU-split mode), or undefined (split `dims`). */
  branch?: [number, number];
  /** ReLU-split mode: the LP model of the root box this domain lies in. */
  lp?: ReluLpModel;
}

/** Box d's slice of batched node bounds (copies). */
function sliceNodes(nb: NodeBounds, d: number, D: number): NodeBounds {
  const pick = (a: Float64Array | undefined) => { if (!a) return undefined; const z = a.length / D; return a.slice(d * z, (d + 1) * z); };
  return { lo: nb.lo.map(pick), hi: nb.hi.map(pick) };
}

/** Batched node bounds of `list` (one entry per box, each a box's own slices), or undefined when any is missing. */
function stackNodes(list: (NodeBounds | undefined)[]): NodeBounds | undefined {
  if (list.length === 0 || list.some((x) => !x)) return undefined;
  const V = list[0]!.lo.length, D = list.length;
  const lo: (Float64Array | undefined)[] = new Array(V), hi: (Float64Array | undefined)[] = new Array(V);
  for (let v = 0; v < V; v++) {
    const f = list[0]!.lo[v];
    if (!f || list.some((x) => !x!.lo[v] || !x!.hi[v])) continue;
    const z = f.length;
    const l = new Float64Array(D * z), h = new Float64Array(D * z);
    list.forEach((x, k) => { l.set(x!.lo[v]!, k * z); h.set(x!.hi[v]!, k * z); });
    lo[v] = l; hi[v] = h;
  }
  return { lo, hi };
}

/**
 * When the Lipschitz bound is computed next to the linear one. On ACAS Xu it decided none of
 * the boxes and took a third of the bounding time (the interval Jacobian), so a batch in which
 * it decided no box makes the next ones skip it, for 1, 2, 4, … up to 32 batches; a batch in
 * which it decided a box (smooth nets, small boxes) turns it back on for every batch. Which
 * bound is computed never affects soundness: each is a valid lower bound by itself.
 */
export class LipschitzBackoff {
  private skip = 0;
  private wait = 0;
  /** @param withLinear whether the linear bound runs too (without it, the Lipschitz bound is never skipped). */
  constructor(private readonly withLinear: boolean) {}
  /** Whether the next batch computes the Lipschitz bound. */
  due(): boolean {
    if (!this.withLinear || this.skip === 0) return true;
    this.skip--;
    return false;
  }
  /** Record a batch that computed it: whether it decided any box. */
  record(decidedAny: boolean): void {
    if (decidedAny) { this.wait = 0; this.skip = 0; return; }
    this.wait = Math.min(32, Math.max(1, 2 * this.wait));
    this.skip = this.wait;
  }
}

/** Coordinates tried per split (the pair of children with the best worse bound is kept). */
const TRIAL_SPLITS = 1;
/**
 * Only coordinates at least this fraction as wide (in input units) as the widest are split.
 * The score (width × slope bound) is blind to a coordinate in which the objective is not
 * monotone: CROWN's coefficient there is near 0 however loose the relaxation is (ACAS Xu's angle
 * inputs over the prop_1 box), so the width has to bring such a coordinate in. Measured (CPU s
 * to certify both extremes):
 * - gate relative to the root box's widths: 0.5 → 6722 boxes / 15.5 s on ACAS Xu 4_3 prop_3
 *   y4, 0.25 → 3308 / 9.4 s, 0.1 → 1418 / 4.8 s; 6 random ReLU nets with 5–10 inputs: 0.5 →
 *   3.9 s (one net needed 24k boxes), 0.1 → 1.8 s, 0 → 7.4 s (one net not certified: the score
 *   alone keeps cutting one coordinate). But on ACAS Xu 1_1 prop_1 y0 (min) the lower bound was
 *   still −0.42 (minimum −0.0234) after 3709 boxes and 15 s: the score cut the narrow inputs.
 * - gate in input units, 0.1: 4_3 prop_3 y4 1404 boxes / 4.0 s; random nets 1.8 s; 1_1 prop_1
 *   y0 min certified in 343 boxes (0.5: 503), both extremes in 4.6 s, 1_2 prop_1 y4 in 6.6 s.
 * On random tanh nets on [-1, 1]^3, 0.5 needs fewer boxes than 0.1 (676 and 1814 against 1310
 * and 2614; 0.1–0.3 CPU s either way).
 */
const GATE = 0.1;

/**
 * The coordinates to try splitting box d, best first: among the coordinates at least GATE as
 * wide as the widest, those with the largest scores. Measured on
 * random 5-input ReLU nets: the pure longest-edge rule needed 1.5× the boxes, the pure score
 * rule did not close the gap at all (it keeps cutting the same steep coordinate), and trying 3
 * splits per box cost more than it saved.
 */
function trialDims(score: Float64Array, lo: Float64Array, hi: Float64Array, d: number, n: number, count: number): number[] {
  let maxWidth = 0;
  for (let i = 0; i < n; i++) maxWidth = Math.max(maxWidth, hi[d * n + i] - lo[d * n + i]);
  if (!(maxWidth > 0)) return [];
  const wide: number[] = [];
  for (let i = 0; i < n; i++) if (lo[d * n + i] < hi[d * n + i] && hi[d * n + i] - lo[d * n + i] >= GATE * maxWidth) wide.push(i);
  wide.sort((a, b) => score[d * n + b] - score[d * n + a]);
  return wide.slice(0, Math.max(1, count));
}

/**
 * An interrupted search, to resume it: every leaf of its tree (open boxes and boxes dropped by
 * the threshold, each with its sound bound) and its counters. Resuming pushes the leaves again:
 * the engine drops the proved ones at once (the threshold only falls), so they still count in
 * the final lower bound, and the open ones are searched on.
 */
export interface BnbResume {
  leaves: Set<BoundedDomain<BoxDomain>>;
  pointFloor: number;
  bounded: number;
  decided: DecidedCounts;
  /** Frees the HiGHS models the leaves hold (call once the search will not be resumed). */
  dispose(): void;
}

/**
 * Soundly minimise h over the region by Lipschitz/linear branch and bound. Anytime. With
 * `resume` (the `resume` of an earlier call on the same problem, region and incumbent), the
 * search goes on from where that call stopped.
 */
export async function minimiseBnb(net: Network, p: MinProblem, region: ReachRegion, s: MinSettings, inc = new Incumbent(net, p, region.ball), resume?: BnbResume): Promise<MinResult & { resume: BnbResume }> {
  const start = performance.now();
  const n = net.inputSize;
  const decided: DecidedCounts = resume ? { ...resume.decided } : { linear: 0, lipschitz: 0, empty: 0, lp: 0 };
  const trace: MinResult['trace'] = [];
  // Bounding stops inside a batch at the deadline (the batch's parents then stay open as they were).
  const stopAt = deadlineSignal(s.deadline, s.signal);
  /** Parents per batch: halved while a batch takes more than a second (big networks), so the deadline is met. */
  let batch = s.batch;
  /** Lowest lower bound of boxes that could not be split (points): part of the proof. */
  let pointFloor = resume?.pointFloor ?? Infinity;
  let bounded = resume?.bounded ?? 0;

  // Keep each box's intermediate bounds for its children when the network is small enough.
  const keepNodes = net.values.reduce((t, v) => t + v.size, 0) <= 4096;
  const lipBackoff = new LipschitzBackoff(s.linear);
  // ReLU splitting with LP bounds on boxes with few unstable elements (piecewise-linear nets,
  // boxes only; relu_lp.ts): each activation pattern is an LP, so such a box's minimum is exact.
  const maxUnstable = s.reluLpMaxUnstable ?? 0;
  // HiGHS is loaded only once a root qualifies (its load costs more than a root CROWN bound).
  const reluLp: { highs: Highs | null; relu: number[] } | null = maxUnstable > 0 && s.linear && !region.ball && reluLpApplies(net) ? { highs: null, relu: reluNodes(net) } : null;
  const models: ReluLpModel[] = [];
  /** Roots that qualify for ReLU splitting (box index, its bounds): the roots step starts their search. */
  const pendingRoots: { d: number; nodes: NodeBounds }[] = [];
  /** The LP step of a domain in ReLU-split mode: its bound, witnesses offered, the element to split. */
  const lpStep = (lp: ReluLpModel, nodes: NodeBounds, dl: Float64Array, dh: Float64Array, root: boolean): { lower: number; branch?: [number, number] } => {
    const lr = lp.bound(nodes, s.reluLpTimeLimit ?? 1, root ? undefined : stopAt);
    for (const x of lr.points) {
      for (let i = 0; i < n; i++) x[i] = Math.min(dh[i], Math.max(dl[i], x[i]));
      inc.offer(x, 1);
    }
    return { lower: lr.lower, branch: lr.branch ?? undefined };
  };
  const bound = (lo: Float64Array, hi: Float64Array, D: number, count = true, root = false, parent?: NodeBounds, reluOf?: (Int32Array | undefined)[], modelOf?: (ReluLpModel | undefined)[]): (BoundedDomain<BoxDomain> & { decidedBy: Decider | 'lp' })[] => {
    // The roots are bounded once whatever the time (the result needs a bound of every box).
    const useLip = s.lipschitz && (root || lipBackoff.due());
    const splits = reluOf ? splitSetOf(net, reluOf) : undefined;
    const hasSplit = splits ? Uint8Array.from(reluOf!, (r) => (r && r.length > 0 ? 1 : 0)) : undefined;
    const bb = boundBoxes(net, p, lo, hi, D, region.ball, { linear: s.linear, lipschitz: useLip, alphaIterations: s.alphaIterations ?? 0, splits, hasSplit }, root ? undefined : stopAt, parent);
    if (useLip) lipBackoff.record(bb.decider.some((x) => x === 'lipschitz'));
    bounded += D;
    inc.offer(bb.centers, D, bb.centerUpper);
    if (bb.corners) inc.offer(bb.corners, D, bb.cornerUpper);
    if (bb.expansion) inc.offer(bb.expansion, bb.expansionUpper!.length, bb.expansionUpper);
    const out: (BoundedDomain<BoxDomain> & { decidedBy: Decider | 'lp' })[] = [];
    for (let d = 0; d < D; d++) {
      const dl = lo.slice(d * n, (d + 1) * n), dh = hi.slice(d * n, (d + 1) * n);
      const relu = reluOf?.[d], lp = modelOf?.[d];
      let lower = bb.lower[d], decidedBy: Decider | 'lp' = bb.decider[d], branch: [number, number] | undefined;
      // A root box with few unstable elements is searched by ReLU splits (one LP model for it).
      // The gate compares the two exponents: input splitting's grows with the free inputs, ReLU
      // splitting's with the unstable elements (at most reluLpPerInput per free input).
      let free = 0;
      for (let i = 0; i < n; i++) if (dl[i] < dh[i]) free++;
      const gate = Math.min(maxUnstable, (s.reluLpPerInput ?? 4) * free);
      if (root && reluLp && bb.nodes && countUnstableIn(net, reluLp.relu, bb.nodes, d, gate) <= gate) pendingRoots.push({ d, nodes: sliceNodes(bb.nodes, d, D) });
      // In ReLU-split mode, a domain still above the threshold gets the LP bound.
      if (lp && bb.nodes && lower < addUp(inc.upper, -s.eps) && lower !== Infinity) {
        const r = lpStep(lp, sliceNodes(bb.nodes, d, D), dl, dh, root);
        if (r.lower > lower) { lower = r.lower; decidedBy = 'lp'; }
        branch = r.branch;
      }
      if (count) decided[decidedBy]++;
      out.push({ domain: { nodes: keepNodes && bb.nodes ? sliceNodes(bb.nodes, d, D) : undefined, lo: dl, hi: dh, dims: trialDims(bb.score, lo, hi, d, n, s.trialSplits ?? TRIAL_SPLITS), relu, branch, lp }, lower, upper: Math.min(bb.centerUpper[d], bb.cornerUpper?.[d] ?? Infinity), decidedBy });
    }
    // Local descent from the most promising centres of the batch.
    if (s.descentSteps > 0) {
      const K = Math.min(2, D);
      const order = Array.from({ length: D }, (_, i) => i).sort((a, b) => bb.centerUpper[a] - bb.centerUpper[b]).slice(0, K);
      const X = new Float64Array(K * n), L = new Float64Array(K * n), H = new Float64Array(K * n);
      order.forEach((d, k) => { X.set(bb.centers.subarray(d * n, (d + 1) * n), k * n); L.set(lo.subarray(d * n, (d + 1) * n), k * n); H.set(hi.subarray(d * n, (d + 1) * n), k * n); });
      inc.descendFrom(X, L, H, K, s.descentSteps);
    }
    return out;
  };

  const problem: BnbProblem<BoxDomain> = {
    threshold: () => addUp(inc.upper, -s.eps),
    roots: async () => {
      const D = region.boxes.length;
      const lo = new Float64Array(D * n), hi = new Float64Array(D * n);
      region.boxes.forEach((b, d) => { lo.set(b.lo, d * n); hi.set(b.hi, d * n); });
      const out = bound(lo, hi, D, true, true);
      // Qualifying roots still open: their ReLU-split search starts with the root's LP.
      for (const { d, nodes } of pendingRoots) {
        const q = out[d];
        if (!(q.lower < addUp(inc.upper, -s.eps))) continue;
        reluLp!.highs ??= await getHighs();
        const lp = new ReluLpModel(reluLp!.highs, net, p, reluLp!.relu, nodes);
        models.push(lp);
        q.domain.lp = lp;
        q.domain.relu = new Int32Array(0);
        const r = lpStep(lp, nodes, q.domain.lo, q.domain.hi, true);
        if (r.lower > q.lower) { decided[q.decidedBy]--; decided.lp++; q.lower = r.lower; q.decidedBy = 'lp'; }
        q.domain.branch = r.branch;
      }
      return out;
    },
    expand: async (parents) => {
      const candidates = parents.filter((q) => {
        if (q.domain.dims.length > 0 || q.domain.branch) return true;
        if (q.lower < pointFloor) pointFloor = q.lower;
        return false;
      });
      // Beyond the adaptive batch size, parents go back unexpanded (their bounds stand).
      const splittable = candidates.slice(0, batch);
      const untouched = candidates.slice(batch);
      let D = 0;
      // A parent in ReLU-split mode has one trial (its branch element), others one per coordinate.
      const trials = (q: BoundedDomain<BoxDomain>) => (q.domain.branch ? 1 : q.domain.dims.length);
      for (const q of splittable) D += 2 * trials(q);
      if (D === 0) return { children: [] };
      const lo = new Float64Array(D * n), hi = new Float64Array(D * n);
      let at = 0;
      const parentsOf: (NodeBounds | undefined)[] = [];
      const reluOf: (Int32Array | undefined)[] = [];
      const modelOf: (ReluLpModel | undefined)[] = [];
      for (const q of splittable) {
        const { lo: pl, hi: ph, relu } = q.domain;
        for (let t = 0; t < 2 * trials(q); t++) { parentsOf.push(q.domain.nodes); modelOf.push(q.domain.lp); }
        if (q.domain.branch) {
          // Same box; the element's input ≥ 0 in one child, ≤ 0 in the other.
          const [k, j] = q.domain.branch;
          for (const sign of [1, -1]) {
            const r = new Int32Array((relu?.length ?? 0) + 3);
            if (relu) r.set(relu);
            r.set([k, j, sign], r.length - 3);
            reluOf.push(r);
            lo.set(pl, at * n); hi.set(ph, at * n);
            at++;
          }
          continue;
        }
        for (const i of q.domain.dims) {
          reluOf.push(relu, relu);
          const mid = 0.5 * pl[i] + 0.5 * ph[i];
          lo.set(pl, at * n); hi.set(ph, at * n);
          lo.set(pl, (at + 1) * n); hi.set(ph, (at + 1) * n);
          hi[at * n + i] = mid;
          lo[(at + 1) * n + i] = mid;
          at += 2;
        }
      }
      let all: ReturnType<typeof bound>;
      const t0 = performance.now();
      try {
        all = bound(lo, hi, D, false, false, stackNodes(parentsOf), reluLp ? reluOf : undefined, reluLp ? modelOf : undefined);
      } catch (e) {
        if (stopAt.aborted) return { children: candidates };
        throw e;
      }
      if (performance.now() - t0 > 1000 && batch > 1) batch = Math.max(1, batch >> 1);
      // Per parent, keep the trial whose worse child is best (then the better sum).
      const children: BoundedDomain<BoxDomain>[] = untouched.slice();
      at = 0;
      for (const q of splittable) {
        let best = at, bestKey = -Infinity, bestSum = -Infinity;
        for (let t = 0; t < trials(q); t++, at += 2) {
          const a = all[at].lower, b = all[at + 1].lower;
          const key = Math.min(a, b), sum = a + b;
          if (key > bestKey || (key === bestKey && sum > bestSum) || !(bestKey === bestKey)) { best = at; bestKey = key; bestSum = sum; }
        }
        q.domain.nodes = undefined; // expanded: its children carry their own
        for (const c of [all[best], all[best + 1]]) {
          // A child's bound never needs to be below its parent's (the parent's is valid on it).
          if (q.lower > c.lower) c.lower = q.lower;
          decided[c.decidedBy]++;
          children.push(c);
        }
      }
      return { children };
    },
  };
  // Every leaf of the tree (see BnbResume): the engine runs one batch at a time (pipeline 1), so
  // at any stop the parents passed to expand have their children here.
  const leaves = new Set<BoundedDomain<BoxDomain>>();
  const tracked: BnbProblem<BoxDomain> = {
    threshold: problem.threshold,
    roots: async () => {
      const r = resume ? [...resume.leaves] : await problem.roots();
      for (const c of r) leaves.add(c);
      return r;
    },
    expand: async (parents, sig) => {
      for (const q of parents) leaves.delete(q);
      const r = await problem.expand(parents, sig);
      for (const c of r.children) leaves.add(c as BoundedDomain<BoxDomain>);
      return r;
    },
  };
  const elapsed = () => (performance.now() - start) / 1000;
  pushTrace(trace, 0, -Infinity, inc.upper);
  // Open boxes allowed: about 1.5 GB of boxes (their bounds and kept intermediate bounds).
  const perBox = 16 * n + (keepNodes ? 16 * net.values.reduce((t, v) => t + v.size, 0) : 0) + 256;
  const maxOpen = Math.max(10_000, Math.min(500_000, Math.floor(1.5e9 / perBox)));
  const res = await branchAndBound(tracked, { batch: s.batch, deadline: s.deadline, diveFraction: 0.25, maxOpen, pipeline: 1 }, s.signal, (st) => {
    const l = Math.min(st.globalLower, pointFloor);
    pushTrace(trace, elapsed(), l, inc.upper);
    s.onTrace?.(l, inc.upper);
  });
  let lower = Math.min(res.stats.globalLower, pointFloor);
  if (!(lower === lower)) lower = -Infinity;
  // The incumbent's box was bounded soundly, so lower ≤ upper mathematically; keep it visible if not.
  const upper = inc.upper;
  const certified = addUp(upper, -lower) <= s.eps;
  // The LP models are kept while the search may resume (its leaves hold them); a resumed
  // search's models include the earlier call's (disposing twice is a no-op).
  const earlier = resume;
  const dispose = (): void => {
    for (const m of models) m.dispose();
    for (const q of leaves) q.domain.lp?.dispose();
    earlier?.dispose();
  };
  if (certified) dispose();
  pushTrace(trace, elapsed(), lower, upper, 0);
  return { lower, upper, witness: inc.witness, certified, iterations: bounded, decided, trace, time_s: elapsed(), resume: { leaves, pointFloor, bounded, decided, dispose } };
}
