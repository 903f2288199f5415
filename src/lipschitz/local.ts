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
      const v = normUp(perCoord, o, n, q, mask);
      dual[d * R + r] = v <= cap ? v : cap;
    }
  }
  return { dual, perCoord };
}
