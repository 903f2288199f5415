/**
 * Sigmoid and Tanh relaxation across 0 (src/net/ops/sshape_impl.ts): each line is the parallelogram
 * side or CROWN's chord/tangent, whichever is closer to f at the middle. Checked exactly (320-bit
 * fixed point) at the points where a line comes closest to f — found by a float search, then that
 * float and its neighbours evaluated exactly — and for tightness against the parallelogram.
 */
import { describe, expect, it } from 'vitest';
import { FIX, Q, sigmoidFixed, tanhFixed, toFixed } from '../helpers/exact.js';
import { logUniform } from '../helpers/random_bounds_nets.js';
import type { OpKind } from '../../src/net/op.js';
import { Sigmoid } from '../../src/net/ops/sigmoid.js';
import { Tanh } from '../../src/net/ops/tanh.js';
import { nextDown, nextUp } from '../../src/util/float.js';
import { computeBounds } from '../../src/bounds/index.js';
import { forward } from '../../src/net/forward.js';
import { buildFromSpec, randomDense, Rng } from '../helpers/random_net.js';

const unary = (op: string) => ({ op, size: 1, alpha: 0, attrs: {} });
const f64 = (op: string, x: number) => (op === 'Tanh' ? Math.tanh(x) : 1 / (1 + Math.exp(-x)));
const d64 = (op: string, x: number) => { const y = f64(op, x); return op === 'Tanh' ? 1 - y * y : y * (1 - y); };

/** The point of [a, b] where g is smallest, by golden-section search (g unimodal there) plus the end points. */
function argminOn(g: (x: number) => number, a: number, b: number): number[] {
  let lo = a, hi = b;
  const r = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 200 && hi - lo > 0; it++) {
    const x1 = hi - r * (hi - lo), x2 = lo + r * (hi - lo);
    if (!(x1 < x2)) break;
    if (g(x1) <= g(x2)) hi = x2; else lo = x1;
  }
  return [a, b, lo, hi, 0.5 * (lo + hi)];
}

/** Crossing intervals l < 0 < h: narrow, wide, lopsided, and the ERAN-like range (|x| up to 60). */
function crossing(rng: Rng, count: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const k = i % 4;
    const l = -(k === 0 ? logUniform(rng, 1e-8, 1e-2) : k === 1 ? logUniform(rng, 1e-2, 60) : logUniform(rng, 1e-6, 60));
    const h = k === 0 ? logUniform(rng, 1e-8, 1e-2) : k === 1 ? logUniform(rng, 1e-2, 60) : k === 2 ? logUniform(rng, 1e-6, 1) : logUniform(rng, 1, 60);
    out.push([l, h]);
  }
  return out;
}

describe('S-shaped relaxation across 0', () => {
  it.each([['Sigmoid', false], ['Tanh', false], ['Sigmoid', true], ['Tanh', true]] as const)('%s (α given: %s): both lines hold exactly where they come closest to f', (op, withAlpha) => {
    const kind: OpKind = op === 'Sigmoid' ? Sigmoid : Tanh;
    const fFix = op === 'Sigmoid' ? sigmoidFixed : tanhFixed;
    const rng = new Rng((op === 'Sigmoid' ? 17 : 18) + (withAlpha ? 100 : 0));
    const ivs = crossing(rng, 400);
    // With α: also intervals on the convex side (h ≤ 0), where α picks the tangent point too.
    if (withAlpha) for (let i = 0; i < 100; i++) { const l = -logUniform(rng, 1e-6, 60); ivs.push([l, l * rng.next()]); }
    const n = ivs.length;
    const lo = Float64Array.from(ivs, (v) => v[0]), hi = Float64Array.from(ivs, (v) => v[1]);
    const sl = new Float64Array(n), bl = new Float64Array(n), su = new Float64Array(n), bu = new Float64Array(n);
    // α anywhere in [0, 1] (the optimiser's projection), NaN included: the op clamps it.
    const alpha = withAlpha ? Float64Array.from(ivs, (_, i) => (i % 50 === 0 ? NaN : i % 3 === 0 ? rng.next() : d64(op, rng.uniform(ivs[i][0], Math.min(0, ivs[i][1]))))) : null;
    kind.relax!(unary(op), lo, hi, alpha, sl, bl, su, bu);
    const tol = 1n << (FIX - 200n);
    const fails: string[] = [];
    let checked = 0;
    for (let i = 0; i < n && fails.length < 5; i++) {
      const [l, h] = ivs[i];
      for (const [name, s0, b0, side] of [['lower', sl[i], bl[i], -1], ['upper', su[i], bu[i], 1]] as const) {
        // side·(line − f) is smallest (the line closest to f) at a point the search finds on each side of 0.
        const gap = (x: number) => side * (s0 * x + b0 - f64(op, x));
        const pts = [...argminOn(gap, l, 0), ...argminOn(gap, 0, h)];
        for (const p of pts) {
          for (const x of [p, nextDown(p), nextUp(p)]) {
            if (x < l || x > h) continue;
            const X = Q.fromFloat(x);
            const v = toFixed(Q.fromFloat(s0).mul(X).add(Q.fromFloat(b0)));
            checked++;
            if (BigInt(side) * (v - fFix(X)) < -tol) fails.push(`${op} ${name} line ${s0}·x + ${b0} on [${l}, ${h}] crosses f at x = ${x}`);
          }
        }
      }
    }
    expect(fails).toEqual([]);
    expect(checked).toBeGreaterThan(4000);
    // α moves the lower line: the slope follows it where the convex part allows.
    if (alpha) expect(ivs.filter((_, i) => Math.abs(sl[i] - alpha[i]) < 1e-9 * (1 + alpha[i])).length).toBeGreaterThan(n / 3);
  });

  it.each([['Sigmoid'], ['Tanh']] as const)('%s: never looser than the parallelogram at the middle, far tighter on wide intervals', (op) => {
    const kind: OpKind = op === 'Sigmoid' ? Sigmoid : Tanh;
    const ivs = crossing(new Rng(5), 400);
    const n = ivs.length;
    const lo = Float64Array.from(ivs, (v) => v[0]), hi = Float64Array.from(ivs, (v) => v[1]);
    const sl = new Float64Array(n), bl = new Float64Array(n), su = new Float64Array(n), bu = new Float64Array(n);
    kind.relax!(unary(op), lo, hi, null, sl, bl, su, bu);
    for (let i = 0; i < n; i++) {
      const [l, h] = ivs[i], m = 0.5 * (l + h);
      const k = Math.min(d64(op, l), d64(op, h));
      // The parallelogram's lines at m (without their tiny rounding margins).
      const paraLo = f64(op, l) + k * (m - l), paraHi = f64(op, h) + k * (m - h);
      expect(sl[i] * m + bl[i]).toBeGreaterThanOrEqual(paraLo - 1e-9);
      expect(su[i] * m + bu[i]).toBeLessThanOrEqual(paraHi + 1e-9);
    }
    // On [−10, 10] the parallelogram is nearly the range [f(−10), f(10)]; the tangents are not.
    const one = (l: number, h: number) => {
      const o = [0, 0, 0, 0].map(() => new Float64Array(1));
      kind.relax!(unary(op), Float64Array.of(l), Float64Array.of(h), null, o[0], o[1], o[2], o[3]);
      return { lower: o[0][0] * 0 + o[1][0], upper: o[2][0] * 0 + o[3][0] };
    };
    const { lower, upper } = one(-10, 10);
    const range = f64(op, 10) - f64(op, -10);
    expect(upper - lower).toBeLessThan(0.7 * range);
  });
});

describe('α-CROWN on Sigmoid/Tanh networks (optimised tangent slopes)', () => {
  it.each([['Sigmoid'], ['Tanh']] as const)('%s: never looser than CROWN, below every sampled output, tighter on some', async (act) => {
    const rng = new Rng(act === 'Sigmoid' ? 31 : 32);
    let tighter = 0, rows = 0;
    for (let t = 0; t < 6; t++) {
      const net = buildFromSpec(randomDense({ seed: 900 + t, inputs: 3, widths: [10, 8, 6], outputs: 3, act, weightScale: 2 }));
      const lo = Float64Array.of(-1, -1, -1), hi = Float64Array.of(1, 1, 1);
      const region = { batch: 1, lo, hi };
      const c = await computeBounds({ net, region }, 'crown');
      const a = await computeBounds({ net, region }, 'alpha', { alpha: { iterations: 20, learningRate: 0.25, decay: 0.95 } });
      const N = 4000;
      const xs = new Float64Array(N * 3);
      for (let i = 0; i < xs.length; i++) xs[i] = rng.uniform(-1, 1);
      const ys = forward(net, xs, N);
      for (let j = 0; j < 3; j++) {
        rows++;
        expect(a.lower[j]).toBeGreaterThanOrEqual(c.lower[j]);
        expect(a.upper[j]).toBeLessThanOrEqual(c.upper[j]);
        if (a.lower[j] > c.lower[j] + 1e-6 || a.upper[j] < c.upper[j] - 1e-6) tighter++;
        for (let s = 0; s < N; s++) {
          const y = ys[s * 3 + j];
          // The sampled value has float64 forward error (≪ 1e-12).
          expect(a.lower[j] <= y + 1e-12 && y - 1e-12 <= a.upper[j], `${act} net ${t} output ${j}: ${y} outside [${a.lower[j]}, ${a.upper[j]}]`).toBe(true);
        }
      }
    }
    expect(tighter).toBeGreaterThan(rows / 3);
  });
});
