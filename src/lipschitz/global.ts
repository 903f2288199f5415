import { gamma } from '../bounds/fp.js';
import { unsupported } from '../bounds/prepare.js';
import type { Norm } from '../bounds/types.js';
import type { Network } from '../net/network.js';
import { addUp, mulUp, nextUp } from '../util/float.js';
import { intervalJacobian } from './interval_jacobian.js';
import { dualOf, normUp } from './norms.js';

/**
 * Global Lipschitz upper bounds (over all of input space) of objective rows g_r = rows_r · y.
 *
 * - `product`: products of per-op constants along the DAG. Every value v gets L_v, its
 *   Lipschitz constant as a function of the input (p-norm on both sides): the input has 1, an
 *   affine op with dynamic inputs i gets Σ_i ‖J_i‖·L_i (so a residual x + f(x) gets
 *   (1 + L(f))·L_x, never the norm of [I I] on the stacked pair), an elementwise op
 *   sup|f'|·L_in, a reshape L_in. The row enters through the last affine op when the output
 *   is affine (‖rowᵀJ_i‖_q·L_i), else as ‖row‖_q·L_y.
 * - `jacobian`: the interval Jacobian with every elementwise derivative over all of ℝ (ReLU
 *   [0, 1], σ' [0, 1/4]), dual norm of its magnitudes.
 * - `upper`: the smaller of the two. All three are sound (every rounding charged).
 */
export interface GlobalLipschitz {
  product: Float64Array;
  jacobian: Float64Array;
  upper: Float64Array;
}

const productCache = new WeakMap<Network, Map<Norm, Float64Array[]>>();

/** Per value id, its global Lipschitz constant as a function of the input in norm p (rounded up). */
export function valueConstants(net: Network, norm: Norm): Float64Array[] {
  let byNorm = productCache.get(net);
  if (!byNorm) productCache.set(net, (byNorm = new Map()));
  const cached = byNorm.get(norm);
  if (cached) return cached;
  const L: Float64Array[] = new Array(net.values.length);
  L[net.inputIds[0]] = Float64Array.of(1);
  for (const node of net.nodes) {
    const lip = node.kind.lipschitz;
    const inSizes = node.inputs.map((v) => net.values[v].size);
    let c: number;
    if (node.kind.reshapeOnly && node.inputs.length === 1) c = L[node.inputs[0]][0];
    else if (lip?.operatorNorm && node.kind.isAffine?.(node.params)) {
      c = 0;
      node.inputs.forEach((v, i) => {
        const op = lip.operatorNorm!(node.params, i, norm, inSizes, net.values[node.output].size);
        c = addUp(c, mulUp(op, L[v][0]));
      });
    } else if (lip?.maxSlope && node.inputs.length === 1) c = mulUp(lip.maxSlope(node.params), L[node.inputs[0]][0]);
    else unsupported(node, 'Lipschitz');
    L[node.output] = Float64Array.of(c);
  }
  byNorm.set(norm, L);
  return L;
}

/** Global upper bounds of the Lipschitz constant of each row (R × m) w.r.t. the p-norm of the input. Sound. */
export function globalLipschitz(net: Network, rows: Float64Array, norm: Norm): GlobalLipschitz {
  const m = net.outputSize;
  const R = rows.length / m;
  const q = dualOf(norm);
  const L = valueConstants(net, norm);
  const out = net.outputIds[0];
  const k = net.nodes.findIndex((nd) => nd.output === out);
  const last = k >= 0 ? net.nodes[k] : undefined;
  const product = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    const row = rows.subarray(r * m, (r + 1) * m);
    let viaRow = mulUp(normUp(row, 0, m, q), L[out][0]);
    const lip = last?.kind.lipschitz;
    if (last && lip?.jacobian && last.kind.isAffine?.(last.params)) {
      // rowᵀ·J_i for each dynamic input of the output op, its dual norm rounded up.
      const inSizes = last.inputs.map((v) => net.values[v].size);
      let s = 0;
      let ok = true;
      last.inputs.forEach((v, i) => {
        const J = lip.jacobian!(last.params, i, inSizes, m);
        if (!J) { ok = false; return; }
        const n = inSizes[i];
        const mag = new Float64Array(n), abs = new Float64Array(n);
        for (let j = 0; j < m; j++) {
          const c = row[j];
          if (c === 0) continue;
          for (let t = 0; t < n; t++) { const w = J[j * n + t]; mag[t] += c * w; abs[t] += Math.abs(c * w); }
        }
        const g = gamma(m + 1);
        for (let t = 0; t < n; t++) mag[t] = nextUp(Math.abs(mag[t]) + g * abs[t]);
        s = addUp(s, mulUp(normUp(mag, 0, n, q), L[v][0]));
      });
      if (ok && s < viaRow) viaRow = s;
    }
    product[r] = viaRow;
  }
  const jacobian = globalJacobianBound(net, rows, R, norm);
  const upper = new Float64Array(R);
  for (let r = 0; r < R; r++) upper[r] = Math.min(product[r], jacobian[r]);
  return { product, jacobian, upper };
}

/** sup over ℝⁿ of ‖∇g_r‖_q by the interval Jacobian with unbounded intermediate ranges (rounded up). */
function globalJacobianBound(net: Network, rows: Float64Array, R: number, norm: Norm): Float64Array {
  const q = dualOf(norm);
  const { lo, hi } = intervalJacobian(net, 1, rows, R, (node) => {
    const size = net.values[node.inputs[0]].size;
    return { lo: new Float64Array(size).fill(-Infinity), hi: new Float64Array(size).fill(Infinity) };
  });
  const n = net.inputSize;
  const res = new Float64Array(R);
  const mag = new Float64Array(n);
  for (let r = 0; r < R; r++) {
    for (let i = 0; i < n; i++) mag[i] = Math.max(Math.abs(lo[r * n + i]), Math.abs(hi[r * n + i]));
    res[r] = normUp(mag, 0, n, q);
  }
  return res;
}
