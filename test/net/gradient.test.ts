import { describe, expect, it } from 'vitest';
import type { GraphSpec } from '../../src/net/graph.js';
import { forward, forwardAll } from '../../src/net/forward.js';
import { gradient, vjp } from '../../src/net/gradient.js';
import type { Network } from '../../src/net/network.js';
import { InputError } from '../../src/net/op.js';
import { buildFromSpec, randomConvNet, randomDense, randomNormalized, randomResidual, Rng } from '../helpers/random_net.js';

const H = 1e-6;
const REL = 1e-5;

/** Smallest |pre-activation| over every kinked (ReLU-like) node at the point x. */
function minKinkDistance(net: Network, x: Float64Array): number {
  const vals = forwardAll(net, x, 1);
  let m = Infinity;
  for (const n of net.nodes) {
    if (n.kind.breakpoints !== 'relu') continue;
    for (const v of vals[n.inputs[0]]) m = Math.min(m, Math.abs(v));
  }
  return m;
}

/** A random point in [-1, 1]^n at least 1e-4 away from every ReLU kink. */
function samplePoint(net: Network, rng: Rng): Float64Array {
  for (let tries = 0; tries < 200; tries++) {
    const x = new Float64Array(net.inputSize);
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-1, 1);
    if (minKinkDistance(net, x) > 1e-4) return x;
  }
  throw new Error('no point away from the ReLU kinks found');
}

/** Central finite difference of c·f along every input coordinate. */
function fdGrad(net: Network, x: Float64Array, c: Float64Array): Float64Array {
  const n = net.inputSize;
  const g = new Float64Array(n);
  const dot = (y: Float64Array) => y.reduce((s, v, i) => s + v * c[i], 0);
  for (let i = 0; i < n; i++) {
    const xp = Float64Array.from(x), xm = Float64Array.from(x);
    xp[i] += H;
    xm[i] -= H;
    g[i] = (dot(forward(net, xp)) - dot(forward(net, xm))) / (2 * H);
  }
  return g;
}

function expectClose(actual: Float64Array, expected: Float64Array, rel = REL): void {
  expect(actual.length).toBe(expected.length);
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < actual.length; i++) {
    const tol = rel * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`entry ${i}: got ${actual[i]}, expected ${expected[i]} (|diff| ${Math.abs(actual[i] - expected[i])} > ${tol})`);
    }
  }
}

const CASES: { name: string; spec: GraphSpec }[] = [
  { name: 'dense Relu', spec: randomDense({ inputs: 6, widths: [12, 10], outputs: 4, act: 'Relu', seed: 11, float32: false }) },
  { name: 'dense LeakyRelu', spec: randomDense({ inputs: 5, widths: [10, 10, 8], outputs: 3, act: 'LeakyRelu', seed: 12, float32: false }) },
  { name: 'dense Sigmoid', spec: randomDense({ inputs: 6, widths: [10, 8], outputs: 3, act: 'Sigmoid', seed: 13, float32: false }) },
  { name: 'dense Tanh', spec: randomDense({ inputs: 4, widths: [9, 9], outputs: 5, act: 'Tanh', seed: 14, float32: false }) },
  { name: 'residual Relu', spec: randomResidual({ inputs: 5, width: 8, blocks: 2, outputs: 3, seed: 15, float32: false }) },
  { name: 'residual Tanh', spec: randomResidual({ inputs: 5, width: 8, blocks: 2, outputs: 3, seed: 16, act: 'Tanh', float32: false }) },
  {
    name: 'conv Relu (pads, strides, dilations, groups, BatchNorm)',
    spec: randomConvNet({
      channels: 2, height: 7, width: 6, outputs: 3, seed: 17, float32: false,
      convs: [
        { channels: 4, kernel: 3, pads: [1, 1, 1, 1], strides: [2, 1], group: 2, batchNorm: true },
        { channels: 3, kernel: 2, dilations: [2, 1], pads: [0, 1, 1, 0] },
      ],
    }),
  },
  {
    name: 'conv Sigmoid',
    spec: randomConvNet({ channels: 1, height: 5, width: 5, outputs: 2, seed: 18, act: 'Sigmoid', float32: false, convs: [{ channels: 3, kernel: 3, pads: [1, 1, 1, 1] }] }),
  },
  { name: 'normalisation + BatchNorm (Relu)', spec: randomNormalized({ channels: 2, height: 3, width: 3, outputs: 3, seed: 19, float32: false }) },
];

describe('vjp and gradient agree with central finite differences', () => {
  for (const { name, spec } of CASES) {
    for (const simplified of [false, true]) {
      it(`${name}${simplified ? ' (simplified)' : ''}`, () => {
        const net = buildFromSpec(spec, { simplify: simplified });
        const rng = new Rng(1000 + name.length);
        const m = net.outputSize;
        for (let trial = 0; trial < 3; trial++) {
          const x = samplePoint(net, rng);
          // Every output coordinate through `gradient`.
          for (let j = 0; j < m; j++) {
            const c = new Float64Array(m);
            c[j] = 1;
            expectClose(gradient(net, x, j), fdGrad(net, x, c));
          }
          // A random cotangent through `vjp` (and `gradient` with a weight vector).
          const c = new Float64Array(m);
          for (let j = 0; j < m; j++) c[j] = rng.normal();
          const r = vjp(net, x, c, 1);
          expect(Array.from(r.output)).toEqual(Array.from(forward(net, x)));
          expectClose(r.grad, fdGrad(net, x, c));
          expect(Array.from(gradient(net, x, c))).toEqual(Array.from(r.grad));
        }
      });
    }
  }
});

describe('batched vjp', () => {
  for (const { name, spec } of CASES) {
    it(`equals per-sample vjp bit for bit: ${name}`, () => {
      const net = buildFromSpec(spec);
      const rng = new Rng(7);
      const B = 7, n = net.inputSize, m = net.outputSize;
      const x = new Float64Array(B * n), g = new Float64Array(B * m);
      for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-1, 1);
      for (let i = 0; i < g.length; i++) g[i] = rng.normal();
      const batched = vjp(net, x, g, B);
      for (let s = 0; s < B; s++) {
        const one = vjp(net, x.slice(s * n, (s + 1) * n), g.slice(s * m, (s + 1) * m), 1);
        expect(Array.from(batched.grad.subarray(s * n, (s + 1) * n))).toEqual(Array.from(one.grad));
        expect(Array.from(batched.output.subarray(s * m, (s + 1) * m))).toEqual(Array.from(one.output));
      }
    });
  }
});

describe('gradient input checks', () => {
  const net = buildFromSpec(randomDense({ inputs: 3, widths: [4], outputs: 2, act: 'Relu', seed: 1 }));
  it('rejects an output index out of range', () => {
    expect(() => gradient(net, [0, 0, 0], 2)).toThrow(InputError);
    expect(() => gradient(net, [0, 0, 0], -1)).toThrow(InputError);
    expect(() => gradient(net, [0, 0, 0], 0.5)).toThrow(InputError);
  });
  it('rejects a cotangent of the wrong size', () => {
    expect(() => vjp(net, new Float64Array(3), new Float64Array(3), 1)).toThrow(InputError);
  });
  it('ReLU at its kink uses subgradient 0; LeakyRelu uses slope 1', () => {
    const spec: GraphSpec = {
      inputs: [{ name: 'x', shape: [1, 2], dtype: 'float64' }], outputs: ['y'], initializers: [], opset: 13, source: 'kink',
      nodes: [{ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: {} }],
    };
    const relu = buildFromSpec(spec);
    expect(Array.from(vjp(relu, Float64Array.of(0, 1), Float64Array.of(1, 1)).grad)).toEqual([0, 1]);
    spec.nodes[0] = { name: 'l', op: 'LeakyRelu', inputs: ['x'], outputs: ['y'], attrs: { alpha: 0.25 } };
    const leaky = buildFromSpec(spec);
    expect(Array.from(vjp(leaky, Float64Array.of(0, -1), Float64Array.of(1, 1)).grad)).toEqual([1, 0.25]);
  });
});
