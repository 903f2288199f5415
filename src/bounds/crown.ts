import type { Network } from '../net/network.js';
import { nextDown } from '../util/float.js';
import { giveBack, takeZeroed } from '../util/buffer_pool.js';
import { gamma, magnitude } from './fp.js';
import { clampSplitInput, initialBounds, intersectInPlace, nodeInterval } from './ibp.js';
import { ForwardLinear, forwardIntermediate } from './forward_linear.js';
import { prepare, unsupported, type PreparedNet } from './prepare.js';
import type { BatchRegion, BoundsRequest, BoundsResult, NodeBounds } from './types.js';

/**
 * Backward linear bound propagation (CROWN / DeepPoly) with rigorous floating-point error.
 *
 * For a target value t and rows A₀ (D domains × R rows × size_t), it computes for every
 * domain and row a lower bound of A₀·t that holds for every input of the domain, in real
 * arithmetic, although every step runs in float64:
 * - through an affine op, A ← A·J (the op's own transpose), bias += A·offset, and the
 *   rounding of both is charged as γ_n·|A|·(|J|·m_in + |offset|), m_in = max(|l|, |u|) of the
 *   op's input;
 * - through an elementwise nonlinearity, each coefficient picks the op's lower line when
 *   positive and its upper line when negative (the lines are sound in real arithmetic), and
 *   the rounding of A·s and of A·b is charged likewise;
 * - at the input, the linear function is minimised over the box (and over the ball with the
 *   dual norm, keeping the larger), the accumulated error and the concretisation's own
 *   γ_{n+1} term are subtracted, and the result steps down one ulp.
 */

/** What a backward pass records for α-CROWN's gradient (only when asked). */
export interface BackwardRecord {
  /** Per relax node index: the coefficients on its output (D × R × size). */
  aOut: Map<number, Float64Array>;
  /** Per relax node index: the lines used, per domain and row (D × R × size each). */
  lines: Map<number, { sl: Float64Array; bl: Float64Array; su: Float64Array; bu: Float64Array }>;
}

export interface BackwardResult {
  /** D × R sound lower bounds of the rows. */
  lower: Float64Array;
  /** D × R × n coefficients w.r.t. the input and D × R constants (before the error terms). */
  A: Float64Array;
  bias: Float64Array;
  /** D × R accumulated rounding-error allowance (already subtracted in `lower`). */
  err: Float64Array;
  record?: BackwardRecord;
}

/** Per relax node index: α (lower-line parameter) per domain, row and element (D × R × size). */
export type AlphaSet = Map<number, Float64Array>;

/**
 * β-CROWN's split terms (see src/bounds/beta.ts): per relax node index, the split signs of its
 * input (D × size: +1 for z ≥ 0, −1 for z ≤ 0, 0 free) and the multipliers β ≥ 0 (D × R × size).
 * A split element j adds −s_j·β_j·z_j to the bounded function, which is ≤ 0 wherever the split
 * holds, so a lower bound of the sum bounds the row there.
 */
export interface BetaTerms {
  signs: Map<number, Int8Array>;
  values: Map<number, Float64Array>;
}

/** Per-element error weights of the affine step (grown as needed; one thread, used within one step). */
let scratchW = new Float64Array(64);

/** One domain's relaxation lines and live elements per element count (backwardBound is not re-entrant). */
const scratchLines = new Map<number, { sl: Float64Array; bl: Float64Array; su: Float64Array; bu: Float64Array; live: Int32Array }>();
function linesScratch(size: number) {
  let t = scratchLines.get(size);
  if (!t) {
    t = { sl: new Float64Array(size), bl: new Float64Array(size), su: new Float64Array(size), bu: new Float64Array(size), live: new Int32Array(size) };
    scratchLines.set(size, t);
  }
  return t;
}

/**
 * The affine step's terms for rows aOut (D × R × size): bias += A·offset, err += γ·|A|·(|J|·m_in +
 * |offset|) per domain and row (a zero coefficient is skipped where a factor is not finite).
 */
function affineTerms(aOut: Float64Array, off: Float64Array, absOff: Float64Array, absFm: Float64Array, D: number, R: number, sizeOut: number, bias: Float64Array, err: Float64Array): void {
  const g = gamma(sizeOut + 1);
  let offFinite = true;
  for (let j = 0; j < sizeOut; j++) if (!Number.isFinite(off[j])) offFinite = false;
  const w = scratchW.length >= sizeOut ? scratchW : (scratchW = new Float64Array(sizeOut));
  for (let d = 0; d < D; d++) {
    const fo = d * sizeOut;
    let finite = offFinite;
    for (let j = 0; j < sizeOut; j++) {
      w[j] = absFm[fo + j] + absOff[j];
      if (!Number.isFinite(w[j])) finite = false;
    }
    for (let r = 0; r < R; r++) {
      const ro = (d * R + r) * sizeOut;
      let s = 0, e = 0;
      if (finite) {
        // A zero coefficient adds +0 to both sums when every factor is finite: the same sums
        // as skipping it, without a hard-to-predict branch per element.
        for (let j = 0; j < sizeOut; j++) {
          const a = aOut[ro + j];
          s += a * off[j];
          e += Math.abs(a) * w[j];
        }
      } else {
        for (let j = 0; j < sizeOut; j++) {
          const a = aOut[ro + j];
          if (a === 0) continue; // 0·∞ would be NaN
          s += a * off[j];
          e += Math.abs(a) * w[j];
        }
      }
      bias[d * R + r] += s;
      err[d * R + r] += g * e;
    }
  }
}

/**
 * Through an elementwise relaxation, rows [row0, row0 + count) (one domain, lines sl/bl/su/bu
 * of its live elements): each coefficient picks the lower line when positive, the upper when
 * negative; aIn += the new coefficients, bias += the lines' constants, err += γ·(|c|·m + |t|).
 *
 * `fused`: the relaxation is the only reader of an affine node's output and aIn is all zero on
 * entry, so the coefficients written are final: that node's terms (offset `off`, error weights
 * `w` = |J|·m_in + |offset|; the same γ, both ops having `size` elements) are added here too.
 */
function relaxRows(aOut: Float64Array, aIn: Float64Array, size: number, row0: number, count: number, live: Int32Array, nLive: number, sl: Float64Array, bl: Float64Array, su: Float64Array, bu: Float64Array, m: Float64Array, mo: number, g: number, bias: Float64Array, err: Float64Array, fused: { off: Float64Array; w: Float64Array } | null): void {
  const offA = fused ? fused.off : null, wA = fused ? fused.w : null;
  for (let i = row0; i < row0 + count; i++) {
    const ro = i * size;
    let s = 0, e = 0, sA = 0, eA = 0;
    for (let q = 0; q < nLive; q++) {
      const j = live[q];
      const a = aOut[ro + j];
      if (a === 0) continue;
      let c: number, t: number;
      if (a > 0) { c = a * sl[j]; t = a * bl[j]; } else { c = a * su[j]; t = a * bu[j]; }
      aIn[ro + j] += c;
      s += t;
      e += Math.abs(c) * m[mo + j] + Math.abs(t);
      // A zero coefficient would add +0 (finite factors) or NaN (0·∞): skipped either way.
      if (offA !== null && c !== 0) {
        sA += c * offA[j];
        eA += Math.abs(c) * wA![j];
      }
    }
    bias[i] += s;
    err[i] += g * e;
    if (fused) {
      bias[i] += sA;
      err[i] += g * eA;
    }
  }
}

/**
 * Sound lower bounds of the rows A₀ of value `target` over each domain, given bounds of every
 * value the propagation passes (`b` must hold the inputs of every nonlinear op before target).
 */
export function backwardBound(
  net: Network,
  b: NodeBounds,
  region: BatchRegion,
  target: number,
  A0: Float64Array,
  R: number,
  opts: {
    alphas?: AlphaSet; betas?: BetaTerms; record?: boolean; absCache?: Map<number, Float64Array>; magCache?: Map<number, Float64Array>;
    /**
     * Stop at this value instead of the input: `A` is then the coefficients on it (D × R × its
     * size), `bias` and `err` the terms of the steps after it (so rows·target ≥ A·v + bias − err
     * wherever the bounds hold, in real arithmetic), `lower` empty. Every path from the target
     * back must pass through it (else this throws).
     */
    stopAt?: number;
  } = {},
): BackwardResult {
  const prep = prepare(net);
  const D = region.batch;
  const A: (Float64Array | undefined)[] = new Array(net.values.length);
  A[target] = A0;
  const bias = new Float64Array(D * R);
  const err = new Float64Array(D * R);
  const record: BackwardRecord | undefined = opts.record ? { aOut: new Map(), lines: new Map() } : undefined;
  const last = prep.producer[target];
  // |J|·m_in of affine node k: depends only on its input bounds, final once computed (cached per bounding call).
  const absForwardOf = (k: number): Float64Array => {
    let absFm = opts.absCache?.get(k);
    if (!absFm) {
      const node = net.nodes[k];
      const mIn = node.inputs.map((i) => magnitude(b.lo[i]!, b.hi[i]!));
      absFm = new Float64Array(D * net.values[node.output].size);
      node.kind.absForward!(node.params, mIn, absFm, D);
      opts.absCache?.set(k, absFm);
    }
    return absFm;
  };
  // Affine nodes whose bias and rounding terms the relax node after them already added (see below).
  const termsDone = new Uint8Array(net.nodes.length);
  const stopAt = opts.stopAt;
  const stopNode = stopAt === undefined ? -1 : prep.producer[stopAt];
  for (let k = last; k >= 0; k--) {
    if (stopAt !== undefined && k <= stopNode) break;
    const node = net.nodes[k];
    const aOut = A[node.output];
    if (!aOut) continue;
    if (node.output !== target || !opts.record) A[node.output] = undefined;
    // Buffers this pass allocated (not the caller's rows, not a recorded one) go back after the step.
    const reusable = node.output !== target && !(record && prep.kind[k] === 'relax');
    const sizeOut = net.values[node.output].size;
    const rows = D * R;
    if (prep.kind[k] === 'affine') {
      if (!termsDone[k]) affineTerms(aOut, prep.offset[k]!, prep.absOffset[k]!, absForwardOf(k), D, R, sizeOut, bias, err);
      const gIns = node.inputs.map((i) => (A[i] ??= takeZeroed(rows * net.values[i].size)));
      node.kind.backward(node.params, [], aOut, aOut, gIns, rows);
    } else if (prep.kind[k] === 'relax') {
      const vin = node.inputs[0];
      const lo = b.lo[vin]!, hi = b.hi[vin]!;
      // max(|l|, |u|) of the input: final once computed, so callers may cache it per node (magCache).
      let m = opts.magCache?.get(k);
      if (!m) {
        m = magnitude(lo, hi);
        opts.magCache?.set(k, m);
      }
      const betaSign = opts.betas?.signs.get(k), betaVal = opts.betas?.values.get(k);
      // When this node is the only reader of an affine node's output, the coefficients it writes
      // are final: that node's bias and rounding terms (the same sums over the same elements in
      // the same order, zeros skipped) are added here, saving a pass over them.
      const pk = prep.producer[vin];
      const fused = pk >= 0 && prep.kind[pk] === 'affine' && prep.consumers[vin] === 1 && A[vin] === undefined && !(betaSign && betaVal) && vin !== stopAt;
      const aIn = (A[vin] ??= takeZeroed(rows * sizeOut));
      const { sl, bl, su, bu, live } = linesScratch(sizeOut);
      const alphas = opts.alphas?.get(k);
      const rec = record ? { sl: new Float64Array(rows * sizeOut), bl: new Float64Array(rows * sizeOut), su: new Float64Array(rows * sizeOut), bu: new Float64Array(rows * sizeOut) } : undefined;
      const g = gamma(sizeOut + 1);
      // The fused affine node's |J|·m_in and |offset| (its error weights, per domain, go to scratchW).
      const fusedAbs = fused ? { absFm: absForwardOf(pk), absOff: prep.absOffset[pk]! } : null;
      if (fused) termsDone[pk] = 1;
      if (fused && scratchW.length < sizeOut) scratchW = new Float64Array(sizeOut);
      const fusedRows = fused ? { off: prep.offset[pk]!, w: scratchW } : null;
      // Rows sharing one set of lines go through the kernel together (without α: all of a domain's rows).
      const perRow = !!alphas || !!rec || !!(betaSign && betaVal);
      for (let d = 0; d < D; d++) {
        const lo_d = lo.subarray(d * sizeOut, (d + 1) * sizeOut), hi_d = hi.subarray(d * sizeOut, (d + 1) * sizeOut);
        let nLive = sizeOut;
        if (!alphas) {
          node.kind.relax!(node.params, lo_d, hi_d, null, sl, bl, su, bu);
          nLive = 0;
          for (let j = 0; j < sizeOut; j++) if (sl[j] !== 0 || bl[j] !== 0 || su[j] !== 0 || bu[j] !== 0) live[nLive++] = j;
        } else for (let j = 0; j < sizeOut; j++) live[j] = j;
        if (fusedAbs) {
          const fo = d * sizeOut, { absFm, absOff } = fusedAbs, w = fusedRows!.w;
          for (let j = 0; j < sizeOut; j++) w[j] = absFm[fo + j] + absOff[j];
        }
        for (let r = 0; r < R; r += perRow ? 1 : R) {
          const ro = (d * R + r) * sizeOut;
          if (alphas) node.kind.relax!(node.params, lo_d, hi_d, alphas.subarray(ro, ro + sizeOut), sl, bl, su, bu);
          if (rec) { rec.sl.set(sl, ro); rec.bl.set(bl, ro); rec.su.set(su, ro); rec.bu.set(bu, ro); }
          const count = perRow ? 1 : R;
          relaxRows(aOut, aIn, sizeOut, d * R + r, count, live, nLive, sl, bl, su, bu, m, d * sizeOut, g, bias, err, fusedRows);
          if (betaSign && betaVal) {
            // The split terms −s_j·β_j·z_j (the rounding of the sum charged like the line's term).
            const so = d * sizeOut;
            let e = 0;
            for (let j = 0; j < sizeOut; j++) {
              const sg = betaSign[so + j], bv = betaVal[ro + j];
              if (sg === 0 || !(bv > 0)) continue;
              aIn[ro + j] -= sg * bv;
              e += bv * m[so + j];
            }
            err[d * R + r] += g * e;
          }
        }
      }
      if (record) { record.aOut.set(k, aOut); record.lines.set(k, rec!); }
    } else {
      unsupported(node, 'linear bound (CROWN)');
    }
    if (reusable) giveBack(aOut);
  }
  if (stopAt !== undefined) {
    for (let v = 0; v < A.length; v++) if (v !== stopAt && v !== target && A[v] !== undefined) throw new Error(`backwardBound: a path from value ${target} bypasses value ${stopAt}`);
    return { lower: new Float64Array(0), A: A[stopAt] ?? new Float64Array(D * R * net.values[stopAt].size), bias, err, record };
  }
  const n = net.inputSize;
  const Ain = A[net.inputIds[0]] ?? new Float64Array(D * R * n);
  const lower = concretize(Ain, bias, err, region, R);
  return { lower, A: Ain, bias, err, record };
}

/**
 * Sound lower bound of A·x + bias − err over each domain's region (D × R): the box minimum,
 * and for L2/L1 balls also A·x₀ − r·‖A‖_q, keeping the larger. Rounding of the sums is charged
 * as γ_{n+1}·(Σ|a_k|·max(|l_k|, |u_k|) + |bias|); the result steps down one ulp.
 */
export function concretize(A: Float64Array, bias: Float64Array, err: Float64Array, region: BatchRegion, R: number): Float64Array {
  const D = region.batch;
  const n = A.length / (D * R);
  const { lo, hi, ball } = region;
  const out = new Float64Array(D * R);
  const g = gamma(n + 1);
  for (let d = 0; d < D; d++) {
    const xo = d * n;
    for (let r = 0; r < R; r++) {
      const ao = (d * R + r) * n;
      const b = bias[d * R + r];
      let s = b, mag = Math.abs(b);
      for (let k = 0; k < n; k++) {
        const a = A[ao + k];
        if (a === 0) continue;
        const l = lo[xo + k], u = hi[xo + k];
        s += a > 0 ? a * l : a * u;
        const ml = Math.abs(l), mu = Math.abs(u);
        mag += Math.abs(a) * (ml > mu ? ml : mu);
      }
      let best = nextDown(s - err[d * R + r] - g * mag);
      if (ball && ball.norm !== 'inf') {
        let sc = b, magc = Math.abs(b), dual = 0;
        for (let k = 0; k < n; k++) {
          const a = A[ao + k];
          const c = ball.center[xo + k];
          sc += a * c;
          magc += Math.abs(a * c);
          if (ball.norm === '2') dual += a * a;
          else if (Math.abs(a) > dual) dual = Math.abs(a);
        }
        if (ball.norm === '2') dual = Math.sqrt(dual) * (1 + gamma(n));
        const viaBall = nextDown(sc - ball.radius * dual * (1 + 4 * 2 ** -53) - err[d * R + r] - g * magc);
        if (viaBall > best) best = viaBall;
      }
      // NaN (∞ − ∞ or 0·∞ after an overflow, or an infinite input bound) bounds nothing: −∞.
      out[d * R + r] = best === best ? best : -Infinity;
    }
  }
  return out;
}

/**
 * Stable ReLU-like inputs whose interval comes within this fraction of its width of the kink
 * also get backward passes: later layers' bounds are built from theirs (default of
 * `BoundsRequest.nearKinkFraction`; measured on ACAS Xu: without them some instances need 10×
 * more domains under interval propagation, but the same within 3 % under forward-mode bounds).
 */
const NEAR_KINK_FRACTION = 0.25;
/**
 * Per domain, the elements of a nonlinear op's input that need linear bounds: for ReLU-like ops
 * the unstable ones and the stable ones near the kink, every non-constant one otherwise.
 */
function elementsToTighten(net: Network, k: number, lo: Float64Array, hi: Float64Array, D: number, nearKink: number): number[][] {
  const node = net.nodes[k];
  const size = net.values[node.inputs[0]].size;
  const need: number[][] = [];
  for (let d = 0; d < D; d++) {
    const list: number[] = [];
    for (let j = 0; j < size; j++) {
      const l = lo[d * size + j], h = hi[d * size + j];
      if (node.kind.breakpoints ? l < 0 && h > 0 : h > l) list.push(j);
      else if (node.kind.breakpoints && Math.min(Math.abs(l), Math.abs(h)) < nearKink * (h - l)) list.push(j);
    }
    need.push(list);
  }
  return need;
}

/** Coefficients per chunk of an intermediate backward pass (rows × largest value size): 256 KiB of float64. */
const CHUNK_ELEMENTS = 1 << 15;

/** Views of domains [d0, d0 + count) of batched node bounds (no copy). */
function domainRange(b: NodeBounds, net: Network, d0: number, count: number): NodeBounds {
  const view = (a: Float64Array | undefined, v: number) => {
    if (!a) return undefined;
    const size = net.values[v].size;
    return a.subarray(d0 * size, (d0 + count) * size);
  };
  return { lo: b.lo.map(view), hi: b.hi.map(view) };
}

/** Networks with at most this many inputs get forward-mode intermediate bounds under 'auto'. */
export const FORWARD_MODE_MAX_INPUTS = 20;

/**
 * Tighten the bounds in `b` of relax node k's input by backward passes (rows ±e_j for each
 * domain's elements that need it), intersecting in place. `absAll`/`magAll` cache |J|·m_in per
 * affine node and max(|l|, |u|) per relax node for the whole batch (final once computed).
 */
function tightenInput(req: BoundsRequest, k: number, b: NodeBounds, absAll: Map<number, Float64Array>, magAll: Map<number, Float64Array>): void {
  const { net, region } = req;
  const prep = prepare(net);
  const D = region.batch;
  const nIn = net.inputSize;
  const maxValueSize = net.values.reduce((a, v) => Math.max(a, v.size), 1);
  const v = net.nodes[k].inputs[0];
  const size = net.values[v].size;
  // Each domain gets rows ±e_j for its own unstable elements (padded with zero rows,
  // which the kernels skip), not for the union over the batch.
  const need = elementsToTighten(net, k, b.lo[v]!, b.hi[v]!, D, req.nearKinkFraction ?? NEAR_KINK_FRACTION);
  const lo = b.lo[v]!, hi = b.hi[v]!;
  // |J|·m_in of the affine nodes before this one, for the whole batch: their inputs' bounds are final.
  for (let q = 0; q < k; q++) {
    if (prep.kind[q] !== 'affine' || absAll.has(q)) continue;
    const nd = net.nodes[q];
    const a = new Float64Array(D * net.values[nd.output].size);
    nd.kind.absForward!(nd.params, nd.inputs.map((i) => magnitude(b.lo[i]!, b.hi[i]!)), a, D);
    absAll.set(q, a);
  }
  for (let q = 0; q < k; q++) {
    if (prep.kind[q] !== 'relax' || magAll.has(q)) continue;
    const vin = net.nodes[q].inputs[0];
    magAll.set(q, magnitude(b.lo[vin]!, b.hi[vin]!));
  }
  // Chunks of domains small enough that a layer's coefficients stay in cache (the
  // passes are memory-bound otherwise); each chunk is padded to its own largest need.
  for (let d0 = 0; d0 < D; ) {
    let d1 = d0 + 1, maxNeed = need[d0].length;
    while (d1 < D) {
      const grown = Math.max(maxNeed, need[d1].length);
      if (2 * grown * maxValueSize * (d1 + 1 - d0) > CHUNK_ELEMENTS) break;
      maxNeed = grown;
      d1++;
    }
    const count = d1 - d0;
    if (maxNeed > 0) {
      const R = 2 * maxNeed;
      const A0 = takeZeroed(count * R * size);
      for (let d = d0; d < d1; d++) {
        const nd = need[d];
        for (let i = 0; i < nd.length; i++) {
          A0[((d - d0) * R + 2 * i) * size + nd[i]] = 1;
          A0[((d - d0) * R + 2 * i + 1) * size + nd[i]] = -1;
        }
      }
      const chunk = domainRange(b, net, d0, count);
      const chunkRegion: BatchRegion = { batch: count, lo: region.lo.subarray(d0 * nIn, d1 * nIn), hi: region.hi.subarray(d0 * nIn, d1 * nIn) };
      if (region.ball) chunkRegion.ball = { ...region.ball, center: region.ball.center.subarray(d0 * nIn, d1 * nIn) };
      const cache = new Map<number, Float64Array>();
      for (const [node, a] of absAll) {
        const sz = net.values[net.nodes[node].output].size;
        cache.set(node, a.subarray(d0 * sz, d1 * sz));
      }
      const magCache = new Map<number, Float64Array>();
      for (const [node, a] of magAll) {
        const sz = net.values[net.nodes[node].inputs[0]].size;
        magCache.set(node, a.subarray(d0 * sz, d1 * sz));
      }
      const { lower, A: aInput } = backwardBound(net, chunk, chunkRegion, v, A0, R, { absCache: cache, magCache });
      giveBack(A0);
      giveBack(aInput);
      for (let d = d0; d < d1; d++) {
        const nd = need[d];
        for (let i = 0; i < nd.length; i++) {
          const j = nd[i];
          const l = lower[(d - d0) * R + 2 * i], u = -lower[(d - d0) * R + 2 * i + 1];
          if (l > lo[d * size + j]) lo[d * size + j] = l;
          if (u < hi[d * size + j]) hi[d * size + j] = u;
        }
      }
    }
    d0 = d1;
  }
}

/**
 * Bounds of every value by IBP interleaved with CROWN: before each nonlinear op, the bounds of
 * its input are tightened by a backward pass (rows ±e_j for the elements that need it) and
 * intersected with the interval bounds, the splits and the parent's bounds.
 */
export function crownIntermediate(req: BoundsRequest): NodeBounds & { infeasible: Uint8Array } {
  const mode = req.intermediate ?? 'auto';
  if (mode === 'forward') return forwardIntermediate(req);
  const { net, region } = req;
  const prep: PreparedNet = prepare(net);
  const D = region.batch;
  const b = initialBounds(net, region);
  const inId = net.inputIds[0];
  const infeasible = new Uint8Array(D);
  const tightened = new Set<number>([inId]);
  // |J|·m_in per affine node and max(|l|, |u|) of each nonlinear op's input (D × size), computed
  // once the input bounds are final (every later backward pass reuses them).
  const absAll = new Map<number, Float64Array>();
  const magAll = new Map<number, Float64Array>();
  // With few inputs, forward linear bounds are cheap and far tighter than intervals: they
  // decide which neurons are unstable, so backward passes run only for those.
  const fwd = mode === 'auto' && net.inputSize <= FORWARD_MODE_MAX_INPUTS ? new ForwardLinear(req, b) : null;
  for (let k = 0; k < net.nodes.length; k++) {
    const node = net.nodes[k];
    if (req.signal?.aborted) throw req.signal.reason;
    if (prep.kind[k] === 'relax') {
      const v = node.inputs[0];
      if (!tightened.has(v)) {
        tightened.add(v);
        tightenInput(req, k, b, absAll, magAll);
      }
      clampSplitInput(net, k, b, req.splits?.get(k), infeasible, D);
    }
    if (fwd) fwd.step(k);
    else {
      nodeInterval(net, k, b, D);
      intersectInPlace(b.lo[node.output]!, b.hi[node.output]!, req.parent?.lo[node.output], req.parent?.hi[node.output]);
    }
  }
  return { ...b, infeasible };
}

/** Rows [C; −C] for every domain: lower bounds of −C·y are negated upper bounds of C·y. */
export function stackRows(C: Float64Array, R: number, m: number, D: number): Float64Array {
  const A0 = new Float64Array(D * 2 * R * m);
  for (let d = 0; d < D; d++) {
    const o = d * 2 * R * m;
    for (let i = 0; i < R * m; i++) {
      A0[o + i] = C[i];
      A0[o + R * m + i] = -C[i];
    }
  }
  return A0;
}

/** The identity rows over m outputs. */
export function identityRows(m: number): Float64Array {
  const C = new Float64Array(m * m);
  for (let i = 0; i < m; i++) C[i * m + i] = 1;
  return C;
}

/** Sound bounds of C·y from interval bounds of y (D × R each), rounding charged as in concretize. */
export function intervalRows(C: Float64Array, R: number, lo: Float64Array, hi: Float64Array, D: number): { lower: Float64Array; upper: Float64Array } {
  const m = C.length / R;
  const region: BatchRegion = { batch: D, lo, hi };
  const zeros = new Float64Array(D * 2 * R);
  const both = concretize(stackRows(C, R, m, D), zeros, zeros, region, 2 * R);
  return splitStacked(both, R, D);
}

/** Split D × 2R stacked lower bounds into lower and upper bounds of the R rows. */
export function splitStacked(both: Float64Array, R: number, D: number): { lower: Float64Array; upper: Float64Array } {
  const lower = new Float64Array(D * R), upper = new Float64Array(D * R);
  for (let d = 0; d < D; d++) {
    for (let r = 0; r < R; r++) {
      lower[d * R + r] = both[d * 2 * R + r];
      upper[d * R + r] = -both[d * 2 * R + R + r];
    }
  }
  return { lower, upper };
}

/** Add a constant per row (rounded outward) and intersect with other bounds of the same rows. */
export function finishRows(lower: Float64Array, upper: Float64Array, R: number, D: number, cOffset?: Float64Array, other?: { lower: Float64Array; upper: Float64Array }): void {
  for (let d = 0; d < D; d++) {
    for (let r = 0; r < R; r++) {
      const i = d * R + r;
      if (other) {
        if (other.lower[i] > lower[i]) lower[i] = other.lower[i];
        if (other.upper[i] < upper[i]) upper[i] = other.upper[i];
      }
    }
  }
  if (cOffset) {
    for (let d = 0; d < D; d++) {
      for (let r = 0; r < R; r++) {
        const i = d * R + r, c = cOffset[r];
        if (c === 0) continue;
        lower[i] = nextDown(lower[i] + c);
        upper[i] = -nextDown(-(upper[i] + c));
      }
    }
  }
}

/**
 * CROWN bounds of the rows C·y (+ cOffset) for a batch of domains: intermediate bounds by
 * interleaved IBP/CROWN, final rows by one backward pass of [C; −C], intersected with the
 * interval bounds of the rows. Sound (see the module comment); infeasible domains (emptied
 * by splits) get lower = +∞, upper = −∞.
 */
export function crown(req: BoundsRequest): BoundsResult {
  const { net, region } = req;
  const D = region.batch;
  const m = net.outputSize;
  const C = req.C ?? identityRows(m);
  const R = C.length / m;
  const nb = crownIntermediate(req);
  const out = net.outputIds[0];
  const res = backwardBound(net, nb, region, out, stackRows(C, R, m, D), 2 * R);
  const { lower, upper } = splitStacked(res.lower, R, D);
  finishRows(lower, upper, R, D, undefined, intervalRows(C, R, nb.lo[out]!, nb.hi[out]!, D));
  finishRows(lower, upper, R, D, req.cOffset);
  markInfeasible(lower, upper, nb.infeasible, R);
  const result: BoundsResult = { lower, upper, rows: R, nodes: nb };
  if (req.wantCoefficients) {
    const n = net.inputSize;
    result.A = new Float64Array(D * R * n);
    result.bias = new Float64Array(D * R);
    for (let d = 0; d < D; d++) {
      result.A.set(res.A.subarray(d * 2 * R * n, d * 2 * R * n + R * n), d * R * n);
      // The constant with the rounding allowance taken off, so the linear function is itself sound.
      for (let r = 0; r < R; r++) result.bias[d * R + r] = nextDown(res.bias[d * 2 * R + r] - res.err[d * 2 * R + r]);
    }
  }
  return result;
}

/** Domains emptied by their splits satisfy every claim: mark them with lower = +∞, upper = −∞. */
export function markInfeasible(lower: Float64Array, upper: Float64Array, infeasible: Uint8Array, R: number): void {
  for (let d = 0; d < infeasible.length; d++) {
    if (!infeasible[d]) continue;
    lower.fill(Infinity, d * R, (d + 1) * R);
    upper.fill(-Infinity, d * R, (d + 1) * R);
  }
}
