import { describe, expect, it } from 'vitest';
import type { Norm } from '../../src/bounds/types.js';
import { globalLipschitz } from '../../src/lipschitz/global.js';
import { localLipschitz } from '../../src/lipschitz/local.js';
import { forwardIntervalJacobian, intervalJacobian } from '../../src/lipschitz/interval_jacobian.js';
import { crownIntermediate } from '../../src/bounds/crown.js';
import { forward } from '../../src/net/forward.js';
import { vjp } from '../../src/net/gradient.js';
import { randomBoundsCase, randomBox, samplePoints, type NetFamily } from '../helpers/random_bounds_nets.js';
import { Rng } from '../helpers/random_net.js';

/** The p-norm of a vector over a mask. */
function pnorm(v: ArrayLike<number>, p: Norm, mask: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    if (!mask[i]) continue;
    const a = Math.abs(v[i]);
    if (p === 'inf') s = Math.max(s, a); else if (p === '1') s += a; else s += a * a;
  }
  return p === '2' ? Math.sqrt(s) : s;
}
const dual = (p: Norm): Norm => (p === 'inf' ? '1' : p === '1' ? 'inf' : '2');

const FAMILIES: NetFamily[] = ['dense-relu', 'residual', 'dense-sigmoid', 'dense-tanh', 'dense-leaky', 'normalized', 'conv', 'mixed'];

describe('localLipschitz', () => {
  it('bounds every sampled secant slope and gradient, and stays below the global bound', () => {
    let cases = 0;
    const bad: string[] = [];
    for (let seed = 1; seed <= 48; seed++) {
      const family = FAMILIES[seed % FAMILIES.length];
      const c = randomBoundsCase(seed, family, { maxWidth: 24, maxLayers: 4 });
      const net = c.net;
      const n = net.inputSize, m = net.outputSize;
      const rng = new Rng(seed * 31 + 5);
      const reg = randomBox(rng, n, [1e-3, 2]);
      const norm = (['inf', '2', '1'] as const)[seed % 3];
      const R = 2;
      const rows = new Float64Array(R * m);
      for (let i = 0; i < rows.length; i++) rows[i] = rng.uniform(-1, 1);
      // Half the cases refine by activation patterns (a partial-pattern cover; the target only prunes).
      const res = localLipschitz(net, reg.region, rows, norm, seed % 2 ? { patterns: 64, patternsMaxUnstable: 10, target: Float64Array.of(0.3, 0.3) } : {});
      const glob = globalLipschitz(net, rows, norm);
      const mask = new Uint8Array(n);
      for (let i = 0; i < n; i++) mask[i] = reg.region.lo[i] < reg.region.hi[i] ? 1 : 0;
      const count = 600;
      const xs = samplePoints(rng, reg, count);
      const pts = xs.length / n;
      const ys = forward(net, xs, pts);
      for (let r = 0; r < R; r++) {
        const L = res.dual[r];
        expect(L <= glob.upper[r], c.label).toBe(true);
        const g = new Float64Array(pts);
        for (let s = 0; s < pts; s++) { let v = 0; for (let j = 0; j < m; j++) v += rows[r * m + j] * ys[s * m + j]; g[s] = v; }
        // Secant slopes of random pairs.
        for (let t = 0; t < 1500; t++) {
          const a = rng.int(pts), b = rng.int(pts);
          const diff = new Float64Array(n);
          for (let i = 0; i < n; i++) diff[i] = xs[a * n + i] - xs[b * n + i];
          const dist = pnorm(diff, norm, mask);
          if (!(dist > 1e-9)) continue;
          const slope = Math.abs(g[a] - g[b]) / dist;
          const slack = 1e-9 * (Math.abs(g[a]) + Math.abs(g[b]) + 1) / dist;
          if (!(slope <= L * (1 + 1e-9) + slack)) bad.push(`${c.label} ${norm} row ${r}: slope ${slope} > ${L}`);
        }
        // Gradients at the sample points (away from kinks they are the true gradient).
        const gOut = new Float64Array(pts * m);
        for (let s = 0; s < pts; s++) gOut.set(rows.subarray(r * m, (r + 1) * m), s * m);
        const { grad } = vjp(net, xs, gOut, pts);
        for (let s = 0; s < pts; s++) {
          const gs = grad.subarray(s * n, (s + 1) * n);
          if (!(pnorm(gs, dual(norm), mask) <= L * (1 + 1e-9) + 1e-12)) bad.push(`${c.label}: gradient norm above ${L}`);
          for (let i = 0; i < n; i++) if (mask[i] && !(Math.abs(gs[i]) <= res.perCoord[r * n + i] * (1 + 1e-9) + 1e-12)) bad.push(`${c.label}: |∂g/∂x${i}| above perCoord`);
        }
      }
      cases++;
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(cases).toBe(48);
  }, 60_000);

  it('the forward-mode and backward interval Jacobians each hold every sampled gradient', () => {
    const bad: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const c = randomBoundsCase(seed + 700, (['dense-relu', 'residual', 'dense-sigmoid', 'dense-tanh', 'conv', 'mixed'] as const)[seed % 6], { maxWidth: 16, maxLayers: 4 });
      const net = c.net, n = net.inputSize, m = net.outputSize;
      const rng = new Rng(seed);
      const reg = randomBox(rng, n, [1e-2, 2]);
      const row = Float64Array.from({ length: m }, () => rng.uniform(-1, 1));
      const nodes = crownIntermediate({ net, region: reg.region });
      const ib = (node: { inputs: number[] }) => ({ lo: nodes.lo[node.inputs[0]]!, hi: nodes.hi[node.inputs[0]]! });
      const encl = [intervalJacobian(net, 1, row, 1, ib), forwardIntervalJacobian(net, 1, row, 1, ib)];
      const xs = samplePoints(rng, reg, 200);
      const pts = xs.length / n;
      const gOut = new Float64Array(pts * m);
      for (let s = 0; s < pts; s++) gOut.set(row, s * m);
      const { grad } = vjp(net, xs, gOut, pts);
      for (let s = 0; s < pts; s++) {
        for (let i = 0; i < n; i++) {
          if (!(reg.region.lo[i] < reg.region.hi[i])) continue;
          const v = grad[s * n + i], tol = 1e-9 * (Math.abs(v) + 1e-6);
          encl.forEach((e, w) => { if (!(v >= e.lo[i] - tol && v <= e.hi[i] + tol)) bad.push(`${c.label} ${w ? 'forward' : 'backward'}: ∂g/∂x${i} = ${v} ∉ [${e.lo[i]}, ${e.hi[i]}]`); });
        }
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('is exact on a linear network and zero on fixed coordinates', () => {
    const c = randomBoundsCase(3, 'dense-relu', { maxLayers: 1 });
    const net = c.net;
    const n = net.inputSize, m = net.outputSize;
    const lo = new Float64Array(n).fill(-1), hi = new Float64Array(n).fill(1);
    lo[0] = hi[0] = 0.5;
    const rows = new Float64Array(m); rows[0] = 1;
    const res = localLipschitz(net, { batch: 1, lo, hi }, rows, 'inf');
    expect(res.perCoord[0]).toBe(0);
    const gOut = new Float64Array(m); gOut[0] = 1;
    const { grad } = vjp(net, new Float64Array(n), gOut, 1);
    let s = 0;
    for (let i = 1; i < n; i++) s += Math.abs(grad[i]);
    expect(res.dual[0]).toBeGreaterThanOrEqual(s);
    expect(res.dual[0]).toBeLessThanOrEqual(s * (1 + 1e-12));
  });
});
