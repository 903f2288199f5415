import { forward } from '../net/forward.js';
import { vjp } from '../net/gradient.js';
import type { Network } from '../net/network.js';
import type { PropertyDisjunct } from '../spec/property.js';
import type { Rng } from '../util/rng.js';
import { checkCandidate, violation, type Counterexample } from './counterexample.js';

/** Knobs of the falsifier (defaults per field). */
export interface FalsifySettings {
  /** Uniform random points per round. Default 2048. */
  samples: number;
  /**
   * Random points on the box's faces, edges and corners per round: each coordinate is at its lower
   * bound, at its upper bound or uniform inside, with equal probability. A ReLU network is affine
   * on each activation region, so its extremes sit on region or box boundaries; a violation can be
   * confined to a face (ACAS Xu 1_9 prop_7: 2e-4 of the face ρ = 0 violates, 5e-7 of the box).
   * Default 2048.
   */
  boundarySamples: number;
  /** Include every corner of the box when it has at most this many inputs. Default 10. */
  maxCornerDims: number;
  /** PGD restarts (from the best sampled points). Default 64. */
  restarts: number;
  /** PGD steps per restart. Default 60. */
  steps: number;
  /** During branch and bound: PGD steps inside each expanded domain, from its centre. Default 10. */
  localSteps: number;
}

export const FALSIFY_DEFAULTS: FalsifySettings = { samples: 2048, boundarySamples: 2048, maxCornerDims: 10, restarts: 64, steps: 60, localSteps: 10 };

/**
 * Gradient of the violation objective at each point of a batch: the objective is a min over
 * polytopes of a max over rows of C·y − d, so its (sub)gradient is that of the active row.
 */
function objectiveAndGradient(net: Network, xs: Float64Array, batch: number, disjunct: PropertyDisjunct): { obj: Float64Array; grad: Float64Array } {
  const m = net.outputSize;
  const y = forward(net, xs, batch);
  const obj = new Float64Array(batch);
  const gOut = new Float64Array(batch * m);
  for (let s = 0; s < batch; s++) {
    // The objective min_p max_r is flat along all rows but one; the descent direction is that of
    // the chosen polytope's summed positive parts Σ_r max(row_r, 0) (every violated row pulls).
    let best = Infinity, bestP: (typeof disjunct.outputs)[number] | null = null;
    for (const p of disjunct.outputs) {
      let worst = -Infinity;
      for (let r = 0; r < p.rows; r++) {
        let v = -p.d[r];
        for (let j = 0; j < m; j++) v += p.C[r * m + j] * y[s * m + j];
        if (v > worst) worst = v;
      }
      if (worst < best) { best = worst; bestP = p; }
    }
    obj[s] = best;
    if (bestP) {
      for (let r = 0; r < bestP.rows; r++) {
        let v = -bestP.d[r];
        for (let j = 0; j < m; j++) v += bestP.C[r * m + j] * y[s * m + j];
        if (v >= 0 || bestP.rows === 1) for (let j = 0; j < m; j++) gOut[s * m + j] += bestP.C[r * m + j];
      }
    }
  }
  const grad = vjp(net, xs, gOut, batch).grad;
  return { obj, grad };
}

/**
 * Search for a counterexample in one disjunct's box: corners (small inputs), uniform samples,
 * then signed-gradient descent (PGD) on the violation from the most promising points. Returns
 * a validated counterexample (see checkCandidate) or the lowest objective value seen.
 */
export function falsify(net: Network, checkNet: Network, disjunct: PropertyDisjunct, rng: Rng, settings: Partial<FalsifySettings> = {}, deadline = Infinity): { cex: Counterexample | null; best: number } {
  const s = { ...FALSIFY_DEFAULTS, ...settings };
  const n = net.inputSize;
  const { lo, hi } = disjunct.box;
  // All points in one flat array (centre, corners, uniform, boundary samples), filled in that order.
  const corners = n <= s.maxCornerDims ? 1 << n : 0;
  const N = 1 + corners + s.samples + s.boundarySamples;
  const xs = new Float64Array(N * n);
  let at = 0;
  for (let i = 0; i < n; i++) xs[at++] = 0.5 * (lo[i] + hi[i]);
  for (let c = 0; c < corners; c++) for (let i = 0; i < n; i++) xs[at++] = (c >> i) & 1 ? hi[i] : lo[i];
  for (let k = 0; k < s.samples; k++) for (let i = 0; i < n; i++) xs[at++] = lo[i] + rng.next() * (hi[i] - lo[i]);
  for (let k = 0; k < s.boundarySamples; k++) {
    for (let i = 0; i < n; i++) {
      const u = 3 * rng.next();
      xs[at++] = u < 1 ? lo[i] : u < 2 ? hi[i] : lo[i] + rng.next() * (hi[i] - lo[i]);
    }
  }
  const y = forward(net, xs, N);
  const m = net.outputSize;
  const scores = new Float64Array(N);
  let best = Infinity;
  for (let k = 0; k < N; k++) {
    scores[k] = violation(y, k * m, disjunct.outputs);
    if (scores[k] < best) best = scores[k];
    if (scores[k] <= 0) {
      const cex = checkCandidate(checkNet, xs.subarray(k * n, (k + 1) * n), disjunct);
      if (cex) return { cex, best };
    }
  }
  // PGD from the best points.
  const order = Array.from({ length: N }, (_, k) => k).sort((a, b) => scores[a] - scores[b]);
  const R = Math.min(s.restarts, N);
  const x = new Float64Array(R * n), bl = new Float64Array(R * n), bh = new Float64Array(R * n);
  for (let r = 0; r < R; r++) { x.set(xs.subarray(order[r] * n, (order[r] + 1) * n), r * n); bl.set(lo, r * n); bh.set(hi, r * n); }
  const pgd = signedDescent(net, checkNet, disjunct, x, bl, bh, R, s.steps, 0.9, deadline);
  return { cex: pgd.cex, best: Math.min(best, pgd.best) };
}

/**
 * Signed-gradient descent on the violation inside several boxes at once: the branch-and-bound's
 * worst domains are where counterexamples hide. Each box gets a start at its centre and, when it
 * carries the coefficients `branchA` of its bound's linear function, one a quarter of the way in
 * from the corner minimising that function (where the bound is weakest; measured on ACAS Xu
 * prop_2: 1_2 found after 181 domains instead of 277, 1_6 after 187 instead of 283, the other
 * instances unchanged). Returns a validated counterexample or null.
 */
export function localAttack(net: Network, checkNet: Network, disjunct: PropertyDisjunct, boxes: { lo: Float64Array; hi: Float64Array; branchA?: Float64Array }[], steps: number): Counterexample | null {
  const n = net.inputSize;
  if (boxes.length === 0 || steps <= 0) return null;
  const B = boxes.reduce((c, b) => c + (b.branchA ? 2 : 1), 0);
  const x = new Float64Array(B * n), bl = new Float64Array(B * n), bh = new Float64Array(B * n);
  let k = 0;
  for (const b of boxes) {
    for (let s = 0; s < (b.branchA ? 2 : 1); s++, k++) {
      bl.set(b.lo, k * n);
      bh.set(b.hi, k * n);
      for (let i = 0; i < n; i++) {
        const w = b.hi[i] - b.lo[i];
        x[k * n + i] = s === 0 ? 0.5 * (b.lo[i] + b.hi[i]) : b.branchA![i] >= 0 ? b.lo[i] + 0.25 * w : b.hi[i] - 0.25 * w;
      }
    }
  }
  return signedDescent(net, checkNet, disjunct, x, bl, bh, B, steps, 0.85, Infinity).cex;
}

/**
 * Signed-gradient descent on the violation from `count` starts at once (x, count × n, updated in
 * place), start k kept inside its own box [lo, hi] (count × n each): step t moves each coordinate
 * by 0.25·decay^t of its box's width. Every iterate is tried as a counterexample. Returns the
 * first validated one (or null) and the lowest objective value seen.
 */
function signedDescent(net: Network, checkNet: Network, disjunct: PropertyDisjunct, x: Float64Array, lo: Float64Array, hi: Float64Array, count: number, steps: number, decay: number, deadline: number): { cex: Counterexample | null; best: number } {
  const n = net.inputSize;
  let best = Infinity;
  for (let t = 0; t <= steps; t++) {
    if (performance.now() > deadline) break;
    const { obj, grad } = objectiveAndGradient(net, x, count, disjunct);
    for (let k = 0; k < count; k++) {
      if (obj[k] < best) best = obj[k];
      if (obj[k] <= 0) {
        const cex = checkCandidate(checkNet, x.subarray(k * n, (k + 1) * n), disjunct);
        if (cex) return { cex, best };
      }
    }
    if (t === steps) break;
    const step = 0.25 * Math.pow(decay, t);
    for (let q = 0; q < count * n; q++) {
      let v = x[q] - step * (hi[q] - lo[q]) * Math.sign(grad[q]);
      if (v < lo[q]) v = lo[q]; else if (v > hi[q]) v = hi[q];
      x[q] = v;
    }
  }
  return { cex: null, best };
}
