/**
 * The Lipschitz bound of bnb in its mean-value form (meanValueBounds, src/reach/bound.ts): a sound
 * lower bound of every row over every box (sampled points of random ReLU, sigmoid and tanh nets
 * never go below it), its expansion points inside their boxes with sound upper values, and exact
 * on a linear network (every coordinate monotone: the bound is the value at the minimising corner,
 * checked in rationals). Also: reach's CPU-clock timeout stays sound.
 */
import { describe, expect, it } from 'vitest';
import { forward } from '../../src/net/forward.js';
import { crownIntermediate } from '../../src/bounds/crown.js';
import { meanValueBounds } from '../../src/reach/bound.js';
import { marginObjective, minProblem, outputObjective, linearObjective } from '../../src/reach/objective.js';
import { reach } from '../../src/reach/reach.js';
import { LipschitzBackoff } from '../../src/reach/lipbnb.js';
import { compileExact, exactRows, Q, qVec } from '../helpers/exact.js';
import { buildFromSpec, randomDense, Rng } from '../helpers/random_net.js';

/** D random boxes (some coordinates fixed) inside [-1.5, 1.5]^n. */
function randomBoxes(rng: Rng, n: number, D: number): { lo: Float64Array; hi: Float64Array } {
  const lo = new Float64Array(D * n), hi = new Float64Array(D * n);
  for (let d = 0; d < D; d++) {
    for (let i = 0; i < n; i++) {
      const a = rng.uniform(-1.5, 1.5), w = rng.next() < 0.15 ? 0 : rng.uniform(0.001, 1) ** 2;
      lo[d * n + i] = a;
      hi[d * n + i] = a + w;
    }
  }
  return { lo, hi };
}

describe('reach: the mean-value Lipschitz bound', () => {
  it('is below every sampled value of every row (ReLU, sigmoid, tanh nets; min and max; margin rows)', () => {
    for (const act of ['Relu', 'Sigmoid', 'Tanh'] as const) {
      for (let seed = 0; seed < 3; seed++) {
        const n = 2 + seed, m = 3, D = 12, S = 300;
        const net = buildFromSpec(randomDense({ seed: 40 + seed, inputs: n, widths: [10, 10], outputs: m, act }));
        const rng = new Rng(7 + seed);
        const { lo, hi } = randomBoxes(rng, n, D);
        for (const obj of [outputObjective(m, seed % m), marginObjective(m, 1), linearObjective(m, [0.5, -1.25, 2], 0.25)]) {
          for (const sense of ['min', 'max'] as const) {
            const p = minProblem(obj, sense);
            const R = p.rows;
            const nodes = crownIntermediate({ net, region: { batch: D, lo, hi } });
            const mv = meanValueBounds(net, p, lo, hi, D, nodes);
            // Expansion points lie in their boxes; their upper values are ≥ h there.
            for (let k = 0; k < D * R; k++) {
              const d = Math.floor(k / R);
              const x = mv.points.subarray(k * n, (k + 1) * n);
              for (let i = 0; i < n; i++) expect(x[i] >= lo[d * n + i] && x[i] <= hi[d * n + i]).toBe(true);
            }
            const ye = forward(net, mv.points, D * R);
            for (let k = 0; k < D * R; k++) {
              let h = p.combine === 'min' ? Infinity : -Infinity;
              for (let r = 0; r < R; r++) {
                let s = p.d[r];
                for (let j = 0; j < m; j++) s += p.C[r * m + j] * ye[k * m + j];
                h = p.combine === 'min' ? Math.min(h, s) : Math.max(h, s);
              }
              expect(mv.pointUpper[k] >= h - 1e-12 * (1 + Math.abs(h))).toBe(true);
            }
            // Every sampled value of row r in box d is ≥ the row's bound (corners included).
            const X = new Float64Array(D * S * n);
            for (let d = 0; d < D; d++) {
              for (let t = 0; t < S; t++) {
                for (let i = 0; i < n; i++) {
                  const l = lo[d * n + i], h = hi[d * n + i], u = rng.next();
                  X[(d * S + t) * n + i] = t < 2 ** n && t < S ? ((t >> i) & 1 ? h : l) : u < 0.1 ? l : u < 0.2 ? h : l + (h - l) * rng.next();
                }
              }
            }
            const Y = forward(net, X, D * S);
            // Not vacuous: most bounds are finite.
            expect(Array.from(mv.rowLower).filter((v) => v > -Infinity).length >= (D * R) / 2).toBe(true);
            for (let d = 0; d < D; d++) {
              for (let r = 0; r < R; r++) {
                const b = mv.rowLower[d * R + r];
                expect(Number.isNaN(b)).toBe(false);
                let least = Infinity;
                for (let t = 0; t < S; t++) {
                  let s = p.d[r];
                  for (let j = 0; j < m; j++) s += p.C[r * m + j] * Y[(d * S + t) * m + j];
                  least = Math.min(least, s);
                }
                expect(b <= least + 1e-12 * (1 + Math.abs(least))).toBe(true);
              }
            }
          }
        }
      }
    }
  });

  it('with an L2 ball: below every sampled value of box ∩ ball (the expansion point is pulled into the ball)', () => {
    const n = 3, m = 2, D = 16, S = 400;
    for (const act of ['Relu', 'Tanh'] as const) {
      const net = buildFromSpec(randomDense({ seed: 61, inputs: n, widths: [12, 12], outputs: m, act, weightScale: 2 }));
      const ball = { center: Float64Array.of(0.1, -0.2, 0.3), radius: 0.6, norm: '2' as const };
      const rng = new Rng(4);
      const lo = new Float64Array(D * n), hi = new Float64Array(D * n);
      for (let d = 0; d < D; d++) for (let i = 0; i < n; i++) { const a = ball.center[i] + rng.uniform(-0.8, 0.4); lo[d * n + i] = a; hi[d * n + i] = a + rng.uniform(0.05, 0.6); }
      const center = new Float64Array(D * n);
      for (let d = 0; d < D; d++) center.set(ball.center, d * n);
      const p = minProblem(outputObjective(m, 0), 'min');
      const nodes = crownIntermediate({ net, region: { batch: D, lo, hi, ball: { center, radius: ball.radius, norm: '2' } } });
      const mv = meanValueBounds(net, p, lo, hi, D, nodes, ball);
      let finite = 0;
      for (let d = 0; d < D; d++) {
        const pts: number[] = [];
        for (let t = 0; t < 20 * S && pts.length < S * n; t++) {
          const x = Array.from({ length: n }, (_, i) => lo[d * n + i] + rng.next() * (hi[d * n + i] - lo[d * n + i]));
          if (Math.hypot(...x.map((v, i) => v - ball.center[i])) <= ball.radius) pts.push(...x);
        }
        const k = pts.length / n;
        if (k === 0) continue;
        const Y = forward(net, Float64Array.from(pts), k);
        let least = Infinity;
        for (let t = 0; t < k; t++) least = Math.min(least, Y[t * m]);
        const b = mv.rowLower[d];
        if (b > -Infinity) finite++;
        expect(b <= least + 1e-12 * (1 + Math.abs(least))).toBe(true);
      }
      expect(finite > 0).toBe(true);
    }
  });

  it('is exact (to rounding) on a linear network: the value at the minimising corner', () => {
    const n = 4, m = 2;
    const net = buildFromSpec(randomDense({ seed: 5, inputs: n, widths: [], outputs: m, act: 'Relu' }));
    const ex = compileExact(net);
    const rng = new Rng(3);
    const D = 6;
    const { lo, hi } = randomBoxes(rng, n, D);
    for (const sense of ['min', 'max'] as const) {
      const obj = outputObjective(m, 1);
      const p = minProblem(obj, sense);
      const mv = meanValueBounds(net, p, lo, hi, D, crownIntermediate({ net, region: { batch: D, lo, hi } }));
      for (let d = 0; d < D; d++) {
        // The exact minimum of h over the box: h is linear, so the minimum is at the corner the
        // signs of its coefficients pick; take the least over all 2^n corners in rationals.
        let best: Q | null = null;
        for (let c = 0; c < 2 ** n; c++) {
          const x = Array.from({ length: n }, (_, i) => ((c >> i) & 1 ? hi[d * n + i] : lo[d * n + i]));
          const v = exactRows(ex.evaluate(qVec(x)), p.C, p.d)[0];
          if (!best || v.lt(best)) best = v;
        }
        const b = mv.rowLower[d];
        expect(Q.fromFloat(b).le(best!)).toBe(true);
        expect(best!.toNumber() - b <= 1e-12 * (1 + Math.abs(b))).toBe(true);
      }
    }
  });

  it('reach with the CPU clock: a tiny budget stays sound, a normal one certifies', async () => {
    const net = buildFromSpec(randomDense({ seed: 8, inputs: 3, widths: [12, 12], outputs: 2, act: 'Tanh' }));
    const lo = new Float64Array(3).fill(-1), hi = new Float64Array(3).fill(1);
    const X = new Float64Array(3 * 4000);
    const rng = new Rng(1);
    for (let i = 0; i < X.length; i++) X[i] = rng.uniform(-1, 1);
    const Y = forward(net, X, 4000);
    let mn = Infinity, mx = -Infinity;
    for (let b = 0; b < 4000; b++) { mn = Math.min(mn, Y[2 * b]); mx = Math.max(mx, Y[2 * b]); }
    for (const timeout of [0.01, 30]) {
      const r = await reach(net, { boxes: [{ lo, hi }] }, outputObjective(2, 0), { method: 'bnb', timeout, cpuClock: true, eps: 1e-3 });
      const x = r.results[0];
      expect(x.min.lower <= mn).toBe(true);
      expect(x.max.upper >= mx).toBe(true);
      if (timeout > 1) expect(r.certified).toBe(true);
    }
  });

  it('the Lipschitz bound is skipped for 1, 2, 4, … (≤ 32) batches after batches where it decided nothing, and back on at once when it decides', () => {
    const b = new LipschitzBackoff(true);
    const pattern: boolean[] = [];
    for (let k = 0; k < 70; k++) {
      const due = b.due();
      pattern.push(due);
      if (due) b.record(k >= 60); // decides nothing for a while, then decides
    }
    const firstOn = pattern.map((x, i) => (x ? i : -1)).filter((i) => i >= 0);
    expect(firstOn.slice(0, 6)).toEqual([0, 2, 5, 10, 19, 36]);
    // A batch in which it decides turns it on for every batch after it.
    const b2 = new LipschitzBackoff(true);
    b2.record(false); b2.record(false);
    b2.record(true);
    expect([b2.due(), b2.due(), b2.due()]).toEqual([true, true, true]);
    // Without the linear bound it is never skipped.
    const b3 = new LipschitzBackoff(false);
    b3.record(false);
    expect(b3.due()).toBe(true);
  });
});
