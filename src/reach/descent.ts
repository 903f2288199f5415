/**
 * Local descent for witnesses (upper bounds of a minimum): signed-gradient steps on the active
 * row of h, projected into each point's box (and pulled into the ball), with a step that halves
 * when it stops improving. A heuristic only: every point it returns is re-evaluated soundly by
 * the caller before its value is used.
 */
import { forward } from '../net/forward.js';
import { vjp } from '../net/gradient.js';
import type { Network } from '../net/network.js';
import type { MinProblem } from './objective.js';
import { pullIntoRegion, type ReachRegion } from './region.js';

/** Float64 value of h at B points (no rounding charged: for search only). */
export function plainValues(net: Network, p: MinProblem, X: Float64Array, B: number, active?: Int32Array): Float64Array {
  const y = forward(net, X, B);
  const m = net.outputSize, R = p.rows;
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let best = 0, bestR = 0;
    for (let r = 0; r < R; r++) {
      let s = p.d[r];
      for (let j = 0; j < m; j++) s += p.C[r * m + j] * y[b * m + j];
      if (r === 0 || (p.combine === 'min' ? s < best : s > best)) { best = s; bestR = r; }
    }
    out[b] = best === best ? best : Infinity;
    if (active) active[b] = bestR;
  }
  return out;
}

/**
 * Improve B points X (B × n, in place) inside their boxes (lo, hi: B × n) by `steps` projected
 * signed-gradient steps on h. Returns the final float64 values (not sound).
 */
export function descend(net: Network, p: MinProblem, X: Float64Array, lo: Float64Array, hi: Float64Array, B: number, steps: number, ball?: ReachRegion['ball']): Float64Array {
  const n = net.inputSize, m = net.outputSize;
  const active = new Int32Array(B);
  let val = plainValues(net, p, X, B, active);
  const step = new Float64Array(B).fill(0.25);
  const trial = new Float64Array(X.length);
  const gOut = new Float64Array(B * m);
  for (let it = 0; it < steps; it++) {
    gOut.fill(0);
    for (let b = 0; b < B; b++) for (let j = 0; j < m; j++) gOut[b * m + j] = p.C[active[b] * m + j];
    const { grad } = vjp(net, X, gOut, B);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < n; i++) {
        const k = b * n + i, w = hi[k] - lo[k];
        const g = grad[k];
        trial[k] = w === 0 || g === 0 || !(g === g) ? X[k] : X[k] - Math.sign(g) * step[b] * w;
      }
      if (ball) pullIntoRegion(ball, lo.subarray(b * n, (b + 1) * n), hi.subarray(b * n, (b + 1) * n), trial, b * n);
      else for (let i = 0; i < n; i++) { const k = b * n + i; trial[k] = Math.min(hi[k], Math.max(lo[k], trial[k])); }
    }
    const tActive = new Int32Array(B);
    const tv = plainValues(net, p, trial, B, tActive);
    for (let b = 0; b < B; b++) {
      if (tv[b] < val[b]) {
        X.set(trial.subarray(b * n, (b + 1) * n), b * n);
        val[b] = tv[b];
        active[b] = tActive[b];
      } else step[b] *= 0.5;
    }
  }
  return val;
}
