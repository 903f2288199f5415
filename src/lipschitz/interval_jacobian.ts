import { gamma } from '../bounds/fp.js';
import { unsupported } from '../bounds/prepare.js';
import type { Network, NetNode } from '../net/network.js';
import { addDown, addUp, mulDown, mulUp, nextDown, nextUp } from '../util/float.js';

/**
 * Interval Jacobians of objective rows, propagated backwards through the DAG.
 *
 * For each domain d and row r (g_r = rows_r · y) it returns intervals [lo, hi] over the input
 * (D × R × n) that hold every (Clarke) gradient of g_r at every point of the domain, in real
 * arithmetic:
 * - at the output, the row itself (exact);
 * - through an affine op (its exact stored Jacobian J from `lipschitz.jacobian`), the interval
 *   product Jᵀ·[lo, hi], with γ_{n+1}·Σ|J|·max(|lo|, |hi|) added outward and one ulp;
 * - through an elementwise op, the product with its derivative range over the domain's bounds
 *   of its input (`lipschitz.derivativeRange`), each product rounded outward (mulDown/mulUp);
 * - where a value feeds several ops (a residual), the contributions add with addDown/addUp.
 */

/** Bounds of an elementwise op's input per domain (D × size), giving the derivative ranges. */
export type InputBoundsOf = (node: NetNode, k: number) => { lo: Float64Array; hi: Float64Array };

/** Add [lo, hi] into the accumulator [aLo, aHi] rounded outward. */
function accumulate(aLo: Float64Array, aHi: Float64Array, lo: Float64Array, hi: Float64Array, first: boolean): void {
  if (first) { aLo.set(lo); aHi.set(hi); return; }
  for (let i = 0; i < lo.length; i++) {
    aLo[i] = addDown(aLo[i], lo[i]);
    aHi[i] = addUp(aHi[i], hi[i]);
  }
}

/** [lo, hi] of Jᵀ·[gl, gh] for B rows, J of outSize × inSize (row-major), sound in real arithmetic. */
export function intervalTransposeProduct(J: Float64Array, outSize: number, inSize: number, gLo: Float64Array, gHi: Float64Array, B: number, outLo: Float64Array, outHi: Float64Array): void {
  const accLo = new Float64Array(inSize), accHi = new Float64Array(inSize), mag = new Float64Array(inSize);
  const g = gamma(outSize + 1);
  for (let b = 0; b < B; b++) {
    accLo.fill(0); accHi.fill(0); mag.fill(0);
    const go = b * outSize;
    for (let j = 0; j < outSize; j++) {
      const l = gLo[go + j], h = gHi[go + j];
      if (l === 0 && h === 0) continue;
      const mj = Math.max(Math.abs(l), Math.abs(h));
      const jo = j * inSize;
      if (l === h) {
        for (let i = 0; i < inSize; i++) {
          const w = J[jo + i];
          if (w === 0) continue;
          const t = w * l;
          accLo[i] += t; accHi[i] += t;
          mag[i] += Math.abs(w) * mj;
        }
      } else {
        for (let i = 0; i < inSize; i++) {
          const w = J[jo + i];
          if (w === 0) continue;
          if (w > 0) { accLo[i] += w * l; accHi[i] += w * h; } else { accLo[i] += w * h; accHi[i] += w * l; }
          mag[i] += Math.abs(w) * mj;
        }
      }
    }
    const oo = b * inSize;
    for (let i = 0; i < inSize; i++) {
      if (mag[i] === 0) { outLo[oo + i] = 0; outHi[oo + i] = 0; continue; }
      const e = g * mag[i];
      const lo = nextDown(accLo[i] - e), hi = nextUp(accHi[i] + e);
      outLo[oo + i] = lo === lo ? lo : -Infinity;
      outHi[oo + i] = hi === hi ? hi : Infinity;
    }
  }
}

/** out[i] = [l, h]·[a, b] rounded outward (0·anything = 0). */
export function timesInto(l: number, h: number, a: number, b: number, outLo: Float64Array, outHi: Float64Array, i: number): void {
  if (a === b) {
    if (a === 0) { outLo[i] = 0; outHi[i] = 0; } else if (a === 1) { outLo[i] = l; outHi[i] = h; } else if (a > 0) { outLo[i] = mulDown(l, a); outHi[i] = mulUp(h, a); } else { outLo[i] = mulDown(h, a); outHi[i] = mulUp(l, a); }
    return;
  }
  const lo = Math.min(mulDown(l, a), mulDown(l, b), mulDown(h, a), mulDown(h, b));
  const hi = Math.max(mulUp(l, a), mulUp(l, b), mulUp(h, a), mulUp(h, b));
  outLo[i] = lo === lo ? lo : -Infinity;
  outHi[i] = hi === hi ? hi : Infinity;
}

/**
 * Sound interval enclosure of ∇_x(rows_r · y) over each of D domains (D × R × n each), given
 * the bounds of every elementwise op's input per domain. `rows` is R × m (shared by the domains).
 */
export function intervalJacobian(net: Network, D: number, rows: Float64Array, R: number, inputBounds: InputBoundsOf): { lo: Float64Array; hi: Float64Array } {
  const m = net.outputSize;
  const B = D * R;
  const gLo: (Float64Array | undefined)[] = new Array(net.values.length);
  const gHi: (Float64Array | undefined)[] = new Array(net.values.length);
  const out = net.outputIds[0];
  gLo[out] = new Float64Array(B * m);
  for (let d = 0; d < D; d++) gLo[out]!.set(rows, d * R * m);
  gHi[out] = Float64Array.from(gLo[out]!);
  for (let k = net.nodes.length - 1; k >= 0; k--) {
    const node = net.nodes[k];
    const oLo = gLo[node.output], oHi = gHi[node.output];
    if (!oLo || !oHi) continue;
    if (node.output !== out) { gLo[node.output] = undefined; gHi[node.output] = undefined; }
    const outSize = net.values[node.output].size;
    const lip = node.kind.lipschitz;
    const inSizes = node.inputs.map((v) => net.values[v].size);
    if (node.kind.reshapeOnly && node.inputs.length === 1) {
      const v = node.inputs[0];
      const first = !gLo[v];
      if (first) { gLo[v] = new Float64Array(B * inSizes[0]); gHi[v] = new Float64Array(B * inSizes[0]); }
      accumulate(gLo[v]!, gHi[v]!, oLo, oHi, first);
    } else if (lip?.jacobian && node.kind.isAffine?.(node.params)) {
      node.inputs.forEach((v, i) => {
        const J = lip.jacobian!(node.params, i, inSizes, outSize);
        if (!J) unsupported(node, 'Lipschitz (Jacobian too large to hold)');
        const lo = new Float64Array(B * inSizes[i]), hi = new Float64Array(B * inSizes[i]);
        intervalTransposeProduct(J, outSize, inSizes[i], oLo, oHi, B, lo, hi);
        const first = !gLo[v];
        if (first) { gLo[v] = lo; gHi[v] = hi; } else accumulate(gLo[v]!, gHi[v]!, lo, hi, false);
      });
    } else if (lip?.derivativeRange && node.inputs.length === 1) {
      const v = node.inputs[0];
      const { lo: xl, hi: xh } = inputBounds(node, k);
      const dlo = new Float64Array(D * outSize), dhi = new Float64Array(D * outSize);
      lip.derivativeRange(node.params, xl, xh, dlo, dhi);
      const lo = new Float64Array(B * outSize), hi = new Float64Array(B * outSize);
      for (let d = 0; d < D; d++) {
        for (let r = 0; r < R; r++) {
          const o = (d * R + r) * outSize, e = d * outSize;
          for (let j = 0; j < outSize; j++) {
            timesInto(oLo[o + j], oHi[o + j], dlo[e + j], dhi[e + j], lo, hi, o + j);
          }
        }
      }
      const first = !gLo[v];
      if (first) { gLo[v] = lo; gHi[v] = hi; } else accumulate(gLo[v]!, gHi[v]!, lo, hi, false);
    } else unsupported(node, 'Lipschitz');
  }
  const n = net.inputSize;
  const inId = net.inputIds[0];
  return { lo: gLo[inId] ?? new Float64Array(B * n), hi: gHi[inId] ?? new Float64Array(B * n) };
}
