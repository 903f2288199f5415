/**
 * Acceptance of the Lipschitz intervals (issue 10 A): sound against sampled slopes on random
 * dense, residual, sigmoid and tanh networks; exact on linear networks; closed to 1 % of the
 * exact constant (region enumeration) on 1–3-input ReLU networks, which the global product bound
 * alone does not reach.
 */
import { describe, expect, it } from 'vitest';
import type { Norm } from '../../src/bounds/types.js';
import { lipschitzInterval } from '../../src/lipschitz/constant.js';
import { globalLipschitz } from '../../src/lipschitz/global.js';
import { forward } from '../../src/net/forward.js';
import { randomBoundsCase, randomBox, type NetFamily } from '../helpers/random_bounds_nets.js';
import { buildFromSpec, GraphBuilder, randomDense, Rng } from '../helpers/random_net.js';
import { exactLocalLipschitz } from './exact_lipschitz.js';

function pnorm(v: ArrayLike<number>, p: Norm): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (p === 'inf') s = Math.max(s, a); else if (p === '1') s += a; else s += a * a;
  }
  return p === '2' ? Math.sqrt(s) : s;
}

describe('lipschitzInterval', () => {
  it('upper ≥ every slope of 10,000 sampled pairs, lower ≤ upper, the witness attains lower (dense, residual, sigmoid, tanh)', async () => {
    const families: NetFamily[] = ['dense-relu', 'residual', 'dense-sigmoid', 'dense-tanh'];
    const bad: string[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const family = families[seed % 4];
      const c = randomBoundsCase(seed + 100, family, { maxWidth: 16, maxLayers: 3 });
      const net = c.net;
      const n = net.inputSize, m = net.outputSize;
      const rng = new Rng(seed);
      const { region } = randomBox(rng, n, [1e-2, 1]);
      const norm = (['inf', '2', '1'] as const)[seed % 3];
      const row = new Float64Array(m);
      row[seed % m] = 1;
      if (m > 1) row[(seed + 1) % m] = -0.5;
      const r = await lipschitzInterval(net, { lo: region.lo, hi: region.hi }, row, { norm, eps: 0.05, timeout: 1.5 });
      if (!(r.lower <= r.upper)) bad.push(`${c.label}: lower ${r.lower} > upper ${r.upper}`);
      if (!(r.upper <= r.global)) bad.push(`${c.label}: upper above the global bound`);
      // 10,000 pairs: 5,000 uniform pairs and 5,000 close pairs (a point and a small step).
      const P = 10_000;
      const xs = new Float64Array(2 * P * n);
      for (let k = 0; k < P; k++) {
        for (let i = 0; i < n; i++) {
          const l = region.lo[i], h = region.hi[i];
          const a = l + (h - l) * rng.next();
          const b = k < P / 2 ? l + (h - l) * rng.next() : Math.min(h, Math.max(l, a + (h - l) * 0.01 * (2 * rng.next() - 1)));
          xs[2 * k * n + i] = a; xs[(2 * k + 1) * n + i] = b;
        }
      }
      const ys = forward(net, xs, 2 * P);
      const d = new Float64Array(n);
      for (let k = 0; k < P; k++) {
        let ga = 0, gb = 0;
        for (let j = 0; j < m; j++) { ga += row[j] * ys[2 * k * m + j]; gb += row[j] * ys[(2 * k + 1) * m + j]; }
        for (let i = 0; i < n; i++) d[i] = xs[2 * k * n + i] - xs[(2 * k + 1) * n + i];
        const dist = pnorm(d, norm);
        if (!(dist > 1e-12)) continue;
        const slope = Math.abs(ga - gb) / dist;
        if (!(slope <= r.upper * (1 + 1e-9) + 1e-9 * (Math.abs(ga) + Math.abs(gb) + 1) / dist)) bad.push(`${c.label} ${norm}: slope ${slope} > upper ${r.upper}`);
      }
      if (r.lower > 0) {
        expect(r.witness).not.toBeNull();
        const [a, b] = r.witness!;
        for (let i = 0; i < n; i++) if (!(a[i] >= region.lo[i] && a[i] <= region.hi[i] && b[i] >= region.lo[i] && b[i] <= region.hi[i])) bad.push(`${c.label}: witness outside the box`);
        const y = forward(net, Float64Array.from([...a, ...b]), 2);
        let ga = 0, gb = 0;
        for (let j = 0; j < m; j++) { ga += row[j] * y[j]; gb += row[j] * y[m + j]; }
        for (let i = 0; i < n; i++) d[i] = a[i] - b[i];
        const slope = Math.abs(ga - gb) / pnorm(d, norm);
        if (!(slope >= r.lower * (1 - 1e-9))) bad.push(`${c.label}: witness slope ${slope} < lower ${r.lower}`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  }, 60_000);

  it('linear networks: lower = upper = the dual norm of the product row (1e-9 relative)', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const rng = new Rng(seed);
      const n = 2 + (seed % 4), h = 5, m = 3;
      const g = new GraphBuilder({ seed, float32: false }, { name: 'input', shape: [1, n] });
      const x1 = g.gemm('fc1', 'input', n, h);
      const out = g.gemm('fc2', x1, h, m);
      const net = buildFromSpec(g.finish(out, 'linear'));
      const row = Float64Array.from({ length: m }, () => rng.uniform(-1, 1));
      const lo = Float64Array.from({ length: n }, () => rng.uniform(-1, 0)), hi = Float64Array.from(lo, (v) => v + rng.uniform(0.1, 1));
      lo[0] = hi[0]; // one fixed coordinate
      const norm = (['inf', '2', '1'] as const)[seed % 3];
      // Closed form: the row pulled back through both layers (float64, well within 1e-9).
      const w1 = g.initializers.find((t) => t.name === 'fc1.weight')!.tensor.data, w2 = g.initializers.find((t) => t.name === 'fc2.weight')!.tensor.data;
      const v = new Float64Array(h);
      for (let j = 0; j < m; j++) for (let k = 0; k < h; k++) v[k] += row[j] * w2[j * h + k];
      const grad = new Float64Array(n);
      for (let k = 0; k < h; k++) for (let i = 0; i < n; i++) grad[i] += v[k] * w1[k * n + i];
      const q: Norm = norm === 'inf' ? '1' : norm === '1' ? 'inf' : '2';
      const exact = pnorm(grad.subarray(1), q);
      const r = await lipschitzInterval(net, { lo, hi }, row, { norm, eps: 1e-12, timeout: 5 });
      expect(Math.abs(r.upper - exact) / exact).toBeLessThan(1e-9);
      expect(Math.abs(r.lower - exact) / exact).toBeLessThan(1e-9);
      expect(r.lower).toBeLessThanOrEqual(r.upper);
    }
  });

  it('1–3-input ReLU networks: with eps 0.01, upper ≤ 1.01·exact and lower ≥ 0.99·exact (region enumeration); the global bound alone fails', async () => {
    let globalFails = 0;
    const cases = 9;
    for (let seed = 1; seed <= cases; seed++) {
      const n = 1 + (seed % 3);
      const net = buildFromSpec(randomDense({ seed: seed + 40, inputs: n, widths: [6, 6], outputs: 2, act: 'Relu' }));
      const rng = new Rng(seed);
      const lo = Float64Array.from({ length: n }, () => rng.uniform(-1.5, 0)), hi = Float64Array.from(lo, (v) => v + rng.uniform(0.5, 2));
      const row = Float64Array.of(1, -1);
      const norm = (['inf', '2', '1'] as const)[seed % 3];
      const exact = (await exactLocalLipschitz(net, lo, hi, row, norm)).value;
      const r = await lipschitzInterval(net, { lo, hi }, row, { norm, eps: 0.01, timeout: 20 });
      expect(r.certified).toBe(true);
      expect(r.upper).toBeLessThanOrEqual(1.01 * exact);
      expect(r.lower).toBeGreaterThanOrEqual(0.99 * exact);
      expect(r.lower).toBeLessThanOrEqual(exact * (1 + 1e-9));
      expect(r.upper).toBeGreaterThanOrEqual(exact * (1 - 1e-9));
      if (globalLipschitz(net, row, norm).product[0] > 1.01 * exact) globalFails++;
    }
    expect(globalFails).toBe(cases);
  }, 60_000);

  it('a tiny timeout still gives a valid interval; no region gives the global bound', async () => {
    const net = buildFromSpec(randomDense({ seed: 9, inputs: 2, widths: [8, 8], outputs: 2, act: 'Relu' }));
    const lo = new Float64Array(2).fill(-1), hi = new Float64Array(2).fill(1);
    const row = Float64Array.of(1, 0);
    const exact = (await exactLocalLipschitz(net, lo, hi, row, 'inf')).value;
    for (const cpuClock of [false, true]) {
      // The timeout in wall seconds, or in the process's CPU seconds (cpuClock): a valid interval either way.
      const r = await lipschitzInterval(net, { lo, hi }, row, { eps: 1e-6, timeout: 0.05, cpuClock });
      expect(r.lower).toBeLessThanOrEqual(exact * (1 + 1e-9));
      expect(r.upper).toBeGreaterThanOrEqual(exact * (1 - 1e-9));
      expect(r.time_s).toBeLessThan(30);
    }
    // A normal CPU-second budget closes the interval as the wall-clock one does.
    const c = await lipschitzInterval(net, { lo, hi }, row, { eps: 0.01, timeout: 30, cpuClock: true });
    expect(c.certified).toBe(true);
    expect(c.lower).toBeGreaterThanOrEqual(0.99 * exact);
    expect(c.upper).toBeLessThanOrEqual(1.01 * exact);
    const g = await lipschitzInterval(net, null, row, {});
    expect(g.upper).toBe(g.global);
    expect(g.lower).toBeLessThanOrEqual(g.upper);
    expect(g.lower).toBeGreaterThan(0);
  });

  it('bad input: eps ≤ 0, wrong dimensions, lo > hi, objective length', async () => {
    const net = buildFromSpec(randomDense({ seed: 1, inputs: 2, widths: [4], outputs: 2, act: 'Relu' }));
    const lo = Float64Array.of(0, 0), hi = Float64Array.of(1, 1), row = Float64Array.of(1, 0);
    await expect(lipschitzInterval(net, { lo, hi }, row, { eps: 0 })).rejects.toThrow(/eps/);
    await expect(lipschitzInterval(net, { lo: Float64Array.of(0), hi: Float64Array.of(1) }, row)).rejects.toThrow(/2 inputs/);
    await expect(lipschitzInterval(net, { lo: hi, hi: lo }, row)).rejects.toThrow(/empty/);
    await expect(lipschitzInterval(net, { lo, hi }, Float64Array.of(1))).rejects.toThrow(/outputs/);
    await expect(lipschitzInterval(net, { lo, hi }, row, { norm: 'l3' as Norm })).rejects.toThrow(/norm/);
  });
});
