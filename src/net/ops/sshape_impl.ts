import { nextDown, nextUp } from '../../util/float.js';

/**
 * Bound semantics shared by Sigmoid and Tanh: increasing, convex below 0, concave above 0,
 * derivative unimodal with its maximum at 0. Function values come from Math.exp/Math.tanh,
 * which are not correctly rounded: every value carries an absolute error below FUNC_ERR
 * (the functions are bounded by 1 and V8's fdlibm routines are accurate to about 1 ulp).
 */
export const FUNC_ERR = 4e-15;
const U = 2 ** -53;

export type SFunc = 'sigmoid' | 'tanh';

export function sval(f: SFunc, x: number): number {
  if (f === 'tanh') return Math.tanh(x);
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function sderiv(f: SFunc, x: number): number {
  const y = sval(f, x);
  return f === 'tanh' ? 1 - y * y : y * (1 - y);
}

const RANGE_LO = { sigmoid: 0, tanh: -1 };
const RANGE_HI = { sigmoid: 1, tanh: 1 };

/** Outward intervals of a monotone function: f(l) − err, f(u) + err, clipped to the range. */
export function sInterval(f: SFunc, lo: Float64Array, hi: Float64Array, outLo: Float64Array, outHi: Float64Array): void {
  for (let i = 0; i < lo.length; i++) {
    outLo[i] = Math.max(RANGE_LO[f], nextDown(sval(f, lo[i]) - FUNC_ERR));
    outHi[i] = Math.min(RANGE_HI[f], nextUp(sval(f, hi[i]) + FUNC_ERR));
  }
}

/** Margin that covers the rounding of a line s·x + b evaluated from computed function values on [l, h]. */
function margin(s: number, l: number, h: number): number {
  return 4 * FUNC_ERR + 8 * U * (Math.abs(s) * (Math.abs(l) + Math.abs(h)) + 1);
}

/**
 * Sound lower and upper lines on [l, h]: chord and mid-point tangent on the convex (h ≤ 0) or
 * concave (l ≥ 0) side; across 0, the parallelogram with slope k = min(f'(l), f'(h)) through
 * the end points (valid because f' ≥ k on [l, h] when f' is unimodal). Every intercept is
 * moved outward by a margin covering the function's and the arithmetic's rounding.
 */
export function sRelax(f: SFunc, lo: Float64Array, hi: Float64Array, sl: Float64Array, bl: Float64Array, su: Float64Array, bu: Float64Array): void {
  for (let i = 0; i < lo.length; i++) {
    const l = lo[i], h = hi[i];
    const fl = sval(f, l), fh = sval(f, h);
    if (!(h - l > 1e-9)) {
      // A (near-)point interval: constant lines around the value range.
      sl[i] = 0; bl[i] = nextDown(fl - FUNC_ERR - margin(0, l, h));
      su[i] = 0; bu[i] = nextUp(fh + FUNC_ERR + margin(0, l, h));
      continue;
    }
    const chord = (fh - fl) / (h - l);
    const m = 0.5 * (l + h);
    const fm = sval(f, m), dm = sderiv(f, m);
    if (h <= 0 || l >= 0) {
      // Convex side: chord above, tangent below; concave side: the other way round.
      const chordB = fl - chord * l, tanB = fm - dm * m;
      const mc = margin(chord, l, h), mt = margin(dm, l, h) + Math.abs(dm) * 8 * U * (h - l);
      if (h <= 0) { su[i] = chord; bu[i] = nextUp(chordB + mc); sl[i] = dm; bl[i] = nextDown(tanB - mt); }
      else { sl[i] = chord; bl[i] = nextDown(chordB - mc); su[i] = dm; bu[i] = nextUp(tanB + mt); }
      continue;
    }
    const k = Math.max(0, Math.min(sderiv(f, l), sderiv(f, h)) * (1 - 1e-12) - 1e-300);
    const mk = margin(k, l, h);
    sl[i] = k; bl[i] = nextDown(fl - k * l - mk);
    su[i] = k; bu[i] = nextUp(fh - k * h + mk);
  }
}

/** The LP's lines for an S-shaped op: the relaxation's lower and upper line. */
export function sCuts(f: SFunc, l: number, h: number): { lower: [number, number][]; upper: [number, number][] } {
  const o = [0, 0, 0, 0].map(() => new Float64Array(1));
  sRelax(f, Float64Array.of(l), Float64Array.of(h), o[0], o[1], o[2], o[3]);
  return { lower: [[o[0][0], o[1][0]]], upper: [[o[2][0], o[3][0]]] };
}
