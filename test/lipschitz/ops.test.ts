/**
 * Per-op Lipschitz semantics: certified operator norms (ℓ∞ and ℓ1 exact, ℓ2 by Gram iteration
 * never below the spectral norm and close to it), derivative ranges that hold every sampled
 * derivative, and the global product bound above every sampled slope.
 */
import { describe, expect, it } from 'vitest';
import { globalLipschitz } from '../../src/lipschitz/global.js';
import { forward } from '../../src/net/forward.js';
import { opKind } from '../../src/net/registry.js';
import { matrixNorm } from '../../src/net/ops/lipschitz_impl.js';
import { sderiv } from '../../src/net/ops/sshape_impl.js';
import { randomBoundsCase, type NetFamily } from '../helpers/random_bounds_nets.js';
import { buildFromSpec, GraphBuilder, Rng } from '../helpers/random_net.js';

/** Power iteration on JᵀJ: a lower estimate of ‖J‖₂ (m × n). */
function powerEstimate(J: Float64Array, m: number, n: number): number {
  let v = Float64Array.from({ length: n }, (_, i) => 1 + 0.01 * i);
  let s = 0;
  for (let it = 0; it < 500; it++) {
    const u = new Float64Array(m);
    for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) u[j] += J[j * n + i] * v[i];
    const w = new Float64Array(n);
    for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) w[i] += J[j * n + i] * u[j];
    const nw = Math.sqrt(w.reduce((a, x) => a + x * x, 0));
    s = Math.sqrt(nw);
    v = w.map((x) => x / nw);
  }
  return s;
}

describe('operator norms', () => {
  it('ℓ∞ and ℓ1 are the max row and column sums; ℓ2 (Gram iteration) is ≥ the spectral norm and within 0.5 % of it', () => {
    const rng = new Rng(5);
    for (const [m, n] of [[1, 1], [1, 7], [7, 1], [5, 5], [20, 8], [8, 30], [64, 64], [3, 200]]) {
      const J = Float64Array.from({ length: m * n }, () => rng.normal() * (rng.next() < 0.2 ? 0 : 1));
      let rowMax = 0, colMax = 0;
      for (let j = 0; j < m; j++) { let s = 0; for (let i = 0; i < n; i++) s += Math.abs(J[j * n + i]); rowMax = Math.max(rowMax, s); }
      for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < m; j++) s += Math.abs(J[j * n + i]); colMax = Math.max(colMax, s); }
      expect(matrixNorm(J, m, n, 'inf')).toBeGreaterThanOrEqual(rowMax);
      expect(matrixNorm(J, m, n, 'inf')).toBeLessThanOrEqual(rowMax * (1 + 1e-12));
      expect(matrixNorm(J, m, n, '1')).toBeGreaterThanOrEqual(colMax);
      expect(matrixNorm(J, m, n, '1')).toBeLessThanOrEqual(colMax * (1 + 1e-12));
      const s = powerEstimate(J, m, n);
      const b = matrixNorm(J, m, n, '2');
      expect(b).toBeGreaterThanOrEqual(s);
      expect(b).toBeLessThanOrEqual(s * 1.005);
    }
  });

  it('a rank-one matrix: the ℓ2 bound is its exact norm ‖u‖·‖v‖ (to rounding)', () => {
    const u = [3, -4], v = [1, 2, 2];
    const J = Float64Array.from([0, 1].flatMap((j) => v.map((x) => u[j] * x)));
    const b = matrixNorm(J, 2, 3, '2');
    expect(b).toBeGreaterThanOrEqual(15);
    expect(b).toBeLessThan(15 * (1 + 1e-12));
  });
});

const [Relu, LeakyRelu, Sigmoid, Tanh] = ['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh'].map((op) => opKind(op)!);

describe('derivative ranges', () => {
  it('hold every sampled derivative (Relu, LeakyRelu, Sigmoid, Tanh) and ReLU ranges are exact by stability', () => {
    const rng = new Rng(3);
    const N = 2000;
    const lo = new Float64Array(N), hi = new Float64Array(N);
    for (let i = 0; i < N; i++) { const c = rng.uniform(-8, 8), w = Math.exp(rng.uniform(-12, 2)); lo[i] = c - w; hi[i] = c + w; }
    const unary = { op: 'LeakyRelu', size: N, alpha: 0.2, attrs: {} };
    for (const [kind, f] of [[Sigmoid, 'sigmoid'], [Tanh, 'tanh']] as const) {
      const dlo = new Float64Array(N), dhi = new Float64Array(N);
      kind.lipschitz!.derivativeRange!(unary, lo, hi, dlo, dhi);
      for (let i = 0; i < N; i++) {
        for (let t = 0; t <= 10; t++) {
          const x = lo[i] + ((hi[i] - lo[i]) * t) / 10;
          const d = sderiv(f, x);
          expect(d >= dlo[i] && d <= dhi[i], `${f} on [${lo[i]}, ${hi[i]}] at ${x}: ${d} ∉ [${dlo[i]}, ${dhi[i]}]`).toBe(true);
        }
      }
      expect(kind.lipschitz!.maxSlope!(unary)).toBe(f === 'sigmoid' ? 0.25 : 1);
    }
    const dlo = new Float64Array(3), dhi = new Float64Array(3);
    Relu.lipschitz!.derivativeRange!({ ...unary, op: 'Relu' }, Float64Array.of(-2, 1, -1), Float64Array.of(-1, 2, 1), dlo, dhi);
    expect([...dlo, ...dhi]).toEqual([0, 1, 0, 0, 1, 1]);
    LeakyRelu.lipschitz!.derivativeRange!(unary, Float64Array.of(-2, 1, -1), Float64Array.of(-1, 2, 1), dlo, dhi);
    expect([...dlo, ...dhi]).toEqual([0.2, 1, 0.2, 0.2, 1, 1]);
  });
});

describe('global bound', () => {
  it('a residual block x + f(x) is bounded by (1 + L(f))·L(x)', () => {
    const n = 4;
    const g = new GraphBuilder({ seed: 2 }, { name: 'input', shape: [1, n] });
    const w1 = g.randomConstant('W1', [n, n], 0.5), w2 = g.randomConstant('W2', [n, n], 0.5);
    const h = g.node('Relu', 'relu', [g.node('Gemm', 'fc1', ['input', w1], { transB: 1 })]);
    const f = g.node('Gemm', 'fc2', [h, w2], { transB: 1 });
    const out = g.node('Add', 'res', ['input', f]);
    const net = buildFromSpec(g.finish(out, 'residual'));
    const W1 = g.initializers[0].tensor.data, W2 = g.initializers[1].tensor.data;
    const rowSum = (W: Float64Array) => Math.max(...[0, 1, 2, 3].map((j) => [0, 1, 2, 3].reduce((s, i) => s + Math.abs(W[j * n + i]), 0)));
    const row = Float64Array.of(1, 1, 1, 1);
    // The Add's row enters each branch: ‖row‖₁·L(x) + ‖row‖₁·L(f) = ‖row‖₁·(1 + ‖W2‖∞‖W1‖∞).
    const expected = n * (1 + rowSum(W2) * rowSum(W1));
    const p = globalLipschitz(net, row, 'inf').product[0];
    expect(p).toBeGreaterThanOrEqual(expected);
    expect(p).toBeLessThanOrEqual(expected * (1 + 1e-12));
  });

  it('is above every sampled slope over a wide box (dense, residual, sigmoid, tanh, conv, mixed ops)', () => {
    const fams: NetFamily[] = ['dense-relu', 'residual', 'dense-sigmoid', 'dense-tanh', 'conv', 'mixed', 'normalized'];
    const bad: string[] = [];
    for (let seed = 1; seed <= 21; seed++) {
      const c = randomBoundsCase(seed + 300, fams[seed % fams.length], { maxWidth: 16, maxLayers: 4 });
      const net = c.net;
      const n = net.inputSize, m = net.outputSize;
      const rng = new Rng(seed);
      const row = Float64Array.from({ length: m }, () => rng.uniform(-1, 1));
      for (const norm of ['inf', '2', '1'] as const) {
        const g = globalLipschitz(net, row, norm);
        expect(g.upper[0]).toBe(Math.min(g.product[0], g.jacobian[0]));
        const P = 300;
        const xs = Float64Array.from({ length: 2 * P * n }, () => rng.uniform(-3, 3));
        for (let k = 0; k < P; k++) if (k % 2) for (let i = 0; i < n; i++) xs[(2 * k + 1) * n + i] = xs[2 * k * n + i] + rng.uniform(-1e-3, 1e-3);
        const ys = forward(net, xs, 2 * P);
        for (let k = 0; k < P; k++) {
          let ga = 0, gb = 0, d = 0;
          for (let j = 0; j < m; j++) { ga += row[j] * ys[2 * k * m + j]; gb += row[j] * ys[(2 * k + 1) * m + j]; }
          for (let i = 0; i < n; i++) {
            const a = Math.abs(xs[2 * k * n + i] - xs[(2 * k + 1) * n + i]);
            d = norm === 'inf' ? Math.max(d, a) : norm === '1' ? d + a : d + a * a;
          }
          if (norm === '2') d = Math.sqrt(d);
          const slope = Math.abs(ga - gb) / d;
          const slack = 1e-9 * (Math.abs(ga) + Math.abs(gb) + 1) / d;
          if (!(slope <= g.product[0] * (1 + 1e-9) + slack && slope <= g.jacobian[0] * (1 + 1e-9) + slack)) bad.push(`${c.label} ${norm}: slope ${slope}, product ${g.product[0]}, jacobian ${g.jacobian[0]}`);
        }
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
});

describe('restrictToFree', () => {
  it('computes exactly the original network on the box slice (bit for bit)', async () => {
    const { restrictToBox, freeCoordinatesOf } = await import('../../src/net/restrict.js');
    for (let seed = 1; seed <= 6; seed++) {
      const c = randomBoundsCase(seed + 500, (['dense-relu', 'conv', 'dense-sigmoid'] as const)[seed % 3], { maxWidth: 12, maxLayers: 3 });
      const net = c.net, n = net.inputSize;
      const rng = new Rng(seed);
      const lo = Float64Array.from({ length: n }, () => rng.uniform(-1, 1)), hi = Float64Array.from(lo, (v) => (rng.next() < 0.6 ? v : v + rng.uniform(0, 1)));
      if (freeCoordinatesOf(lo, hi).length === 0) continue;
      const r = restrictToBox(net, lo, hi);
      const k = r.free.length;
      for (let t = 0; t < 20; t++) {
        const x = Float64Array.from(r.free, (i) => lo[i] + (hi[i] - lo[i]) * rng.next());
        const a = forward(net, r.lift(x), 1), b = k > 0 ? forward(r.net, x, 1) : a;
        expect(Array.from(b)).toEqual(Array.from(a));
      }
    }
  });
});
