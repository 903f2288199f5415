/**
 * The `lp` tier is as tight as the triangle relaxation allows: its bounds of the ReLU inputs it
 * leaves unstable match an independent LP over the full triangle relaxation (test/relu/
 * triangle_lp.ts: own encoding, glpk.js instead of HiGHS) built with the tier's own final bounds
 * of the earlier layers, on every side the tier solved by LP; and a whole independent per-neuron
 * LP pass ("LP-all": both sides of every unstable element, layer by layer, each layer using the
 * previous layers' LP-tightened bounds) proves no ReLU stable that the tier leaves unstable.
 *
 * Random networks always; ACAS Xu 1_1 over the prop_1 box when the benchmarks are present (a
 * sample of elements per layer; LIPCERT_LP_CHECK_FULL=1 checks every element and prints the
 * per-layer numbers quoted in docs/relu.md).
 */
import { describe, expect, it } from 'vitest';
import { readModel } from '../../src/net/io.js';
import type { Network } from '../../src/net/network.js';
import { reluStability, type StabilityResult } from '../../src/relu/stability.js';
import { boxRegion } from '../../src/spec/region.js';
import { readVnnlibFile } from '../../src/spec/vnnlib.js';
import { vnnlibRegions } from '../../src/spec/region.js';
import { bench, haveBenchmarks } from '../helpers/benchmarks.js';
import { buildFromSpec, randomDense, Rng } from '../helpers/random_net.js';
import { TriangleLP, type ReluBounds } from './triangle_lp.js';

const FULL = process.env.LIPCERT_LP_CHECK_FULL === '1';

/** k distinct elements of a (seeded). */
function pick<T>(rng: Rng, a: T[], k: number): T[] {
  const c = a.slice();
  rng.shuffle(c);
  return c.slice(0, k);
}

interface CheckResult {
  /** Per ReLU layer: sides compared, the largest amount by which the independent LP is tighter than the tier (relative to the element's width). */
  perLayer: { compared: number; worstGap: number; tierStable: number; lpAllStable: number; unstable: number }[];
}

/**
 * Compares the tier's bounds with the independent LP. `sample` elements per layer (all when
 * Infinity). Sides a witness refutes are not compared one by one (the tier tightens them by
 * α-CROWN only, by design) but enter the LP-all pass, which checks that this never costs a
 * stable ReLU.
 */
async function check(net: Network, lo: Float64Array, hi: Float64Array, stab: StabilityResult, sample: number, rng: Rng): Promise<CheckResult> {
  const tri = new TriangleLP(net, lo, hi);
  const tierBounds: ReluBounds = new Map(stab.layers.map((L) => [L.input, { lo: L.lo, hi: L.hi }]));
  const chainBounds: ReluBounds = new Map(stab.layers.map((L) => [L.input, { lo: L.lo.slice(), hi: L.hi.slice() }]));
  const perLayer: CheckResult['perLayer'] = [];
  for (const L of stab.layers) {
    const unstable = [...Array(L.size).keys()].filter((j) => L.status[j] === 0);
    // 1. The tier's own final bounds of the earlier layers: the sides it solved by LP agree.
    const picked = unstable.length <= sample ? unstable : pick(rng, unstable, sample);
    const { min, max } = await tri.extremes(L.input, picked, tierBounds);
    let worstGap = 0, compared = 0;
    picked.forEach((j, t) => {
      const w = Math.max(1e-12, L.hi[j] - L.lo[j]);
      // An unstable element: the LP must not decide it either (the tier would then be looser).
      expect(min[t] < 1e-9 * w && max[t] > -1e-9 * w, `${L.node}[${j}]: LP [${min[t]}, ${max[t]}] decides it, the tier did not`).toBe(true);
      if (!(L.witness[j] & 2)) { worstGap = Math.max(worstGap, (min[t] - L.lo[j]) / w); compared++; }
      if (!(L.witness[j] & 1)) { worstGap = Math.max(worstGap, (L.hi[j] - max[t]) / w); compared++; }
    });
    // 2. LP-all: every unstable element's both sides by LP over the previous layers' LP-all bounds.
    const cb = chainBounds.get(L.input)!;
    const open = [...Array(L.size).keys()].filter((j) => cb.lo[j] < 0 && cb.hi[j] > 0);
    const chainPicked = FULL || open.length <= sample ? open : pick(rng, open, sample);
    const r = await tri.extremes(L.input, chainPicked, chainBounds);
    chainPicked.forEach((j, t) => {
      if (r.min[t] > cb.lo[j]) cb.lo[j] = r.min[t];
      if (r.max[t] < cb.hi[j]) cb.hi[j] = r.max[t];
    });
    let tierStable = 0, lpAllStable = 0;
    for (let j = 0; j < L.size; j++) {
      if (L.status[j] !== 0) tierStable++;
      // A margin of 1e-9 of the width: solver tolerance, never counted as a decision.
      const w = Math.max(1e-12, L.hi[j] - L.lo[j]);
      if (cb.lo[j] >= 1e-9 * w || cb.hi[j] <= -1e-9 * w || L.status[j] !== 0) lpAllStable++;
    }
    perLayer.push({ compared, worstGap, tierStable, lpAllStable, unstable: unstable.length });
  }
  return { perLayer };
}

describe('lp tier: as tight as the triangle relaxation', () => {
  it('random dense ReLU networks: every LP-solved side matches an independent triangle LP; LP-all decides nothing more', async () => {
    const rng = new Rng(11);
    for (let seed = 1; seed <= 6; seed++) {
      const inputs = 2 + (seed % 3);
      const net = buildFromSpec(randomDense({ seed, inputs, widths: [8, 8, 8], outputs: 2, act: 'Relu' }));
      const c = Float64Array.from({ length: inputs }, () => rng.uniform(-0.5, 0.5));
      const r = 0.3 + 0.3 * rng.next();
      const lo = Float64Array.from(c, (v) => v - r), hi = Float64Array.from(c, (v) => v + r);
      const stab = await reluStability(net, boxRegion(lo, hi), { method: 'lp' });
      const res = await check(net, lo, hi, stab, Infinity, rng);
      for (const l of res.perLayer) {
        expect(l.worstGap).toBeLessThan(1e-6);
        expect(l.lpAllStable).toBe(l.tierStable);
      }
    }
  }, 60_000);

  it.skipIf(!haveBenchmarks())('ACAS Xu 1_1 over the prop_1 box (a sample of elements per layer; all with LIPCERT_LP_CHECK_FULL=1)', async () => {
    // LIPCERT_LP_CHECK_NET=a_b checks another network over the same box (prop_2's box is prop_1's).
    const which = process.env.LIPCERT_LP_CHECK_NET ?? '1_1';
    const net = readModel(bench(`acasxu/onnx/ACASXU_run2a_${which}_batch_2000.onnx`));
    const prop = readVnnlibFile(bench('acasxu/vnnlib/prop_1.vnnlib'), { numInputs: net.inputSize, numOutputs: net.outputSize });
    const box = vnnlibRegions(prop)[0].region as { kind: 'box'; lo: Float64Array; hi: Float64Array };
    const t0 = performance.now();
    const stab = await reluStability(net, box, { method: 'lp' });
    const tTier = (performance.now() - t0) / 1000;
    const res = await check(net, box.lo, box.hi, stab, FULL ? Infinity : 6, new Rng(5));
    if (FULL) {
      console.log(`ACAS Xu ${which} prop_1, lp tier ${tTier.toFixed(2)} s wall`);
      res.perLayer.forEach((l, i) => console.log(`layer ${i + 1}: tier stable ${l.tierStable}, LP-all stable ${l.lpAllStable}, unstable ${l.unstable}, LP-solved sides compared ${l.compared}, worst relative gap ${l.worstGap.toExponential(2)}`));
    }
    for (const l of res.perLayer) {
      expect(l.worstGap).toBeLessThan(1e-6);
      if (FULL) expect(l.lpAllStable).toBe(l.tierStable);
    }
  }, 300_000);
});
