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
 * concave (l ≥ 0) side; across 0, per line the closer to f at the middle of the parallelogram
 * side (slope k = min(f'(l), f'(h)) through an end point: valid because f' ≥ k on [l, h] when f'
 * is unimodal) and CROWN's chord or tangent (see below). Every intercept is moved outward by a
 * margin covering the function's and the arithmetic's rounding.
 */
export function sRelax(f: SFunc, lo: Float64Array, hi: Float64Array, sl: Float64Array, bl: Float64Array, su: Float64Array, bu: Float64Array, alpha: Float64Array | null = null): void {
  for (let i = 0; i < lo.length; i++) {
    const l = lo[i], h = hi[i];
    const fl = sval(f, l), fh = sval(f, h);
    if (!(h - l > 1e-9)) {
      // A (near-)point interval: constant lines around the value range.
      sl[i] = 0; bl[i] = nextDown(fl - FUNC_ERR - margin(0, l, h));
      su[i] = 0; bu[i] = nextUp(fh + FUNC_ERR + margin(0, l, h));
      continue;
    }
    if (alpha && alpha[i] === alpha[i]) {
      // α (NaN: the default lines below) picks the slope of each tangent line (α-CROWN): the lower line is the tangent at the
      // point t of the convex part [l, min(h, 0)] where f'(t) = α, the upper line the tangent at
      // the point of the concave part [max(l, 0), h] where f' = α (f' is even: the mirror point),
      // each clamped to its part and valid on [l, h] as `tangentLine` moves it; on an interval
      // with only one part, the other line is the chord. One α serves both lines: the backward
      // pass uses one of them per row and element (the coefficient's sign).
      // Across 0, a chord that is valid (see below) stays: no tangent beats it there.
      const tc = convexPointOfSlope(f, alpha[i]);
      const chord = chord0(fl, fh, l, h), tol = chordTolerance(chord, l, h);
      if (l < 0 && !(h > 0 && sderiv(f, l) >= chord + tol)) tangentLine(f, Math.min(h < 0 ? h : 0, Math.max(l, tc)), l, h, h, fh, 1, sl, bl, i);
      else { sl[i] = chord; bl[i] = nextDown(fl - chord * l - margin(chord, l, h)); }
      if (h > 0 && !(l < 0 && sderiv(f, h) >= chord + tol)) tangentLine(f, Math.max(l > 0 ? l : 0, Math.min(h, -tc)), l, h, l, fl, -1, su, bu, i);
      else { su[i] = chord; bu[i] = nextUp(fl - chord * l + margin(chord, l, h)); }
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
    // Across 0, each line is the one of two valid candidates that is closer to f at the interval's
    // middle m (the smaller area between line and f):
    // - the parallelogram side: slope k = min(f'(l), f'(h)) through (l, f(l)) below, through
    //   (h, f(h)) above (f' ≥ k on [l, h] since f' is unimodal) — nearly exact on narrow intervals;
    // - CROWN's line (Zhang et al. 2018), for the lower one: the chord where f'(l) clearly exceeds
    //   its slope (f − chord is then ≥ 0: convex with a rising start on [l, 0], concave on [0, h]),
    //   otherwise the tangent at min(m, t*), t* ∈ [l, 0] the point whose tangent passes through
    //   (h, f(h)) (every t ≤ t* is valid; the tangent at m, when allowed, is closest to f at m);
    //   the upper one mirrored. On wide intervals far tighter than the near-constant parallelogram.
    // Measured on ERAN's ffnnSIGMOID__Point_6x200 (5 properties, plain CROWN at the root): the
    // parallelogram alone gave −108 … +0.15, CROWN's lines alone −110 … −10, the choice −2.6 … +7.9.
    const dl = sderiv(f, l), dh = sderiv(f, h);
    if (dl >= chord + chordTolerance(chord, l, h)) { sl[i] = chord; bl[i] = nextDown(fl - chord * l - margin(chord, l, h)); }
    else tangentLine(f, Math.min(m, tangentPointThrough(f, h, fh, l, 0, 1)), l, h, h, fh, 1, sl, bl, i);
    const k = Math.max(0, Math.min(dl, dh) * (1 - 1e-12) - 1e-300);
    const pbl = nextDown(fl - k * l - margin(k, l, h));
    if (k * m + pbl > sl[i] * m + bl[i]) { sl[i] = k; bl[i] = pbl; }
    sUpper(f, l, h, fl, fh, su, bu, i);
  }
}

/** The chord's slope (f(h) − f(l))/(h − l) from computed values (its error is within `margin` of the line). */
function chord0(fl: number, fh: number, l: number, h: number): number {
  return (fh - fl) / (h - l);
}

/** The chord is used across 0 only where f' clearly exceeds its slope at the end point despite the computed values' errors (the chord's slope may be off by 2·FUNC_ERR/(h − l)). */
function chordTolerance(chord: number, l: number, h: number): number {
  return chord * 1e-9 + 1e-15 + (4 * FUNC_ERR) / (h - l);
}

/** The default upper line on [l, h] with l < 0 (see sRelax): the chord when h ≤ 0, across 0 the closer to f at the middle of the parallelogram side and CROWN's chord or tangent. Writes index i. */
function sUpper(f: SFunc, l: number, h: number, fl: number, fh: number, su: Float64Array, bu: Float64Array, i: number): void {
  const chord = (fh - fl) / (h - l);
  if (h <= 0) { su[i] = chord; bu[i] = nextUp(fl - chord * l + margin(chord, l, h)); return; }
  const m = 0.5 * (l + h);
  if (sderiv(f, h) >= chord + chordTolerance(chord, l, h)) { su[i] = chord; bu[i] = nextUp(fh - chord * h + margin(chord, l, h)); }
  else tangentLine(f, Math.max(m, tangentPointThrough(f, l, fl, 0, h, -1)), l, h, l, fl, -1, su, bu, i);
  const k = Math.max(0, Math.min(sderiv(f, l), sderiv(f, h)) * (1 - 1e-12) - 1e-300);
  const pbu = nextUp(fh - k * h + margin(k, l, h));
  if (k * m + pbu < su[i] * m + bu[i]) { su[i] = k; bu[i] = pbu; }
}

/**
 * A point t ≤ 0 (the convex side) where f'(t) is about s (f' increases there from 0 to f'(0));
 * the caller clamps it and uses f'(t) itself as the slope. Closed forms: σ' = y(1 − y) with
 * y = σ(t) ≤ 1/2, tanh' = 1 − y² with y = tanh(t) ≤ 0; s outside (0, f'(0)) gives ∓∞ / 0.
 */
function convexPointOfSlope(f: SFunc, s: number): number {
  if (!(s > 0)) return -Infinity;
  if (f === 'sigmoid') {
    if (s >= 0.25) return 0;
    const y = (2 * s) / (1 + Math.sqrt(1 - 4 * s)); // the root ≤ 1/2 of y² − y + s, without cancellation
    return Math.log(y) - Math.log1p(-y);
  }
  if (s >= 1) return 0;
  const oneMinus = s / (1 + Math.sqrt(1 - s)); // 1 − |y| with |y| = √(1 − s)
  return -0.5 * Math.log((2 - oneMinus) / oneMinus); // −atanh(|y|)
}

/**
 * Bisection for the tangent point t in [a, b] (one side of 0) whose tangent passes through
 * (p, fp): side 1 (lower line, convex side a < b ≤ 0, p > b) returns a t whose tangent is at most
 * about fp at p; side −1 (upper line, concave side 0 ≤ a, p < a) one whose tangent is at least
 * about fp at p. Exactness is not needed: `tangentLine` moves the line by what it misses at p.
 */
function tangentPointThrough(f: SFunc, p: number, fp: number, a: number, b: number, side: 1 | -1): number {
  // The tangent's value at p is increasing in t on both sides (f''(t)·(p − t) > 0).
  let lo = a, hi = b;
  for (let it = 0; it < 40 && hi - lo > 1e-12 * (1 + Math.abs(lo) + Math.abs(hi)); it++) {
    const t = 0.5 * (lo + hi);
    const v = sval(f, t) + sderiv(f, t) * (p - t);
    if (v <= fp) lo = t; else hi = t;
  }
  return side === 1 ? lo : hi;
}

/**
 * The tangent at t (t ≤ 0 for a lower line, side 1; t ≥ 0 for an upper line, side −1) of f as a
 * sound line on [l, h] ∋ 0 when f's other end point p (h for the lower line, l for the upper)
 * lies on the line's far side of 0: the tangent is valid on t's own side (convex or concave); on
 * the other side line − f is convex (lower) or concave (upper) with the right sign at 0, so it
 * can cross f only by what it misses at p, which the intercept gives away. Also charged: the
 * computed slope's error (absolute 2·FUNC_ERR + 8u relative) over the interval's width, and the
 * arithmetic's rounding (`margin`). Writes slope and intercept at index i.
 */
function tangentLine(f: SFunc, t: number, l: number, h: number, p: number, fp: number, side: 1 | -1, s: Float64Array, b: Float64Array, i: number): void {
  const d = sderiv(f, t);
  const b0 = sval(f, t) - d * t;
  const slopeErr = (2 * FUNC_ERR + 8 * U * Math.abs(d)) * (h - l);
  const m = margin(d, l, h) + slopeErr;
  // How far the line passes on the wrong side of f(p) (≥ 0), with its own rounding.
  const miss = Math.max(0, side * (d * p + b0 - fp)) + m;
  s[i] = d;
  b[i] = side === 1 ? nextDown(b0 - miss - m) : nextUp(b0 + miss + m);
}

/** The LP's lines for an S-shaped op: the relaxation's lower and upper line. */
export function sCuts(f: SFunc, l: number, h: number): { lower: [number, number][]; upper: [number, number][] } {
  const o = [0, 0, 0, 0].map(() => new Float64Array(1));
  sRelax(f, Float64Array.of(l), Float64Array.of(h), o[0], o[1], o[2], o[3]);
  return { lower: [[o[0][0], o[1][0]]], upper: [[o[2][0], o[3][0]]] };
}
