/**
 * Minimum-norm adversarial attacks: the UPPER side of the maximum safe radius.
 *
 * Nothing here is a proof. Every attack only proposes points; a point becomes an adversarial
 * example only through {@link checkAdversarial}, which rounds it to the model's input type,
 * checks the domain, recomputes the output with `forward` (float64) and, for float32 models,
 * with `forward32`, and requires some y_j > y_label strictly in both (a tie is not an
 * adversarial example). Its distance to x0 is rounded up ({@link distanceUp}), so the reported
 * `upper` is ≥ the exact distance of a real witness.
 *
 * Attacks (all norms share them; each uses the norm's own geometry):
 * - {@link linearRegionAttack}: FAB-style (Croce & Hein 2020): linearise the margins y_j − y_label
 *   at the current point (exact on a ReLU network's current linear region), project x0 and the
 *   current point onto the nearest linearised decision boundary inside the domain (an exact
 *   minimum-norm step, {@link minNormStep}), step a little past it, and pull back toward x0
 *   once adversarial. The projection of x0 itself plus a step past it is tried every iteration.
 * - {@link pgdRadiusSearch}: PGD at a fixed radius (sign steps for L∞, normalised gradient for
 *   L2, sparse top-k steps for L1) inside a bisection over the radius.
 * - {@link lineSearch}: bisection along the segment from x0 to a witness for the closest point
 *   that still re-checks.
 */
import { gamma } from '../bounds/fp.js';
import type { Norm } from '../bounds/types.js';
import { forward } from '../net/forward.js';
import { forward32 } from '../net/forward32.js';
import { vjp } from '../net/gradient.js';
import type { Network } from '../net/network.js';
import { addDown, addUp, nextUp } from '../util/float.js';
import type { Rng } from '../util/rng.js';

/** A box of admissible inputs (±Infinity where unbounded); a fixed coordinate has lo = hi. */
export interface InputBox {
  lo: Float64Array;
  hi: Float64Array;
}

/** A re-checked adversarial example. */
export interface AdversarialExample {
  /** The input, rounded to the model's input type, inside the domain. */
  input: Float64Array;
  /** Its float64 output. */
  output: Float64Array;
  /** A double ≥ the exact ‖input − x0‖ in the norm. */
  distance: number;
  /** A class j with y_j > y_label (the largest). */
  cls: number;
}

/** Settings of the attacks (defaults per field). */
export interface AttackSettings {
  /** FAB-style iterations per restart. Default 40. */
  fabSteps: number;
  /** FAB restarts after the first run from x0 (random starts near the best witness). Default 4. */
  fabRestarts: number;
  /** PGD steps per radius tried. Default 40. */
  pgdSteps: number;
  /** Radii tried by the PGD bisection. Default 10. */
  pgdRadii: number;
  /** Bisection steps of the line search toward x0. Default 40. */
  lineSteps: number;
}

export const ATTACK_DEFAULTS: AttackSettings = { fabSteps: 40, fabRestarts: 4, pgdSteps: 40, pgdRadii: 10, lineSteps: 40 };

/** |a − b| rounded up (a double ≥ the exact value). */
function absDiffUp(a: number, b: number): number {
  const u = addUp(a, -b), d = addDown(a, -b);
  return Math.max(Math.abs(u), Math.abs(d));
}

/**
 * A double ≥ the exact ‖x − x0‖ in the norm (real arithmetic on the given doubles): each
 * difference rounded up, sums charged γ_n, the square root one more ulp.
 */
export function distanceUp(x: ArrayLike<number>, x0: ArrayLike<number>, norm: Norm): number {
  const n = x.length;
  if (norm === 'inf') {
    let d = 0;
    for (let i = 0; i < n; i++) { const v = absDiffUp(x[i], x0[i]); if (v > d) d = v; }
    return d;
  }
  let s = 0;
  for (let i = 0; i < n; i++) { const v = absDiffUp(x[i], x0[i]); s += norm === '2' ? v * v : v; }
  if (s === 0) return 0;
  s = nextUp(s * (1 + gamma(n + 1)));
  return norm === '2' ? nextUp(nextUp(Math.sqrt(s))) : s;
}

/** ‖x − x0‖ in plain float64 (for ranking candidates only). */
export function distance(x: ArrayLike<number>, x0: ArrayLike<number>, norm: Norm): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i] - x0[i]);
    if (norm === 'inf') { if (v > s) s = v; } else s += norm === '2' ? v * v : v;
  }
  return norm === '2' ? Math.sqrt(s) : s;
}

/** The class with the largest output other than `label`, and its margin y_j − y_label. */
export function runnerUp(y: ArrayLike<number>, label: number, off = 0, m = y.length - off): { cls: number; margin: number } {
  let cls = -1, best = -Infinity;
  for (let j = 0; j < m; j++) if (j !== label && y[off + j] > best) { best = y[off + j]; cls = j; }
  return { cls, margin: best - y[off + label] };
}

/**
 * The only way an adversarial example is produced: round x to the model's input type (a
 * coordinate whose rounding would leave the box keeps its value; the float32 emulation rounds
 * it anyway), require lo ≤ x ≤ hi, recompute y in float64 (and in float32 emulation for float32
 * models) and require some y_j > y_label strictly in both. Returns null otherwise. `round`
 * false checks x as given (the user's own point).
 */
export function checkAdversarial(net: Network, x: ArrayLike<number>, x0: ArrayLike<number>, label: number, norm: Norm, box: InputBox, round = true): AdversarialExample | null {
  const n = x.length;
  const f32 = net.meta.inputDtype === 'float32';
  const roundF32 = f32 && round;
  const xr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = x[i];
    if (!Number.isFinite(v)) return null;
    if (roundF32) { const r = Math.fround(v); if (r >= box.lo[i] && r <= box.hi[i]) v = r; }
    if (!(v >= box.lo[i] && v <= box.hi[i])) return null;
    xr[i] = v;
  }
  const y = forward(net, xr, 1);
  const { cls, margin } = runnerUp(y, label);
  if (!(margin > 0)) return null;
  if (f32 && !(runnerUp(forward32(net, xr, 1), label).margin > 0)) return null;
  return { input: xr, output: y, distance: distanceUp(xr, x0, norm), cls };
}

/**
 * The exact minimum-norm step δ with g·δ ≥ b and lo ≤ base + δ ≤ hi (in float64, for attacks):
 * writes δ into `out` and returns ‖δ‖, or Infinity when no step in the box reaches b. L∞ and
 * L2 sweep the breakpoints where coordinates hit the box; L1 moves the coordinates with the
 * largest |g_i| first (a sparse step).
 */
export function minNormStep(g: ArrayLike<number>, b: number, base: ArrayLike<number>, box: InputBox, norm: Norm, out: Float64Array, gOff = 0): number {
  const n = base.length;
  out.fill(0);
  if (!(b > 0)) return 0;
  const room = new Float64Array(n);
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    const gi = g[gOff + i];
    if (gi === 0) continue;
    room[i] = gi > 0 ? box.hi[i] - base[i] : base[i] - box.lo[i];
    if (room[i] > 0) idx.push(i);
  }
  const ag = (i: number) => Math.abs(g[gOff + i]);
  const sgn = (i: number) => (g[gOff + i] > 0 ? 1 : -1);
  if (norm === '1') {
    idx.sort((p, q) => ag(q) - ag(p));
    let rem = b, d = 0;
    for (const i of idx) {
      const gain = ag(i) * room[i];
      if (gain >= rem) { const s = rem / ag(i); out[i] = sgn(i) * s; return d + s; }
      out[i] = sgn(i) * room[i]; d += room[i]; rem -= gain;
    }
    return Infinity;
  }
  // L∞: move every coordinate by min(t, room_i); L2: by min(λ|g_i|, room_i). Both sweeps find
  // the smallest parameter whose gain g·δ reaches b.
  const bp = (i: number) => (norm === 'inf' ? room[i] : room[i] / ag(i));
  const w = (i: number) => (norm === 'inf' ? ag(i) : ag(i) * ag(i));
  idx.sort((p, q) => bp(p) - bp(q));
  let slope = 0;
  for (const i of idx) slope += w(i);
  let gain = 0, prev = 0, t = Infinity;
  for (const i of idx) {
    const next = bp(i);
    if (slope > 0 && gain + slope * (next - prev) >= b) { t = prev + (b - gain) / slope; break; }
    gain += slope * (next - prev); slope -= w(i); prev = next;
  }
  if (t === Infinity) return Infinity;
  let s = 0;
  for (const i of idx) {
    const v = norm === 'inf' ? Math.min(t, room[i]) : Math.min(t * ag(i), room[i]);
    out[i] = sgn(i) * v;
    if (norm === 'inf') { if (v > s) s = v; } else s += v * v;
  }
  return norm === 'inf' ? s : Math.sqrt(s);
}

/**
 * The margins f_j = y_j − y_label at x and their gradients (m × n, row `label` zero), by one
 * batched vector–Jacobian product.
 */
export function marginGradients(net: Network, x: Float64Array, label: number): { f: Float64Array; G: Float64Array } {
  const m = net.outputSize, n = net.inputSize;
  const xs = new Float64Array(m * n);
  const gOut = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    xs.set(x, j * n);
    if (j === label) continue;
    gOut[j * m + j] = 1;
    gOut[j * m + label] = -1;
  }
  const { output, grad } = vjp(net, xs, gOut, m);
  const f = new Float64Array(m);
  for (let j = 0; j < m; j++) f[j] = j === label ? 0 : output[j] - output[label];
  return { f, G: grad };
}

function clipInto(x: Float64Array, box: InputBox): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i] < box.lo[i] ? box.lo[i] : x[i] > box.hi[i] ? box.hi[i] : x[i];
}

/** Keep the better (closer) of two witnesses. */
export function closer(a: AdversarialExample | null, b: AdversarialExample | null): AdversarialExample | null {
  if (!a) return b;
  if (!b) return a;
  return b.distance < a.distance ? b : a;
}

/**
 * Bisection along the segment x0 → witness for the smallest t whose point still re-checks as
 * adversarial. Returns the closest re-checked witness found (at worst the one given).
 */
export function lineSearch(net: Network, x0: Float64Array, w: AdversarialExample, label: number, norm: Norm, box: InputBox, steps: number): AdversarialExample {
  let best = w, lo = 0, hi = 1;
  const d = w.input.map((v, i) => v - x0[i]);
  const x = new Float64Array(x0.length);
  for (let k = 0; k < steps; k++) {
    const t = 0.5 * (lo + hi);
    for (let i = 0; i < x.length; i++) x[i] = x0[i] + t * d[i];
    const c = checkAdversarial(net, x, x0, label, norm, box);
    if (c) { hi = t; if (c.distance < best.distance) best = c; } else lo = t;
  }
  return best;
}

/**
 * FAB-style minimum-norm attack (see the module comment). Runs from x0, then `restarts` times
 * from random points near the best witness; `target` ≥ 0 restricts it to that class's
 * boundary. Returns the closest re-checked witness (after a line search), or null.
 */
export function linearRegionAttack(net: Network, x0: Float64Array, label: number, norm: Norm, box: InputBox, rng: Rng, s: AttackSettings = ATTACK_DEFAULTS, deadline = Infinity, target = -1): AdversarialExample | null {
  const n = x0.length, m = net.outputSize;
  let best: AdversarialExample | null = null;
  const dx = new Float64Array(n), d0 = new Float64Array(n), dTmp = new Float64Array(n);
  const cand = new Float64Array(n);
  const overshoot = 1.02;
  for (let run = 0; run <= s.fabRestarts; run++) {
    if (performance.now() > deadline) break;
    const x = Float64Array.from(x0);
    if (run > 0) {
      // A random start in the ball (in L∞ geometry) of half the best distance so far.
      const r = best ? 0.5 * best.distance : 0.05 * (1 + Math.abs(x0[0]));
      for (let i = 0; i < n; i++) if (box.hi[i] > box.lo[i]) x[i] += r * (2 * rng.next() - 1) / (norm === 'inf' ? 1 : norm === '2' ? Math.sqrt(n) : n);
      clipInto(x, box);
    }
    for (let it = 0; it < s.fabSteps; it++) {
      if (performance.now() > deadline) break;
      const { f, G } = marginGradients(net, x, label);
      // The class whose linearised boundary is nearest to x0.
      let bestJ = -1, bestD0 = Infinity;
      for (let j = 0; j < m; j++) {
        if (j === label || (target >= 0 && j !== target)) continue;
        // f_j(x0 + δ) ≈ f_j(x) + g_j·(x0 − x) + g_j·δ ≥ 0.
        let lin = f[j];
        for (let i = 0; i < n; i++) lin += G[j * n + i] * (x0[i] - x[i]);
        const dist = minNormStep(G, -lin, x0, box, norm, dTmp, j * n);
        if (dist < bestD0) { bestD0 = dist; bestJ = j; d0.set(dTmp); }
      }
      if (bestJ < 0) break;
      // The projection of x0 onto the boundary of the current linear region, a step past it.
      for (let i = 0; i < n; i++) cand[i] = x0[i] + d0[i] * (1 + 1e-7) + Math.sign(d0[i]) * 1e-12;
      clipInto(cand, box);
      best = closer(best, checkAdversarial(net, cand, x0, label, norm, box));
      const dX = minNormStep(G, -f[bestJ], x, box, norm, dx, bestJ * n);
      if (!Number.isFinite(dX)) break;
      const alpha = Math.min(dX / (dX + bestD0 + 1e-300), 0.1);
      for (let i = 0; i < n; i++) x[i] = (1 - alpha) * (x[i] + overshoot * dx[i]) + alpha * (x0[i] + overshoot * d0[i]);
      clipInto(x, box);
      const w = checkAdversarial(net, x, x0, label, norm, box);
      if (w) {
        best = closer(best, w);
        // Adversarial: pull toward x0 (FAB's backward step).
        for (let i = 0; i < n; i++) x[i] = x0[i] + 0.9 * (x[i] - x0[i]);
      }
    }
  }
  return best ? lineSearch(net, x0, best, label, norm, box, s.lineSteps) : null;
}

/** Project x onto the ball ‖x − x0‖ ≤ r (L∞ clip, L2 scaling, L1 exact simplex projection), then into the box. */
export function projectBallBox(x: Float64Array, x0: Float64Array, r: number, norm: Norm, box: InputBox): void {
  const n = x.length;
  if (norm === 'inf') {
    for (let i = 0; i < n; i++) { const d = x[i] - x0[i]; x[i] = x0[i] + (d > r ? r : d < -r ? -r : d); }
  } else if (norm === '2') {
    const d = distance(x, x0, '2');
    if (d > r) { const s = r / d; for (let i = 0; i < n; i++) x[i] = x0[i] + s * (x[i] - x0[i]); }
  } else if (distance(x, x0, '1') > r) {
    // Duchi et al.: soft-threshold |x − x0| by θ so that the sum is r.
    const a = Array.from(x, (v, i) => Math.abs(v - x0[i])).sort((p, q) => q - p);
    let cum = 0, theta = 0;
    for (let k = 0; k < n; k++) {
      cum += a[k];
      const t = (cum - r) / (k + 1);
      if (k === n - 1 || a[k + 1] <= t) { theta = Math.max(t, 0); break; }
    }
    for (let i = 0; i < n; i++) { const d = x[i] - x0[i]; const v = Math.max(Math.abs(d) - theta, 0); x[i] = x0[i] + Math.sign(d) * v; }
  }
  // Clipping into a box that holds x0 never increases |x_i − x0_i|: the ball constraint stays met.
  clipInto(x, box);
}

/**
 * PGD on the runner-up margin at radius r, from x0 and `restarts` random points in the ball.
 * Returns a re-checked witness within radius r (up to rounding), or null.
 */
export function pgdAt(net: Network, x0: Float64Array, label: number, r: number, norm: Norm, box: InputBox, rng: Rng, steps: number, restarts = 1): AdversarialExample | null {
  const n = x0.length, m = net.outputSize;
  const free: number[] = [];
  for (let i = 0; i < n; i++) if (box.hi[i] > box.lo[i]) free.push(i);
  if (free.length === 0) return null;
  const k1 = Math.max(1, Math.ceil(0.01 * free.length));
  for (let run = 0; run < restarts; run++) {
    const x = Float64Array.from(x0);
    if (run > 0) {
      for (const i of free) x[i] += r * (2 * rng.next() - 1) * (norm === 'inf' ? 1 : norm === '2' ? 1 / Math.sqrt(free.length) : 1 / free.length);
      projectBallBox(x, x0, r, norm, box);
    }
    const gOut = new Float64Array(m);
    for (let it = 0; it < steps; it++) {
      const y = forward(net, x, 1);
      const { cls, margin } = runnerUp(y, label);
      if (margin > 0) {
        const w = checkAdversarial(net, x, x0, label, norm, box);
        if (w) return w;
      }
      gOut.fill(0); gOut[cls] = 1; gOut[label] = -1;
      const g = vjp(net, x, gOut, 1).grad;
      const step = (norm === 'inf' ? 0.25 : 0.5) * r * (1 - it / steps) + 1e-3 * r;
      if (norm === 'inf') {
        for (const i of free) x[i] += step * Math.sign(g[i]);
      } else if (norm === '2') {
        let s = 0;
        for (const i of free) s += g[i] * g[i];
        s = Math.sqrt(s);
        if (!(s > 0)) break;
        for (const i of free) x[i] += (step * g[i]) / s;
      } else {
        // A sparse step: the k1 coordinates with the largest |g_i| that can still move that way.
        const order = free.filter((i) => (g[i] > 0 ? x[i] < box.hi[i] : g[i] < 0 && x[i] > box.lo[i])).sort((p, q) => Math.abs(g[q]) - Math.abs(g[p])).slice(0, k1);
        for (const i of order) x[i] += (step / order.length) * Math.sign(g[i]) * 2;
      }
      projectBallBox(x, x0, r, norm, box);
    }
    const w = checkAdversarial(net, x, x0, label, norm, box);
    if (w) return w;
  }
  return null;
}

/**
 * PGD with a radius search: bisection over r in (lo, hi) (hi: the best distance so far, or a
 * guess), each radius attacked by {@link pgdAt}; a success moves hi to the witness's distance,
 * a failure moves lo up (a heuristic, never reported as a bound). Returns the closest witness.
 */
export function pgdRadiusSearch(net: Network, x0: Float64Array, label: number, norm: Norm, box: InputBox, rng: Rng, lo: number, hi: number, s: AttackSettings = ATTACK_DEFAULTS, deadline = Infinity): AdversarialExample | null {
  let best: AdversarialExample | null = null;
  for (let k = 0; k < s.pgdRadii && performance.now() < deadline; k++) {
    const r = best || k > 0 ? 0.5 * (lo + hi) : hi;
    const w = pgdAt(net, x0, label, r, norm, box, rng, s.pgdSteps, 2);
    if (w) { best = closer(best, w); hi = Math.min(r, w.distance); } else if (!best) break; else lo = r;
    if (hi - lo <= 1e-6 * hi) break;
  }
  return best ? lineSearch(net, x0, best, label, norm, box, s.lineSteps) : null;
}
