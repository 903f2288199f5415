import type { ElementwiseAffine, OpKind } from '../op.js';
import { denseLipschitz } from './lipschitz_impl.js';

/**
 * A per-sample matrix product with a constant weight, shared by Gemm and MatMul:
 * - `right`: out[r, n] = Σ_k x[r, k]·Wt[n, k] + bias[r, n] for r < rows (x is rows×K, or K×rows when transA);
 * - `left`:  out[t, m, n] = Σ_k W[m, k]·x[t, k, n] for t < groups (a constant on the left, x is groups×K×cols).
 */
export interface DenseParams {
  mode: 'right' | 'left';
  rows: number;
  K: number;
  N: number;
  /** right: N×K (output-major); left: rows×K. */
  W: Float64Array;
  /** right only: rows×N, or null for no bias. */
  bias: Float64Array | null;
  transA: boolean;
  /** left only: number of K×N blocks per sample. */
  groups: number;
}

/** Exact float64 evaluation of a batch. */
export function evalDense(p: DenseParams, x: Float64Array, out: Float64Array, batch: number): void {
  const { K, N, W, bias } = p;
  if (p.mode === 'left') {
    const M = p.rows, T = batch * p.groups;
    out.fill(0);
    for (let t = 0; t < T; t++) {
      const xo = t * K * N, oo = t * M * N;
      for (let m = 0; m < M; m++) {
        const orow = oo + m * N;
        for (let k = 0; k < K; k++) {
          const w = W[m * K + k];
          if (w === 0) continue;
          const xr = xo + k * N;
          for (let n = 0; n < N; n++) out[orow + n] += w * x[xr + n];
        }
      }
    }
    return;
  }
  const rows = p.rows;
  if (p.transA) {
    for (let s = 0; s < batch; s++) {
      const xo = s * K * rows;
      for (let r = 0; r < rows; r++) {
        const oo = (s * rows + r) * N;
        for (let n = 0; n < N; n++) {
          let acc = bias ? bias[r * N + n] : 0;
          const wo = n * K;
          for (let k = 0; k < K; k++) acc += x[xo + k * rows + r] * W[wo + k];
          out[oo + n] = acc;
        }
      }
    }
    return;
  }
  const R = batch * rows;
  rowsTimesTransposed(x, R, K, W, N, out, false);
  if (bias) {
    for (let r = 0; r < R; r++) {
      const o = r * N, bo = (r % rows) * N;
      for (let n = 0; n < N; n++) out[o + n] += bias[bo + n];
    }
  }
}

const transposeCache = new WeakMap<Float64Array, DenseParams>();
/** The transposed map x ↦ Wᵀ·x as dense params (cached per weight array). */
function transposed(p: DenseParams): DenseParams {
  let t = transposeCache.get(p.W);
  if (!t) {
    const { K, N, W } = p;
    const WT = new Float64Array(K * N);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) WT[k * N + n] = W[n * K + k];
    t = { mode: 'right', rows: 1, K: N, N: K, W: WT, bias: null, transA: false, groups: 1 };
    transposeCache.set(p.W, t);
  }
  return t;
}

let nonzeroScratch = new Int32Array(64);

/**
 * out[r, k] (+)= Σ_n g[r, n]·WT[k, n] for the R rows of g (R × N), WT of K × N: four rows and
 * three outputs at a time, skipping the n that are zero in all four rows (bound propagation
 * zeroes every inactive ReLU's column, about half of them). The sum runs over n in increasing
 * order whatever is skipped, so results equal the plain loop's bit for bit (finite weights).
 */
export function rowsTimesTransposed(g: Float64Array, R: number, N: number, WT: Float64Array, K: number, gx: Float64Array, accumulate: boolean): void {
  if (nonzeroScratch.length < N) nonzeroScratch = new Int32Array(N);
  const idx = nonzeroScratch;
  let r = 0;
  for (; r + 4 <= R; r += 4) {
    const x0 = r * N, x1 = x0 + N, x2 = x1 + N, x3 = x2 + N;
    let nz = 0;
    for (let n = 0; n < N; n++) if (g[x0 + n] !== 0 || g[x1 + n] !== 0 || g[x2 + n] !== 0 || g[x3 + n] !== 0) idx[nz++] = n;
    const o0 = r * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
    if (!accumulate) gx.fill(0, o0, o0 + 4 * K);
    if (nz === 0) continue;
    let k = 0;
    for (; k + 3 <= K; k += 3) {
      const wo = k * N, wp = wo + N, wq = wp + N;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let t = 0; t < nz; t++) {
        const n = idx[t];
        const w = WT[wo + n], v = WT[wp + n], u = WT[wq + n];
        const g0 = g[x0 + n], g1 = g[x1 + n], g2 = g[x2 + n], g3 = g[x3 + n];
        a0 += g0 * w; b0 += g0 * v; c0 += g0 * u;
        a1 += g1 * w; b1 += g1 * v; c1 += g1 * u;
        a2 += g2 * w; b2 += g2 * v; c2 += g2 * u;
        a3 += g3 * w; b3 += g3 * v; c3 += g3 * u;
      }
      gx[o0 + k] += a0; gx[o0 + k + 1] += b0; gx[o0 + k + 2] += c0;
      gx[o1 + k] += a1; gx[o1 + k + 1] += b1; gx[o1 + k + 2] += c1;
      gx[o2 + k] += a2; gx[o2 + k + 1] += b2; gx[o2 + k + 2] += c2;
      gx[o3 + k] += a3; gx[o3 + k + 1] += b3; gx[o3 + k + 2] += c3;
    }
    // Two outputs at a time: each loaded coefficient feeds two products.
    for (; k + 2 <= K; k += 2) {
      const wo = k * N, wp = wo + N;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let t = 0; t < nz; t++) {
        const n = idx[t];
        const w = WT[wo + n], v = WT[wp + n];
        const g0 = g[x0 + n], g1 = g[x1 + n], g2 = g[x2 + n], g3 = g[x3 + n];
        a0 += g0 * w; b0 += g0 * v;
        a1 += g1 * w; b1 += g1 * v;
        a2 += g2 * w; b2 += g2 * v;
        a3 += g3 * w; b3 += g3 * v;
      }
      gx[o0 + k] += a0; gx[o0 + k + 1] += b0;
      gx[o1 + k] += a1; gx[o1 + k + 1] += b1;
      gx[o2 + k] += a2; gx[o2 + k + 1] += b2;
      gx[o3 + k] += a3; gx[o3 + k + 1] += b3;
    }
    for (; k < K; k++) {
      const wo = k * N;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let t = 0; t < nz; t++) {
        const n = idx[t];
        const w = WT[wo + n];
        a0 += g[x0 + n] * w;
        a1 += g[x1 + n] * w;
        a2 += g[x2 + n] * w;
        a3 += g[x3 + n] * w;
      }
      gx[o0 + k] += a0;
      gx[o1 + k] += a1;
      gx[o2 + k] += a2;
      gx[o3 + k] += a3;
    }
  }
  for (; r < R; r++) {
    const x0 = r * N;
    let nz = 0;
    for (let n = 0; n < N; n++) if (g[x0 + n] !== 0) idx[nz++] = n;
    const o0 = r * K;
    if (!accumulate) gx.fill(0, o0, o0 + K);
    if (nz === 0) continue;
    for (let k = 0; k < K; k++) {
      const wo = k * N;
      let a = 0;
      for (let t = 0; t < nz; t++) { const n = idx[t]; a += g[x0 + n] * WT[wo + n]; }
      gx[o0 + k] += a;
    }
  }
}

/** Vector–Jacobian product: gx += gᵀ·W (exact in real arithmetic). */
export function backwardDense(p: DenseParams, g: Float64Array, gx: Float64Array, batch: number): void {
  const { K, N, W } = p;
  if (p.mode === 'right' && !p.transA) {
    rowsTimesTransposed(g, batch * p.rows, N, transposed(p).W, K, gx, true);
    return;
  }
  if (p.mode === 'left') {
    const M = p.rows, T = batch * p.groups;
    for (let t = 0; t < T; t++) {
      const xo = t * K * N, oo = t * M * N;
      for (let m = 0; m < M; m++) {
        for (let k = 0; k < K; k++) {
          const w = W[m * K + k];
          if (w === 0) continue;
          const xr = xo + k * N, gr = oo + m * N;
          for (let n = 0; n < N; n++) gx[xr + n] += w * g[gr + n];
        }
      }
    }
    return;
  }
  const rows = p.rows;
  for (let s = 0; s < batch; s++) {
    for (let r = 0; r < rows; r++) {
      const go = (s * rows + r) * N;
      for (let n = 0; n < N; n++) {
        const gn = g[go + n];
        if (gn === 0) continue;
        const wo = n * K;
        if (p.transA) {
          const xo = s * K * rows;
          for (let k = 0; k < K; k++) gx[xo + k * rows + r] += gn * W[wo + k];
        } else {
          const xo = (s * rows + r) * K;
          for (let k = 0; k < K; k++) gx[xo + k] += gn * W[wo + k];
        }
      }
    }
  }
}

/** The dense map with y ↦ scale ⊙ y + shift applied after it (one row only), else null. */
export function denseAbsorbAfter(p: DenseParams, a: ElementwiseAffine): DenseParams | null {
  if (p.mode !== 'right' || p.rows !== 1) return null;
  const { K, N } = p;
  const W = new Float64Array(p.W.length);
  const bias = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const s = a.scale[n];
    for (let k = 0; k < K; k++) W[n * K + k] = p.W[n * K + k] * s;
    bias[n] = (p.bias ? p.bias[n] * s : 0) + a.shift[n];
  }
  return { ...p, W, bias };
}

/** The dense map with x ↦ scale ⊙ x + shift applied before it (one untransposed row only), else null. */
export function denseAbsorbBefore(p: DenseParams, a: ElementwiseAffine): DenseParams | null {
  if (p.mode !== 'right' || p.rows !== 1 || p.transA) return null;
  const { K, N } = p;
  const W = new Float64Array(p.W.length);
  const bias = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let b = p.bias ? p.bias[n] : 0;
    for (let k = 0; k < K; k++) {
      const w = p.W[n * K + k];
      W[n * K + k] = w * a.scale[k];
      b += w * a.shift[k];
    }
    bias[n] = b;
  }
  return { ...p, W, bias };
}

/** |W|·m for nonnegative m (no bias): the dense map with absolute weights. */
export function absForwardDense(p: DenseParams, m: Float64Array, out: Float64Array, batch: number): void {
  const absP: DenseParams = { ...p, W: absW(p), bias: null };
  evalDense(absP, m, out, batch);
}

const absCache = new WeakMap<Float64Array, Float64Array>();
/** The weights' absolute values, computed once per weight array. */
function absW(p: DenseParams): Float64Array {
  let a = absCache.get(p.W);
  if (!a) {
    a = p.W.map(Math.abs);
    absCache.set(p.W, a);
  }
  return a;
}

/** |offset| per output element (batch 1). */
export function absOffsetDense(p: DenseParams): Float64Array {
  const size = p.mode === 'left' ? p.groups * p.rows * p.N : p.rows * p.N;
  return p.bias ? p.bias.map(Math.abs) : new Float64Array(size);
}

/** Terms per output element: K products plus the bias. */
export function dotLengthDense(p: DenseParams): number {
  return p.K + 1;
}

/** Members every dense op shares for bound propagation. */
export const denseBounds = {
  isAffine: () => true,
  absForward: (p: DenseParams, [m]: Float64Array[], out: Float64Array, batch: number) => absForwardDense(p, m, out, batch),
  absOffset: absOffsetDense,
  dotLength: dotLengthDense,
};

/**
 * Every semantics Gemm and MatMul share once built (they differ only in how ONNX spells them):
 * evaluation, gradient, bound propagation, Lipschitz constants and absorbing elementwise affines.
 */
export const denseSemantics: Pick<OpKind<DenseParams>, 'lipschitz' | 'isAffine' | 'absForward' | 'absOffset' | 'dotLength' | 'eval' | 'backward' | 'absorbAfter' | 'absorbBefore'> = {
  ...denseBounds,
  lipschitz: denseLipschitz<DenseParams>((p, g, [gx], batch) => backwardDense(p, g, gx, batch)),
  eval: (p, [x], out, batch) => evalDense(p, x, out, batch),
  backward: (p, _ins, _out, g, [gx], batch) => backwardDense(p, g, gx, batch),
  absorbAfter: (p, a) => denseAbsorbAfter(p, a),
  absorbBefore: (p, a) => denseAbsorbBefore(p, a),
};
