import { gamma } from '../../bounds/fp.js';
import { nextUp } from '../../util/float.js';
import type { LipNorm, OpLipschitz } from '../op.js';
import { FUNC_ERR, sderiv, type SFunc } from './sshape_impl.js';
import type { UnaryParams } from './unary_impl.js';

/**
 * Lipschitz semantics shared by the op modules (see `OpLipschitz` in ../op.ts).
 *
 * Affine ops: the Jacobian is read from the op's own transpose (`backward` on unit rows, which
 * for an affine op never reads its inputs), held once per params object, and its operator
 * norms are computed with every rounding charged:
 * - ℓ∞ (max row sum of |J|) and ℓ1 (max column sum), each sum scaled up by (1 + 2γ_n);
 * - ℓ2: the smallest of the Frobenius norm, √(‖J‖₁‖J‖∞) and Gram iteration
 *   (‖J‖₂^(2^k) = ‖G_k‖₂ ≤ ‖G_k‖_F with G₁ = JᵀJ, G_{k+1} = G_k²), where the float Gram
 *   matrices Ĝ_k carry a proved Frobenius error bound e_k:
 *   e₁ = γ·‖J‖_F², e_{k+1} = 2·‖Ĝ_k‖_F·e_k + e_k² + γ·‖Ĝ_k‖_F² (+ underflow), and the root is
 *   taken by repeated correctly rounded square roots, each stepped up one ulp.
 * Elementwise ops: derivative ranges on an interval (ReLU-like: exact; S-shaped: the exact
 * range of f' from the end points and the peak at 0, widened by the Math.exp margin).
 */

/** Vector–Jacobian product of an affine op: gIns[i] += (∂out/∂in_i)ᵀ·g for a batch of rows. */
export type AffineVjp<P> = (p: P, g: Float64Array, gIns: Float64Array[], batch: number) => void;

/** Jacobians with more entries than this are not held (their norms are then +∞, still sound). */
export const MAX_JACOBIAN_ENTRIES = 1 << 24;
/** Gram iteration runs when the smaller side of J is at most this (cost d³ per step). */
export const GRAM_MAX_SIDE = 400;
/** Gram iteration steps at most (the overestimate factor is at most d^(1/2^(k+1))). */
const GRAM_STEPS = 10;

const jacobians = new WeakMap<object, (Float64Array | null)[]>();
const norms = new WeakMap<object, Map<string, number>>();

/** Scale a computed sum of n nonnegative terms up so it bounds the exact sum. */
export function sumUp(s: number, n: number): number {
  return nextUp(s * (1 + 2 * gamma(n)));
}

/** Every dynamic input's exact Jacobian (outSize × inSize_i), by unit rows through the transpose. */
function materialize<P>(vjp: AffineVjp<P>, p: P, inSizes: number[], outSize: number): (Float64Array | null)[] {
  const out = inSizes.map((n) => (n * outSize <= MAX_JACOBIAN_ENTRIES ? new Float64Array(n * outSize) : null));
  if (out.some((j) => j === null)) return inSizes.map(() => null);
  const per = outSize + inSizes.reduce((a, b) => a + b, 0);
  const chunk = Math.max(1, Math.min(outSize, Math.floor((1 << 21) / per)));
  for (let r0 = 0; r0 < outSize; r0 += chunk) {
    const rows = Math.min(chunk, outSize - r0);
    const g = new Float64Array(rows * outSize);
    for (let r = 0; r < rows; r++) g[r * outSize + r0 + r] = 1;
    const gIns = inSizes.map((n) => new Float64Array(rows * n));
    vjp(p, g, gIns, rows);
    inSizes.forEach((n, i) => out[i]!.set(gIns[i], r0 * n));
  }
  return out;
}

/** ‖J‖ for J of outSize × inSize (row-major) in the p→p operator norm, rounded up; ℓ2 certified. */
export function matrixNorm(J: Float64Array, m: number, n: number, norm: LipNorm): number {
  if (norm === 'inf') {
    let best = 0;
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(J[j * n + i]);
      if (s > best) best = s;
    }
    return sumUp(best, n);
  }
  if (norm === '1') {
    const col = new Float64Array(n);
    for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) col[i] += Math.abs(J[j * n + i]);
    let best = 0;
    for (let i = 0; i < n; i++) if (col[i] > best) best = col[i];
    return sumUp(best, m);
  }
  let fro2 = 0;
  for (let i = 0; i < J.length; i++) fro2 += J[i] * J[i];
  fro2 = sumUp(fro2, J.length);
  let best = nextUp(Math.sqrt(fro2));
  const mixed = nextUp(Math.sqrt(nextUp(matrixNorm(J, m, n, '1') * matrixNorm(J, m, n, 'inf'))));
  if (mixed < best) best = mixed;
  const gram = gramBound(J, m, n, fro2);
  if (gram < best) best = gram;
  return best === best ? best : Infinity;
}

/** v^(1/2^k)·2^(T/2^k), rounded up: k correctly rounded square roots, each stepped up. */
function rootUp(v: number, k: number, T: number): number {
  for (let s = 0; s < k; s++) {
    if (T % 2 !== 0) { v *= 2; T -= 1; }
    v = nextUp(Math.sqrt(v));
    T /= 2;
  }
  return nextUp(v * 2 ** T);
}

/** Frobenius norm of a d×d matrix, rounded up. */
function frobUp(G: Float64Array): number {
  let s = 0;
  for (let i = 0; i < G.length; i++) s += G[i] * G[i];
  return nextUp(Math.sqrt(sumUp(s, G.length)));
}

/** Certified upper bound of ‖J‖₂ by Gram iteration (+∞ when J is too large for it). */
function gramBound(J: Float64Array, m: number, n: number, fro2: number): number {
  const d = Math.min(m, n), long = Math.max(m, n);
  if (d > GRAM_MAX_SIDE) return Infinity;
  let G = new Float64Array(d * d);
  if (n <= m) {
    for (let j = 0; j < m; j++) {
      const o = j * n;
      for (let a = 0; a < n; a++) {
        const x = J[o + a];
        if (x === 0) continue;
        for (let b = a; b < n; b++) G[a * d + b] += x * J[o + b];
      }
    }
  } else {
    for (let a = 0; a < m; a++) for (let b = a; b < m; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += J[a * n + i] * J[b * n + i];
      G[a * d + b] = s;
    }
  }
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) G[b * d + a] = G[a * d + b];
  const tiny = 4 * d * d * Number.MIN_VALUE;
  // ‖G − Ĝ‖_F ≤ γ·‖|J|ᵀ|J|‖_F ≤ γ·‖J‖_F².
  let e = nextUp(gamma(long) * fro2 + tiny);
  let T = 0, k = 1;
  let f = frobUp(G);
  let best = rootUp(nextUp(f + e), k, T);
  const gd = gamma(d);
  for (let step = 0; step < GRAM_STEPS; step++) {
    if (!(f > 0) || !Number.isFinite(f)) break;
    // Rescale by a power of two (exact) so the entries stay near 1.
    const t = Math.floor(Math.log2(f));
    const sc = 2 ** -t;
    for (let i = 0; i < G.length; i++) G[i] *= sc;
    f = nextUp(f * sc);
    e = nextUp(e * sc + tiny);
    T += t;
    const H = new Float64Array(d * d);
    for (let a = 0; a < d; a++) {
      for (let c = 0; c < d; c++) {
        const x = G[a * d + c];
        if (x === 0) continue;
        const gc = c * d;
        for (let b = a; b < d; b++) H[a * d + b] += x * G[gc + b];
      }
    }
    for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) H[b * d + a] = H[a * d + b];
    e = nextUp((2 * f * e + e * e + gd * f * f + tiny) * (1 + 8 * 2 ** -53));
    T *= 2;
    k++;
    G = H;
    f = frobUp(G);
    const bound = rootUp(nextUp((f + e) * (1 + 4 * 2 ** -53)), k, T);
    if (!(bound === bound)) break;
    const prev = best;
    if (bound < best) best = bound;
    if (bound > prev * (1 - 1e-6)) break;
  }
  return best;
}

/**
 * The Lipschitz member of an affine op, from its transpose `vjp` (which must not read the op's
 * inputs, as `isAffine` promises).
 */
export function affineLipschitz<P extends object>(vjp: AffineVjp<P>): OpLipschitz<P> {
  const jac = (p: P, inSizes: number[], outSize: number): (Float64Array | null)[] => {
    let js = jacobians.get(p);
    if (!js) { js = materialize(vjp, p, inSizes, outSize); jacobians.set(p, js); }
    return js;
  };
  return {
    jacobian: (p, input, inSizes, outSize) => jac(p, inSizes, outSize)[input],
    operatorNorm(p, input, norm, inSizes, outSize) {
      let cache = norms.get(p);
      if (!cache) norms.set(p, (cache = new Map()));
      const key = `${input}:${norm}`;
      let v = cache.get(key);
      if (v === undefined) {
        const J = jac(p, inSizes, outSize)[input];
        v = J ? matrixNorm(J, outSize, inSizes[input], norm) : Infinity;
        cache.set(key, v);
      }
      return v;
    },
  };
}

/** Reshape-only ops: the Jacobian is a permutation-free identity, every operator norm is 1. */
export const reshapeLipschitz: OpLipschitz = {
  jacobian(_p, _i, inSizes, outSize) {
    const n = inSizes[0];
    if (n * outSize > MAX_JACOBIAN_ENTRIES) return null;
    const J = new Float64Array(n * outSize);
    for (let i = 0; i < n; i++) J[i * n + i] = 1;
    return J;
  },
  operatorNorm: () => 1,
};

/** ReLU (a = 0) and LeakyRelu (slope a below 0): derivative a, 1 or [min, max] of both by stability. */
export const reluLipschitz: OpLipschitz<UnaryParams> = {
  derivativeRange(p, lo, hi, dlo, dhi) {
    const a = p.op === 'Relu' ? 0 : p.alpha;
    const mn = Math.min(a, 1), mx = Math.max(a, 1);
    for (let i = 0; i < lo.length; i++) {
      const l = lo[i], h = hi[i];
      if (h <= 0) { dlo[i] = a; dhi[i] = a; } else if (l >= 0) { dlo[i] = 1; dhi[i] = 1; } else { dlo[i] = mn; dhi[i] = mx; }
    }
  },
  maxSlope: (p) => Math.max(1, Math.abs(p.op === 'Relu' ? 0 : p.alpha)),
  maxCurvature: () => 0,
};

/** Absolute error of a computed σ' or tanh' (from Math.exp/Math.tanh values and two operations). */
const DERIV_ERR = 3 * FUNC_ERR + 8 * 2 ** -53;
const PEAK: Record<SFunc, number> = { sigmoid: 0.25, tanh: 1 };
/** sup |f''|: σ'' peaks at 1/(6√3) ≈ 0.0962, tanh'' at 4/(3√3) ≈ 0.7698 (stated a little above). */
const CURVATURE: Record<SFunc, number> = { sigmoid: 0.0962250448649377, tanh: 0.769800358919502 };

/** Sigmoid and Tanh: f' is unimodal with its peak at 0, so its range on [l, h] is given by the end points and the peak. */
export function sLipschitz(f: SFunc): OpLipschitz<UnaryParams> {
  const peak = PEAK[f];
  return {
    derivativeRange(_p, lo, hi, dlo, dhi) {
      for (let i = 0; i < lo.length; i++) {
        const l = lo[i], h = hi[i];
        if (!(l <= h)) { dlo[i] = 0; dhi[i] = peak; continue; }
        const dl = sderiv(f, l), dh = sderiv(f, h);
        const mn = dl < dh ? dl : dh;
        const mx = l <= 0 && h >= 0 ? peak : dl > dh ? dl : dh;
        const a = mn - DERIV_ERR, b = mx + DERIV_ERR;
        dlo[i] = a > 0 ? a : 0;
        dhi[i] = b < peak && b === b ? b : peak;
      }
    },
    maxSlope: () => peak,
    maxCurvature: () => CURVATURE[f],
  };
}

/** Dense ops (Gemm, MatMul with a constant right operand): their weight and bias as trainable parameters. */
export function denseLipschitz<P extends { mode: 'right' | 'left'; rows: number; transA: boolean; K: number; N: number; W: Float64Array; bias: Float64Array | null }>(vjp: AffineVjp<P>): OpLipschitz<P> {
  return {
    ...affineLipschitz(vjp),
    parameters: (p) => (p.mode === 'right' && p.rows === 1 && !p.transA ? { W: p.W, bias: p.bias, N: p.N, K: p.K } : null),
    withParameters: (p, W, bias) => ({ ...p, W, bias }),
  };
}
