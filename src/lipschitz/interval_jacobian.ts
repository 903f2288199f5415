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
export function intervalTransposeProduct(J: Float64Array, outSize: number, inSize: number, gLo: Float64Array, gHi: Float64Array, B: number, outLo: Float64Array, outHi: Float64Array, cols: Int32Array | null = null): void {
  if (cols) return sparseTransposeProduct(J, outSize, inSize, gLo, gHi, B, outLo, outHi, cols);
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

/** intervalTransposeProduct for the input entries `cols` only (the others are left 0: nothing reads them). */
function sparseTransposeProduct(J: Float64Array, outSize: number, inSize: number, gLo: Float64Array, gHi: Float64Array, B: number, outLo: Float64Array, outHi: Float64Array, cols: Int32Array): void {
  const g = gamma(outSize + 1);
  for (let b = 0; b < B; b++) {
    const go = b * outSize, oo = b * inSize;
    for (let t = 0; t < cols.length; t++) {
      const i = cols[t];
      let al = 0, ah = 0, mag = 0;
      for (let j = 0; j < outSize; j++) {
        const w = J[j * inSize + i];
        if (w === 0) continue;
        const l = gLo[go + j], h = gHi[go + j];
        if (w > 0) { al += w * l; ah += w * h; } else { al += w * h; ah += w * l; }
        mag += Math.abs(w) * Math.max(Math.abs(l), Math.abs(h));
      }
      if (mag === 0) { outLo[oo + i] = 0; outHi[oo + i] = 0; continue; }
      const e = g * mag;
      const lo = nextDown(al - e), hi = nextUp(ah + e);
      outLo[oo + i] = lo === lo ? lo : -Infinity;
      outHi[oo + i] = hi === hi ? hi : Infinity;
    }
  }
}

const neededCache = new WeakMap<Network, (Int32Array | null)[]>();
/**
 * Per value, the entries that depend on the input (null: all of them), following the ops'
 * Jacobians from the input: only those entries of a gradient are ever read on the way back to
 * the input, and only those rows of a forward Jacobian can be nonzero. On a network restricted
 * to a few free pixels (src/net/restrict.ts) this is what keeps the first layer at k columns.
 */
export function dependentEntries(net: Network): (Int32Array | null)[] {
  let cached = neededCache.get(net);
  if (cached) return cached;
  const dep: (Int32Array | null)[] = new Array(net.values.length).fill(null);
  const inId = net.inputIds[0];
  dep[inId] = null;
  for (const node of net.nodes) {
    const outSize = net.values[node.output].size;
    const lip = node.kind.lipschitz;
    const inSizes = node.inputs.map((v) => net.values[v].size);
    if (lip?.jacobian && node.kind.isAffine?.(node.params) && !node.kind.reshapeOnly) {
      const mark = new Uint8Array(outSize);
      let all = true;
      node.inputs.forEach((v, t) => {
        const J = lip.jacobian!(node.params, t, inSizes, outSize);
        if (!J) { mark.fill(1); return; }
        all = false;
        const d = dep[v], n = inSizes[t];
        const cnt = d ? d.length : n;
        for (let j = 0; j < outSize; j++) for (let q = 0; q < cnt; q++) if (J[j * n + (d ? d[q] : q)] !== 0) { mark[j] = 1; break; }
      });
      const rows: number[] = [];
      for (let j = 0; j < outSize; j++) if (mark[j]) rows.push(j);
      dep[node.output] = all || rows.length === outSize ? null : Int32Array.from(rows);
    } else if (node.inputs.length === 1) dep[node.output] = dep[node.inputs[0]];
    else dep[node.output] = null;
  }
  // The network input itself: its entries are the free coordinates, all needed.
  dep[inId] = null;
  neededCache.set(net, dep);
  return dep;
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
  const dep = dependentEntries(net);
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
        intervalTransposeProduct(J, outSize, inSizes[i], oLo, oHi, B, lo, hi, dep[v]);
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

/** Networks with at most this many inputs also get the forward-mode enclosure (its cost grows with the inputs). */
export const FORWARD_JACOBIAN_MAX_INPUTS = 16;

/**
 * Forward-mode interval Jacobian: for every value an interval matrix (D × size × n) holding
 * ∂value/∂x over the domain, from the identity at the input through each op (affine: the
 * interval product with its exact Jacobian, γ-charged and rounded outward like the backward
 * product; elementwise: times the derivative range; values read by several ops are summed
 * within one charged dot product), then the rows. Sound like `intervalJacobian`, and much
 * tighter on deep networks with few inputs (ACAS Xu: 3–12× at the root boxes), where the
 * backward product's intervals compound over the wide hidden layers.
 */
export function forwardIntervalJacobian(net: Network, D: number, rows: Float64Array, R: number, inputBounds: InputBoundsOf): { lo: Float64Array; hi: Float64Array } {
  const n = net.inputSize, m = net.outputSize;
  const dep = dependentEntries(net);
  const JL: (Float64Array | undefined)[] = new Array(net.values.length);
  const JH: (Float64Array | undefined)[] = new Array(net.values.length);
  const inId = net.inputIds[0];
  JL[inId] = new Float64Array(D * n * n);
  for (let d = 0; d < D; d++) for (let i = 0; i < n; i++) JL[inId]![(d * n + i) * n + i] = 1;
  JH[inId] = Float64Array.from(JL[inId]!);
  const accL = new Float64Array(n), accH = new Float64Array(n), mag = new Float64Array(n);
  net.nodes.forEach((node, k) => {
    const outSize = net.values[node.output].size;
    const lip = node.kind.lipschitz;
    const inSizes = node.inputs.map((v) => net.values[v].size);
    const L = new Float64Array(D * outSize * n), H = new Float64Array(D * outSize * n);
    if (node.kind.reshapeOnly && node.inputs.length === 1) {
      L.set(JL[node.inputs[0]]!); H.set(JH[node.inputs[0]]!);
    } else if (lip?.jacobian && node.kind.isAffine?.(node.params)) {
      const Js = node.inputs.map((_, t) => {
        const J = lip.jacobian!(node.params, t, inSizes, outSize);
        if (!J) unsupported(node, 'Lipschitz (Jacobian too large to hold)');
        return J;
      });
      const g = gamma(inSizes.reduce((a, b) => a + b, 0) + 1);
      for (let d = 0; d < D; d++) {
        for (let j = 0; j < outSize; j++) {
          accL.fill(0); accH.fill(0); mag.fill(0);
          node.inputs.forEach((v, t) => {
            const J = Js[t], size = inSizes[t], IL = JL[v]!, IH = JH[v]!;
            const jo = j * size;
            const rowsIn = dep[v];
            const cnt = rowsIn ? rowsIn.length : size;
            for (let q = 0; q < cnt; q++) {
              const i = rowsIn ? rowsIn[q] : q;
              const w = J[jo + i];
              if (w === 0) continue;
              const o = (d * size + i) * n;
              const aw = Math.abs(w);
              for (let c = 0; c < n; c++) {
                const l = IL[o + c], h = IH[o + c];
                if (w > 0) { accL[c] += w * l; accH[c] += w * h; } else { accL[c] += w * h; accH[c] += w * l; }
                mag[c] += aw * (Math.abs(l) > Math.abs(h) ? Math.abs(l) : Math.abs(h));
              }
            }
          });
          const o = (d * outSize + j) * n;
          for (let c = 0; c < n; c++) {
            if (mag[c] === 0) continue;
            const e = g * mag[c];
            const lo = nextDown(accL[c] - e), hi = nextUp(accH[c] + e);
            L[o + c] = lo === lo ? lo : -Infinity;
            H[o + c] = hi === hi ? hi : Infinity;
          }
        }
      }
    } else if (lip?.derivativeRange && node.inputs.length === 1) {
      const v = node.inputs[0];
      const { lo: xl, hi: xh } = inputBounds(node, k);
      const dlo = new Float64Array(D * outSize), dhi = new Float64Array(D * outSize);
      lip.derivativeRange(node.params, xl, xh, dlo, dhi);
      const IL = JL[v]!, IH = JH[v]!;
      for (let e = 0; e < D * outSize; e++) {
        for (let c = 0; c < n; c++) timesInto(IL[e * n + c], IH[e * n + c], dlo[e], dhi[e], L, H, e * n + c);
      }
    } else unsupported(node, 'Lipschitz');
    JL[node.output] = L; JH[node.output] = H;
  });
  const out = net.outputIds[0];
  const OL = JL[out]!, OH = JH[out]!;
  const lo = new Float64Array(D * R * n), hi = new Float64Array(D * R * n);
  const g = gamma(m + 1);
  for (let d = 0; d < D; d++) {
    for (let r = 0; r < R; r++) {
      accL.fill(0); accH.fill(0); mag.fill(0);
      for (let j = 0; j < m; j++) {
        const w = rows[r * m + j];
        if (w === 0) continue;
        const o = (d * m + j) * n;
        for (let c = 0; c < n; c++) {
          const l = OL[o + c], h = OH[o + c];
          if (w > 0) { accL[c] += w * l; accH[c] += w * h; } else { accL[c] += w * h; accH[c] += w * l; }
          mag[c] += Math.abs(w) * Math.max(Math.abs(l), Math.abs(h));
        }
      }
      const o = (d * R + r) * n;
      for (let c = 0; c < n; c++) {
        if (mag[c] === 0) continue;
        const e = g * mag[c];
        const a = nextDown(accL[c] - e), b = nextUp(accH[c] + e);
        lo[o + c] = a === a ? a : -Infinity;
        hi[o + c] = b === b ? b : Infinity;
      }
    }
  }
  return { lo, hi };
}

const costCache = new WeakMap<Network, number>();
/** Multiply-adds of one forward-mode pass per domain (affine ops: rows × dependent inputs × n). */
export function forwardCost(net: Network): number {
  let c = costCache.get(net);
  if (c !== undefined) return c;
  const dep = dependentEntries(net);
  c = 0;
  for (const node of net.nodes) {
    if (!node.kind.isAffine?.(node.params) || node.kind.reshapeOnly) continue;
    for (const v of node.inputs) c += net.values[node.output].size * (dep[v]?.length ?? net.values[v].size) * net.inputSize;
  }
  costCache.set(net, c);
  return c;
}

/**
 * The tightest sound enclosure available: the backward interval Jacobian, intersected per
 * coordinate with the forward-mode one when the network has at most
 * FORWARD_JACOBIAN_MAX_INPUTS inputs and a forward pass costs at most `maxForwardCost`
 * multiply-adds (both hold every gradient, so their intersection does).
 */
export function jacobianEnclosure(net: Network, D: number, rows: Float64Array, R: number, inputBounds: InputBoundsOf, maxForwardCost = Infinity): { lo: Float64Array; hi: Float64Array } {
  const b = intervalJacobian(net, D, rows, R, inputBounds);
  if (net.inputSize > FORWARD_JACOBIAN_MAX_INPUTS || forwardCost(net) > maxForwardCost) return b;
  const f = forwardIntervalJacobian(net, D, rows, R, inputBounds);
  for (let i = 0; i < b.lo.length; i++) {
    const l = f.lo[i] > b.lo[i] ? f.lo[i] : b.lo[i], h = f.hi[i] < b.hi[i] ? f.hi[i] : b.hi[i];
    if (l <= h) { b.lo[i] = l; b.hi[i] = h; }
  }
  return b;
}
