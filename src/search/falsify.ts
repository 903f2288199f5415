import { forward } from '../net/forward.js';
import { vjp } from '../net/gradient.js';
import type { Network } from '../net/network.js';
import type { PropertyDisjunct } from '../spec/property.js';
import type { Rng } from '../util/rng.js';
import { checkCandidate, violation, type Counterexample } from './counterexample.js';

/** Knobs of the falsifier (defaults per field). */
export interface FalsifySettings {
  /** Uniform random points per round. Default 256. */
  samples: number;
  /** Include every corner of the box when it has at most this many inputs. Default 10. */
  maxCornerDims: number;
  /** PGD restarts (from the best sampled points). Default 16. */
  restarts: number;
  /** PGD steps per restart. Default 40. */
  steps: number;
}

export const FALSIFY_DEFAULTS: FalsifySettings = { samples: 256, maxCornerDims: 10, restarts: 16, steps: 40 };

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
    let best = Infinity, bestRow: Float64Array | null = null;
    for (const p of disjunct.outputs) {
      let worst = -Infinity, row = -1;
      for (let r = 0; r < p.rows; r++) {
        let v = -p.d[r];
        for (let j = 0; j < m; j++) v += p.C[r * m + j] * y[s * m + j];
        if (v > worst) { worst = v; row = r; }
      }
      if (worst < best) { best = worst; bestRow = row >= 0 ? p.C.subarray(row * m, (row + 1) * m) : null; }
    }
    obj[s] = best;
    if (bestRow) gOut.set(bestRow, s * m);
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
  const pts: Float64Array[] = [];
  const center = new Float64Array(n);
  for (let i = 0; i < n; i++) center[i] = 0.5 * (lo[i] + hi[i]);
  pts.push(center);
  if (n <= s.maxCornerDims) {
    for (let c = 0; c < 1 << n; c++) pts.push(Float64Array.from({ length: n }, (_, i) => ((c >> i) & 1 ? hi[i] : lo[i])));
  }
  for (let k = 0; k < s.samples; k++) pts.push(Float64Array.from({ length: n }, (_, i) => lo[i] + rng.next() * (hi[i] - lo[i])));
  const N = pts.length;
  const xs = new Float64Array(N * n);
  pts.forEach((p, k) => xs.set(p, k * n));
  const y = forward(net, xs, N);
  const m = net.outputSize;
  const scores = new Float64Array(N);
  let best = Infinity;
  for (let k = 0; k < N; k++) {
    scores[k] = violation(y, k * m, disjunct.outputs);
    if (scores[k] < best) best = scores[k];
    if (scores[k] <= 0) {
      const cex = checkCandidate(checkNet, pts[k], disjunct);
      if (cex) return { cex, best };
    }
  }
  // PGD from the best points.
  const order = Array.from({ length: N }, (_, k) => k).sort((a, b) => scores[a] - scores[b]);
  const R = Math.min(s.restarts, N);
  const x = new Float64Array(R * n);
  for (let r = 0; r < R; r++) x.set(pts[order[r]], r * n);
  const width = Float64Array.from({ length: n }, (_, i) => hi[i] - lo[i]);
  for (let t = 0; t < s.steps; t++) {
    if (performance.now() > deadline) break;
    const step = 0.25 * Math.pow(0.9, t);
    const { obj, grad } = objectiveAndGradient(net, x, R, disjunct);
    for (let r = 0; r < R; r++) {
      if (obj[r] < best) best = obj[r];
      if (obj[r] <= 0) {
        const cex = checkCandidate(checkNet, x.subarray(r * n, (r + 1) * n), disjunct);
        if (cex) return { cex, best };
      }
      for (let i = 0; i < n; i++) {
        const g = grad[r * n + i];
        let v = x[r * n + i] - step * width[i] * Math.sign(g);
        if (v < lo[i]) v = lo[i]; else if (v > hi[i]) v = hi[i];
        x[r * n + i] = v;
      }
    }
  }
  return { cex: null, best };
}
