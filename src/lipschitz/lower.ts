import { ibpRows } from '../bounds/index.js';
import type { Norm } from '../bounds/types.js';
import { vjp } from '../net/gradient.js';
import type { Network } from '../net/network.js';
import { addDown, divDown } from '../util/float.js';
import type { Rng } from '../util/rng.js';
import { dualOf, distanceUp, normUp } from './norms.js';

/**
 * Lower bounds of a Lipschitz constant from secant pairs, every one a proof:
 * for a pair (a, b) of the region, the real values g(a) and g(b) are enclosed by interval
 * propagation on the point boxes [a, a] and [b, b] (which charges every rounding of the
 * forward pass), so |g(a) − g(b)| ≥ max(lo_a − hi_b, lo_b − hi_a) (rounded down), and the
 * slope bound is that over an upper bound of ‖a − b‖_p, rounded down. Gradients only pick
 * the candidate pairs; they are never used as bounds.
 */

/** Sound lower bounds (rounded down, ≥ 0) of |g(a_k) − g(b_k)| / ‖a_k − b_k‖_p for `count` pairs. */
export function secantLowerBounds(net: Network, row: Float64Array, norm: Norm, A: Float64Array, B: Float64Array, count: number): Float64Array {
  const n = net.inputSize;
  const out = new Float64Array(count);
  if (count === 0) return out;
  const ga = ibpRows({ net, region: { batch: count, lo: A, hi: A }, C: row });
  const gb = ibpRows({ net, region: { batch: count, lo: B, hi: B }, C: row });
  for (let k = 0; k < count; k++) {
    const num = Math.max(addDown(ga.lower[k], -gb.upper[k]), addDown(gb.lower[k], -ga.upper[k]));
    if (!(num > 0)) continue;
    const dist = distanceUp(A, k * n, B, k * n, n, norm);
    if (!(dist > 0) || !Number.isFinite(dist)) continue;
    const s = divDown(num, dist);
    out[k] = s > 0 ? s : 0;
  }
  return out;
}

/** The best secant pair found and its sound slope bound. */
export interface SecantWitness {
  lower: number;
  a: Float64Array;
  b: Float64Array;
}

export interface LowerSearchOptions {
  /** Uniform samples (besides the centre). Default 256. */
  samples?: number;
  /** Hill-climbing rounds on the gradient norm from the best points. Default 20. */
  ascentSteps?: number;
  /** Points kept for climbing and turned into secant pairs. Default 8. */
  keep?: number;
}

/** q-norms of each gradient row over the mask (plain float; only ranks candidates). */
function gradNorms(grad: Float64Array, count: number, n: number, q: Norm, mask: Uint8Array): Float64Array {
  const s = new Float64Array(count);
  for (let k = 0; k < count; k++) s[k] = normUp(grad, k * n, n, q, mask);
  return s;
}

/** Gradients of g = row·y at a batch of points (count × n). */
export function gradientsAt(net: Network, row: Float64Array, xs: Float64Array, count: number): Float64Array {
  const m = net.outputSize;
  const gOut = new Float64Array(count * m);
  for (let k = 0; k < count; k++) gOut.set(row, k * m);
  return vjp(net, xs, gOut, count).grad;
}

/**
 * Secant pairs around points x_k in the direction u that maximises ∇g(x_k)·u over ‖u‖_p = 1
 * (free coordinates only): (x − τu, x + τu) clamped into the box, for τ from the largest step
 * that stays inside down to 1e-6 of it. Returns the best sound slope bound among them.
 */
export function secantsAround(net: Network, row: Float64Array, norm: Norm, lo: Float64Array, hi: Float64Array, xs: Float64Array, grads: Float64Array, count: number): SecantWitness {
  const n = net.inputSize;
  const TAUS = [1, 0.5, 1 / 8, 1 / 64, 1 / 1024, 1e-6];
  const P = count * TAUS.length;
  const A = new Float64Array(P * n), B = new Float64Array(P * n);
  const u = new Float64Array(n);
  for (let k = 0; k < count; k++) {
    const x = xs.subarray(k * n, (k + 1) * n), g = grads.subarray(k * n, (k + 1) * n);
    u.fill(0);
    if (norm === 'inf') {
      for (let i = 0; i < n; i++) if (lo[i] < hi[i]) u[i] = g[i] > 0 ? 1 : g[i] < 0 ? -1 : 0;
    } else if (norm === '2') {
      let s = 0;
      for (let i = 0; i < n; i++) if (lo[i] < hi[i]) s += g[i] * g[i];
      s = Math.sqrt(s);
      if (s > 0) for (let i = 0; i < n; i++) if (lo[i] < hi[i]) u[i] = g[i] / s;
    } else {
      let best = -1, bi = -1;
      for (let i = 0; i < n; i++) if (lo[i] < hi[i] && Math.abs(g[i]) > best) { best = Math.abs(g[i]); bi = i; }
      if (bi >= 0) u[bi] = g[bi] >= 0 ? 1 : -1;
    }
    // Largest τ keeping both x ± τu inside the box; if x sits on a face, the half-width instead (clamped).
    let tmax = Infinity, hw = 0;
    for (let i = 0; i < n; i++) {
      if (u[i] === 0) continue;
      const room = Math.min(x[i] - lo[i], hi[i] - x[i]) / Math.abs(u[i]);
      if (room < tmax) tmax = room;
      const w = (hi[i] - lo[i]) / 2 / Math.abs(u[i]);
      if (w > hw) hw = w;
    }
    if (!(tmax > 0) || !Number.isFinite(tmax)) tmax = hw;
    TAUS.forEach((f, t) => {
      const o = (k * TAUS.length + t) * n, tau = tmax * f;
      for (let i = 0; i < n; i++) {
        let a = x[i] - tau * u[i], b = x[i] + tau * u[i];
        if (a < lo[i]) a = lo[i]; else if (a > hi[i]) a = hi[i];
        if (b < lo[i]) b = lo[i]; else if (b > hi[i]) b = hi[i];
        A[o + i] = a; B[o + i] = b;
      }
    });
  }
  const s = secantLowerBounds(net, row, norm, A, B, P);
  let best = 0, bi = -1;
  for (let k = 0; k < P; k++) if (s[k] > best) { best = s[k]; bi = k; }
  if (bi < 0) return { lower: 0, a: Float64Array.from(xs.subarray(0, n)), b: Float64Array.from(xs.subarray(0, n)) };
  return { lower: best, a: A.slice(bi * n, (bi + 1) * n), b: B.slice(bi * n, (bi + 1) * n) };
}

/**
 * A sound lower bound of the Lipschitz constant of g = row·y over the box [lo, hi] (p-norm on the
 * free coordinates): the centre and uniform samples ranked by ‖∇g‖_q, hill climbing on ‖∇g‖_q
 * from the best ones (random moves of shrinking size, kept when the gradient norm grows), then
 * re-evaluated secant pairs around the best points (see secantsAround). Deterministic for a seeded rng.
 */
export function searchLower(net: Network, row: Float64Array, norm: Norm, lo: Float64Array, hi: Float64Array, rng: Rng, opts: LowerSearchOptions = {}): SecantWitness {
  const n = net.inputSize;
  const samples = opts.samples ?? 256, steps = opts.ascentSteps ?? 20, keep = Math.min(opts.keep ?? 8, samples + 1);
  const q = dualOf(norm);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = lo[i] < hi[i] ? 1 : 0;
  const count = samples + 1;
  const xs = new Float64Array(count * n);
  for (let i = 0; i < n; i++) xs[i] = lo[i] === hi[i] ? lo[i] : 0.5 * lo[i] + 0.5 * hi[i];
  for (let k = 1; k < count; k++) for (let i = 0; i < n; i++) xs[k * n + i] = mask[i] ? Math.min(hi[i], lo[i] + (hi[i] - lo[i]) * rng.next()) : lo[i];
  let grads = gradientsAt(net, row, xs, count);
  const score = gradNorms(grads, count, n, q, mask);
  const order = Array.from({ length: count }, (_, k) => k).sort((a, b) => score[b] - score[a]).slice(0, keep);
  const bx = new Float64Array(keep * n), bg = new Float64Array(keep * n), bs = new Float64Array(keep);
  order.forEach((k, j) => { bx.set(xs.subarray(k * n, (k + 1) * n), j * n); bg.set(grads.subarray(k * n, (k + 1) * n), j * n); bs[j] = score[k]; });
  let sigma = 0.25;
  const trial = new Float64Array(keep * n);
  for (let step = 0; step < steps; step++) {
    for (let j = 0; j < keep; j++) {
      for (let i = 0; i < n; i++) {
        const o = j * n + i;
        if (!mask[i]) { trial[o] = lo[i]; continue; }
        const v = bx[o] + sigma * (hi[i] - lo[i]) * (2 * rng.next() - 1);
        trial[o] = v < lo[i] ? lo[i] : v > hi[i] ? hi[i] : v;
      }
    }
    grads = gradientsAt(net, row, trial, keep);
    const ts = gradNorms(grads, keep, n, q, mask);
    let improved = false;
    for (let j = 0; j < keep; j++) {
      if (ts[j] > bs[j]) {
        bs[j] = ts[j];
        bx.set(trial.subarray(j * n, (j + 1) * n), j * n);
        bg.set(grads.subarray(j * n, (j + 1) * n), j * n);
        improved = true;
      }
    }
    if (!improved) sigma *= 0.5;
  }
  return secantsAround(net, row, norm, lo, hi, bx, bg, keep);
}
