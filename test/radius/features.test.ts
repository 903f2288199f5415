/**
 * Feature robustness: the partitions (saliency, grid, index groups), each feature's interval
 * against the whole input's, witnesses that move only the feature, and DeepGame's MCTS as an
 * upper-bound source.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forward } from '../../src/net/forward.js';
import { buildNetwork } from '../../src/net/network.js';
import { InputError } from '../../src/net/op.js';
import { featureRobustness, gridFeatures, readFeatureFile, saliencyFeatures } from '../../src/search/features.js';
import { mctsAttack } from '../../src/search/mcts.js';
import { radius } from '../../src/search/radius.js';
import { Rng } from '../../src/util/rng.js';
import { exactLinearMsr, layersToSpec, randomLayers } from './helpers.js';

const covers = (fs: { indices: number[] }[], n: number) => {
  const all = fs.flatMap((f) => f.indices).sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
};

describe('feature partitions', () => {
  it('saliency: K parts of nearly equal size covering every input once, most salient first', () => {
    const L = randomLayers(3, [20, 8, 3]);
    const net = buildNetwork(layersToSpec(L));
    const x0 = Float64Array.from({ length: 20 }, (_, i) => (i % 5) / 5);
    const fs = saliencyFeatures(net, x0, 0, 6);
    expect(fs.length).toBe(6);
    covers(fs, 20);
    for (const f of fs) expect([3, 4]).toContain(f.indices.length);
    // The first feature holds the input whose change lowers y_0 the most.
    const y0 = forward(net, x0)[0];
    const drop = Array.from({ length: 20 }, (_, i) => {
      const a = Float64Array.from(x0), b = Float64Array.from(x0);
      a[i] = 0; b[i] = 1;
      return Math.max(y0 - forward(net, a)[0], y0 - forward(net, b)[0]);
    });
    const top = drop.indexOf(Math.max(...drop));
    expect(fs[0].indices).toContain(top);
  });
  it('grid: 7×7 patches of a 28×28 image, and channels kept together', () => {
    const fs = gridFeatures({ height: 28, width: 28, channels: 1, order: 'hwc' }, 7, 7);
    expect(fs.length).toBe(16);
    covers(fs, 784);
    expect(fs[1].indices.slice(0, 2)).toEqual([7, 8]);
    const rgb = gridFeatures({ height: 4, width: 4, channels: 3, order: 'chw' }, 2, 2);
    expect(rgb.length).toBe(4);
    covers(rgb, 48);
    expect(rgb[0].indices).toEqual([0, 1, 4, 5, 16, 17, 20, 21, 32, 33, 36, 37]);
  });
  it('a JSON file of index groups; bad files are InputErrors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lipcert-features-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify([[0, 2], [1]]));
    expect(readFeatureFile(join(dir, 'a.json'), 3)).toEqual([{ name: 'feature1', indices: [0, 2] }, { name: 'feature2', indices: [1] }]);
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ eyes: [0, 5] }));
    expect(() => readFeatureFile(join(dir, 'b.json'), 3)).toThrow(InputError);
    expect(() => readFeatureFile(join(dir, 'missing.json'), 3)).toThrow(/cannot read/);
  });
});

describe('featureRobustness', () => {
  it('each feature: upper ≥ the whole input\'s lower, the witness moves only the feature, ranked by upper', async () => {
    const rng = new Rng(8);
    const L = randomLayers(41, [6, 10, 10, 3]);
    const net = buildNetwork(layersToSpec(L));
    const x0 = Float64Array.from({ length: 6 }, () => rng.uniform(0.2, 0.8));
    const whole = await radius(net, x0, { norm: 'inf', domain: '0:1', timeout: 10 });
    const fs = [{ name: 'a', indices: [0, 1] }, { name: 'b', indices: [2, 3] }, { name: 'c', indices: [4, 5] }];
    const res = await featureRobustness(net, x0, fs, { norm: 'inf', domain: '0:1', timeout: 15 });
    expect(res.length).toBe(3);
    for (let k = 1; k < res.length; k++) expect(res[k].upper).toBeGreaterThanOrEqual(res[k - 1].upper);
    for (const f of res) {
      expect(f.upper).toBeGreaterThanOrEqual(whole.lower);
      expect(f.lower).toBeLessThanOrEqual(f.upper);
      const w = f.result.adversarial;
      if (!w) continue;
      for (let i = 0; i < 6; i++) if (!f.indices.includes(i)) expect(w.input[i]).toBe(x0[i]);
      const y = forward(net, w.input);
      expect(Array.from(y).some((v, j) => j !== f.result.label && v > y[f.result.label])).toBe(true);
    }
  });
});

describe('MCTS (DeepGame) as an upper-bound source', () => {
  it('finds a re-checked witness on a linear classifier, never closer than the exact MSR', async () => {
    const L = randomLayers(12, [4, 3]);
    const net = buildNetwork(layersToSpec(L));
    const x0 = Float64Array.from([0.3, 0.6, 0.4, 0.7]);
    const y = forward(net, x0);
    const label = y.indexOf(Math.max(...y));
    const box = { lo: new Float64Array(4), hi: new Float64Array(4).fill(1) };
    const w = mctsAttack(net, x0, label, '2', box, [{ name: 'a', indices: [0, 1] }, { name: 'b', indices: [2, 3] }], new Rng(1), { tau: 0.2 });
    const exact = await exactLinearMsr(L.W[0], L.b[0], x0, label, '2', { lo: 0, hi: 1 });
    if (!Number.isFinite(exact)) { expect(w).toBeNull(); return; }
    expect(w).not.toBeNull();
    expect(w!.distance).toBeGreaterThanOrEqual(exact - 1e-9);
    const yw = forward(net, w!.input);
    expect(Array.from(yw).some((v, j) => j !== label && v > yw[label])).toBe(true);
  });
});
