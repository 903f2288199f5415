import { BETA_DEFAULTS, betaCrown, splitDomainBounds, type BetaSettings } from '../bounds/beta.js';
import { tightenValueBounds } from '../bounds/alpha.js';
import { backwardBound, concretize, crownIntermediate } from '../bounds/crown.js';
import type { AlphaSet } from '../bounds/crown.js';
import { splitSetOf, type BatchRegion, type NodeBounds, type SplitSet } from '../bounds/types.js';
import type { NetNode, Network } from '../net/network.js';
import type { PropertyDisjunct } from '../spec/property.js';
import { gamma, magnitude } from '../bounds/fp.js';
import { prepare } from '../bounds/prepare.js';
import { rowsTimesTransposed } from '../net/ops/dense_impl.js';
import { giveBack, takeZeroed } from '../util/buffer_pool.js';
import { nextDown } from '../util/float.js';
import type { BoundedDomain } from './bnb.js';
import { babsrScore, boxObjective, stackDisjunct, TopCandidates, type Rows } from './box_bounding.js';
import type { WorkerTask } from './pool.js';

/**
 * ReLU-split domains for verify's branch and bound (networks with many inputs): a domain is the
 * property's whole input box restricted by a set of ReLU phase constraints (z_j ≥ 0 or z_j ≤ 0
 * on unstable pre-activations). Intermediate bounds are the root's (CROWN over the box), shared
 * by every domain and clamped by each domain's splits; the property's rows are bounded by
 * β-CROWN (src/bounds/beta.ts), α and β optimised per domain and row, warm-started from the
 * parent. Plain data in and out, so the bounding can run in worker threads.
 *
 * Smooth S-shaped ops (Sigmoid, Tanh: `inflection` 0) are split the same way, at 0: a split
 * clamps the element's input bounds to [max(l, 0), u] or [l, min(u, 0)], where the op is concave
 * or convex and its relaxation tight, and adds the same β term −s·β·z (sound for any op: the
 * split holds on the domain). An element whose interval no longer contains 0 is split again at
 * the point of its interval that minimises the two halves' relaxation areas (bounds only: the
 * children's `bounds` get u = p or l = p, no β term). They have no α (their relaxation has no
 * slope family). A smooth domain is only ever refuted by a bound > 0, never decided exact.
 */

/** A ReLU-split domain. */
export interface ReluDomain {
  /** The splits, triples (node index, element, sign): +1 for z ≥ 0 (active), −1 for z ≤ 0 (inactive). */
  splits: Int32Array;
  /** Per polytope: the best lower bound of max_r (C_r·y − d_r) proved on this domain or an ancestor (> 0: refuted). */
  polyLower: Float64Array;
  /** Rows whose α and β are stored (the rows of unrefuted polytopes when last bounded). */
  rows: Int32Array;
  /** Per stored row: α of every ReLU input element in layout order (rows × S; float32 suffices: any α in [0, 1] is valid). */
  alpha?: Float32Array;
  /** Per stored row: β of each split (rows × splits), same order as `splits`. */
  beta?: Float32Array;
  /** The unsplit unstable ReLU elements best worth splitting, best first: pairs (node index, element). */
  candidates?: Int32Array;
  /**
   * Per stored row (rows × candidates): the last pass's coefficient λ on each candidate ReLU's
   * output. Only a warm start for a new split's β (see splitReluDomain); never part of a bound.
   */
  candidateLambda?: Float32Array;
  /** Unstable ReLU elements not yet split (under the domain's bounds). */
  unstable: number;
  /**
   * Sound bounds of every ReLU input over this domain (2 × S: lower bounds in layout order, then
   * upper bounds), split elements clamped; absent: the root's. Children start from them.
   */
  bounds?: Float64Array;
  depth: number;
  /**
   * The layer (index into the ReLU layout) of the split that made this domain from its parent,
   * whose `bounds` it inherits: only the layers after it can tighten under the new split (the
   * earlier layers' bounds depend on earlier layers only and are the parent's). Absent: the
   * shallowest split's layer (a domain built without a parent's bounds).
   */
  newestLayer?: number;
}

/**
 * Whether branch and bound on ReLU splits may split this node's input elements at 0: ReLU-like
 * ops (a kink at 0), and smooth S-shaped ops whose inflection is at 0 (Sigmoid, Tanh).
 */
export function splittableAtZero(node: NetNode): boolean {
  return node.inputs.length === 1 && node.kind.relax !== undefined && (node.kind.breakpoints === 'relu' || node.kind.inflection === 0);
}

/** Where each splittable node's (see splittableAtZero) input elements sit in the flat α and bounds layout. */
export interface ReluLayout {
  nodes: number[];
  offsets: number[];
  sizes: number[];
  total: number;
}

export function reluLayout(net: Network): ReluLayout {
  const nodes: number[] = [], offsets: number[] = [], sizes: number[] = [];
  let total = 0;
  net.nodes.forEach((node, k) => {
    if (!splittableAtZero(node)) return;
    const size = net.values[node.inputs[0]].size;
    nodes.push(k); offsets.push(total); sizes.push(size);
    total += size;
  });
  return { nodes, offsets, sizes, total };
}

/** Memory the open ReLU-split domains of one search may take (the 4 GiB cap leaves room for the rest). */
const OPEN_DOMAIN_BYTES = 2 ** 31;

/**
 * How many open ReLU-split domains fit in OPEN_DOMAIN_BYTES for this network and disjunct: each
 * holds α (float32) for every row and ReLU element and its own ReLU input bounds (float64).
 */
export function reluOpenCap(net: Network, dj: PropertyDisjunct): number {
  const S = reluLayout(net).total, R = dj.outputs.reduce((a, p) => a + p.rows, 0);
  return Math.max(1000, Math.floor(OPEN_DOMAIN_BYTES / (4 * R * S + 16 * S + 512)));
}

/** The shared context of ReLU-split bounding: the network, rows, box and root bounds (batch 1). */
export interface ReluContext {
  net: Network;
  rows: Rows;
  lo: Float64Array;
  hi: Float64Array;
  root: NodeBounds;
  layout: ReluLayout;
}

/**
 * Root bounds of every value over the property's box: CROWN (backward passes), then, with
 * `alphaIterations` > 0, the input bounds of each ReLU-like op after the first tightened by
 * α-CROWN on rows ±e_j of its unstable elements (layer by layer, each using the tightened bounds
 * before it), intersected with CROWN's, until `alphaDeadline` (performance.now(); the layers
 * left share the time left evenly). Sound over the whole box: every α iterate is a CROWN bound
 * with valid slopes.
 */
export function reluRootContext(net: Network, dj: PropertyDisjunct, signal?: AbortSignal, alphaIterations = 0, alphaDeadline = Infinity): ReluContext {
  const region: BatchRegion = { batch: 1, lo: Float64Array.from(dj.box.lo), hi: Float64Array.from(dj.box.hi) };
  const root = crownIntermediate({ net, region, intermediate: 'backward', signal });
  const layout = reluLayout(net);
  // α-CROWN tightening needs a slope family (ReLU-like ops); smooth ops have none.
  if (alphaIterations > 0 && layout.nodes.some((k) => net.nodes[k].kind.breakpoints)) {
    layout.nodes.forEach((k, li) => {
      if (li === 0) return; // the first ReLU's input is affine in the input: CROWN is exact there
      if (signal?.aborted) return;
      const v = net.nodes[k].inputs[0], lo = root.lo[v]!, hi = root.hi[v]!, size = layout.sizes[li];
      const need: number[] = [];
      for (let j = 0; j < size; j++) if (lo[j] < 0 && hi[j] > 0) need.push(j);
      if (need.length === 0) return;
      // The time left for the α steps is shared evenly by the layers still to do.
      const left = (alphaDeadline - performance.now()) / (layout.nodes.length - li);
      tightenValueBounds(net, root, region, v, need, alphaIterations, signal, performance.now() + left);
      // Later values' interval bounds stay sound (the next op's backward passes use these).
    });
  }
  return { net, rows: stackDisjunct(dj, net.outputSize), lo: region.lo, hi: region.hi, root: { lo: root.lo, hi: root.hi }, layout };
}

/** Unstable ReLU input elements of the root bounds (lower < 0 < upper). */
export function rootUnstable(ctx: ReluContext): number {
  let count = 0;
  ctx.layout.nodes.forEach((k) => {
    const v = ctx.net.nodes[k].inputs[0], lo = ctx.root.lo[v]!, hi = ctx.root.hi[v]!;
    for (let j = 0; j < lo.length; j++) if (lo[j] < 0 && hi[j] > 0) count++;
  });
  return count;
}

/** Result of bounding a batch of ReLU-split domains. */
export interface ReluBatchResult {
  bounded: BoundedDomain<ReluDomain>[];
  /** Per domain: the input minimising its weakest row's linear bound (a counterexample candidate), or null. */
  candidates: (Float64Array | null)[];
  /** Backward passes run (one per slot and pass) — for the per-domain cost. */
  passes: number;
}


/**
 * Bounds of every value for a batch of domains: the root's, each ReLU input replaced by the
 * domain's own bounds when it has them, split elements clamped. With `rebound`, the ReLU inputs
 * of every layer after the domain's shallowest split are then tightened by CROWN under the
 * clamped bounds (rows ±e_j of the unstable unsplit elements, intersected; β = 0). Sound over
 * each domain (a domain is its region, its splits and its own `bounds`). Returns the bounds and per domain whether a clamp left lower > upper (the split
 * set is empty: proved, since every bound is sound).
 */
export function domainBounds(ctx: ReluContext, doms: ReluDomain[], rebound: boolean, signal?: AbortSignal, deadline = Infinity): { nb: NodeBounds; empty: Uint8Array } {
  const { net, layout } = ctx;
  const D = doms.length, S = layout.total;
  const splits: SplitSet = splitSetOf(net, doms.map((d) => d.splits)) ?? new Map();
  const nb = splitDomainBounds(net, ctx.root, new Map(), D);
  const empty = new Uint8Array(D);
  const clamp = (li: number) => {
    const k = layout.nodes[li], v = net.nodes[k].inputs[0], size = layout.sizes[li], sg = splits.get(k);
    const lo = nb.lo[v]!, hi = nb.hi[v]!;
    for (let d = 0; d < D; d++) {
      const b = doms[d].bounds;
      if (b) {
        for (let j = 0; j < size; j++) {
          const i = layout.offsets[li] + j;
          if (b[i] > lo[d * size + j]) lo[d * size + j] = b[i];
          if (b[S + i] < hi[d * size + j]) hi[d * size + j] = b[S + i];
        }
      }
      for (let j = 0; j < size; j++) {
        const i = d * size + j;
        if (sg) { if (sg[i] > 0) { if (lo[i] < 0) lo[i] = 0; } else if (sg[i] < 0) { if (hi[i] > 0) hi[i] = 0; } }
        // Also a domain's own bounds (e.g. a smooth element split at a point) may contradict.
        if (lo[i] > hi[i]) empty[d] = 1;
      }
    }
  };
  // Per domain, the layer after which its bounds get re-bounded: its newest split's when it
  // inherits its parent's bounds (earlier layers would come out the same), else its shallowest split's.
  const from = doms.map((d) => {
    if (d.newestLayer !== undefined && d.bounds) return d.newestLayer;
    let f = layout.nodes.length;
    for (let q = 0; q < d.splits.length; q += 3) f = Math.min(f, layout.nodes.indexOf(d.splits[q]));
    return f;
  });
  const first = from.reduce((a, f) => Math.min(a, f), layout.nodes.length);
  const n = net.inputSize;
  layout.nodes.forEach((k, li) => {
    if (rebound && li > first && !signal?.aborted && performance.now() < deadline) {
      const v = net.nodes[k].inputs[0], size = layout.sizes[li], lo = nb.lo[v]!, hi = nb.hi[v]!;
      const sg = splits.get(k);
      const open = (d: number, j: number) => lo[d * size + j] < 0 && hi[d * size + j] > 0 && !(sg && sg[d * size + j] !== 0);
      const need: number[][] = doms.map((_, d) => {
        const list: number[] = [];
        if (li <= from[d]) return list;
        for (let j = 0; j < size; j++) if (open(d, j)) list.push(j);
        return list;
      });
      const maxNeed = need.reduce((a, l) => Math.max(a, l.length), 0);
      if (maxNeed > 0) {
        const R = 2 * maxNeed;
        const A0 = new Float64Array(D * R * size);
        need.forEach((list, d) => list.forEach((j, i) => { A0[(d * R + 2 * i) * size + j] = 1; A0[(d * R + 2 * i + 1) * size + j] = -1; }));
        const rlo = new Float64Array(D * n), rhi = new Float64Array(D * n);
        for (let d = 0; d < D; d++) { rlo.set(ctx.lo, d * n); rhi.set(ctx.hi, d * n); }
        const second = li === 1 ? secondLayerPrep(ctx) : null;
        const { lower } = second ? secondLayerBounds(ctx, second, nb, { batch: D, lo: rlo, hi: rhi }, A0, R) : backwardBound(net, nb, { batch: D, lo: rlo, hi: rhi }, v, A0, R);
        need.forEach((list, d) => list.forEach((j, i) => {
          const l = lower[d * R + 2 * i], u = -lower[d * R + 2 * i + 1];
          if (l > lo[d * size + j]) lo[d * size + j] = l;
          if (u < hi[d * size + j]) hi[d * size + j] = u;
        }));
      }
    }
    clamp(li);
  });
  return { nb, empty };
}

/**
 * The root's share of re-bounding the second ReLU layer's input v2 (rows ±e_j) when the first
 * ReLU layer's input v1 is an affine function of the input (all ops before it affine) and v2 one
 * of the first layer's output: per context and thread, computed once.
 * - G, g, gErr: v1 as linear functions of the input, |v1_i − (G_i·x + g_i)| ≤ gErr_i on the box
 *   (the backward pass of rows ±e_i: its rounding allowance, the same for both signs);
 * - lam, M: for each row ±e_j of a root-unstable element j of v2, the coefficients on v1 after
 *   the first ReLU layer's root relaxation (lam, rows × size1) and Σ_i lam_i·G_i in float (M).
 * A domain's row differs from the root's only where its first-layer relaxation does (its splits):
 * its input coefficients are M plus those elements' terms (secondLayerBounds), not a product
 * with the whole first layer.
 */
export interface SecondLayerPrep {
  v1: number; v2: number; size1: number; size2: number;
  G: Float64Array; g: Float64Array; gErr: Float64Array;
  /** Σ_k |G_ik|·max(|lo_k|, |hi_k|) over the box. */
  w: Float64Array;
  /** Per element j of v2 and sign (2j: +e_j, 2j + 1: −e_j): its row in lam and M, or −1. */
  rowOf: Int32Array;
  lam: Float64Array;
  M: Float64Array;
}

const secondLayerCache = new WeakMap<ReluContext, SecondLayerPrep | null>();

export function secondLayerPrep(ctx: ReluContext): SecondLayerPrep | null {
  if (secondLayerCache.has(ctx)) return secondLayerCache.get(ctx)!;
  const { net, layout } = ctx;
  let out: SecondLayerPrep | null = null;
  const prep = prepare(net);
  const k1 = layout.nodes[0], k2 = layout.nodes[1];
  if (k2 !== undefined && net.nodes[k1].kind.breakpoints && net.inputIds.length === 1
    && prep.kind.slice(0, k1).every((kd) => kd === 'affine') && prep.kind.slice(k1 + 1, k2).every((kd) => kd === 'affine')) {
    const v1 = net.nodes[k1].inputs[0], v2 = net.nodes[k2].inputs[0];
    const size1 = net.values[v1].size, size2 = net.values[v2].size, n = net.inputSize;
    const region: BatchRegion = { batch: 1, lo: ctx.lo, hi: ctx.hi };
    const eye = (sign: number) => { const a = new Float64Array(size1 * size1); for (let i = 0; i < size1; i++) a[i * size1 + i] = sign; return a; };
    const plus = backwardBound(net, ctx.root, region, v1, eye(1), size1);
    const minus = backwardBound(net, ctx.root, region, v1, eye(-1), size1);
    // Both signs run the same operations on negated numbers: the same magnitudes (checked).
    let symmetric = true;
    for (let i = 0; i < plus.A.length && symmetric; i++) if (minus.A[i] !== -plus.A[i]) symmetric = false;
    for (let i = 0; i < size1 && symmetric; i++) if (minus.bias[i] !== -plus.bias[i] || !Number.isFinite(plus.err[i]) || !Number.isFinite(minus.err[i])) symmetric = false;
    if (symmetric) {
      const G = plus.A, g = plus.bias, gErr = new Float64Array(size1), w = new Float64Array(size1);
      const m = magnitude(ctx.lo, ctx.hi);
      for (let i = 0; i < size1; i++) {
        gErr[i] = Math.max(plus.err[i], minus.err[i]);
        let s = 0;
        for (let x = 0; x < n; x++) s += Math.abs(G[i * n + x]) * m[x];
        w[i] = s;
      }
      const lo2 = ctx.root.lo[v2]!, hi2 = ctx.root.hi[v2]!;
      const rowOf = new Int32Array(2 * size2).fill(-1);
      let rows = 0;
      for (let j = 0; j < size2; j++) if (lo2[j] < 0 && hi2[j] > 0) { rowOf[2 * j] = rows++; rowOf[2 * j + 1] = rows++; }
      const A0 = new Float64Array(rows * size2);
      for (let j = 0; j < size2; j++) if (rowOf[2 * j] >= 0) { A0[rowOf[2 * j] * size2 + j] = 1; A0[rowOf[2 * j + 1] * size2 + j] = -1; }
      let lam: Float64Array | null;
      try {
        lam = rows > 0 ? backwardBound(net, ctx.root, region, v2, A0, rows, { stopAt: v1 }).A.slice() : new Float64Array(0);
      } catch {
        lam = null; // some path from v2 bypasses v1 (e.g. a skip connection): no fast path
      }
      if (!lam) { secondLayerCache.set(ctx, null); return null; }
      const M = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < size1; i++) {
          const c = lam[r * size1 + i];
          if (c === 0) continue;
          const go = i * n, mo = r * n;
          for (let x = 0; x < n; x++) M[mo + x] += c * G[go + x];
        }
      }
      out = { v1, v2, size1, size2, G, g, gErr, w, rowOf, lam, M };
    }
  }
  secondLayerCache.set(ctx, out);
  return out;
}

/**
 * Sound lower bounds of rows A0 (D × R × size2, each ±e_j or zero) of the second ReLU layer's
 * input over each domain (bounds `nb`, box `region`), as backwardBound would give them up to
 * rounding: the backward pass stops at the first layer's input v1 (coefficients λ, constant c,
 * allowance e: row ≥ λ·v1 + c − e), and λ·v1 ≥ Σ_i λ_i·(G_i·x + g_i) − Σ_i |λ_i|·gErr_i. The
 * input coefficients Σ_i λ_i·G_i are the root row's M plus, for each element i where λ differs
 * from the root's, −lam_i·G_i + λ_i·G_i; their rounding (a sum of size1 + 2|S| products per
 * coefficient) is charged as γ·Σ_i w_i·(|lam_i| + [i ∈ S](|lam_i| + |λ_i|)), the constant's as
 * γ·(Σ|λ_i·g_i| + |c|), then the box minimum by concretize (its own rounding charged).
 */
export function secondLayerBounds(ctx: ReluContext, sp: SecondLayerPrep, nb: NodeBounds, region: BatchRegion, A0: Float64Array, R: number): { lower: Float64Array } {
  const { net } = ctx;
  const D = region.batch, n = net.inputSize, { size1, size2, G, g, gErr, w, rowOf, lam, M } = sp;
  const pass = backwardBound(net, nb, region, sp.v2, A0, R, { stopAt: sp.v1 });
  // One domain's input coefficients at a time (R × n: stays in cache), concretised per domain.
  const Ahat = takeZeroed(R * n), bias = new Float64Array(R), err = new Float64Array(R);
  const lower = new Float64Array(D * R);
  const unknown = new Uint8Array(D * R);
  const root = new Int32Array(R);
  const changed = new Uint8Array(size1);
  for (let d = 0; d < D; d++) {
    Ahat.fill(0);
    bias.fill(0);
    err.fill(0);
    // Each row's root row (which ±e_j it is; zero rows are padding: −1), and the elements where
    // some row's λ differs from its root row's (the domain's changed first-layer relaxations).
    changed.fill(0);
    for (let r = 0; r < R; r++) {
      const row = d * R + r;
      root[r] = -1;
      for (let q = 0; q < size2; q++) {
        const a = A0[row * size2 + q];
        if (a === 0) continue;
        root[r] = a === 1 ? rowOf[2 * q] : a === -1 ? rowOf[2 * q + 1] : -1;
        if (root[r] < 0) unknown[row] = 1;
        break;
      }
      if (root[r] < 0) continue;
      const lD = pass.A.subarray(row * size1, (row + 1) * size1), lR = lam.subarray(root[r] * size1, (root[r] + 1) * size1);
      for (let i = 0; i < size1; i++) if (lD[i] !== lR[i]) changed[i] = 1;
    }
    const S: number[] = [];
    for (let i = 0; i < size1; i++) if (changed[i]) S.push(i);
    const N = 2 * S.length;
    // Terms −lam_i·G_i and +λ_i·G_i for i in S, as one product: coefficients (R × N) times G_Sᵀ.
    const coef = new Float64Array(R * N), GT = new Float64Array(n * N);
    S.forEach((i, q) => { for (let x = 0; x < n; x++) { GT[x * N + 2 * q] = G[i * n + x]; GT[x * N + 2 * q + 1] = G[i * n + x]; } });
    for (let r = 0; r < R; r++) {
      const row = d * R + r;
      if (root[r] < 0) continue;
      const lD = pass.A.subarray(row * size1, (row + 1) * size1), lR = lam.subarray(root[r] * size1, (root[r] + 1) * size1);
      Ahat.set(M.subarray(root[r] * n, (root[r] + 1) * n), r * n);
      let weight = 0, gErrSum = 0, b = pass.bias[row], bMag = Math.abs(pass.bias[row]);
      for (let i = 0; i < size1; i++) {
        const ld = lD[i];
        weight += w[i] * Math.abs(lR[i]);
        gErrSum += Math.abs(ld) * gErr[i];
        b += ld * g[i];
        bMag += Math.abs(ld * g[i]);
      }
      S.forEach((i, q) => {
        coef[r * N + 2 * q] = -lR[i];
        coef[r * N + 2 * q + 1] = lD[i];
        weight += w[i] * (Math.abs(lR[i]) + Math.abs(lD[i]));
      });
      bias[r] = b;
      // Each coefficient is a sum of size1 + N products (M's and the updates'), in some order.
      err[r] = pass.err[row] + gErrSum + gamma(size1 + N + 1) * weight + gamma(size1 + 2) * bMag;
      if (!Number.isFinite(err[r])) unknown[row] = 1;
    }
    if (N > 0) rowsTimesTransposed(coef, R, N, GT, n, Ahat, true);
    const one: BatchRegion = { batch: 1, lo: region.lo.subarray(d * n, (d + 1) * n), hi: region.hi.subarray(d * n, (d + 1) * n) };
    lower.set(concretize(Ahat, bias, err, one, R), d * R);
  }
  giveBack(pass.A);
  giveBack(Ahat);
  for (let row = 0; row < D * R; row++) if (unknown[row]) lower[row] = -Infinity;
  return { lower };
}

/** The bounds of the given domains of a batch, each repeated for its slots (copies). */
function slotBounds(nb: NodeBounds, D: number, slotDom: number[], which: number[]): NodeBounds {
  const pick = (a: Float64Array | undefined) => {
    if (!a) return undefined;
    const size = a.length / D, out = new Float64Array(which.length * size);
    which.forEach((t, i) => out.set(a.subarray(slotDom[t] * size, (slotDom[t] + 1) * size), i * size));
    return out;
  };
  return { lo: nb.lo.map(pick), hi: nb.hi.map(pick) };
}

/**
 * Per affine node, |J|·m_in (m_in = max(|l|, |u|) of its inputs under `nb`), and per relax node,
 * max(|l|, |u|) of its input: the error weights every backward pass over these bounds charges
 * (backwardBound's absCache and magCache), for the D domains of `nb`. Exact functions of the bounds.
 */
function errorWeights(net: Network, nb: NodeBounds, D: number): { abs: Map<number, Float64Array>; mag: Map<number, Float64Array> } {
  const prep = prepare(net);
  const abs = new Map<number, Float64Array>(), mag = new Map<number, Float64Array>();
  net.nodes.forEach((node, k) => {
    if (prep.kind[k] === 'affine') {
      if (!node.inputs.every((i) => nb.lo[i] && nb.hi[i])) return;
      const a = new Float64Array(D * net.values[node.output].size);
      node.kind.absForward!(node.params, node.inputs.map((i) => magnitude(nb.lo[i]!, nb.hi[i]!)), a, D);
      abs.set(k, a);
    } else if (prep.kind[k] === 'relax') {
      const v = node.inputs[0];
      if (nb.lo[v] && nb.hi[v]) mag.set(k, magnitude(nb.lo[v]!, nb.hi[v]!));
    }
  });
  return { abs, mag };
}

/** The rows of per-domain arrays (D × size each) for the given slots: slot i gets its domain's row. */
function slotRows(m: Map<number, Float64Array>, D: number, slotDom: number[], which: number[]): Map<number, Float64Array> {
  const out = new Map<number, Float64Array>();
  for (const [k, a] of m) {
    const size = a.length / D, b = new Float64Array(which.length * size);
    which.forEach((t, i) => b.set(a.subarray(slotDom[t] * size, (slotDom[t] + 1) * size), i * size));
    out.set(k, b);
  }
  return out;
}

/** Iterations per round of boundReluDomains: slots refuted after a round leave the batch. */
const ROUND = 5;

/**
 * Bound a batch of ReLU-split domains by β-CROWN on the rows of their unrefuted polytopes
 * (one slot per domain and row, α and β warm-started from the domain's stored ones, new splits
 * with β = 0). The iterations run in rounds of a few steps; a slot whose row is refuted leaves
 * the batch after its round (early stop per row). A polytope's bound is the best of its rows'
 * (> 0 refutes it); a domain whose splits clamp some bound empty gets +∞. Sound: every number
 * is a β-CROWN bound with β ≥ 0 and valid α (see src/bounds/beta.ts), the rows' offsets added
 * rounding down. Past `deadline` (performance.now()) no further step or re-bounding starts: the
 * bounds are then those of fewer steps, still sound.
 */
export function boundReluDomains(ctx: ReluContext, doms: ReluDomain[], settings: Partial<BetaSettings>, candidateCount: number, signal?: AbortSignal, rebound = false, deadline = Infinity, catchUp = 0): ReluBatchResult {
  const { net, rows, layout } = ctx;
  const db = domainBounds(ctx, doms, rebound, signal, deadline);
  // The error weights per domain, once (the slots of a domain share its bounds).
  const weights = errorWeights(net, db.nb, doms.length);
  const n = net.inputSize, m = net.outputSize, S = layout.total;
  // Slots: (domain, row) for the rows of polytopes not yet refuted.
  const slotDom: number[] = [], slotRow: number[] = [], slotPoly: number[] = [];
  doms.forEach((d, k) => {
    rows.ranges.forEach(([a, b], p) => {
      if (d.polyLower[p] > 0) return;
      for (let r = a; r < b; r++) { slotDom.push(k); slotRow.push(r); slotPoly.push(p); }
    });
  });
  const T = slotDom.length;
  // Per slot: its best bound (with the row's offset), α (layout order) and β (per split of its domain), the last pass's coefficients.
  const lowerOf = new Float64Array(T).fill(-Infinity);
  const alphaOf = new Float64Array(T * S);
  const betaOf: Float64Array[] = slotDom.map((k) => new Float64Array(doms[k].splits.length / 3));
  const aOutOf = new Float64Array(T * S);
  const xOf = new Float64Array(T * n);
  const empty = new Uint8Array(T);
  const storedAt = (d: ReluDomain, r: number) => { for (let i = 0; i < d.rows.length; i++) if (d.rows[i] === r) return i; return -1; };
  const rootLo = (li: number) => ctx.root.lo[net.nodes[layout.nodes[li]].inputs[0]]!;
  const rootHi = (li: number) => ctx.root.hi[net.nodes[layout.nodes[li]].inputs[0]]!;
  // Warm starts.
  for (let t = 0; t < T; t++) {
    const d = doms[slotDom[t]], s = storedAt(d, slotRow[t]);
    if (d.alpha && s >= 0) alphaOf.set(d.alpha.subarray(s * S, (s + 1) * S), t * S);
    else {
      // CROWN's adaptive slope (1 when u > −l) on the root bounds.
      layout.nodes.forEach((_, li) => {
        const lo = rootLo(li), hi = rootHi(li), off = layout.offsets[li];
        for (let j = 0; j < layout.sizes[li]; j++) alphaOf[t * S + off + j] = hi[j] > -lo[j] ? 1 : 0;
      });
    }
    if (d.beta && s >= 0) {
      const stored = d.beta.length / d.rows.length;
      for (let q = 0; q < Math.min(stored, betaOf[t].length); q++) betaOf[t][q] = d.beta[s * stored + q];
    }
  }
  const iterations = settings.iterations ?? BETA_DEFAULTS.iterations;
  const lrA = settings.lrAlpha ?? BETA_DEFAULTS.lrAlpha, lrB = settings.lrBeta ?? BETA_DEFAULTS.lrBeta, decay = settings.decay ?? BETA_DEFAULTS.decay;
  let passes = 0;
  let active = Array.from({ length: T }, (_, t) => t);
  const out = net.outputIds[0];
  // Steps every slot gets, then (catch-up) up to iterations + catchUp for the slots still below
  // their parent's bound of their polytope (what a child inherits when it does no better).
  let limit = iterations;
  for (let done = 0; active.length > 0; ) {
    const steps = Math.min(ROUND, Math.max(0, limit - done));
    const A = active.length;
    const splits: SplitSet = splitSetOf(net, active.map((t) => doms[slotDom[t]].splits)) ?? new Map();
    const nb = slotBounds(db.nb, doms.length, slotDom, active);
    if (done === 0) for (const t of active) if (db.empty[slotDom[t]]) empty[t] = 1;
    const lo = new Float64Array(A * n), hi = new Float64Array(A * n);
    for (let i = 0; i < A; i++) { lo.set(ctx.lo, i * n); hi.set(ctx.hi, i * n); }
    const region: BatchRegion = { batch: A, lo, hi };
    const A0 = new Float64Array(A * m);
    active.forEach((t, i) => A0.set(rows.C.subarray(slotRow[t] * m, (slotRow[t] + 1) * m), i * m));
    const alphas: AlphaSet = new Map();
    layout.nodes.forEach((k, li) => {
      if (!net.nodes[k].kind.breakpoints) return; // smooth ops: no slope family
      const size = layout.sizes[li], off = layout.offsets[li];
      const a = new Float64Array(A * size);
      active.forEach((t, i) => a.set(alphaOf.subarray(t * S + off, t * S + off + size), i * size));
      alphas.set(k, a);
    });
    const betas = new Map<number, Float64Array>();
    for (const [k, sg] of splits) betas.set(k, new Float64Array(sg.length));
    active.forEach((t, i) => {
      const sp = doms[slotDom[t]].splits;
      for (let q = 0; q < sp.length; q += 3) {
        const size = net.values[net.nodes[sp[q]].inputs[0]].size;
        betas.get(sp[q])![i * size + sp[q + 1]] = betaOf[t][q / 3];
      }
    });
    const res = betaCrown(net, nb, region, out, A0, 1, splits, { ...settings, iterations: steps, stopAbove: Infinity, lrAlpha: lrA * decay ** done, lrBeta: lrB * decay ** done }, { alphas, betas }, signal, deadline,
      { abs: slotRows(weights.abs, doms.length, slotDom, active), mag: slotRows(weights.mag, doms.length, slotDom, active) });
    passes += res.passes * A;
    const rec = res.last.record!;
    active.forEach((t, i) => {
      const v = nextDown(res.lower[i] + rows.cOffset[slotRow[t]]);
      if (v > lowerOf[t]) lowerOf[t] = v;
      layout.nodes.forEach((k, li) => {
        const size = layout.sizes[li], off = layout.offsets[li];
        const a = res.alphas.get(k);
        if (a) alphaOf.set(a.subarray(i * size, (i + 1) * size), t * S + off);
        const ao = rec.aOut.get(k);
        if (ao) aOutOf.set(ao.subarray(i * size, (i + 1) * size), t * S + off);
      });
      const sp = doms[slotDom[t]].splits;
      for (let q = 0; q < sp.length; q += 3) {
        const size = net.values[net.nodes[sp[q]].inputs[0]].size;
        betaOf[t][q / 3] = res.betas.get(sp[q])![i * size + sp[q + 1]];
      }
      for (let x = 0; x < n; x++) xOf[t * n + x] = res.last.A[i * n + x] >= 0 ? ctx.lo[x] : ctx.hi[x];
    });
    done += steps;
    if (signal?.aborted || performance.now() > deadline) break;
    if (done >= limit) {
      if (limit > iterations || !(catchUp > 0)) break;
      limit = iterations + catchUp;
    }
    // A slot leaves once refuted, and while catching up once it passes its parent's bound.
    active = active.filter((t) => !(lowerOf[t] > 0) && !empty[t] && (limit === iterations || lowerOf[t] < doms[slotDom[t]].polyLower[slotPoly[t]]));
  }
  // Per domain: polytope bounds, stored α/β of the open rows, branching candidates, a candidate input.
  const slotsOf: number[][] = doms.map(() => []);
  for (let t = 0; t < T; t++) slotsOf[slotDom[t]].push(t);
  const bounded: BoundedDomain<ReluDomain>[] = [];
  const candidates: (Float64Array | null)[] = [];
  doms.forEach((d, k) => {
    const pl = Float64Array.from(d.polyLower);
    const slotBound = (t: number) => (empty[t] ? Infinity : lowerOf[t]);
    for (const t of slotsOf[k]) { const p = slotPoly[t], v = slotBound(t); if (v > pl[p]) pl[p] = v; }
    const open = slotsOf[k].filter((t) => !(pl[slotPoly[t]] > 0));
    const nSplits = d.splits.length / 3;
    const bounds = new Float64Array(2 * S);
    layout.nodes.forEach((kk, li) => {
      const v = net.nodes[kk].inputs[0], size = layout.sizes[li];
      bounds.set(db.nb.lo[v]!.subarray(k * size, (k + 1) * size), layout.offsets[li]);
      bounds.set(db.nb.hi[v]!.subarray(k * size, (k + 1) * size), S + layout.offsets[li]);
    });
    if (db.empty[k]) pl.fill(Infinity);
    const dom: ReluDomain = { splits: d.splits, polyLower: pl, rows: Int32Array.from(open, (t) => slotRow[t]), unstable: d.unstable, depth: d.depth, bounds };
    if (open.length > 0) {
      dom.alpha = new Float32Array(open.length * S);
      dom.beta = new Float32Array(open.length * nSplits);
      open.forEach((t, i) => { dom.alpha!.set(alphaOf.subarray(t * S, (t + 1) * S), i * S); dom.beta!.set(betaOf[t], i * nSplits); });
      // Branch on the weakest open row.
      let weakest = open[0];
      for (const t of open) if (slotBound(t) < slotBound(weakest)) weakest = t;
      const { cand, unstable } = reluCandidates(ctx, d.splits, bounds, aOutOf.subarray(weakest * S, (weakest + 1) * S), candidateCount);
      dom.candidates = cand;
      dom.unstable = unstable;
      const C = cand.length / 2;
      if (C > 0) {
        const lam = new Float32Array(open.length * C);
        for (let c = 0; c < C; c++) {
          const at = layout.offsets[layout.nodes.indexOf(cand[2 * c])] + cand[2 * c + 1];
          open.forEach((t, i) => { lam[i * C + c] = aOutOf[t * S + at]; });
        }
        dom.candidateLambda = lam;
      }
      candidates.push(xOf.slice(weakest * n, (weakest + 1) * n));
    } else candidates.push(null);
    bounded.push({ domain: dom, lower: boxObjective(pl) });
  });
  return { bounded, candidates, passes };
}

/**
 * BaBSR-style scores of a domain's unstable (unsplit) ReLU elements: |c_j|·(−l_j·u_j)/(u_j − l_j),
 * c_j the weakest row's coefficient on the ReLU's output (layout order), l, u the domain's bounds.
 * Returns the best `count` as pairs (node index, element), best first, and how many unstable
 * unsplit elements there are.
 */
function reluCandidates(ctx: ReluContext, splits: Int32Array, bounds: Float64Array, aOut: Float64Array, count: number): { cand: Int32Array; unstable: number } {
  const { layout } = ctx;
  const S = layout.total;
  const isSplit = new Set<number>();
  for (let q = 0; q < splits.length; q += 3) isSplit.add(layout.offsets[layout.nodes.indexOf(splits[q])] + splits[q + 1]);
  const best = new TopCandidates(count), later = new TopCandidates(count);
  let unstable = 0;
  layout.nodes.forEach((node, li) => {
    const size = layout.sizes[li], off = layout.offsets[li];
    const nd = ctx.net.nodes[node];
    if (!nd.kind.breakpoints) {
      // Smooth ops: elements straddling 0 first (split at 0, BaBSR's score: measured to pay over
      // |c|·gap there); then, when none is left, any element whose relaxation leaves a gap, by |c|·gap.
      for (let j = 0; j < size; j++) {
        const l = bounds[off + j], u = bounds[S + off + j];
        if (l < 0 && u > 0) {
          unstable++;
          best.offer(node, j, babsrScore(aOut[off + j], l, u));
          continue;
        }
        if (!(u - l > SMOOTH_MIN_WIDTH * (1 + Math.abs(l) + Math.abs(u)))) continue;
        const gap = relaxGap(nd, l, u);
        if (gap > SMOOTH_MIN_GAP) later.offer(node, j, Math.abs(aOut[off + j]) * gap + 1e-12 * (u - l));
      }
      return;
    }
    for (let j = 0; j < size; j++) {
      const l = bounds[off + j], u = bounds[S + off + j];
      if (!(l < 0 && u > 0) || isSplit.has(off + j)) continue;
      unstable++;
      best.offer(node, j, babsrScore(aOut[off + j], l, u));
    }
  });
  const cand = best.pairs();
  return { cand: cand.length > 0 ? cand : later.pairs(), unstable };
}

/** Smooth elements narrower than this (relative to 1 + |l| + |u|) are not split again. */
const SMOOTH_MIN_WIDTH = 1e-7;
/** Smooth elements whose relaxation gap is below this are not split again. */
const SMOOTH_MIN_GAP = 1e-9;

const gapScratch = Array.from({ length: 6 }, () => new Float64Array(1));

/**
 * The relaxation gap of a smooth op's element over [l, u]: the largest distance between its upper
 * and lower lines there (at an end of the interval: both are lines). A branching heuristic only.
 */
function relaxGap(node: NetNode, l: number, u: number): number {
  const [lo, hi, sl, bl, su, bu] = gapScratch;
  lo[0] = l; hi[0] = u;
  node.kind.relax!(node.params, lo, hi, null, sl, bl, su, bu);
  const at = (x: number) => su[0] * x + bu[0] - (sl[0] * x + bl[0]);
  const g = Math.max(at(l), at(u));
  return Number.isFinite(g) ? g : Infinity;
}

/**
 * Where to split a smooth element's interval [l, u] (0 not inside): the point among 7 interior
 * candidates that minimises the sum of the two halves' relaxation areas (gap at the ends times
 * width, halved). A heuristic: any point of (l, u) gives a sound split.
 */
export function smoothSplitPoint(node: NetNode, l: number, u: number): number {
  const area = (a: number, b: number) => {
    const [lo, hi, sl, bl, su, bu] = gapScratch;
    lo[0] = a; hi[0] = b;
    node.kind.relax!(node.params, lo, hi, null, sl, bl, su, bu);
    const gap = (x: number) => su[0] * x + bu[0] - (sl[0] * x + bl[0]);
    return 0.5 * (gap(a) + gap(b)) * (b - a);
  };
  let best = 0.5 * (l + u), bestArea = Infinity;
  for (let k = 1; k <= 7; k++) {
    const p = l + ((u - l) * k) / 8;
    if (!(p > l && p < u)) continue;
    const s = area(l, p) + area(p, u);
    if (s < bestArea) { bestArea = s; best = p; }
  }
  return best;
}

/**
 * The two children of a domain split on element (node, j): for ReLU-like ops (and smooth ops
 * whose interval contains 0) the split at 0, inactive side first, the new split's β starting at 0.
 * With `ctx`, a smooth element whose interval [l, u] (the domain's bounds) no longer contains 0
 * is split at smoothSplitPoint into [l, p] and [p, u] through the children's bounds.
 */
export function splitReluDomain(d: ReluDomain, node: number, j: number, ctx?: ReluContext, warmSplitBeta = true): [ReluDomain, ReluDomain] {
  if (ctx && !ctx.net.nodes[node].kind.breakpoints) {
    const { layout, net } = ctx, S = layout.total;
    const li = layout.nodes.indexOf(node), i = layout.offsets[li] + j;
    let base = d.bounds;
    if (!base) {
      base = new Float64Array(2 * S);
      layout.nodes.forEach((k, q) => {
        const w = net.nodes[k].inputs[0];
        base!.set(ctx.root.lo[w]!, layout.offsets[q]);
        base!.set(ctx.root.hi[w]!, S + layout.offsets[q]);
      });
    }
    const l = base[i], u = base[S + i];
    if (li >= 0 && !(l < 0 && u > 0) && u > l) {
      const p = smoothSplitPoint(net.nodes[node], l, u);
      const below = Float64Array.from(base), above = Float64Array.from(base);
      below[S + i] = p;
      above[i] = p;
      const make = (bounds: Float64Array): ReluDomain => ({ splits: d.splits, polyLower: d.polyLower, rows: d.rows, alpha: d.alpha, beta: d.beta, bounds, unstable: d.unstable, depth: d.depth + 1, newestLayer: li });
      return [make(below), make(above)];
    }
  }
  const li = ctx ? ctx.layout.nodes.indexOf(node) : -1;
  const make = (sign: number): ReluDomain => {
    const sp = new Int32Array(d.splits.length + 3);
    sp.set(d.splits);
    sp[d.splits.length] = node; sp[d.splits.length + 1] = j; sp[d.splits.length + 2] = sign;
    // β rows keep the parent's (the new split's β, past the end, reads as 0 unless warm-started).
    const beta = warmSplitBeta && ctx ? newSplitBeta(ctx, d, node, j, sign) ?? d.beta : d.beta;
    return { splits: sp, polyLower: d.polyLower, rows: d.rows, alpha: d.alpha, beta, bounds: d.bounds, unstable: d.unstable - 1, depth: d.depth + 1, ...(li >= 0 ? { newestLayer: li } : {}) };
  };
  return [make(-1), make(1)];
}

/**
 * The parent's β with the new split's β appended (rows × (splits + 1)), chosen so that the
 * child's first pass repeats the parent's treatment of the split element: with coefficient λ > 0
 * on its output and the parent's lower line of slope a (its α), the parent's term is λ·a·z; the
 * child's exact line on its side has slope s (ReLU: 0 inactive, 1 active), and the β term
 * −β·sign·z restores λ·a·z with β = λ·(a − s) on the inactive side, λ·(s − a) on the active one.
 * With λ ≤ 0 (the upper line in use) β stays 0. Only a starting point — every β ≥ 0 is sound — so
 * that a child does not start below its parent (with β = 0: 34 of 128 children of mnist-net_256x4
 * prop_3_0.03's weakest domains did, 16 with it). Undefined when the parent lacks the data.
 */
function newSplitBeta(ctx: ReluContext, d: ReluDomain, node: number, j: number, sign: number): Float32Array | undefined {
  const cand = d.candidates, lam = d.candidateLambda, alpha = d.alpha;
  const { layout, net } = ctx;
  const S = layout.total, li = layout.nodes.indexOf(node), relax = net.nodes[node].kind.relax;
  if (!cand || !lam || !alpha || d.rows.length === 0 || li < 0 || !relax) return undefined;
  const C = cand.length / 2;
  let c = 0;
  while (c < C && !(cand[2 * c] === node && cand[2 * c + 1] === j)) c++;
  if (c === C || lam.length !== d.rows.length * C || alpha.length !== d.rows.length * S) return undefined;
  const at = layout.offsets[li] + j, w = net.nodes[node].inputs[0];
  const l = d.bounds ? d.bounds[at] : ctx.root.lo[w]![j], u = d.bounds ? d.bounds[S + at] : ctx.root.hi[w]![j];
  if (!(l < 0 && u > 0)) return undefined;
  const [lo, hi, sl, bl, su, bu] = gapScratch;
  const params = net.nodes[node].params;
  // The child's exact slope on its side.
  lo[0] = sign < 0 ? l : 0; hi[0] = sign < 0 ? 0 : u;
  relax(params, lo, hi, null, sl, bl, su, bu);
  const side = sl[0];
  const R = d.rows.length, n = d.splits.length / 3;
  const stored = d.beta && d.beta.length === R * n ? d.beta : undefined;
  const beta = new Float32Array(R * (n + 1));
  lo[0] = l; hi[0] = u;
  for (let r = 0; r < R; r++) {
    if (stored) beta.set(stored.subarray(r * n, (r + 1) * n), r * (n + 1));
    const lr = lam[r * C + c];
    if (!(lr > 0)) continue;
    alphaScratch[0] = alpha[r * S + at];
    relax(params, lo, hi, alphaScratch, sl, bl, su, bu);
    const v = lr * (sign < 0 ? sl[0] - side : side - sl[0]);
    beta[r * (n + 1) + n] = v > 0 && Number.isFinite(v) ? v : 0;
  }
  return beta;
}

const alphaScratch = new Float64Array(1);

/** The root domain (no splits). */
export function rootReluDomain(ctx: ReluContext, P: number): ReluDomain {
  return { splits: new Int32Array(0), polyLower: new Float64Array(P).fill(-Infinity), rows: new Int32Array(0), unstable: rootUnstable(ctx), depth: 0 };
}

// ---- worker threads ---------------------------------------------------------------------------

/** What a ReLU-split job carries besides its domains. */
export interface ReluJobArgs {
  settings: Partial<BetaSettings>;
  candidateCount: number;
  rebound: boolean;
  /** performance.timeOrigin + the deadline: threads have different time origins. Infinity: none. */
  deadlineEpoch: number;
  /** Further steps for the slots still below their parent's bound after settings.iterations (0: none). */
  catchUp?: number;
}

/** The context as structured-cloneable data (the network travels separately, as JSON). */
export function reluContextData(ctx: ReluContext): Omit<ReluContext, 'net'> {
  return { rows: ctx.rows, lo: ctx.lo, hi: ctx.hi, root: ctx.root, layout: ctx.layout };
}

/** Bound a chunk of ReLU-split domains with a job's arguments (the main thread's share, or a worker's). */
export function boundReluJob(ctx: ReluContext, doms: ReluDomain[], a: ReluJobArgs, signal?: AbortSignal): ReluBatchResult {
  return boundReluDomains(ctx, doms, a.settings, a.candidateCount, signal, a.rebound, a.deadlineEpoch - performance.timeOrigin, a.catchUp ?? 0);
}

/** ReLU-split bounding as a worker task (registered as 'relu' in bound_worker.ts). */
export const RELU_TASK: WorkerTask<ReluContext, ReluDomain, ReluJobArgs, ReluBatchResult> = {
  init: (net, data) => ({ net, ...(data as Omit<ReluContext, 'net'>) }),
  bound: (ctx, doms, a) => boundReluJob(ctx, doms, a),
};

function sameInts(a: Int32Array, b: Int32Array): boolean {
  if (!(a instanceof Int32Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Check a worker's answer for a chunk before any of it is used: one bounded domain per domain
 * sent, each with the very split set that was sent and arrays of the right types and sizes.
 * A NaN bound becomes −∞ (NaN proves nothing). Returns null for malformed data.
 */
export function checkReluResult(res: unknown, sent: ReluDomain[]): ReluBatchResult | null {
  const r = res as ReluBatchResult | null;
  if (!r || typeof r !== 'object' || !Array.isArray(r.bounded) || !Array.isArray(r.candidates) || typeof r.passes !== 'number') return null;
  if (r.bounded.length !== sent.length || r.candidates.length !== sent.length) return null;
  for (let k = 0; k < sent.length; k++) {
    const b = r.bounded[k], d = b?.domain, s = sent[k];
    if (!d || typeof b.lower !== 'number' || (b.upper !== undefined && typeof b.upper !== 'number')) return null;
    if (!sameInts(d.splits, s.splits) || !(d.polyLower instanceof Float64Array) || d.polyLower.length !== s.polyLower.length) return null;
    if (!(d.rows instanceof Int32Array) || d.depth !== s.depth || typeof d.unstable !== 'number') return null;
    if (d.bounds !== undefined && !(d.bounds instanceof Float64Array)) return null;
    if ((d.alpha !== undefined && !(d.alpha instanceof Float32Array)) || (d.beta !== undefined && !(d.beta instanceof Float32Array))) return null;
    if (d.candidates !== undefined && !(d.candidates instanceof Int32Array)) return null;
    if (d.candidateLambda !== undefined && !(d.candidateLambda instanceof Float32Array)) return null;
    const c = r.candidates[k];
    if (c !== null && !(c instanceof Float64Array)) return null;
    if (Number.isNaN(b.lower)) b.lower = -Infinity;
    for (let p = 0; p < d.polyLower.length; p++) if (Number.isNaN(d.polyLower[p])) d.polyLower[p] = -Infinity;
  }
  return r;
}

/** Join the chunks' results in order. */
export function mergeReluResults(parts: ReluBatchResult[]): ReluBatchResult {
  return { bounded: parts.flatMap((r) => r.bounded), candidates: parts.flatMap((r) => r.candidates), passes: parts.reduce((s, r) => s + r.passes, 0) };
}
