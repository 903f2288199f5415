import { crownIntermediate } from '../bounds/crown.js';
import type { Norm } from '../bounds/types.js';
import type { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import { branchAndBound, type BoundedDomain, type BnbStats } from '../search/bnb.js';
import { cpuDeadlineSignal, cpuMs } from '../util/cpu_time.js';
import { Rng } from '../util/rng.js';
import { resolveSettings } from '../util/settings.js';
import { globalLipschitz } from './global.js';
import { localLipschitz } from './local.js';
import { freeCoordinatesOf, restrictToBox } from '../net/restrict.js';
import { gradientsAt, searchLower, secantsAround, type SecantWitness } from './lower.js';
import { dualOf, normUp } from './norms.js';

/**
 * The Lipschitz interval [lower, upper] of a scalar objective g = row·y over a box (or over all
 * of input space), in the p-norm of the input over its free coordinates (lo < hi):
 * - `upper` is a proof: no pair of inputs of the box has a slope above it (the global bound,
 *   then the local interval-Jacobian bound of every box of a branch-and-bound partition, see
 *   local.ts — the maximum over the open boxes);
 * - `lower` is a witness: the re-evaluated secant pair `witness` has at least this slope (see
 *   lower.ts; pairs from sampling, hill climbing on ‖∇g‖_q and each box's centre).
 * The interval closes by splitting boxes through the engine (src/search/bnb.ts): best-first on
 * the largest local bound, a box dropped once its bound is at most `lower` (it cannot hold a
 * steeper pair), until upper − lower ≤ eps·lower (which implies ≤ eps·upper) or the timeout.
 */

export interface LipschitzSettings {
  /** Input norm p (the gradient is measured in its dual q). Default 'inf'. */
  norm: Norm;
  /** Relative gap at which to stop: upper − lower ≤ eps·lower. Default 0.01. */
  eps: number;
  /** Seconds before returning the (valid, wider) interval. Default 30. */
  timeout: number;
  /** Uniform samples of the first lower-bound search. Default 256. */
  samples: number;
  /** Hill-climbing rounds on ‖∇g‖ in the first lower-bound search. Default 20. */
  ascentSteps: number;
  /** Boxes split per branch-and-bound step (their children are bounded in one batch). Default 32. */
  batch: number;
  /** Partial activation patterns evaluated per box to refine its bound (see local.ts, patternRefine). Default 256. */
  patterns: number;
  /** Only boxes with at most this many unstable ReLUs are refined by patterns. Default 12. */
  patternsMaxUnstable: number;
  /** Random points per child box for the lower bound (besides its centre). Default 2. */
  childSamples: number;
  /** Seed of the sampling. Default 0. */
  seed: number;
  /** Box used to search for lower bounds when no region is given (each input in [-r, r]). Default 1. */
  globalSearchRadius: number;
  /**
   * Intermediate bounds of each box (src/bounds crownIntermediate): 'auto' takes forward-mode
   * linear bounds alone for smooth networks with at most 20 free inputs (CROWN's per-neuron
   * backward passes cost far more there for the same bounds), else CROWN's own 'auto'. Default 'auto'.
   */
  intermediate: 'auto' | 'forward' | 'backward';
  /**
   * Count the timeout in this process's CPU seconds instead of wall seconds (benchmarks on a
   * machine shared with other work; the search is single-threaded). Default false.
   */
  cpuClock: boolean;
}

export const LIPSCHITZ_DEFAULTS: LipschitzSettings = {
  norm: 'inf',
  eps: 0.01,
  timeout: 30,
  samples: 256,
  ascentSteps: 20,
  batch: 32,
  patterns: 256,
  patternsMaxUnstable: 12,
  childSamples: 2,
  seed: 0,
  globalSearchRadius: 1,
  intermediate: 'auto',
  cpuClock: false,
};

export interface LipschitzTracePoint {
  t: number;
  lower: number;
  upper: number;
}

export interface LipschitzInterval {
  lower: number;
  upper: number;
  norm: Norm;
  /** The secant pair [x, x′] whose re-evaluated slope is at least `lower` (null when lower = 0 from no pair). */
  witness: [Float64Array, Float64Array] | null;
  /** The global upper bound (over all inputs), for comparison. */
  global: number;
  /** The local bound of the whole box before any split (null without a region). */
  local: number | null;
  /** upper − lower ≤ eps·lower was reached. */
  certified: boolean;
  /** Boxes bounded. */
  boxes: number;
  time_s: number;
  trace: LipschitzTracePoint[];
}

interface LipBox {
  lo: Float64Array;
  hi: Float64Array;
  perCoord: Float64Array;
}

/** Validate and resolve settings (InputError with one line on bad values). */
export function lipschitzSettings(overrides: Partial<LipschitzSettings> = {}): LipschitzSettings {
  const s = resolveSettings('lipschitz', LIPSCHITZ_DEFAULTS, {}, undefined, overrides);
  if (!(s.eps > 0) || !Number.isFinite(s.eps)) throw new InputError(`--eps ${s.eps}: must be a finite number > 0`);
  if (!(s.timeout > 0)) throw new InputError(`--timeout ${s.timeout}: must be a number > 0`);
  if (!['inf', '2', '1'].includes(s.norm)) throw new InputError(`unknown norm '${s.norm}' (use inf, 2 or 1)`);
  return s;
}

/**
 * Certified Lipschitz interval of g = row·y (row: m weights over the flattened output) over the
 * box [lo, hi] (null: all of input space, where `upper` is the global bound and `lower` comes
 * from pairs in [−r, r]ⁿ). Sound; anytime (the timeout returns a valid, wider interval).
 */
export async function lipschitzInterval(
  network: Network,
  box: { lo: Float64Array; hi: Float64Array } | null,
  row: Float64Array,
  settings: Partial<LipschitzSettings> = {},
  onProgress?: (p: LipschitzTracePoint) => void,
): Promise<LipschitzInterval> {
  const s = lipschitzSettings(settings);
  const start = performance.now();
  const cpuStart = s.cpuClock ? cpuMs() : 0;
  let net = network;
  let n = net.inputSize;
  const m = net.outputSize;
  if (row.length !== m) throw new InputError(`the objective has ${row.length} values; the network has ${m} outputs`);
  for (let j = 0; j < m; j++) if (!Number.isFinite(row[j])) throw new InputError(`the objective: entry ${j} (${row[j]}) is not a finite number`);
  const rng = new Rng(s.seed);
  const norm = s.norm;
  const q = dualOf(norm);
  const glob = globalLipschitz(net, row, norm).upper[0];
  const trace: LipschitzTracePoint[] = [];
  const elapsed = () => (performance.now() - start) / 1000;
  const note = (lower: number, upper: number) => {
    const p = { t: elapsed(), lower, upper };
    trace.push(p);
    onProgress?.(p);
  };
  const done = (w: SecantWitness | null, upper: number, local: number | null, boxes: number): LipschitzInterval => {
    const lower = w ? Math.min(w.lower, upper) : 0;
    if (trace.length === 0 || trace[trace.length - 1].lower !== lower || trace[trace.length - 1].upper !== upper) note(lower, upper);
    return {
      lower, upper, norm,
      witness: w && w.lower > 0 ? [w.a, w.b] : null,
      global: glob, local,
      certified: upper - lower <= s.eps * lower || upper === lower,
      boxes, time_s: elapsed(), trace,
    };
  };
  if (!box) {
    const r = s.globalSearchRadius;
    const lo = new Float64Array(n).fill(-r), hi = new Float64Array(n).fill(r);
    const w = searchLower(net, row, norm, lo, hi, rng, { samples: s.samples, ascentSteps: s.ascentSteps });
    return done(w, glob, null, 0);
  }
  if (box.lo.length !== n || box.hi.length !== n) throw new InputError(`the region has ${box.lo.length} values; the network takes ${n} inputs`);
  for (let i = 0; i < n; i++) if (!(box.lo[i] <= box.hi[i])) throw new InputError(`the region is empty or NaN at input ${i} (lo ${box.lo[i]} > hi ${box.hi[i]})`);
  // Work on the network restricted to the free coordinates (exact; see src/net/restrict.ts).
  if (freeCoordinatesOf(box.lo, box.hi).length === 0) return done(null, 0, 0, 1);
  const restricted = restrictToBox(net, box.lo, box.hi);
  const k = restricted.free.length;
  net = restricted.net;
  n = k;
  const lo = Float64Array.from(restricted.free, (i) => box.lo[i]), hi = Float64Array.from(restricted.free, (i) => box.hi[i]);
  const lift = (w: SecantWitness): SecantWitness => ({ lower: w.lower, a: restricted.lift(w.a), b: restricted.lift(w.b) });
  const globFree = Math.min(glob, globalLipschitz(net, row, norm).upper[0]);
  const mode = s.intermediate !== 'auto' ? s.intermediate : k <= 20 && net.nodes.some((nd) => nd.kind.lipschitz?.derivativeRange && !nd.kind.breakpoints) ? 'forward' : 'auto';
  const deadline = start + s.timeout * 1000;
  const cpuTimeout = s.cpuClock ? cpuDeadlineSignal(cpuStart + s.timeout * 1000) : null;
  const timeUp = () => (cpuTimeout ? cpuTimeout.aborted : performance.now() >= deadline);
  // Intermediate bounds are synchronous: they poll this between steps and throw its reason at
  // the deadline (a timer-based AbortSignal could not fire while they run).
  const TIMEOUT = new Error('lipschitz: timeout');
  const signal = { get aborted() { return timeUp(); }, reason: TIMEOUT } as unknown as AbortSignal;
  let best = searchLower(net, row, norm, lo, hi, rng, { samples: s.samples, ascentSteps: s.ascentSteps });
  let rootNodes;
  try {
    rootNodes = crownIntermediate({ net, region: { batch: 1, lo, hi }, intermediate: mode, signal });
  } catch (e) {
    if (e !== TIMEOUT) throw e;
    return done(lift(best), globFree, null, 1); // the timeout came first: the global bound stands
  }
  const rootLocal = localLipschitz(net, { batch: 1, lo, hi }, row, norm, { nodes: rootNodes, global: Float64Array.of(globFree), patterns: s.patterns, patternsMaxUnstable: s.patternsMaxUnstable, target: Float64Array.of(best.lower) });
  const rootUpper = rootLocal.dual[0];
  const closed = (lower: number, upper: number) => upper - lower <= s.eps * lower || upper <= lower;
  note(best.lower, rootUpper);
  if (closed(best.lower, rootUpper)) return done(lift(best), rootUpper, rootUpper, 1);

  /** Bound a batch of boxes: local upper bounds, and lower bounds from each box's centre and a few points. */
  const bound = (boxes: { lo: Float64Array; hi: Float64Array }[]): BoundedDomain<LipBox>[] => {
    const D = boxes.length;
    const blo = new Float64Array(D * n), bhi = new Float64Array(D * n);
    boxes.forEach((b, d) => { blo.set(b.lo, d * n); bhi.set(b.hi, d * n); });
    const region = { batch: D, lo: blo, hi: bhi };
    const nodes = crownIntermediate({ net, region, intermediate: mode, signal });
    const loc = localLipschitz(net, region, row, norm, { nodes, global: Float64Array.of(globFree), patterns: s.patterns, patternsMaxUnstable: s.patternsMaxUnstable, target: Float64Array.of(best.lower) });
    const per = 1 + s.childSamples;
    const xs = new Float64Array(D * per * n);
    for (let d = 0; d < D; d++) {
      for (let k = 0; k < per; k++) {
        for (let i = 0; i < n; i++) {
          const l = blo[d * n + i], h = bhi[d * n + i];
          xs[(d * per + k) * n + i] = l === h ? l : k === 0 ? 0.5 * l + 0.5 * h : Math.min(h, l + (h - l) * rng.next());
        }
      }
    }
    const grads = gradientsAt(net, row, xs, D * per);
    const out: BoundedDomain<LipBox>[] = [];
    const mask = new Uint8Array(n);
    for (let d = 0; d < D; d++) {
      // Secant pairs (the costly part) only around points whose gradient norm could raise the
      // best slope; the gradient only picks candidates, the pair's re-evaluation is the bound.
      for (let i = 0; i < n; i++) mask[i] = blo[d * n + i] < bhi[d * n + i] ? 1 : 0;
      const pick: number[] = [];
      for (let k = 0; k < per; k++) if (normUp(grads, (d * per + k) * n, n, q, mask) > best.lower) pick.push(d * per + k);
      if (pick.length === 0) continue;
      const px = new Float64Array(pick.length * n), pg = new Float64Array(pick.length * n);
      pick.forEach((k, j) => { px.set(xs.subarray(k * n, (k + 1) * n), j * n); pg.set(grads.subarray(k * n, (k + 1) * n), j * n); });
      const w = secantsAround(net, row, norm, blo.subarray(d * n, (d + 1) * n), bhi.subarray(d * n, (d + 1) * n), px, pg, pick.length);
      if (w.lower > best.lower) best = w;
    }
    for (let d = 0; d < D; d++) {
      const U = loc.dual[d];
      // A box whose bound is at most the best pair's slope cannot hold a steeper pair: dropped.
      if (U <= best.lower) continue;
      out.push({ domain: { lo: boxes[d].lo, hi: boxes[d].hi, perCoord: loc.perCoord.slice(d * n, (d + 1) * n) }, lower: -U });
    }
    return out;
  };

  /** Split along the free coordinate with the largest L_i·width_i (the widest when all L_i are 0). */
  const split = (b: LipBox): { lo: Float64Array; hi: Float64Array }[] => {
    let bi = -1, bv = -1, wi = -1, wv = -1;
    for (let i = 0; i < n; i++) {
      const w = b.hi[i] - b.lo[i];
      if (!(w > 0)) continue;
      const v = b.perCoord[i] * w;
      if (v > bv) { bv = v; bi = i; }
      if (w > wv) { wv = w; wi = i; }
    }
    const i = bv > 0 ? bi : wi;
    if (i < 0) return [];
    const mid = 0.5 * b.lo[i] + 0.5 * b.hi[i];
    if (!(mid > b.lo[i] && mid < b.hi[i])) return [];
    const h1 = Float64Array.from(b.hi); h1[i] = mid;
    const l2 = Float64Array.from(b.lo); l2[i] = mid;
    return [{ lo: b.lo, hi: h1 }, { lo: l2, hi: b.hi }];
  };

  const controller = new AbortController();
  const CHUNK = 8;
  let boxes = 1;
  // Boxes that cannot be split further (a float interval of one ulp) keep their bound here.
  let unsplittable = -Infinity;
  const upperOf = (st: BnbStats) => Math.max(best.lower, -st.globalLower, unsplittable);
  const result = await branchAndBound<LipBox>(
    {
      threshold: Infinity,
      roots: async () => [{ domain: { lo, hi, perCoord: rootLocal.perCoord.slice(0, n) }, lower: -rootUpper }],
      expand: async (parents) => {
        const kids: { lo: Float64Array; hi: Float64Array }[] = [];
        const parentOf: BoundedDomain<LipBox>[] = [];
        for (const p of parents) {
          const c = split(p.domain);
          if (c.length === 0) unsplittable = Math.max(unsplittable, -p.lower);
          for (const k of c) { kids.push(k); parentOf.push(p); }
        }
        // Bounded in chunks with the deadline checked between them (a batch may be slow on big
        // networks); children left at the deadline keep their parent's bound (they lie inside it).
        const children: BoundedDomain<LipBox>[] = [];
        for (let c0 = 0; c0 < kids.length; c0 += CHUNK) {
          if (timeUp()) {
            for (let k = c0; k < kids.length; k++) children.push({ domain: { ...kids[k], perCoord: parentOf[k].domain.perCoord }, lower: parentOf[k].lower });
            break;
          }
          const part = kids.slice(c0, c0 + CHUNK);
          let bounded: BoundedDomain<LipBox>[];
          try {
            bounded = bound(part);
          } catch (e) {
            if (e !== TIMEOUT) throw e;
            for (let k = c0; k < kids.length; k++) children.push({ domain: { ...kids[k], perCoord: parentOf[k].domain.perCoord }, lower: parentOf[k].lower });
            break;
          }
          boxes += part.length;
          children.push(...bounded);
        }
        return { children };
      },
    },
    { batch: s.batch, deadline: cpuTimeout ? Infinity : deadline, diveFraction: 0 },
    cpuTimeout ? cpuDeadlineSignal(cpuStart + s.timeout * 1000, controller.signal) : controller.signal,
    (st) => {
      const U = upperOf(st);
      note(best.lower, U);
      if (closed(best.lower, U)) controller.abort('closed');
    },
  );
  const upper = Math.min(rootUpper, upperOf(result.stats));
  return done(lift(best), upper, rootUpper, boxes);
}
