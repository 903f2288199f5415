import type { Norm } from '../bounds/types.js';
import { sumUp } from '../net/ops/lipschitz_impl.js';
import { addDown, addUp, nextUp } from '../util/float.js';

/**
 * Norm helpers with directed rounding. The Lipschitz constant of g w.r.t. the p-norm on the
 * input is sup ‖∇g‖_q with q the dual exponent (p = ∞ ↔ q = 1, 2 ↔ 2, 1 ↔ ∞).
 */

/** The dual norm's name: inf ↔ 1, 2 ↔ 2. */
export function dualOf(p: Norm): Norm {
  return p === 'inf' ? '1' : p === '1' ? 'inf' : '2';
}

/**
 * Upper bound of ‖v‖_norm over the coordinates where `mask` is 1 (all when mask is null), for
 * nonnegative entries |v_i| given in `a` starting at `offset`, n of them. Rounded up.
 */
export function normUp(a: Float64Array, offset: number, n: number, norm: Norm, mask: Uint8Array | null = null): number {
  let s = 0, count = 0;
  if (norm === 'inf') {
    for (let i = 0; i < n; i++) if (!mask || mask[i]) { const v = Math.abs(a[offset + i]); if (v > s) s = v; }
    return s;
  }
  if (norm === '1') {
    for (let i = 0; i < n; i++) if (!mask || mask[i]) { s += Math.abs(a[offset + i]); count++; }
    return count <= 1 ? s : sumUp(s, count);
  }
  for (let i = 0; i < n; i++) if (!mask || mask[i]) { const v = a[offset + i]; s += v * v; count++; }
  return nextUp(Math.sqrt(sumUp(s, count)));
}

/**
 * Lower bound of ‖x − y‖_norm (over the masked coordinates), for secant slopes: each |x_i − y_i|
 * rounded down, squares and sums rounded down.
 */
export function distanceDown(x: Float64Array, xo: number, y: Float64Array, yo: number, n: number, norm: Norm): number {
  let s = 0;
  const diff = (i: number) => {
    const a = x[xo + i], b = y[yo + i];
    return a >= b ? addDown(a, -b) : addDown(b, -a);
  };
  if (norm === 'inf') {
    for (let i = 0; i < n; i++) { const d = diff(i); if (d > s) s = d; }
    return s;
  }
  if (norm === '1') {
    for (let i = 0; i < n; i++) s += diff(i);
    return s * (1 - 4 * (n + 2) * 2 ** -53);
  }
  for (let i = 0; i < n; i++) { const d = diff(i); s += d * d; }
  const r = Math.sqrt(s * (1 - 4 * (n + 2) * 2 ** -53));
  return r * (1 - 4 * 2 ** -53);
}

/** Upper bound of ‖x − y‖_norm (see distanceDown). */
export function distanceUp(x: Float64Array, xo: number, y: Float64Array, yo: number, n: number, norm: Norm): number {
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = x[xo + i], b = y[yo + i];
    d[i] = a >= b ? addUp(a, -b) : addUp(b, -a);
  }
  return normUp(d, 0, n, norm);
}
