import type { ElementwiseAffine } from '../op.js';

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
  // Four input rows share each weight-row load: the matrix–matrix kernel of batched evaluation.
  const R = batch * rows;
  let r = 0;
  for (; r + 4 <= R; r += 4) {
    const x0 = r * K, x1 = x0 + K, x2 = x1 + K, x3 = x2 + K;
    if (!bias) {
      // Four all-zero rows (padding rows of bound propagation) give zeros: skip the products.
      let any = false;
      for (let k = x0; k < x0 + 4 * K; k++) if (x[k] !== 0) { any = true; break; }
      if (!any) { out.fill(0, r * N, (r + 4) * N); continue; }
    }
    for (let n = 0; n < N; n++) {
      const wo = n * K;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let k = 0; k < K; k++) {
        const w = W[wo + k];
        a0 += x[x0 + k] * w;
        a1 += x[x1 + k] * w;
        a2 += x[x2 + k] * w;
        a3 += x[x3 + k] * w;
      }
      if (bias) {
        a0 += bias[(r % rows) * N + n];
        a1 += bias[((r + 1) % rows) * N + n];
        a2 += bias[((r + 2) % rows) * N + n];
        a3 += bias[((r + 3) % rows) * N + n];
      }
      out[r * N + n] = a0;
      out[(r + 1) * N + n] = a1;
      out[(r + 2) * N + n] = a2;
      out[(r + 3) * N + n] = a3;
    }
  }
  for (; r < R; r++) {
    const xo = r * K;
    for (let n = 0; n < N; n++) {
      const wo = n * K;
      let a = 0;
      for (let k = 0; k < K; k++) a += x[xo + k] * W[wo + k];
      out[r * N + n] = bias ? a + bias[(r % rows) * N + n] : a;
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
 * gx[r, :] += g[r, :]·W for the rows of g, four rows at a time: the columns that are zero in
 * all four rows are skipped (bound propagation zeroes every inactive ReLU's column, about half
 * of them), the rest are dot products with the cached transpose (no scattered stores).
 */
function backwardDenseRows(p: DenseParams, g: Float64Array, gx: Float64Array, R: number): void {
  const { K, N } = p;
  const WT = transposed(p).W; // K × N
  if (nonzeroScratch.length < N) nonzeroScratch = new Int32Array(N);
  const idx = nonzeroScratch;
  let r = 0;
  for (; r + 4 <= R; r += 4) {
    const x0 = r * N, x1 = x0 + N, x2 = x1 + N, x3 = x2 + N;
    let nz = 0;
    for (let n = 0; n < N; n++) if (g[x0 + n] !== 0 || g[x1 + n] !== 0 || g[x2 + n] !== 0 || g[x3 + n] !== 0) idx[nz++] = n;
    if (nz === 0) continue;
    const o0 = r * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
    for (let k = 0; k < K; k++) {
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
    if (nz === 0) continue;
    const o0 = r * K;
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
    backwardDenseRows(p, g, gx, batch * p.rows);
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
