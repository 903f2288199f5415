import { crownIntermediate } from '../bounds/crown.js';
import type { BatchRegion, Norm, NodeBounds } from '../bounds/types.js';
import type { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import { globalLipschitz } from './global.js';
import { jacobianEnclosure } from './interval_jacobian.js';
import { dualOf, normUp } from './norms.js';

export interface LocalLipschitzOptions {
  /** Intermediate bounds already computed for these boxes (D × size per value), to reuse. */
  nodes?: NodeBounds;
  /** Global bounds of the rows already computed (R values, see globalLipschitz): clamps the result. */
  global?: Float64Array;
  /**
   * Refine each box by activation patterns: up to this many partial patterns are evaluated per
   * box (see patternRefine), which is far tighter than the interval [a, 1] on boxes that a few
   * kinks cross. Default 0 (off).
   */
  patterns?: number;
  /** Per row: partial patterns whose bound is at most this are not split further (default 0). */
  target?: Float64Array;
  /** Only boxes with at most this many unstable ReLU-like elements are refined by patterns. Default 12. */
  patternsMaxUnstable?: number;
}

export interface LocalLipschitzResult {
  /** D × R: upper bound of sup_x ‖∇g_r(x)‖_q over the free coordinates (lo < hi), q dual to p. */
  dual: Float64Array;
  /** D × R × n: upper bound of sup_x |∂g_r/∂x_i| (0 for fixed coordinates). */
  perCoord: Float64Array;
}

/**
 * Sound upper bounds of the local Lipschitz constant of g_r = rows_r · y over each box of the
 * batch (a ball in `region` is ignored: its box hull is used).
 *
 * An interval Jacobian is propagated backwards (see interval_jacobian.ts) with every elementwise
 * op's derivative range taken from the intermediate bounds of src/bounds (CROWN with forward-mode
 * for few inputs; stable ReLUs exact), every product and sum rounded outward. By the mean value
 * theorem (Clarke's, for ReLU), |g(x) − g(x')| ≤ dual·‖x − x'‖_p for x, x' in the box, and
 * |∂g/∂x_i| ≤ perCoord_i. Both are clamped by the global bound (never above it). Coordinates with
 * lo = hi are fixed: they get perCoord 0 and do not enter the dual norm.
 */
export function localLipschitz(net: Network, region: BatchRegion, rows: Float64Array, norm: Norm, opts: LocalLipschitzOptions = {}): LocalLipschitzResult {
  const n = net.inputSize, m = net.outputSize;
  const D = region.batch;
  if (rows.length === 0 || rows.length % m !== 0) throw new InputError(`the objective rows have ${rows.length} values; expected a multiple of the ${m} outputs`);
  if (region.lo.length !== D * n || region.hi.length !== D * n) throw new InputError(`the region has ${region.lo.length / D} values; the network takes ${n} inputs`);
  for (let i = 0; i < region.lo.length; i++) {
    if (!(region.lo[i] <= region.hi[i])) throw new InputError(`the region is empty or NaN at input ${i % n} (lo ${region.lo[i]}, hi ${region.hi[i]})`);
  }
  const R = rows.length / m;
  const box: BatchRegion = { batch: D, lo: region.lo, hi: region.hi };
  const nodes = opts.nodes ?? crownIntermediate({ net, region: box });
  const { lo, hi } = jacobianEnclosure(net, D, rows, R, (node) => ({ lo: nodes.lo[node.inputs[0]]!, hi: nodes.hi[node.inputs[0]]! }), FORWARD_COST);
  const patterns = (opts.patterns ?? 0) > 0 ? Array.from({ length: D }, (_, d) => patternRefine(net, region, d, nodes, rows, R, norm, opts.patterns!, opts.patternsMaxUnstable ?? 12, opts.target)) : null;
  const global = opts.global ?? globalLipschitz(net, rows, norm).upper;
  const q = dualOf(norm);
  const dual = new Float64Array(D * R);
  const perCoord = new Float64Array(D * R * n);
  const mask = new Uint8Array(n);
  for (let d = 0; d < D; d++) {
    for (let i = 0; i < n; i++) mask[i] = region.lo[d * n + i] < region.hi[d * n + i] ? 1 : 0;
    for (let r = 0; r < R; r++) {
      const o = (d * R + r) * n;
      const cap = global[r] === global[r] ? global[r] : Infinity;
      for (let i = 0; i < n; i++) {
        if (!mask[i]) continue;
        const a = Math.abs(lo[o + i]), b = Math.abs(hi[o + i]);
        let v = a > b ? a : b;
        if (!(v <= cap)) v = cap; // NaN or above the global bound
        perCoord[o + i] = v;
      }
      let v = normUp(perCoord, o, n, q, mask);
      const pat = patterns?.[d];
      if (pat) {
        // Both bounds are sound: keep the smaller per coordinate and for the norm.
        for (let i = 0; i < n; i++) if (mask[i] && pat.perCoord[r * n + i] < perCoord[o + i]) perCoord[o + i] = pat.perCoord[r * n + i];
        if (pat.dual[r] < v) v = pat.dual[r];
      }
      dual[d * R + r] = v <= cap ? v : cap;
    }
  }
  return { dual, perCoord };
}

/**
 * The forward-mode enclosure is added when one forward pass costs at most this many
 * multiply-adds: narrow deep networks with few inputs (ACAS Xu: 75k), where it is the tighter
 * one; on wide ones (ERAN's sigmoid 6×200, mnist 256×2) it costs more than it gives.
 */
const FORWARD_COST = 1e5;

/** Bounds of the kinked elements' inputs of one domain, tiled for P patterns. */
interface PatternBatch {
  /** Per kinked value id: lo/hi of P patterns. */
  bounds: Map<number, { lo: Float64Array; hi: Float64Array }>;
}

/**
 * Refine one box's bound by activation patterns of its unstable ReLU-like elements (input bounds
 * straddling 0), split one element at a time, earliest op first: a partial pattern cuts each
 * assigned element's input bounds to [lo, 0] or [0, hi], so its derivative is one slope, and the
 * interval Jacobian of the partial pattern bounds every gradient of the points where the
 * assigned elements are on those sides. Almost every point of the box is on one side of every
 * element (kinks are a null set; where an input is 0 on an open set its own gradient is 0
 * there), and the Lipschitz constant of g over the box is the essential supremum of ‖∇g‖_q, so
 * the maximum over any cover of partial patterns is sound. A pattern whose bound is at most
 * `target` (every row) is not split further; after `maxEvals` evaluations the unevaluated
 * patterns count with their parent's bound. Returns null when no element (or more than
 * `maxUnstable`) is unstable.
 */
function patternRefine(net: Network, region: BatchRegion, d: number, nodes: NodeBounds, rows: Float64Array, R: number, norm: Norm, maxEvals: number, maxUnstable: number, target?: Float64Array): { dual: Float64Array; perCoord: Float64Array } | null {
  const n = net.inputSize;
  const q = dualOf(norm);
  const kinked = net.nodes.filter((nd) => nd.kind.breakpoints === 'relu').map((nd) => nd.inputs[0]);
  const unstable: { v: number; j: number }[] = [];
  for (const v of kinked) {
    const size = net.values[v].size;
    const lo = nodes.lo[v]!, hi = nodes.hi[v]!;
    for (let j = 0; j < size; j++) if (lo[d * size + j] < 0 && hi[d * size + j] > 0) unstable.push({ v, j });
  }
  const K = unstable.length;
  if (K === 0 || K > maxUnstable) return null;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = region.lo[d * n + i] < region.hi[d * n + i] ? 1 : 0;
  const dual = new Float64Array(R), perCoord = new Float64Array(R * n);
  const take = (dv: Float64Array, pc: Float64Array, o: number) => {
    for (let r = 0; r < R; r++) {
      const v = dv[o * R + r];
      if (!(v <= dual[r])) dual[r] = v === v ? v : Infinity;
      for (let i = 0; i < n; i++) { const c = pc[(o * R + r) * n + i]; if (!(c <= perCoord[r * n + i])) perCoord[r * n + i] = c === c ? c : Infinity; }
    }
  };
  // A partial pattern: +1 / −1 per unstable element assigned so far (0 free), with its parent's bounds.
  type Item = { sides: Int8Array; next: number; parentDual: Float64Array; parentPer: Float64Array };
  const rootSides = new Int8Array(K);
  let queue: Item[] = [];
  const split = (sides: Int8Array, next: number, pd: Float64Array, pp: Float64Array) => {
    for (const s of [1, -1]) { const c = Int8Array.from(sides); c[next] = s; queue.push({ sides: c, next: next + 1, parentDual: pd, parentPer: pp }); }
  };
  split(rootSides, 0, new Float64Array(R).fill(Infinity), new Float64Array(R * n).fill(Infinity));
  let evals = 0;
  const BATCH = 64;
  while (queue.length > 0) {
    if (evals >= maxEvals) {
      for (const it of queue) take(it.parentDual, it.parentPer, 0);
      break;
    }
    const batch = queue.splice(Math.max(0, queue.length - BATCH));
    const P = batch.length;
    evals += P;
    const pb: PatternBatch = { bounds: new Map() };
    for (const v of kinked) {
      if (pb.bounds.has(v)) continue;
      const size = net.values[v].size;
      const lo = new Float64Array(P * size), hi = new Float64Array(P * size);
      const sl = nodes.lo[v]!.subarray(d * size, (d + 1) * size), sh = nodes.hi[v]!.subarray(d * size, (d + 1) * size);
      for (let p = 0; p < P; p++) { lo.set(sl, p * size); hi.set(sh, p * size); }
      pb.bounds.set(v, { lo, hi });
    }
    batch.forEach((it, p) => {
      for (let e = 0; e < it.next; e++) {
        const { v, j } = unstable[e];
        const b = pb.bounds.get(v)!, size = net.values[v].size;
        if (it.sides[e] > 0) b.lo[p * size + j] = 0; else b.hi[p * size + j] = 0;
      }
    });
    const { lo, hi } = jacobianEnclosure(net, P, rows, R, (node) => pb.bounds.get(node.inputs[0]) ?? tile(nodes, node.inputs[0], net.values[node.inputs[0]].size, d, P), FORWARD_COST);
    const dv = new Float64Array(P * R), pc = new Float64Array(P * R * n);
    const mag = new Float64Array(n);
    for (let p = 0; p < P; p++) {
      for (let r = 0; r < R; r++) {
        const o = (p * R + r) * n;
        for (let i = 0; i < n; i++) {
          const a = Math.abs(lo[o + i]), b = Math.abs(hi[o + i]);
          mag[i] = mask[i] ? (a > b ? a : b) : 0;
          pc[o + i] = mag[i];
        }
        dv[p * R + r] = normUp(mag, 0, n, q, mask);
      }
    }
    batch.forEach((it, p) => {
      let done = it.next >= K;
      if (!done && target) {
        done = true;
        for (let r = 0; r < R; r++) if (!(dv[p * R + r] <= target[r])) { done = false; break; }
      }
      if (done) take(dv, pc, p);
      else split(it.sides, it.next, dv.slice(p * R, (p + 1) * R), pc.slice(p * R * n, (p + 1) * R * n));
    });
  }
  return { dual, perCoord };
}

/** Domain d's bounds of value v repeated P times. */
function tile(nodes: NodeBounds, v: number, size: number, d: number, P: number): { lo: Float64Array; hi: Float64Array } {
  const lo = new Float64Array(P * size), hi = new Float64Array(P * size);
  for (let p = 0; p < P; p++) { lo.set(nodes.lo[v]!.subarray(d * size, (d + 1) * size), p * size); hi.set(nodes.hi[v]!.subarray(d * size, (d + 1) * size), p * size); }
  return { lo, hi };
}
