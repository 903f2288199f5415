/**
 * Networks with weights near 1e308: float64 overflows to ±∞ and NaN inside the bounds. verify
 * must never answer `unsat` without a finite proved bound, and never `sat` with infinite outputs.
 */
import { describe, expect, it } from 'vitest';
import { forward } from '../net/forward.js';
import { parseVnnlib } from '../spec/vnnlib.js';
import { buildFromSpec, randomDense, randomInputs, Rng } from '../../test/helpers/random_net.js';
import { verify } from './verify.js';

describe('verify on overflowing networks', () => {
  it('unsat only with a finite bound > 0; sat only with finite outputs; sampled points agree', async () => {
    const rng = new Rng(99);
    let decided = 0;
    for (let t = 0; t < 12; t++) {
      const spec = randomDense({ seed: 500 + t, inputs: 3, widths: [8, 8], outputs: 2, act: 'Relu', float32: false });
      for (const init of spec.initializers) {
        const d = init.tensor.data;
        for (let k = 0; k < 2; k++) if (rng.next() < 0.7) d[rng.int(d.length)] = (rng.next() < 0.5 ? -1 : 1) * 1e308 * (0.5 + rng.next());
      }
      const net = buildFromSpec(spec);
      const c = (rng.next() * 2 - 1).toFixed(3);
      const prop = parseVnnlib(`(declare-const X_0 Real) (declare-const X_1 Real) (declare-const X_2 Real) (declare-const Y_0 Real) (declare-const Y_1 Real)
        (assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 -1)) (assert (<= X_1 1)) (assert (>= X_2 -1)) (assert (<= X_2 1))
        (assert (<= Y_0 ${c}))`);
      const v = await verify(net, prop, { timeout: 2, settings: { workers: 1 } });
      if (v.result === 'unsat') {
        decided++;
        expect(Number.isFinite(v.bound) && v.bound > 0, `net ${t}: unsat with bound ${v.bound}`).toBe(true);
        // No sampled input with a finite output may violate it.
        const xs = randomInputs(rng, 3, 2000, -1, 1, false);
        const ys = forward(net, xs, 2000);
        for (let i = 0; i < 2000; i++) if (Number.isFinite(ys[2 * i])) expect(ys[2 * i], `net ${t} sample ${i}`).toBeGreaterThan(Number(c));
      }
      if (v.result === 'sat') {
        decided++;
        expect(v.counterexample!.output.every(Number.isFinite)).toBe(true);
        expect(v.counterexample!.output[0]).toBeLessThanOrEqual(Number(c));
      }
    }
    expect(decided).toBeGreaterThan(0);
  }, 60_000);
});
