import { crownIntermediate } from '../bounds/crown.js';
import type { BatchRegion, Norm, NodeBounds } from '../bounds/types.js';
import type { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import { globalLipschitz } from './global.js';
import { intervalJacobian } from './interval_jacobian.js';
import { dualOf, normUp } from './norms.js';

export interface LocalLipschitzOptions {
  /** Intermediate bounds already computed for these boxes (D × size per value), to reuse. */
  nodes?: NodeBounds;
  /** Global bounds of the rows already computed (R values, see globalLipschitz): clamps the result. */
  global?: Float64Array;
  /**
   * Boxes with at most this many unstable ReLU-like elements also get the maximum over their
   * activation patterns (each unstable element's derivative fixed to one of its two slopes),
   * which is tighter than the interval [a, 1] on boxes that a kink crosses. Default 0 (off).
   */
  enumerate?: number;
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
  const { lo, hi } = intervalJacobian(net, D, rows, R, (node) => ({ lo: nodes.lo[node.inputs[0]]!, hi: nodes.hi[node.inputs[0]]! }));
  const patterns = (opts.enumerate ?? 0) > 0 ? patternBounds(net, region, nodes, rows, R, norm, opts.enumerate!) : null;
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
 * Per domain with 1..maxUnstable unstable ReLU-like elements: the interval Jacobian for every
 * activation pattern of those elements (an unstable element's input bounds cut to [lo, 0] or
 * [0, hi], so its derivative range is one slope), and per row the largest dual norm and
 * per-coordinate magnitude over the patterns. Sound: almost every point of the box has each
 * element on one side, where the gradient is the product with that side's slope (kinks are a
 * null set, and where an input is 0 on an open set its own gradient is 0 there).
 */
function patternBounds(net: Network, region: BatchRegion, nodes: NodeBounds, rows: Float64Array, R: number, norm: Norm, maxUnstable: number): ({ dual: Float64Array; perCoord: Float64Array } | null)[] {
  const n = net.inputSize, D = region.batch;
  const q = dualOf(norm);
  const kinked = net.nodes.filter((nd) => nd.kind.breakpoints === 'relu');
  const out: ({ dual: Float64Array; perCoord: Float64Array } | null)[] = [];
  const mask = new Uint8Array(n);
  for (let d = 0; d < D; d++) {
    const unstable: { v: number; j: number }[] = [];
    for (const nd of kinked) {
      const v = nd.inputs[0], size = net.values[v].size;
      const lo = nodes.lo[v]!, hi = nodes.hi[v]!;
      for (let j = 0; j < size; j++) if (lo[d * size + j] < 0 && hi[d * size + j] > 0) unstable.push({ v, j });
    }
    if (unstable.length === 0 || unstable.length > maxUnstable) { out.push(null); continue; }
    const P = 1 << unstable.length;
    const bounds = new Map<number, { lo: Float64Array; hi: Float64Array }>();
    for (const nd of kinked) {
      const v = nd.inputs[0], size = net.values[v].size;
      const lo = new Float64Array(P * size), hi = new Float64Array(P * size);
      for (let p = 0; p < P; p++) { lo.set(nodes.lo[v]!.subarray(d * size, (d + 1) * size), p * size); hi.set(nodes.hi[v]!.subarray(d * size, (d + 1) * size), p * size); }
      bounds.set(v, { lo, hi });
    }
    unstable.forEach(({ v, j }, bit) => {
      const b = bounds.get(v)!, size = net.values[v].size;
      for (let p = 0; p < P; p++) {
        if ((p >> bit) & 1) b.lo[p * size + j] = 0; else b.hi[p * size + j] = 0;
      }
    });
    const { lo, hi } = intervalJacobian(net, P, rows, R, (node) => bounds.get(node.inputs[0]) ?? tile(nodes, node.inputs[0], net.values[node.inputs[0]].size, d, P));
    for (let i = 0; i < n; i++) mask[i] = region.lo[d * n + i] < region.hi[d * n + i] ? 1 : 0;
    const dual = new Float64Array(R), perCoord = new Float64Array(R * n);
    const mag = new Float64Array(n);
    for (let p = 0; p < P; p++) {
      for (let r = 0; r < R; r++) {
        const o = (p * R + r) * n;
        for (let i = 0; i < n; i++) {
          const a = Math.abs(lo[o + i]), b = Math.abs(hi[o + i]);
          mag[i] = mask[i] ? (a > b ? a : b) : 0;
          if (!(mag[i] <= perCoord[r * n + i])) perCoord[r * n + i] = mag[i] === mag[i] ? mag[i] : Infinity;
        }
        const v = normUp(mag, 0, n, q, mask);
        if (!(v <= dual[r])) dual[r] = v === v ? v : Infinity;
      }
    }
    out.push({ dual, perCoord });
  }
  return out;
}

/** Domain d's bounds of value v repeated P times. */
function tile(nodes: NodeBounds, v: number, size: number, d: number, P: number): { lo: Float64Array; hi: Float64Array } {
  const lo = new Float64Array(P * size), hi = new Float64Array(P * size);
  for (let p = 0; p < P; p++) { lo.set(nodes.lo[v]!.subarray(d * size, (d + 1) * size), p * size); hi.set(nodes.hi[v]!.subarray(d * size, (d + 1) * size), p * size); }
  return { lo, hi };
}
