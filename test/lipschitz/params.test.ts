/**
 * Parameter-space Lipschitz constants: closed forms for a linear model f(x; W) = W·x over a box
 * (output: max ‖x‖₂; mse gradient: max ‖x‖₂²), soundness against sampled parameter secants on
 * small smooth and ReLU networks, and the ReLU that makes the smoothness constant not exist.
 */
import { describe, expect, it } from 'vitest';
import { paramLipschitz, type ParamObjective } from '../../src/lipschitz/params.js';
import { forward } from '../../src/net/forward.js';
import type { GraphSpec } from '../../src/net/graph.js';
import { buildFromSpec, GraphBuilder, randomDense, Rng } from '../helpers/random_net.js';

function linearModel(seed: number, n: number, m: number): GraphSpec {
  const g = new GraphBuilder({ seed }, { name: 'input', shape: [1, n] });
  const w = g.randomConstant('W', [m, n], 0.7);
  return g.finish(g.node('Gemm', 'fc', ['input', w], { transB: 1 }), 'linear');
}

/** max ‖x‖₂ over the box: each coordinate at its larger magnitude. */
function maxNorm(lo: Float64Array, hi: Float64Array): number {
  let s = 0;
  for (let i = 0; i < lo.length; i++) s += Math.max(lo[i] * lo[i], hi[i] * hi[i]);
  return Math.sqrt(s);
}

/** The objective (output row, mse or ce loss) at one input, from the network's output. */
function objectiveValue(obj: ParamObjective, y: Float64Array): number {
  if (obj.of === 'output') return y.reduce((s, v, j) => s + obj.row[j] * v, 0);
  if (obj.loss === 'mse') return 0.5 * y.reduce((s, v, j) => s + (v - obj.target[j]) ** 2, 0);
  const mx = Math.max(...y);
  return Math.log(y.reduce((s, v) => s + Math.exp(v - mx), 0)) + mx - y[obj.label];
}

/** A copy of the spec with every weight/bias initialiser moved by Δ (flattened in initialiser order). */
function perturbed(spec: GraphSpec, delta: Float64Array): GraphSpec {
  let o = 0;
  return { ...spec, initializers: spec.initializers.map((t) => {
    const data = Float64Array.from(t.tensor.data, (v) => v + delta[o++]);
    return { name: t.name, tensor: { ...t.tensor, data } };
  }) };
}

describe('paramLipschitz', () => {
  it('linear model f(x; W) = W·x: output constant = max ‖x‖₂, mse smoothness = max ‖x‖₂² (closed forms)', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const rng = new Rng(seed);
      const n = 1 + (seed % 4), m = 1 + (seed % 3);
      const net = buildFromSpec(linearModel(seed, n, m));
      const lo = Float64Array.from({ length: n }, () => rng.uniform(-2, 0.5)), hi = Float64Array.from(lo, (v) => v + rng.uniform(0.1, 2));
      const M = maxNorm(lo, hi);
      const row = new Float64Array(m); row[seed % m] = 1;
      const out = paramLipschitz(net, lo, hi, { of: 'output', row }, 0.1);
      expect(out.upper).toBeGreaterThanOrEqual(M * (1 - 1e-12));
      expect(Math.abs(out.upper - M) / M).toBeLessThan(1e-9);
      expect(Math.abs(out.lower - M) / M).toBeLessThan(1e-9);
      const target = Float64Array.from({ length: m }, () => rng.uniform(-1, 1));
      const sm = paramLipschitz(net, lo, hi, { of: 'loss-grad', loss: 'mse', target }, 0.1);
      expect(Math.abs(sm.upper - M * M) / (M * M)).toBeLessThan(1e-9);
      expect(Math.abs(sm.lower - M * M) / (M * M)).toBeLessThan(1e-9);
      expect(sm.lower).toBeLessThanOrEqual(sm.upper);
    }
  });

  it('is sound against sampled parameter secants and second differences (tanh, sigmoid, ReLU; output, mse, ce)', () => {
    const bad: string[] = [];
    for (let seed = 1; seed <= 9; seed++) {
      const act = (['Tanh', 'Sigmoid', 'Relu'] as const)[seed % 3];
      const spec = randomDense({ seed, inputs: 3, widths: [5], outputs: 3, act });
      const net = buildFromSpec(spec);
      const rng = new Rng(seed);
      const lo = Float64Array.from({ length: 3 }, () => rng.uniform(-1, 0)), hi = Float64Array.from(lo, (v) => v + rng.uniform(0.01, act === 'Relu' ? 0.05 : 1));
      const rho = act === 'Relu' ? 1e-3 : 0.05;
      const P = spec.initializers.reduce((s, t) => s + t.tensor.data.length, 0);
      const objs: ParamObjective[] = [
        { of: 'output', row: Float64Array.of(1, -1, 0) },
        { of: 'loss', loss: 'mse', target: Float64Array.of(0.5, -0.5, 0) },
        { of: 'loss', loss: 'ce', label: seed % 3 },
      ];
      for (const obj of objs) {
        const r = paramLipschitz(net, lo, hi, obj, rho);
        expect(r.parameters).toBe(P);
        if (!(r.lower <= r.upper)) bad.push(`${act} ${obj.of}: lower > upper`);
        let smooth: ReturnType<typeof paramLipschitz> | null = null;
        try { smooth = paramLipschitz(net, lo, hi, { ...obj, of: obj.of === 'output' ? 'output' : 'loss-grad' } as ParamObjective, rho); } catch (e) { if (act !== 'Relu') throw e; }
        for (let t = 0; t < 40; t++) {
          const x = Float64Array.from(lo, (l, i) => l + (hi[i] - l) * rng.next());
          // θ₀ + a and θ₀ + b inside the ball, and the midpoint for second differences.
          const u = Float64Array.from({ length: P }, () => rng.normal());
          const un = Math.sqrt(u.reduce((s, v) => s + v * v, 0));
          const h = rho * rng.uniform(0.1, 0.45);
          const c = Float64Array.from({ length: P }, () => rng.normal());
          const cn = Math.sqrt(c.reduce((s, v) => s + v * v, 0));
          const s0 = rho * 0.5 * rng.next();
          const base = Float64Array.from(c, (v) => (v / cn) * s0);
          const plus = Float64Array.from(base, (v, i) => v + (h * u[i]) / un), minus = Float64Array.from(base, (v, i) => v - (h * u[i]) / un);
          const f = (d: Float64Array) => objectiveValue(obj, forward(buildFromSpec(perturbed(spec, d)), x, 1));
          const f0 = f(base), fp = f(plus), fm = f(minus);
          const slope = Math.abs(fp - fm) / (2 * h);
          if (!(slope <= r.upper * (1 + 1e-6) + 1e-9)) bad.push(`${act} ${obj.of}: slope ${slope} > ${r.upper}`);
          if (smooth && obj.of !== 'output') {
            const second = Math.abs(fp - 2 * f0 + fm) / (h * h);
            if (!(second <= smooth.upper * (1 + 1e-6) + 1e-6)) bad.push(`${act} ${obj.of} smoothness: ${second} > ${smooth.upper}`);
          }
        }
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('loss-grad on a ReLU network names a ReLU that can change state (bad input)', () => {
    const net = buildFromSpec(randomDense({ seed: 3, inputs: 3, widths: [6], outputs: 2, act: 'Relu' }));
    const lo = new Float64Array(3).fill(-1), hi = new Float64Array(3).fill(1);
    expect(() => paramLipschitz(net, lo, hi, { of: 'loss-grad', loss: 'mse', target: Float64Array.of(0, 0) }, 0.01)).toThrow(/Relu 'act1' element \d+ can change state/);
    expect(() => paramLipschitz(net, lo, hi, { of: 'output', row: Float64Array.of(1, 0) }, 0)).toThrow(/param-radius/);
  });
});
