/**
 * Resuming an interrupted bnb search (reach gives an extreme that ran out of its share the time
 * the other extreme left): the resumed search keeps every leaf of the first one, so its lower
 * bound is still a proof (checked against a MILP), it never falls below the first call's, and
 * run to the end it certifies. Also through reach with a budget the min cannot finish in.
 */
import { describe, expect, it } from 'vitest';
import { minimiseBnb } from '../../src/reach/lipbnb.js';
import { Incumbent } from '../../src/reach/incumbent.js';
import { minProblem, outputObjective } from '../../src/reach/objective.js';
import { reach, REACH_DEFAULTS } from '../../src/reach/reach.js';
import type { MinSettings } from '../../src/reach/types.js';
import { buildFromSpec, randomDense, Rng } from '../helpers/random_net.js';
import { milpExtreme } from './exact_reach.js';

const EPS = 1e-3;

function settings(signal?: AbortSignal): MinSettings {
  const s = REACH_DEFAULTS;
  return { eps: EPS, deadline: Infinity, linear: true, lipschitz: true, batch: s.batch, alphaIterations: s.alphaIterations, descentSteps: s.descentSteps, samples: s.samples, seed: 0, signal };
}

/** A signal that reads as aborted after `reads` reads (a deterministic interruption). */
function abortAfter(reads: number): AbortSignal {
  let k = 0;
  return { get aborted() { return ++k > reads; }, reason: 'timeout' } as unknown as AbortSignal;
}

describe('bnb resume', () => {
  it('an interrupted search resumed to the end contains the exact minimum and certifies', async () => {
    let interrupted = 0;
    for (const seed of [3, 4]) {
      const spec = randomDense({ seed, inputs: 4, widths: [8, 8], outputs: 2, act: 'Relu' });
      const net = buildFromSpec(spec);
      const rng = new Rng(seed);
      const lo = Float64Array.from({ length: 4 }, () => rng.uniform(-1, 0));
      const hi = Float64Array.from(lo, (l) => l + rng.uniform(0.5, 1));
      const obj = outputObjective(2, 1);
      const region = { boxes: [{ lo, hi }] };
      for (const sense of ['min', 'max'] as const) {
        const exact = await milpExtreme(spec, lo, hi, obj.C, 0, sense);
        const hExact = sense === 'min' ? exact : -exact;
        const p = minProblem(obj, sense);
        const inc = new Incumbent(net, p, undefined);
        inc.seed(region.boxes, 16, 4, 0);
        const first = await minimiseBnb(net, p, region, settings(abortAfter(200)), inc);
        expect(first.lower <= hExact + 1e-7).toBe(true);
        if (!first.certified) interrupted++;
        const second = await minimiseBnb(net, p, region, settings(), inc, first.resume);
        expect(second.lower <= hExact + 1e-7 && hExact <= second.upper + 1e-7).toBe(true);
        expect(second.certified).toBe(true);
        expect(second.upper - second.lower <= EPS * (1 + 1e-12)).toBe(true);
        expect(second.iterations >= first.iterations).toBe(true);
        // Interrupted twice: still sound at every stage.
        const inc2 = new Incumbent(net, p, undefined);
        inc2.seed(region.boxes, 16, 4, 0);
        let r = await minimiseBnb(net, p, region, settings(abortAfter(50)), inc2);
        for (let k = 0; k < 3; k++) {
          r = await minimiseBnb(net, p, region, settings(abortAfter(100)), inc2, r.resume);
          expect(r.lower <= hExact + 1e-7 && hExact <= r.upper + 1e-7).toBe(true);
        }
      }
    }
    // The interruption must have cut searches short for the resume to be tested.
    expect(interrupted).toBeGreaterThan(0);
  }, 60_000);

  it('reach with a tiny CPU budget stays sound (the resumed extreme included)', async () => {
    const spec = randomDense({ seed: 5, inputs: 4, widths: [8, 8], outputs: 2, act: 'Relu' });
    const net = buildFromSpec(spec);
    const lo = new Float64Array(4).fill(-1), hi = new Float64Array(4).fill(1);
    const obj = outputObjective(2, 0);
    const exMin = await milpExtreme(spec, lo, hi, obj.C, 0, 'min');
    const exMax = await milpExtreme(spec, lo, hi, obj.C, 0, 'max');
    for (const timeout of [0.02, 0.1, 1]) {
      const r = await reach(net, { boxes: [{ lo, hi }] }, obj, { timeout, eps: EPS, method: 'bnb', cpuClock: true });
      const x = r.results[0];
      expect(x.min.lower <= exMin + 1e-7 && exMin <= x.min.upper + 1e-7).toBe(true);
      expect(x.max.lower <= exMax + 1e-7 && exMax <= x.max.upper + 1e-7).toBe(true);
      expect(x.min.trace.every((t, i, a) => i === 0 || t.t >= a[i - 1].t)).toBe(true);
    }
  }, 60_000);
});
