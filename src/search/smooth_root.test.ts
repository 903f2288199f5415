import { describe, expect, it } from 'vitest';
import { forward, forwardAll } from '../net/forward.js';
import type { Network } from '../net/network.js';
import type { Property, PropertyDisjunct } from '../spec/property.js';
import { buildFromSpec, randomDense, Rng, type Activation } from '../../test/helpers/random_net.js';
import { smoothRootBound } from './smooth_root.js';
import { verify } from './verify.js';

/**
 * α-CROWN with optimised intermediate bounds at the root of Sigmoid/Tanh networks
 * (smooth_root.ts): every tightened bound holds for dense samples of the box, every polytope
 * bound is below the sampled minimum, it proves margins plain CROWN cannot, and verify uses it
 * (unsat below the sampled minimum, never unsat above it).
 */

/** Two polytopes over 3 outputs: y0 − y1 ≥ d0 (one row) and max(y2 − y0 − d1, y1 − y2 − d1). */
function disjunct(n: number, d0: number, d1: number): PropertyDisjunct {
  return {
    box: { lo: new Float64Array(n).fill(-1), hi: new Float64Array(n).fill(1) },
    outputs: [
      { C: Float64Array.of(1, -1, 0), d: Float64Array.of(d0), rows: 1, numOutputs: 3 },
      { C: Float64Array.of(-1, 0, 1, 0, 1, -1), d: Float64Array.of(d1, d1), rows: 2, numOutputs: 3 },
    ],
  };
}

/** Uniform samples of [−1, 1]^n plus corners of random faces: all values per sample, and each polytope's max-row objective's minimum. */
function sampled(net: Network, rng: Rng, n: number, count: number): { vals: Float64Array[]; min: [number, number] } {
  const xs = new Float64Array(count * n);
  for (let i = 0; i < xs.length; i++) { const u = rng.next(); xs[i] = i % 3 === 0 ? (u < 0.5 ? -1 : 1) : 2 * u - 1; }
  const vals = forwardAll(net, xs, count);
  const y = vals[net.outputIds[0]];
  let m0 = Infinity, m1 = Infinity;
  for (let s = 0; s < count; s++) {
    const y0 = y[3 * s], y1 = y[3 * s + 1], y2 = y[3 * s + 2];
    m0 = Math.min(m0, y0 - y1);
    m1 = Math.min(m1, Math.max(y2 - y0, y1 - y2));
  }
  return { vals, min: [m0, m1] };
}

const nets = (act: Activation, n: number) => [0, 1, 2, 3].map((t) => buildFromSpec(randomDense({ seed: 700 + t + (act === 'Tanh' ? 10 : 0), inputs: n, widths: [12, 10, 8], outputs: 3, act, weightScale: 1.5 })));

describe('smoothRootBound', () => {
  it.each([['Sigmoid'], ['Tanh']] as const)('%s: tightened bounds hold for every sample; polytope bounds below the sampled minima; tighter than plain CROWN', (act) => {
    const rng = new Rng(act.length + 3);
    let tighter = 0;
    for (const net of nets(act, 4)) {
      const { vals, min } = sampled(net, rng, 4, 6000);
      // Margins 10 above the outputs' range: nothing is refuted, every layer gets optimised.
      const dj = disjunct(4, 10, 10);
      const plain = smoothRootBound(net, dj, 0);
      const tuned = smoothRootBound(net, dj, 20);
      expect(tuned.layersDone).toBe(2);
      for (let p = 0; p < 2; p++) {
        // Bounds of y0 − y1 − 10 and max(...) − 10 against the sampled minima (float64 forward error ≪ 1e-12).
        expect(tuned.polyLower[p] <= min[p] - 10 + 1e-12, `${act} polytope ${p}: ${tuned.polyLower[p]} above the sampled minimum ${min[p]}`).toBe(true);
        if (tuned.polyLower[p] > plain.polyLower[p] + 1e-6) tighter++;
      }
      const outside: string[] = [];
      for (let v = 0; v < vals.length; v++) {
        const lo = tuned.nodes.lo[v], hi = tuned.nodes.hi[v];
        if (!lo || !hi) continue;
        const size = lo.length, x = vals[v];
        for (let i = 0; i < x.length && outside.length < 5; i++) {
          const j = i % size;
          if (!(x[i] >= lo[j] - 1e-12 && x[i] <= hi[j] + 1e-12)) outside.push(`${act} value ${v}[${j}] = ${x[i]} outside [${lo[j]}, ${hi[j]}]`);
        }
      }
      expect(outside).toEqual([]);
    }
    expect(tighter).toBeGreaterThanOrEqual(4);
  });

  it('verify on a 24-input sigmoid network: unsat below the sampled minimum (by the root bound), never unsat above it', async () => {
    const rng = new Rng(12);
    const n = 24;
    const net = buildFromSpec(randomDense({ seed: 777, inputs: n, widths: [16, 12], outputs: 3, act: 'Sigmoid', weightScale: 1.5 }));
    const { min } = sampled(net, rng, n, 20000);
    const prop = (d0: number): Property => ({ numInputs: n, numOutputs: 3, disjuncts: [{ ...disjunct(n, d0, -10), outputs: [disjunct(n, d0, -10).outputs[0]] }] });
    const plain = smoothRootBound(net, prop(0).disjuncts[0], 0).polyLower[0];
    const tuned = smoothRootBound(net, prop(0).disjuncts[0], 20).polyLower[0];
    expect(tuned).toBeGreaterThan(plain);
    // Between the two root bounds: only the optimised one proves it.
    const d = 0.5 * (plain + tuned);
    const below = await verify(net, prop(d), { timeout: 30, settings: { workers: 1 } });
    expect(below.result, `plain ${plain}, tuned ${tuned}, sampled minimum ${min[0]}`).toBe('unsat');
    expect(below.domains).toBe(1);
    const above = await verify(net, prop(min[0] + 1e-3), { timeout: 10, settings: { workers: 1 } });
    expect(above.result).not.toBe('unsat');
    if (above.result === 'sat') {
      const y = forward(net, above.counterexample!.input);
      expect(y[0] - y[1]).toBeLessThanOrEqual(min[0] + 1e-3);
    }
  }, 60_000);
});
