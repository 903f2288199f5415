/**
 * Sound lower bounds of a {@link MinProblem} over a batch of boxes: the better of the linear
 * bound (CROWN, one backward pass of the objective rows) and the Lipschitz bound
 * h(c)↓ − Σ_i L_i·r_i (per-coordinate constants on the box from `localLipschitz`, r_i the
 * distance from the centre c to the box's faces, rounded up). Also a split score per
 * coordinate and which bound decided each box.
 */
import { crownIntermediate, backwardBound } from '../bounds/crown.js';
import { optimiseSlopes } from '../bounds/alpha.js';
import { gamma } from '../bounds/fp.js';
import type { BatchRegion, NodeBounds, SplitSet } from '../bounds/types.js';
import type { Network } from '../net/network.js';
import { addUp, nextDown, nextUp } from '../util/float.js';
import { combineRows, pointRows, type MinProblem } from './objective.js';
import { boxMissesBall, pullIntoRegion, type ReachRegion } from './region.js';
import { globalLipschitz } from '../lipschitz/global.js';
import { jacobianEnclosure } from '../lipschitz/interval_jacobian.js';

/** Global Lipschitz bounds per objective rows (R values), computed once per rows array: they cap the local ones. */
const globalCache = new WeakMap<Network, WeakMap<Float64Array, Float64Array>>();
function globalRows(net: Network, C: Float64Array): Float64Array {
  let byRows = globalCache.get(net);
  if (!byRows) globalCache.set(net, (byRows = new WeakMap()));
  let g = byRows.get(C);
  if (!g) byRows.set(C, (g = globalLipschitz(net, C, 'inf').upper));
  return g;
}

/** Which bound gave each box its lower bound. */
export type Decider = 'linear' | 'lipschitz' | 'empty';

export interface BoxBoundsOptions {
  /** Use the linear (CROWN) bound. Default true. */
  linear: boolean;
  /** Use the Lipschitz bound. Default true. */
  lipschitz: boolean;
  /**
   * α-CROWN steps on the objective rows (intermediate bounds fixed; every iterate is a sound
   * bound and the best is kept). 0: plain CROWN.
   */
  alphaIterations?: number;
  /**
   * ReLU splits of the batch's domains (each then only the part of its box where its split
   * elements are on their side; see relu_lp.ts). A split domain gets no Lipschitz bound (it need
   * not be convex) and +∞ when its splits contradict its bounds (empty).
   */
  splits?: SplitSet;
  /** Per domain: 1 when it has splits (with `splits`). */
  hasSplit?: Uint8Array;
}

export interface BoxBounds {
  /** D sound lower bounds of h over each box (−∞ when nothing is known, +∞ for a box outside the ball). */
  lower: Float64Array;
  decider: Decider[];
  /** D × n: how much coordinate i contributes to the bound's looseness (width × slope bound). */
  score: Float64Array;
  /** D × n box centres and D sound upper bounds of h there (witness values). */
  centers: Float64Array;
  centerUpper: Float64Array;
  /**
   * D × n corners minimising each box's deciding linear lower bound (the linear bound's own
   * candidate minimiser, often the true one on ReLU nets) and D sound upper bounds of h there;
   * undefined without the linear bound.
   */
  corners?: Float64Array;
  cornerUpper?: Float64Array;
  /**
   * The Lipschitz bound's expansion points (D·R × n, inside the boxes) and sound upper bounds of
   * h there (witness values), when the Lipschitz bound ran.
   */
  expansion?: Float64Array;
  expansionUpper?: Float64Array;
  /** D × R × n per-coordinate Lipschitz constants of the rows (when the Lipschitz bound ran). */
  perCoord?: Float64Array;
  /** Intermediate bounds of every value for the batch (children intersect theirs with them). */
  nodes?: NodeBounds;
}

const modes = new WeakMap<Network, 'auto' | 'forward'>();
/**
 * Intermediate bounds: forward-mode only for networks with few inputs (≤ 20, e.g. a restricted
 * image) and smooth activations (sigmoid, tanh: every neuron would get backward passes under
 * 'auto'); measured on ERAN's sigmoid 6×200 with 2/3 free pixels: 8.5 s / 14.7 s to certify
 * instead of 17 s / not within 20 s. ReLU networks keep 'auto' (backward passes for the
 * unstable neurons only).
 */
function intermediateMode(net: Network): 'auto' | 'forward' {
  let m = modes.get(net);
  if (!m) {
    const smooth = net.nodes.some((nd) => nd.kind.relax !== undefined && nd.kind.breakpoints === undefined && !nd.kind.isAffine?.(nd.params));
    m = smooth && net.inputSize <= 20 ? 'forward' : 'auto';
    modes.set(net, m);
  }
  return m;
}

/**
 * A signal that reads as aborted once performance.now() passes `deadline`: the bounding code
 * checks it between layers, so a long synchronous batch stops at the deadline (a timer could not
 * fire inside synchronous code).
 */
export function deadlineSignal(deadline: number, outer?: AbortSignal): AbortSignal {
  return {
    get aborted() { return performance.now() >= deadline || (outer?.aborted ?? false); },
    get reason() { return outer?.aborted ? outer.reason : 'timeout'; },
  } as AbortSignal;
}

/**
 * Bound h = combine_r(C_r·y + d_r) over D boxes (lo, hi: D × n). Sound: every x of box d (and
 * of the ball, when given) has h(x) ≥ lower[d] in real arithmetic. `parent` (D × size per
 * value): bounds known on a superset of each box (its parent's), intersected in.
 */
export function boundBoxes(net: Network, p: MinProblem, lo: Float64Array, hi: Float64Array, D: number, ball: ReachRegion['ball'], opts: BoxBoundsOptions, signal?: AbortSignal, parent?: NodeBounds): BoxBounds {
  const n = net.inputSize, m = net.outputSize, R = p.rows;
  const region: BatchRegion = { batch: D, lo, hi };
  if (ball) {
    const center = new Float64Array(D * n);
    for (let d = 0; d < D; d++) center.set(ball.center, d * n);
    region.ball = { center, radius: ball.radius, norm: ball.norm };
  }
  const lower = new Float64Array(D).fill(-Infinity);
  const decider: Decider[] = new Array(D).fill('linear');
  const score = new Float64Array(D * n);
  const centers = new Float64Array(D * n);
  for (let i = 0; i < D * n; i++) centers[i] = lo[i] === hi[i] ? lo[i] : 0.5 * lo[i] + 0.5 * hi[i];
  const cr = pointRows(net, p, centers, D);
  const centerUpper = combineRows(p, cr.upper, D);
  for (let d = 0; d < D; d++) if (!(centerUpper[d] === centerUpper[d])) centerUpper[d] = Infinity;

  let nodes: NodeBounds | undefined;
  let infeasible: Uint8Array | undefined;
  let corners: Float64Array | undefined, cornerUpper: Float64Array | undefined;
  const rowLower = new Float64Array(D * R);
  if (opts.linear || opts.lipschitz) {
    const nb = crownIntermediate({ net, region, nearKinkFraction: 0, signal, parent, intermediate: intermediateMode(net), splits: opts.splits });
    infeasible = nb.infeasible;
    nodes = nb;
    if (opts.linear) {
      const A0 = new Float64Array(D * R * m);
      for (let d = 0; d < D; d++) A0.set(p.C, d * R * m);
      // α-CROWN steps on the objective rows only (intermediate bounds fixed): cheap next to the
      // intermediate passes; every iterate is a sound bound and the best is kept.
      const iters = opts.alphaIterations ?? 0;
      const opt = iters > 0 ? optimiseSlopes(net, nb, region, net.outputIds[0], A0, R, { iterations: iters }, signal) : null;
      const res = opt ? { lower: opt.lower, A: opt.first.A } : backwardBound(net, nb, region, net.outputIds[0], A0, R);
      for (let i = 0; i < D * R; i++) {
        const v = nextDown(res.lower[i] + p.d[i % R]);
        rowLower[i] = v === v ? v : -Infinity;
      }
      const lin = combineRows(p, rowLower, D);
      corners = new Float64Array(D * n);
      for (let d = 0; d < D; d++) {
        // The row that gives the box's bound: the lowest for a min of rows, the highest for a max.
        let rb = 0;
        for (let r = 1; r < R; r++) {
          const v = rowLower[d * R + r], b = rowLower[d * R + rb];
          if (p.combine === 'min' ? v < b : v > b) rb = r;
        }
        for (let i = 0; i < n; i++) {
          const a = res.A[(d * R + rb) * n + i];
          corners[d * n + i] = a > 0 ? lo[d * n + i] : a < 0 ? hi[d * n + i] : centers[d * n + i];
        }
        if (lin[d] === lin[d]) lower[d] = lin[d];
        for (let i = 0; i < n; i++) {
          const w = hi[d * n + i] - lo[d * n + i];
          if (w === 0) continue;
          let a = 0;
          for (let r = 0; r < R; r++) a = Math.max(a, Math.abs(res.A[(d * R + r) * n + i]));
          score[d * n + i] = w * a;
        }
      }
    }
  }
  if (corners) {
    cornerUpper = combineRows(p, pointRows(net, p, corners, D).upper, D);
    for (let d = 0; d < D; d++) if (!(cornerUpper[d] === cornerUpper[d])) cornerUpper[d] = Infinity;
  }
  let perCoord: Float64Array | undefined;
  let expansion: Float64Array | undefined, expansionUpper: Float64Array | undefined;
  if (opts.lipschitz) {
    const mv = meanValueBounds(net, p, lo, hi, D, nodes!, ball);
    perCoord = mv.perCoord;
    expansion = mv.points;
    expansionUpper = mv.pointUpper;
    const lip = combineRows(p, mv.rowLower, D);
    for (let d = 0; d < D; d++) {
      // A split domain need not be convex: the mean-value form does not apply to it.
      if (opts.hasSplit?.[d]) continue;
      if (lip[d] > lower[d]) { lower[d] = lip[d]; decider[d] = 'lipschitz'; }
      for (let i = 0; i < n; i++) {
        const w = hi[d * n + i] - lo[d * n + i];
        if (w === 0) continue;
        let a = 0;
        for (let r = 0; r < R; r++) a = Math.max(a, perCoord[(d * R + r) * n + i]);
        // The Lipschitz term of coordinate i is exactly what splitting it halves.
        if (decider[d] === 'lipschitz' || !opts.linear) score[d * n + i] = w * a;
      }
    }
  }
  // Splits that contradict sound bounds leave nothing: the domain is empty.
  if (infeasible) for (let d = 0; d < D; d++) if (infeasible[d]) { lower[d] = Infinity; decider[d] = 'empty'; }
  if (ball) {
    for (let d = 0; d < D; d++) if (boxMissesBall(ball, lo, hi, d * n, n)) { lower[d] = Infinity; decider[d] = 'empty'; }
  }
  return { lower, decider, score, centers, centerUpper, corners, cornerUpper, expansion, expansionUpper, perCoord, nodes };
}

/**
 * Forward passes cheaper than this many multiply-adds also get the forward-mode interval
 * Jacobian (the threshold localLipschitz uses: tighter on narrow deep nets with few inputs).
 */
const FORWARD_JACOBIAN_COST = 1e5;

/**
 * The Lipschitz bound of each row over each box, in its mean-value form. With every partial
 * derivative of row r enclosed over the box, ∂_i g_r ∈ [gl_i, gu_i] (the interval Jacobian of
 * src/lipschitz, each op's derivative range from the intermediate bounds, capped by the global
 * constant: |∂_i g_r| ≤ L_global), Clarke's mean value theorem gives, for x in the box and any
 * expansion point e, g_r(x) − g_r(e) = Σ_i ζ_i (x_i − e_i) with ζ_i ∈ [gl_i, gu_i], hence
 *   g_r(x) ≥ g_r(e)↓ − Σ_i max(−gl_i·(hi_i − e_i), gu_i·(e_i − lo_i))   (each term ≥ 0).
 * e_i = lo_i where g_r is nondecreasing in x_i (gl_i ≥ 0), hi_i where nonincreasing (gu_i ≤ 0):
 * those terms vanish; otherwise e_i balances the two products,
 * e_i = (gu_i·lo_i − gl_i·hi_i)/(gu_i − gl_i). With e the centre this is the per-coordinate
 * Lipschitz bound g(c) − Σ_i L_i·r_i, L_i = max(|gl_i|, |gu_i|); the expansion point makes it
 * exact in every monotone coordinate. Distances are rounded up, products and the sum charged
 * with γ_{n+3}·1.0001, g_r(e) is a sound lower enclosure (interval evaluation on the point).
 * With a ball, the intermediate bounds hold on box ∩ ball only, so e is pulled into it (the
 * segment from e to any x of box ∩ ball then stays in that convex set); a row whose point cannot
 * be pulled surely inside gets −∞. Returns the D × R row bounds, the points (D·R × n, each inside
 * its box, and inside the ball when there is one and the row's bound is finite: witnesses too)
 * with a sound upper bound of h at each, and the per-coordinate constants L_i (D × R × n).
 */
export function meanValueBounds(net: Network, p: MinProblem, lo: Float64Array, hi: Float64Array, D: number, nodes: NodeBounds, ball?: ReachRegion['ball']): { rowLower: Float64Array; points: Float64Array; pointUpper: Float64Array; perCoord: Float64Array } {
  const n = net.inputSize, R = p.rows;
  const J = jacobianEnclosure(net, D, p.C, R, (node) => ({ lo: nodes.lo[node.inputs[0]]!, hi: nodes.hi[node.inputs[0]]! }), FORWARD_JACOBIAN_COST);
  const global = globalRows(net, p.C);
  const perCoord = new Float64Array(D * R * n);
  const points = new Float64Array(D * R * n);
  const slack = new Float64Array(D * R);
  for (let d = 0; d < D; d++) {
    const bl = lo.subarray(d * n, (d + 1) * n), bh = hi.subarray(d * n, (d + 1) * n);
    for (let r = 0; r < R; r++) {
      const o = (d * R + r) * n, cap = global[r] === global[r] ? global[r] : Infinity;
      for (let i = 0; i < n; i++) {
        const l = bl[i], h = bh[i];
        if (l === h) { points[o + i] = l; continue; }
        // NaN (an overflow) proves nothing: the whole range the global constant allows.
        let gl = J.lo[o + i], gu = J.hi[o + i];
        if (!(gl >= -cap)) gl = -cap;
        if (!(gu <= cap)) gu = cap;
        perCoord[o + i] = Math.max(-gl, gu);
        if (gl >= 0) points[o + i] = l;
        else if (gu <= 0) points[o + i] = h;
        else {
          const e = (gu * l - gl * h) / (gu - gl);
          points[o + i] = e >= l && e <= h ? e : 0.5 * l + 0.5 * h;
        }
      }
      // With a ball, the intermediate bounds (hence the derivative ranges) hold on box ∩ ball
      // only: the segment from e to x must stay there, so e must lie in that convex set.
      if (ball && !pullIntoRegion(ball, bl, bh, points, o)) { slack[d * R + r] = Infinity; continue; }
      let s = 0;
      for (let i = 0; i < n; i++) {
        const l = bl[i], h = bh[i];
        if (l === h) continue;
        let gl = J.lo[o + i], gu = J.hi[o + i];
        if (!(gl >= -cap)) gl = -cap;
        if (!(gu <= cap)) gu = cap;
        const e = points[o + i];
        s += Math.max(gl < 0 ? -gl * addUp(h, -e) : 0, gu > 0 ? gu * addUp(e, -l) : 0);
      }
      slack[d * R + r] = nextUp(s * (1 + gamma(n)));
    }
  }
  // Row r of box d is needed at its own point only; every row's enclosure there is computed.
  const at = pointRows(net, p, points, D * R);
  const rowLower = new Float64Array(D * R);
  for (let d = 0; d < D; d++) {
    for (let r = 0; r < R; r++) {
      const k = d * R + r;
      const v = nextDown(at.lower[k * R + r] - slack[k]);
      rowLower[k] = v === v ? v : -Infinity;
    }
  }
  const pointUpper = combineRows(p, at.upper, D * R);
  for (let k = 0; k < D * R; k++) if (!(pointUpper[k] === pointUpper[k])) pointUpper[k] = Infinity;
  return { rowLower, points, pointUpper, perCoord };
}
