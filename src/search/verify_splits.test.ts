import { describe, expect, it } from 'vitest';
import { forward } from '../net/forward.js';
import type { Network } from '../net/network.js';
import type { Property } from '../spec/property.js';
import { buildFromSpec, randomDense } from '../../test/helpers/random_net.js';
import { splitKind, verify } from './verify.js';

/**
 * Branch and bound with ReLU splits from the first expansion, α-steps on every domain and the
 * joint pass of multi-row polytopes, against a dense grid of the input box: a threshold above the grid's minimum must
 * give `sat` (a grid point violates, so `unsat` would be a soundness bug); one well below it
 * must give `unsat`.
 */

const GRID = 121;

/** The objective max_r (C_r·y − d_r) of one polytope, on a GRID^2 grid of [-1, 1]^2: its minimum. */
function gridMinimum(net: Network, C: Float64Array, rows: number): number {
  const m = net.outputSize;
  const xs = new Float64Array(GRID * GRID * 2);
  for (let i = 0; i < GRID; i++) for (let j = 0; j < GRID; j++) {
    xs[(i * GRID + j) * 2] = -1 + (2 * i) / (GRID - 1);
    xs[(i * GRID + j) * 2 + 1] = -1 + (2 * j) / (GRID - 1);
  }
  const ys = forward(net, xs, GRID * GRID);
  let best = Infinity;
  for (let s = 0; s < GRID * GRID; s++) {
    let worst = -Infinity;
    for (let r = 0; r < rows; r++) {
      let v = 0;
      for (let k = 0; k < m; k++) v += C[r * m + k] * ys[s * m + k];
      worst = Math.max(worst, v);
    }
    best = Math.min(best, worst);
  }
  return best;
}

/** The property "C·y ≤ t (every row)" on [-1, 1]^2. */
function property(C: Float64Array, rows: number, t: number): Property {
  return {
    numInputs: 2,
    numOutputs: 3,
    disjuncts: [{ box: { lo: Float64Array.of(-1, -1), hi: Float64Array.of(1, 1) }, outputs: [{ C, d: new Float64Array(rows).fill(t), rows, numOutputs: 3 }] }],
  };
}

const SPLIT_SETTINGS = { reluTrials: 2, reluAfterDepth: 0, workers: 1, alphaSteps: 5, alphaAfterDomains: 0 };

describe('verify with ReLU splits, α and joint rows (random nets against a grid)', () => {
  // One row: y0 − y1 ≤ t. Two rows (y0 is the largest): y1 − y0 ≤ t and y2 − y0 ≤ t.
  const specs: [string, Float64Array, number][] = [
    ['one row', Float64Array.of(1, -1, 0), 1],
    ['two rows', Float64Array.of(-1, 1, 0, -1, 0, 1), 2],
  ];
  for (const [name, C, rows] of specs) {
    it.each([1, 2, 3, 4, 5, 6])(`${name}, seed %i`, async (seed) => {
      const net = buildFromSpec(randomDense({ seed, inputs: 2, widths: [12, 12, 12], outputs: 3, act: 'Relu' }));
      const min = gridMinimum(net, C, rows);
      const above = await verify(net, property(C, rows, min + 1e-4), { timeout: 30, settings: SPLIT_SETTINGS });
      expect(above.result).toBe('sat');
      // Below the grid minimum by more than the grid can miss (spacing 1/60 times the slope).
      const below = await verify(net, property(C, rows, min - 0.1), { timeout: 30, settings: SPLIT_SETTINGS });
      expect(below.result).toBe('unsat');
    });
  }
});

describe('verify --set split=relu on Sigmoid and Tanh networks (split at the inflection point)', () => {
  it.each(['Sigmoid', 'Tanh'] as const)('%s: sat above the grid minimum (re-checked), never unsat there; unsat well below it', async (act) => {
    // "Well below": the grid's spacing (1/60) times the nets' slopes can hide ~0.1.
    const C = Float64Array.of(1, -1, 0);
    const net = buildFromSpec(randomDense({ seed: 31, inputs: 2, widths: [10, 10], outputs: 3, act }));
    const min = gridMinimum(net, C, 1);
    const settings = { split: 'relu' as const, workers: 1 };
    const above = await verify(net, property(C, 1, min + 1e-4), { timeout: 30, settings });
    expect(above.result).toBe('sat');
    const y = forward(net, above.counterexample!.input);
    expect(y[0] - y[1]).toBeLessThanOrEqual(min + 1e-4);
    const below = await verify(net, property(C, 1, min - 0.3), { timeout: 30, settings });
    expect(below.result, `min ${min}, bound ${below.bound}, ${below.domains} domains`).toBe('unsat');
  });

  it("split=auto: neuron splits for many-input ReLU, Sigmoid and Tanh networks, input splits for few inputs", () => {
    for (const act of ['Relu', 'Sigmoid', 'Tanh'] as const) {
      const wide = buildFromSpec(randomDense({ seed: 40, inputs: 30, widths: [4], outputs: 2, act }));
      const narrow = buildFromSpec(randomDense({ seed: 41, inputs: 5, widths: [4], outputs: 2, act }));
      expect(splitKind(wide, { split: 'auto' }), act).toBe('relu');
      expect(splitKind(narrow, { split: 'auto' }), act).toBe('input');
      expect(splitKind(wide, { split: 'input' }), act).toBe('input');
    }
  });

  it('split=relu on a network with another nonlinearity is bad input', async () => {
    const net = buildFromSpec(randomDense({ seed: 32, inputs: 2, widths: [4], outputs: 3, act: 'Relu' }));
    await expect(verify(net, property(Float64Array.of(1, -1, 0), 1, 0), { settings: { split: 'sideways' as never } })).rejects.toThrow(/split must be auto, input or relu/);
  });
});
