/**
 * The maximum safe radius interval: exact answers on linear classifiers (closed form / LP / QP,
 * with and without a [0, 1] domain) and on small ReLU nets (L∞ MILP), soundness of `lower` by
 * sampling the proved ball, and re-checked witnesses.
 */
import { describe, expect, it } from 'vitest';
import type { Norm } from '../../src/bounds/types.js';
import { forward } from '../../src/net/forward.js';
import { forward32 } from '../../src/net/forward32.js';
import { buildNetwork, type Network } from '../../src/net/network.js';
import { InputError } from '../../src/net/op.js';
import { distanceUp, minNormStep } from '../../src/search/attacks.js';
import { concretizeBallBox, radius, SplitProver, type RadiusProver, type RadiusResult } from '../../src/search/radius.js';
import { Rng } from '../../src/util/rng.js';
import { ballRegion, samplePoints } from '../helpers/random_bounds_nets.js';
import { exactLinearMsr, exactReluLinfMsr, layersToSpec, randomLayers } from './helpers.js';

const NORMS: Norm[] = ['inf', '2', '1'];

/** The witness re-checks: inside the domain, some y_j > y_label strictly (float64 and float32), distance ≤ upper. */
function expectWitness(net: Network, x0: Float64Array, r: RadiusResult, domain?: { lo: number; hi: number }) {
  const w = r.adversarial!;
  expect(w).toBeTruthy();
  if (domain) for (const v of w.input) { expect(v).toBeGreaterThanOrEqual(domain.lo); expect(v).toBeLessThanOrEqual(domain.hi); }
  for (const y of [forward(net, w.input), forward32(net, w.input)]) {
    expect(Array.from(y).some((v, j) => j !== r.label && v > y[r.label])).toBe(true);
  }
  expect(distanceUp(w.input, x0, r.norm)).toBeLessThanOrEqual(r.upper);
}

/** Sample the proved ball (∩ domain): every point keeps the label strictly. */
function expectLowerSound(net: Network, x0: Float64Array, r: RadiusResult, rng: Rng, domain?: { lo: number; hi: number }) {
  if (!(r.lower > 0)) return;
  const n = x0.length;
  const dom = domain ? { lo: new Float64Array(n).fill(domain.lo), hi: new Float64Array(n).fill(domain.hi) } : undefined;
  const xs = samplePoints(rng, { label: 'proved ball', ...ballRegion(x0, r.lower, r.norm, dom) }, 300);
  const count = xs.length / n;
  const ys = forward(net, xs, count);
  const m = net.outputSize;
  let bad = 0;
  for (let s = 0; s < count; s++) for (let j = 0; j < m; j++) if (j !== r.label && !(ys[s * m + r.label] > ys[s * m + j])) bad++;
  expect(bad).toBe(0);
}

describe('radius on linear classifiers (exact MSR by LP / QP)', () => {
  for (const norm of NORMS) {
    for (const withDomain of [false, true]) {
      it(`L${norm}${withDomain ? ' within [0,1]' : ''}: lower and upper agree with the exact distance within eps`, async () => {
        const rng = new Rng(11);
        for (let seed = 0; seed < 4; seed++) {
          const n = 3 + seed * 2;
          const L = randomLayers(1000 + seed, [n, 3 + (seed % 3)]);
          const net = buildNetwork(layersToSpec(L));
          const x0 = Float64Array.from({ length: n }, () => rng.uniform(0.1, 0.9));
          const domain = withDomain ? { lo: 0, hi: 1 } : undefined;
          const eps = 1e-4;
          const r = await radius(net, x0, { norm, domain: withDomain ? '0:1' : undefined, eps });
          const exact = await exactLinearMsr(L.W[0], L.b[0], x0, r.label, norm, domain);
          if (!Number.isFinite(exact)) { expect(r.certified).toBe(true); continue; }
          expect(r.lower).toBeLessThanOrEqual(exact + 1e-7);
          expect(r.upper).toBeGreaterThanOrEqual(exact - 1e-7);
          expect(r.upper - r.lower).toBeLessThanOrEqual(eps);
          expect(r.lower).toBeGreaterThan(exact - eps);
          expectWitness(net, x0, r, domain);
          expectLowerSound(net, x0, r, rng, domain);
        }
      });
    }
  }
});

describe('radius on small ReLU nets (exact L∞ MSR by MILP)', () => {
  it('lower ≤ exact ≤ upper, the witness re-checks, and it closes within eps on ≥ 90 %', async () => {
    const rng = new Rng(3);
    let closed = 0, total = 0;
    for (let seed = 0; seed < 12; seed++) {
      const n = 2 + (seed % 4);
      const L = randomLayers(200 + seed, [n, 8, 8, 3]);
      const net = buildNetwork(layersToSpec(L));
      const x0 = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
      const eps = 1e-3;
      const r = await radius(net, x0, { norm: 'inf', eps, timeout: 15 });
      const exact = await exactReluLinfMsr(L, x0, r.label, 3);
      total++;
      expect(r.lower).toBeLessThanOrEqual(exact + 1e-6);
      if (Number.isFinite(exact)) {
        expect(r.upper).toBeGreaterThanOrEqual(exact - 1e-6);
        expectWitness(net, x0, r);
      }
      expectLowerSound(net, x0, r, rng);
      if (r.upper - r.lower <= eps) closed++;
    }
    expect(closed / total).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('L∞ with ReLU splitting (more than 10 inputs): lower ≤ exact ≤ upper', async () => {
    const rng = new Rng(5);
    const steps = new Set<string>();
    for (let seed = 0; seed < 2; seed++) {
      const n = 24;
      const L = randomLayers(400 + seed, [n, 12, 12, 3]);
      const net = buildNetwork(layersToSpec(L));
      const x0 = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
      const r = await radius(net, x0, { norm: 'inf', eps: 1e-4, timeout: 8, cpuClock: true, settings: { splitCallTimeout: 0.2 } });
      for (const p of r.trace) steps.add(p.step);
      expect(r.cpu_s).toBeGreaterThan(0);
      expect(Number.isFinite(r.upper)).toBe(true);
      // The exact MSR is ≤ upper (a witness), so a MILP over the upper-ball finds it (tight big-Ms).
      const exact = await exactReluLinfMsr(L, x0, r.label, 1.001 * r.upper);
      expect(r.lower).toBeLessThanOrEqual(exact + 1e-6);
      expect(r.upper).toBeGreaterThanOrEqual(exact - 1e-6);
      expectWitness(net, x0, r);
      expectLowerSound(net, x0, r, rng);
    }
    expect(steps.has('verify')).toBe(true);
  }, 60_000);

  it('a prover whose bracket closes short of eps gets longer calls and the bracket reopens (deterministic)', async () => {
    // Whether the real verify prover's short calls close the bracket depends on the machine's
    // speed, so the escalation is tested with a prover whose reach grows with each escalation:
    // it proves r only below exact·(1 − 2^−(k+1)) after k escalations (a true statement: r < exact).
    const rng = new Rng(7);
    const L = randomLayers(401, [24, 12, 12, 3]);
    const net = buildNetwork(layersToSpec(L));
    const x0 = Float64Array.from({ length: 24 }, () => rng.uniform(-1, 1));
    const probe = await radius(net, x0, { norm: 'inf', eps: 1e-4, timeout: 4, settings: { methods: [], reluSplitting: false, lipschitzRadii: 0 } });
    const exact = await exactReluLinfMsr(L, x0, probe.label, 1.001 * probe.upper);
    let escalations = 0;
    const growing: RadiusProver = {
      name: 'growing',
      applies: () => true,
      escalate: () => { if (escalations >= 4) return false; escalations++; return true; },
      prove: async (_q, r) => ({ proved: r < exact * (1 - 2 ** -(escalations + 1)) }),
    };
    const r = await radius(net, x0, { norm: 'inf', eps: 1e-4, timeout: 20, provers: [growing], settings: { methods: [], reluSplitting: false, lipschitzRadii: 0 } });
    const steps = r.trace.map((p) => p.step);
    expect(steps.filter((st) => st === 'growing: longer calls').length).toBe(4);
    // Before any escalation it could prove nothing at or above exact/2: the reopened brackets
    // (twice the last gap each) carried the lower bound past that, never past its final reach.
    expect(r.lower).toBeGreaterThan(exact / 2);
    expect(r.lower).toBeLessThan(exact * (1 - 1 / 32));
    expect(r.upper).toBeGreaterThanOrEqual(exact - 1e-6);
    // The real verify prover doubles its per-call time up to 16× (4 escalations), then declines.
    const split = new SplitProver(10, 0.2);
    expect([1, 2, 3, 4, 5].map(() => split.escalate())).toEqual([true, true, true, true, false]);
  }, 60_000);

  for (const norm of ['2', '1'] as const) {
    it(`L${norm} within [0,1]: the proved ball keeps the label (sampled), the witness re-checks`, async () => {
      const rng = new Rng(9);
      for (let seed = 0; seed < 3; seed++) {
        const n = 8;
        const L = randomLayers(300 + seed, [n, 16, 16, 4]);
        const net = buildNetwork(layersToSpec(L));
        const x0 = Float64Array.from({ length: n }, () => rng.uniform(0, 1));
        const r = await radius(net, x0, { norm, domain: '0:1', eps: 1e-3, timeout: 5 });
        expect(r.lower).toBeLessThanOrEqual(r.upper);
        expectLowerSound(net, x0, r, rng, { lo: 0, hi: 1 });
        if (!r.certified) expectWitness(net, x0, r, { lo: 0, hi: 1 });
      }
    });
  }
});

describe('concretizeBallBox (Lagrangian bound of a linear function over ball ∩ box)', () => {
  /** The exact minimum of a·d over ‖d‖ ≤ r ∩ box, by its primal optimum: L2 d = clip(−a t) at ‖d‖ = r; L1 the greedy. A feasible point, so its value is ≥ the minimum; the bound must be ≤ it and close. */
  function primal(a: Float64Array, dl: Float64Array, dh: Float64Array, r: number, norm: '2' | '1'): number {
    const n = a.length;
    const d = new Float64Array(n);
    if (norm === '2') {
      const at = (t: number) => { for (let i = 0; i < n; i++) d[i] = Math.min(Math.max(-a[i] * t, dl[i]), dh[i]); return Math.hypot(...d); };
      let lo = 0, hi = 1e6;
      for (let k = 0; k < 200; k++) { const t = 0.5 * (lo + hi); if (at(t) < r) lo = t; else hi = t; }
      at(lo);
    } else {
      const idx = Array.from({ length: n }, (_, i) => i).sort((p, q) => Math.abs(a[q]) - Math.abs(a[p]));
      let left = r;
      for (const i of idx) { const room = a[i] > 0 ? -dl[i] : dh[i]; const s = Math.min(room, left); d[i] = a[i] > 0 ? -s : s; left -= s; }
    }
    let v = 0;
    for (let i = 0; i < n; i++) v += a[i] * d[i];
    return v;
  }
  it('is ≤ the value at the primal optimum (a feasible point) and within 1e-9 of it', () => {
    const rng = new Rng(21);
    let compared = 0;
    for (let t = 0; t < 40; t++) {
      const norm = t % 2 ? '2' : '1';
      const n = 2 + (t % 6);
      const a = Float64Array.from({ length: n }, () => rng.normal());
      const c = Float64Array.from({ length: n }, () => rng.uniform(0, 1));
      const r = rng.uniform(0.05, 1.5);
      const lo = c.map((v) => Math.max(0, v - r)), hi = c.map((v) => Math.min(1, v + r));
      const bias = rng.normal();
      const v = concretizeBallBox(a, 0, bias, c, r, norm, lo, hi);
      if (v === -Infinity) continue; // the box minimum lies inside the ball
      let exact = bias + primal(a, lo.map((l, i) => l - c[i]), hi.map((h, i) => h - c[i]), r, norm);
      for (let i = 0; i < n; i++) exact += a[i] * c[i];
      expect(v).toBeLessThanOrEqual(exact);
      expect(v).toBeGreaterThan(exact - 1e-9 * (1 + Math.abs(exact)));
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
  });
});

describe('minNormStep', () => {
  it('reaches the half-space with the exact minimal norm (checked against the LP)', async () => {
    const rng = new Rng(4);
    for (const norm of NORMS) {
      for (let t = 0; t < 5; t++) {
        const n = 4;
        const W = Float64Array.from({ length: 2 * n }, () => rng.normal());
        const c = Float64Array.from({ length: 2 }, () => rng.normal());
        const x0 = Float64Array.from({ length: n }, () => rng.uniform(0.2, 0.8));
        const exact = await exactLinearMsr(W, c, x0, 0, norm, { lo: 0, hi: 1 });
        const g = Float64Array.from({ length: n }, (_, i) => W[n + i] - W[i]);
        let b = -(c[1] - c[0]);
        for (let i = 0; i < n; i++) b -= g[i] * x0[i];
        const out = new Float64Array(n);
        const d = minNormStep(g, b, x0, { lo: new Float64Array(n), hi: new Float64Array(n).fill(1) }, norm, out);
        if (!Number.isFinite(exact)) { expect(d).toBe(Infinity); continue; }
        expect(Math.abs(d - exact)).toBeLessThan(1e-7 * (1 + exact));
      }
    }
  });
});

describe('radius: special cases and bad input', () => {
  const L = randomLayers(7, [4, 8, 3]);
  const net = buildNetwork(layersToSpec(L));
  const x0 = Float64Array.from([0.2, 0.4, 0.6, 0.8]);
  it('a point already misclassified for the given label: radius 0, the point is the witness', async () => {
    const y = forward(net, x0);
    const wrong = [0, 1, 2].find((j) => y.some((v, k) => k !== j && v > y[j]))!;
    const r = await radius(net, x0, { label: wrong });
    expect(r.lower).toBe(0);
    expect(r.upper).toBe(0);
    expect(Array.from(r.adversarial!.input)).toEqual(Array.from(x0));
    expect(r.note).toMatch(/misclassified/);
  });
  it('bad input is an InputError', async () => {
    await expect(radius(net, [1, 2, 3])).rejects.toThrow(InputError);
    await expect(radius(net, x0, { label: 3 })).rejects.toThrow(/out of range/);
    await expect(radius(net, x0, { norm: 'p3' })).rejects.toThrow(/unknown norm/);
    await expect(radius(net, x0, { eps: 0 })).rejects.toThrow(/eps/);
    await expect(radius(net, [0.2, 0.4, 0.6, 1.5], { domain: '0:1' })).rejects.toThrow(/outside the domain/);
  });
  it('a whole domain proved: certified, upper = ∞, no witness', async () => {
    // A constant-margin classifier: y0 − y1 = 1 everywhere.
    const C = { W: [new Float64Array([0, 0, 0, 0])], b: [new Float64Array([1, 0])], sizes: [2, 2] };
    const flat = buildNetwork(layersToSpec(C));
    const r = await radius(flat, [0.5, 0.5], { domain: '0:1' });
    expect(r.certified).toBe(true);
    expect(r.upper).toBe(Infinity);
    expect(r.adversarial).toBeNull();
  });
});
