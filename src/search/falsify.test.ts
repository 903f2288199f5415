import { describe, expect, it } from 'vitest';
import { buildNetwork } from '../net/network.js';
import { parseVnnlib } from '../spec/vnnlib.js';
import { Rng } from '../util/rng.js';
import { falsify } from './falsify.js';

/** y = relu(x0) + relu(x1) on [0, 1] × [−1, 1]: y ≤ 1e-9 only within 1e-9 of the half-edge x0 = 0, x1 ≤ 0. */
function edgeNet() {
  return buildNetwork({
    inputs: [{ name: 'x', shape: [1, 2], dtype: 'float64' }],
    outputs: ['y'],
    initializers: [{ name: 'W', tensor: { shape: [1, 2], data: Float64Array.of(1, 1) } }],
    nodes: [
      { name: 'r', op: 'Relu', inputs: ['x'], outputs: ['a'], attrs: {} },
      { name: 'l', op: 'Gemm', inputs: ['a', 'W'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    opset: 13,
    source: 'edge',
  });
}

describe('falsify', () => {
  const prop = parseVnnlib(`(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real)
    (assert (>= X_0 0)) (assert (<= X_0 1)) (assert (>= X_1 -1)) (assert (<= X_1 1)) (assert (<= Y_0 1e-9))`);
  const net = edgeNet();
  const dj = prop.disjuncts[0];
  const only = { restarts: 0, maxCornerDims: 0 };
  it('boundary samples find a violation that lives on an edge of the box; uniform samples do not', () => {
    const uniform = falsify(net, net, dj, new Rng(1), { ...only, samples: 4096, boundarySamples: 0 });
    expect(uniform.cex).toBeNull();
    expect(uniform.best).toBeGreaterThan(0);
    const boundary = falsify(net, net, dj, new Rng(1), { ...only, samples: 0, boundarySamples: 256 });
    expect(boundary.cex).not.toBeNull();
    expect(boundary.cex!.input[0]).toBeLessThan(1e-9);
    expect(boundary.cex!.input[1]).toBeLessThanOrEqual(0);
    expect(boundary.best).toBeLessThanOrEqual(0);
  });
});
