/**
 * ReLU stability by tiers: no tier ever calls an unstable ReLU stable (sampled on several
 * hundred random dense and residual networks and regions, tiny near-kink regions included),
 * the tiers are nested (each decides at least what the cheaper ones do), and the milp tier is
 * exact with no timeout against exact rational enumeration on 2-input networks.
 */
import { describe, expect, it } from 'vitest';
import { forward, forwardAll } from '../../src/net/forward.js';
import { Network } from '../../src/net/network.js';
import { reluStability, RELU_TIERS, type ReluTier, type StabilityResult } from '../../src/relu/stability.js';
import { ballRegion, boxRegion, type Region } from '../../src/spec/region.js';
import { exactExtremes } from '../helpers/exact.js';
import { buildFromSpec, randomDense, randomResidual, Rng } from '../helpers/random_net.js';

function randomNet(rng: Rng, seed: number, inputs: number): Network {
  if (rng.next() < 0.3) {
    return buildFromSpec(randomResidual({ seed, inputs, width: 2 + rng.int(4), blocks: 1 + rng.int(2), outputs: 1 + rng.int(2), weightScale: rng.uniform(0.5, 2), float32: rng.next() < 0.5 }));
  }
  const widths = Array.from({ length: 1 + rng.int(3) }, () => 2 + rng.int(6));
  return buildFromSpec(randomDense({ seed, inputs, widths, outputs: 1 + rng.int(2), act: 'Relu', weightScale: rng.uniform(0.5, 2), float32: rng.next() < 0.5 }));
}

function randomRegion(rng: Rng, n: number): { region: Region; lo: Float64Array; hi: Float64Array } {
  const c = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
  // Radii from 1e-7 (near-kink: a tiny box around a point) to 1.
  const r = Math.pow(10, rng.uniform(-7, 0));
  const lo = Float64Array.from(c, (v) => v - r), hi = Float64Array.from(c, (v) => v + r);
  if (rng.next() < 0.5) return { region: boxRegion(lo, hi), lo, hi };
  const region = ballRegion(c, r, 'inf');
  return { region, lo, hi };
}

/** Sampled points of the box (vertices and uniform), and the sign seen at each ReLU element. */
function sampledSigns(net: Network, stab: StabilityResult, lo: Float64Array, hi: Float64Array, rng: Rng, count = 400): { pos: Uint8Array[]; neg: Uint8Array[] } {
  const n = net.inputSize;
  const x = new Float64Array(count * n);
  for (let s = 0; s < count; s++) for (let i = 0; i < n; i++) {
    const m = rng.next();
    x[s * n + i] = m < 0.3 ? lo[i] : m < 0.6 ? hi[i] : rng.uniform(lo[i], hi[i]);
  }
  const vals = forwardAll(net, x, count);
  const pos = stab.layers.map((L) => new Uint8Array(L.size)), neg = stab.layers.map((L) => new Uint8Array(L.size));
  stab.layers.forEach((L, li) => {
    const z = vals[L.input];
    for (let s = 0; s < count; s++) for (let j = 0; j < L.size; j++) {
      const v = z[s * L.size + j];
      // A float64 value beyond a rounding allowance: its sign is the real one.
      const tol = 1e-12 * (1 + Math.abs(v));
      if (v > tol) pos[li][j] = 1;
      if (v < -tol) neg[li][j] = 1;
    }
  });
  return { pos, neg };
}

function checkSound(stab: StabilityResult, signs: { pos: Uint8Array[]; neg: Uint8Array[] }, label: string): void {
  stab.layers.forEach((L, li) => {
    for (let j = 0; j < L.size; j++) {
      if (L.status[j] === 1 && signs.neg[li][j]) throw new Error(`${label}: ${L.node}[${j}] called active by ${RELU_TIERS[L.tier[j]]} but a sample has z < 0`);
      if (L.status[j] === -1 && signs.pos[li][j]) throw new Error(`${label}: ${L.node}[${j}] called inactive by ${RELU_TIERS[L.tier[j]]} but a sample has z > 0`);
      // Bounds hold at the samples too (checked through the signs: a stable side is never crossed).
      expect(L.lo[j] <= L.hi[j]).toBe(true);
    }
  });
}

describe('reluStability: no tier calls an unstable ReLU stable', () => {
  it('several hundred random dense and residual networks and regions (ibp, crown, lp; milp on a third)', async () => {
    const rng = new Rng(11);
    let cases = 0, stableSeen = 0, milpRuns = 0;
    for (let seed = 0; seed < 300; seed++) {
      const n = 1 + rng.int(4);
      const net = randomNet(rng, seed, n);
      const { region, lo, hi } = randomRegion(rng, n);
      const tiers: ReluTier[] = seed % 3 === 0 ? ['ibp', 'crown', 'lp', 'milp'] : ['ibp', 'crown', 'lp'];
      let prev: StabilityResult | null = null;
      for (const method of tiers) {
        // Some runs without the α-CROWN step, some with the LP solves cut by a zero budget, some
        // with the refuted sides tightened by LPs (LP-all) or not at all (default: α-CROWN).
        const variant = seed % 5 === 1 ? { alphaSteps: 0 } : seed % 5 === 2 ? { lpBudget: 0 } : seed % 5 === 3 ? { tightenRefuted: 'lp' as const } : seed % 5 === 4 ? { tightenRefuted: 'none' as const } : {};
        const stab = await reluStability(net, region, { method, samples: 64, seed, ...variant });
        const signs = sampledSigns(net, stab, lo, hi, new Rng(seed));
        checkSound(stab, signs, `seed ${seed} ${method}`);
        // Every decision is credited to a tier the run includes, and a stable element to the tier
        // that proved it (in ibp/crown runs, never to lp or milp).
        for (const L of stab.layers) for (let j = 0; j < L.size; j++) if (L.status[j] !== 0) expect(L.tier[j]).toBeLessThanOrEqual(RELU_TIERS.indexOf(method));
        // Nested tiers: whatever the cheaper tier proved stays proved.
        if (prev) prev.layers.forEach((L, li) => { for (let j = 0; j < L.size; j++) if (L.status[j] !== 0) expect(stab.layers[li].status[j]).toBe(L.status[j]); });
        if (method === 'milp') {
          milpRuns++;
          // An unstable verdict without a timeout has both signs witnessed.
          for (const L of stab.layers) for (let j = 0; j < L.size; j++) if (L.status[j] === 0 && L.tier[j] === 3) expect(L.witness[j]).toBe(3);
        }
        prev = stab;
        cases++;
      }
      stableSeen += prev!.layers.reduce((a, L) => a + L.status.filter((v) => v !== 0).length, 0);
    }
    expect(cases).toBeGreaterThan(900);
    expect(milpRuns).toBe(100);
    expect(stableSeen).toBeGreaterThan(200);
  }, 120_000);
});

/** The exact status of every ReLU element over the box, by rational enumeration of the truncated network. */
function exactStatus(net: Network, stab: StabilityResult, lo: Float64Array, hi: Float64Array): Int8Array[] {
  return stab.layers.map((L) => {
    const producer = net.nodes.findIndex((nd) => nd.output === L.input);
    const sub = new Network(net.values, net.nodes.slice(0, producer + 1), net.inputIds, [L.input], net.meta);
    const ex = exactExtremes(sub, lo, hi);
    return Int8Array.from({ length: L.size }, (_, j) => (ex.max[j].sign() <= 0 ? -1 : ex.min[j].sign() >= 0 ? 1 : 0));
  });
}

describe('reluStability: the milp tier is exact', () => {
  it('matches rational enumeration on random 1- and 2-input networks, with no MILP timeout (MILP alone, and verify\'s search first)', async () => {
    const rng = new Rng(5);
    let unstable = 0, stable = 0, byMilp = 0;
    for (let seed = 0; seed < 40; seed++) {
      const n = 1 + rng.int(2);
      const net = randomNet(rng, 1000 + seed, n);
      const c = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
      const r = Math.pow(10, rng.uniform(-2, 0));
      const lo = Float64Array.from(c, (v) => v - r), hi = Float64Array.from(c, (v) => v + r);
      // Odd seeds: MILP only; even seeds: verify's input splitting first (babShare 0.5, the default).
      const stab = await reluStability(net, boxRegion(lo, hi), { method: 'milp', seed, babShare: seed % 2 ? 0 : 0.5 });
      const exact = exactStatus(net, stab, lo, hi);
      stab.layers.forEach((L, li) => {
        expect(L.milpTimeouts).toBe(0);
        for (let j = 0; j < L.size; j++) {
          if (exact[li][j] !== L.status[j]) throw new Error(`seed ${seed}: ${L.node}[${j}] exact ${exact[li][j]}, milp tier ${L.status[j]} (tier ${L.tier[j]})`);
          if (L.status[j] === 0) unstable++; else stable++;
          if (L.tier[j] === 3) byMilp++;
        }
      });
    }
    expect(unstable).toBeGreaterThan(20);
    expect(stable).toBeGreaterThan(20);
    expect(byMilp).toBeGreaterThan(0);
  }, 120_000);

  it('the HiGHS MILP path (early stops) is exact too on small 2-input networks', async () => {
    const rng = new Rng(8);
    for (let seed = 0; seed < 8; seed++) {
      const net = randomNet(rng, 2000 + seed, 2);
      const c = Float64Array.from({ length: 2 }, () => rng.uniform(-1, 1));
      const r = Math.pow(10, rng.uniform(-1.5, 0));
      const lo = Float64Array.from(c, (v) => v - r), hi = Float64Array.from(c, (v) => v + r);
      const stab = await reluStability(net, boxRegion(lo, hi), { method: 'milp', solver: 'highs', seed, babShare: 0 });
      const exact = exactStatus(net, stab, lo, hi);
      stab.layers.forEach((L, li) => {
        expect(L.milpTimeouts).toBe(0);
        for (let j = 0; j < L.size; j++) expect(L.status[j]).toBe(exact[li][j]);
      });
    }
  }, 60_000);

  it('rejects bad input: no ReLU, a region of the wrong dimension, a time limit ≤ 0', async () => {
    const net = buildFromSpec(randomDense({ seed: 1, inputs: 2, widths: [], outputs: 1, act: 'Relu' }));
    await expect(reluStability(net, boxRegion([0, 0], [1, 1]))).rejects.toThrow(/no ReLU/);
    const net2 = buildFromSpec(randomDense({ seed: 1, inputs: 2, widths: [3], outputs: 1, act: 'Relu' }));
    await expect(reluStability(net2, boxRegion([0, 0, 0], [1, 1, 1]))).rejects.toThrow(/3 values/);
    await expect(reluStability(net2, boxRegion([0, 0], [1, 1]), { milpTime: 0 })).rejects.toThrow(/time limit/);
    expect(forward(net2, Float64Array.of(0, 0)).length).toBe(1);
  });
});
