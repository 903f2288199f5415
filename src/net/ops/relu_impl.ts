import { addUp, divUp, mulUp, nextDown } from '../../util/float.js';
import type { MilpElement } from '../op.js';
import type { UnaryParams } from './unary_impl.js';

/**
 * Bound semantics shared by Relu (a = 0) and LeakyRelu (0 ≤ a ≤ 1): f(x) = x for x ≥ 0,
 * a·x for x < 0 — convex, so the chord is the tightest upper line, and every line through
 * the origin with slope in [a, 1] is a lower line.
 */
function leak(p: UnaryParams): number {
  const a = p.op === 'Relu' ? 0 : p.alpha;
  if (!(a >= 0 && a <= 1)) throw new Error(`${p.op} with alpha ${a} outside [0, 1] has no bound semantics`);
  return a;
}

/** Exact intervals: f is monotone and f(l) is computed exactly when a = 0 (one rounding when a ≠ 0, rounded outward). */
export function reluInterval(p: UnaryParams, lo: Float64Array, hi: Float64Array, outLo: Float64Array, outHi: Float64Array): void {
  const a = leak(p);
  for (let i = 0; i < lo.length; i++) {
    const l = lo[i], h = hi[i];
    // A NaN bound carries no information: widen it (never let it become a finite bound).
    outLo[i] = l >= 0 ? l : l !== l ? (a === 0 ? 0 : -Infinity) : a === 0 ? 0 : nextDown(a * l);
    outHi[i] = h >= 0 ? h : h !== h ? Infinity : a === 0 ? 0 : -nextDown(-(a * h));
  }
}

/**
 * CROWN lines, sound in real arithmetic: the upper chord has its slope rounded up (dividing
 * by a rounded-down width) and its intercept rounded up; the lower line is alpha·x with
 * alpha in [a, 1] (default: 1 when u > −l, else a — CROWN's adaptive choice).
 */
export function reluRelax(p: UnaryParams, lo: Float64Array, hi: Float64Array, alpha: Float64Array | null, sl: Float64Array, bl: Float64Array, su: Float64Array, bu: Float64Array): void {
  const a = leak(p);
  for (let i = 0; i < lo.length; i++) {
    const l = lo[i], h = hi[i];
    bl[i] = 0;
    if (h <= 0) { sl[i] = a; su[i] = a; bu[i] = 0; continue; }
    if (l >= 0) { sl[i] = 1; su[i] = 1; bu[i] = 0; continue; }
    // Chord through (l, a·l) and (h, h): slope (h − a·l)/(h − l) ≥ a; line s·x + (s − a)·(−l).
    const num = a === 0 ? h : addUp(h, mulUp(a, -l));
    const s = divUp(num, nextDown(h - l));
    su[i] = s;
    bu[i] = mulUp(addUp(s, -a), -l);
    let al = alpha ? alpha[i] : h > -l ? 1 : a;
    if (!(al >= a)) al = a;
    else if (al > 1) al = 1;
    sl[i] = al;
  }
}

/** The LP's lines: y ≥ a·x, y ≥ x, y ≤ chord (or the one exact line when stable). */
export function reluCuts(p: UnaryParams, l: number, h: number): { lower: [number, number][]; upper: [number, number][] } {
  const a = leak(p);
  if (h <= 0) return { lower: [[a, 0]], upper: [[a, 0]] };
  if (l >= 0) return { lower: [[1, 0]], upper: [[1, 0]] };
  const sl = new Float64Array(1), bl = new Float64Array(1), su = new Float64Array(1), bu = new Float64Array(1);
  reluRelax(p, Float64Array.of(l), Float64Array.of(h), null, sl, bl, su, bu);
  return { lower: a === 1 ? [[1, 0]] : [[a, 0], [1, 0]], upper: [[su[0], bu[0]]] };
}

/**
 * The exact MILP encoding of f(x) = max(x, a·x) on [l, h] (a ∈ [0, 1)): y = x or y = a·x when
 * stable; else the big-M rows y ≥ x, y ≥ a·x, y ≤ x − (1−a)·l·(1−z), y ≤ a·x + (1−a)·h·z with
 * z = 1 on the active side. The rows use l and h as given (sound bounds), so the encoding is
 * exact in real arithmetic: (1−a)·l and (1−a)·h are computed exactly only when a = 0; otherwise
 * they are rounded outward (the rows only get looser by it, and stay exact at z's two values up to that).
 */
export function reluMilp(p: UnaryParams, l: number, h: number): MilpElement {
  const a = leak(p);
  if (h <= 0) return { binary: false, rows: [{ cx: -a, cy: 1, cz: 0, lower: 0, upper: 0 }] };
  if (l >= 0 || a === 1) return { binary: false, rows: [{ cx: -1, cy: 1, cz: 0, lower: 0, upper: 0 }] };
  // (1−a)·l rounded down (more negative), (1−a)·h rounded up: both loosen the rows.
  const ml = a === 0 ? l : -mulUp(addUp(1, -a), -l);
  const mh = a === 0 ? h : mulUp(addUp(1, -a), h);
  return {
    binary: true,
    rows: [
      { cx: -1, cy: 1, cz: 0, lower: 0, upper: Infinity },
      ...(a === 0 ? [{ cx: 0, cy: 1, cz: 0, lower: 0, upper: Infinity }] : [{ cx: -a, cy: 1, cz: 0, lower: 0, upper: Infinity }]),
      // y − x − ml·z ≤ −ml  (z = 1: y ≤ x; z = 0: y ≤ x − ml)
      { cx: -1, cy: 1, cz: -ml, lower: -Infinity, upper: -ml },
      // y − a·x − mh·z ≤ 0  (z = 0: y ≤ a·x; z = 1: y ≤ a·x + mh)
      { cx: -a, cy: 1, cz: -mh, lower: -Infinity, upper: 0 },
    ],
  };
}
