/**
 * The best witness of a minimisation: a concrete input of the region and a sound upper bound of
 * h there (interval evaluation on the point: the forward pass's rounding charged).
 */
import type { Network } from '../net/network.js';
import { descend } from './descent.js';
import { pointValues, type MinProblem } from './objective.js';
import { pointInBall, type ReachRegion } from './region.js';
import { Rng } from '../util/rng.js';

export class Incumbent {
  upper = Infinity;
  witness: Float64Array | null = null;
  constructor(private net: Network, private p: MinProblem, private ball: ReachRegion['ball']) {}

  /** Offer `count` points (count × n, each inside the region's boxes): keeps the best sound value. */
  offer(X: Float64Array, count: number, upperKnown?: Float64Array): void {
    const n = this.net.inputSize;
    const up = upperKnown ?? pointValues(this.net, this.p, X, count).upper;
    for (let b = 0; b < count; b++) {
      if (!(up[b] < this.upper)) continue;
      if (this.ball && !pointInBall(this.ball, X, b * n)) continue;
      this.upper = up[b];
      this.witness = X.slice(b * n, (b + 1) * n);
    }
  }

  /** Local descent from `count` starting points in their boxes, then offer the results. */
  descendFrom(X: Float64Array, lo: Float64Array, hi: Float64Array, count: number, steps: number): void {
    if (count === 0 || steps <= 0) return;
    descend(this.net, this.p, X, lo, hi, count, steps, this.ball);
    this.offer(X, count);
  }

  /**
   * Seed from `samples` random points of each box (uniform, a third of the coordinates at a
   * face), descending from the best few.
   */
  seed(boxes: { lo: Float64Array; hi: Float64Array }[], samples: number, steps: number, seed: number): void {
    const n = this.net.inputSize;
    const rng = new Rng(seed);
    for (const box of boxes) {
      const count = Math.max(1, samples);
      const X = new Float64Array(count * n), lo = new Float64Array(count * n), hi = new Float64Array(count * n);
      for (let b = 0; b < count; b++) {
        for (let i = 0; i < n; i++) {
          const l = box.lo[i], h = box.hi[i];
          lo[b * n + i] = l;
          hi[b * n + i] = h;
          if (b === 0 || l === h) { X[b * n + i] = l === h ? l : 0.5 * l + 0.5 * h; continue; }
          const u = rng.next();
          X[b * n + i] = u < 1 / 6 ? l : u < 1 / 3 ? h : Math.min(h, Math.max(l, l + (h - l) * rng.next()));
        }
      }
      this.offer(X, count);
      const best = Math.min(count, 4);
      if (steps > 0) {
        // Descend from the best few samples.
        const vals = pointValues(this.net, this.p, X, count).upper;
        const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => vals[a] - vals[b]).slice(0, best);
        const Xs = new Float64Array(best * n), ls = new Float64Array(best * n), hs = new Float64Array(best * n);
        order.forEach((b, k) => { Xs.set(X.subarray(b * n, (b + 1) * n), k * n); ls.set(box.lo, k * n); hs.set(box.hi, k * n); });
        this.descendFrom(Xs, ls, hs, best, steps);
      }
    }
  }
}
