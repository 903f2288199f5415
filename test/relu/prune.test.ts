/**
 * Pruning: the pruned network equals the original within 1e-9 on samples of the region, its
 * reported sound difference bound covers the sampled difference, it has fewer ReLUs whenever any
 * is stable, it loads back from ONNX and JSON, and onnxruntime-node agrees with it (input name
 * and shape kept). Activation regions: a point's affine map reproduces the network at points
 * sharing its pattern; the enumerated regions of 2-input networks tile the box.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { forward } from '../../src/net/forward.js';
import { encodeModel, readModel, writeModel } from '../../src/net/io.js';
import type { Network } from '../../src/net/network.js';
import { pruneNetwork, sampledDifference } from '../../src/relu/prune.js';
import { activationPattern, activationRegion, countRegionsBySampling, enumerateRegions2D, patternKey } from '../../src/relu/regions.js';
import { reluStability, witnessRegion } from '../../src/relu/stability.js';
import { ballRegion, boxRegion } from '../../src/spec/region.js';
import { denseFromLayers } from '../helpers/exact_splits.js';
import { buildFromSpec, randomDense, randomResidual, Rng } from '../helpers/random_net.js';

const DIR = mkdtempSync(join(tmpdir(), 'lipcert-relu-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function samplesIn(rng: Rng, lo: Float64Array, hi: Float64Array, count: number): Float64Array {
  const n = lo.length, x = new Float64Array(count * n);
  for (let s = 0; s < count; s++) for (let i = 0; i < n; i++) x[s * n + i] = rng.uniform(lo[i], hi[i]);
  return x;
}

function maxDiff(a: Network, b: Network, x: Float64Array, count: number): number {
  const ya = forward(a, x, count), yb = forward(b, x, count);
  let d = 0;
  for (let i = 0; i < ya.length; i++) d = Math.max(d, Math.abs(ya[i] - yb[i]));
  return d;
}

describe('pruneNetwork', () => {
  it('dense and residual networks: equal within 1e-9 on the region, fewer ReLUs, a small sound difference bound, loads back from ONNX and JSON', async () => {
    const rng = new Rng(3);
    let pruned = 0, folded = 0;
    for (let seed = 0; seed < 30; seed++) {
      const n = 2 + rng.int(4);
      const spec = seed % 3 === 0
        ? randomResidual({ seed, inputs: n, width: 3 + rng.int(5), blocks: 2, outputs: 2 })
        : randomDense({ seed, inputs: n, widths: [4 + rng.int(8), 4 + rng.int(8)], outputs: 2, act: 'Relu', float32: seed % 2 === 0 });
      const net = buildFromSpec(spec);
      const c = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
      const r = Math.pow(10, rng.uniform(-2, -0.5));
      const region = ballRegion(c, r, 'inf');
      const stab = await reluStability(net, region, { method: seed % 2 ? 'milp' : 'lp', seed });
      const pr = pruneNetwork(net, stab);
      folded += pr.nodes.reduce((a, q) => a + q.folded, 0);
      const stable = stab.layers.reduce((a, L) => a + L.status.filter((v) => v !== 0).length, 0);
      if (stable > 0) { expect(pr.reluAfter).toBeLessThan(pr.reluBefore); pruned++; }
      expect(pr.reluBefore - pr.reluAfter).toBe(stable);
      const w = witnessRegion(region, n);
      const x = samplesIn(rng, w.lo, w.hi, 500);
      const d = maxDiff(net, pr.net, x, 500);
      expect(d).toBeLessThanOrEqual(1e-9);
      expect(pr.roundingBound >= 0 && pr.roundingBound < 1e-9).toBe(true);
      expect(sampledDifference(net, pr.net, stab, 200, seed)).toBeLessThanOrEqual(1e-9);
      // Loads back from both formats and computes the same.
      for (const ext of ['onnx', 'json']) {
        const path = join(DIR, `p${seed}.${ext}`);
        writeModel(pr.net, path);
        const back = readModel(path);
        expect(back.input.name).toBe(net.input.name);
        expect(back.input.shape).toEqual(net.input.shape);
        expect(maxDiff(pr.net, back, x, 500)).toBeLessThanOrEqual(1e-9);
      }
    }
    expect(pruned).toBeGreaterThan(15);
    // Layers with more active units than the columns they read are rank-folded (LEO).
    expect(folded).toBeGreaterThan(0);
  }, 60_000);

  it("LEO's rank folding: active units beyond the rank of their rows are removed, the network stays equal", async () => {
    // x ∈ [−1, 1]: layer 1 keeps relu(x) (unstable) and relu(x + 5) (active: a linear bypass);
    // layer 2 has three active units over those two columns (one beyond the rank) and one unstable.
    const net = denseFromLayers([
      { W: [[1], [1]], b: [0, 5], relu: true },
      { W: [[1, 1], [2, 1], [1, 3], [1, 0]], b: [1, 0, 0.25, -0.5], relu: true },
      { W: [[1, -2, 0.5, 3]], b: [0.125] },
    ]);
    const region = boxRegion([-1], [1]);
    const stab = await reluStability(net, region, { method: 'milp' });
    expect(Array.from(stab.layers[1].status)).toEqual([1, 1, 1, 0]);
    const pr = pruneNetwork(net, stab);
    expect(pr.nodes[1].folded).toBe(1);
    expect(pr.nodes[1].bypass).toBe(2);
    expect(pr.unitsRemoved).toBe(1);
    const rng = new Rng(1);
    const x = samplesIn(rng, Float64Array.of(-1), Float64Array.of(1), 2000);
    expect(maxDiff(net, pr.net, x, 2000)).toBeLessThanOrEqual(1e-12);
    expect(pr.roundingBound >= 0 && pr.roundingBound < 1e-12).toBe(true);
    // The folded unit is gone from the written network: 1 + 1 ReLUs, 1 + 2 linear units.
    const gemmRows = pr.net.nodes.filter((nd) => nd.kind.onnx === 'Gemm').map((nd) => pr.net.values[nd.output].size);
    expect(gemmRows.reduce((a, b) => a + b, 0)).toBe(1 + 1 + 1 + 2 + 1);
  });

  it('onnxruntime-node runs the pruned ONNX and agrees with it', async () => {
    const net = buildFromSpec(randomDense({ seed: 7, inputs: 4, widths: [10, 10], outputs: 3, act: 'Relu' }));
    const region = ballRegion([0.2, -0.1, 0.4, 0.3], 0.05, 'inf');
    const stab = await reluStability(net, region);
    const pr = pruneNetwork(net, stab);
    expect(pr.reluAfter).toBeLessThan(pr.reluBefore);
    const bytes = encodeModel(pr.net, 'onnx');
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames[0]).toBe(net.input.name);
    const rng = new Rng(2);
    const w = witnessRegion(region, 4);
    for (let s = 0; s < 20; s++) {
      const x = samplesIn(rng, w.lo, w.hi, 1);
      // The file is float32 when every weight is float32-exact, else double: feed what it declares.
      let y: Float64Array;
      try {
        const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x), net.input.shape) });
        y = Float64Array.from(out[session.outputNames[0]].data as Float32Array);
      } catch {
        const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float64', x, net.input.shape) });
        y = Float64Array.from(out[session.outputNames[0]].data as Float64Array);
      }
      const ref = forward(pr.net, x);
      for (let i = 0; i < ref.length; i++) expect(Math.abs(y[i] - ref[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(ref[i])));
    }
  });
});

describe('activation regions', () => {
  it("a point's affine map reproduces the network at random points sharing its pattern", () => {
    const rng = new Rng(9);
    for (let seed = 0; seed < 20; seed++) {
      const n = 1 + rng.int(4);
      const net = buildFromSpec(seed % 2 ? randomResidual({ seed, inputs: n, width: 4, blocks: 1, outputs: 2 }) : randomDense({ seed, inputs: n, widths: [6, 5], outputs: 2, act: 'Relu' }));
      const x0 = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
      const reg = activationRegion(net, x0);
      const key = patternKey(reg.pattern);
      let shared = 0;
      for (let s = 0; s < 300 && shared < 20; s++) {
        const x = Float64Array.from(x0, (v) => v + rng.uniform(-0.05, 0.05));
        if (patternKey(activationPattern(net, x)) !== key) continue;
        shared++;
        // The region's inequalities hold there.
        for (let r = 0; r < reg.c.length; r++) {
          let s2 = reg.c[r];
          for (let i = 0; i < n; i++) s2 += reg.A[r * n + i] * x[i];
          expect(s2).toBeGreaterThanOrEqual(-1e-9);
        }
        const y = forward(net, x);
        for (let o = 0; o < y.length; o++) {
          let v = reg.b[o];
          for (let i = 0; i < n; i++) v += reg.W[o * n + i] * x[i];
          expect(Math.abs(v - y[o])).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(y[o])));
        }
      }
      expect(shared).toBeGreaterThan(0);
    }
  });

  it('the enumerated regions of 2-input networks tile the box (areas sum to its area) and every sampled pattern is among them', () => {
    const rng = new Rng(4);
    for (let seed = 0; seed < 10; seed++) {
      const net = buildFromSpec(seed % 2 ? randomResidual({ seed, inputs: 2, width: 4, blocks: 1, outputs: 1 }) : randomDense({ seed, inputs: 2, widths: [6, 6], outputs: 1, act: 'Relu' }));
      const lo = Float64Array.of(-1, -0.5), hi = Float64Array.of(1, 0.7);
      const regions = enumerateRegions2D(net, lo, hi);
      const areaSum = regions.reduce((a, r) => a + r.area, 0);
      expect(Math.abs(areaSum - 2.4)).toBeLessThan(1e-9);
      const keys = new Set(regions.map((r) => patternKey(r.pattern)));
      expect(keys.size).toBe(regions.length);
      for (let s = 0; s < 200; s++) {
        const x = Float64Array.of(rng.uniform(lo[0], hi[0]), rng.uniform(lo[1], hi[1]));
        expect(keys.has(patternKey(activationPattern(net, x)))).toBe(true);
      }
      // The sampled count is a lower bound of the enumerated one.
      const c = countRegionsBySampling(net, witnessRegion(boxRegion(lo, hi), 2), 500, seed);
      expect(c.provedLowerBound).toBeLessThanOrEqual(regions.length);
      expect(c.provedLowerBound).toBeGreaterThan(0);
    }
  });
});
