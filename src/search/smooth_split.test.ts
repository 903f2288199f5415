import { describe, expect, it } from 'vitest';
import { forwardAll } from '../net/forward.js';
import type { Network } from '../net/network.js';
import type { PropertyDisjunct } from '../spec/property.js';
import { buildFromSpec, randomDense, Rng, type Activation } from '../../test/helpers/random_net.js';
import { branchAndBound } from './bnb.js';
import { boundReluDomains, reluRootContext, rootReluDomain, splitReluDomain, type ReluDomain } from './relu_split.js';
import { ReluSplitProblem } from './relu_split_problem.js';
import { VERIFY_DEFAULTS } from './verify.js';

/**
 * Branching on Sigmoid / Tanh neurons (split at the inflection 0) in the ReLU-split engine:
 * every bound of a split domain is checked against dense sampling of that domain (the points
 * whose pre-activations satisfy the splits), and branch and bound proves margins that the
 * root bound alone does not, never one that sampling refutes.
 */

const LO = [-1, -1], HI = [1, 1], ROW = [1, -1];

function disjunct(d: number): PropertyDisjunct {
  return { box: { lo: Float64Array.from(LO), hi: Float64Array.from(HI) }, outputs: [{ C: Float64Array.from(ROW), d: Float64Array.of(d), rows: 1, numOutputs: 2 }] };
}

/** A grid plus random points of the box, their pre-activation values (all values) and the row's value y0 − y1. */
function samples(net: Network, rng: Rng, grid = 120, random = 3000): { vals: Float64Array[]; obj: Float64Array; count: number } {
  const pts: number[] = [];
  for (let a = 0; a <= grid; a++) for (let b = 0; b <= grid; b++) pts.push(LO[0] + ((HI[0] - LO[0]) * a) / grid, LO[1] + ((HI[1] - LO[1]) * b) / grid);
  for (let k = 0; k < random; k++) pts.push(LO[0] + (HI[0] - LO[0]) * rng.next(), LO[1] + (HI[1] - LO[1]) * rng.next());
  const count = pts.length / 2;
  const vals = forwardAll(net, Float64Array.from(pts), count);
  const y = vals[net.outputIds[0]];
  const obj = new Float64Array(count);
  for (let i = 0; i < count; i++) obj[i] = y[2 * i] - y[2 * i + 1];
  return { vals, obj, count };
}

/**
 * Sampled minimum of the row over the points that satisfy the splits (strictly, by `slack`) and,
 * with `within`, whose value `within.v` element `within.j` lies in [lo, hi]; null when none does.
 */
function sampledMinUnder(net: Network, s: ReturnType<typeof samples>, splits: Int32Array, slack = 0, within?: { v: number; j: number; lo: number; hi: number }): number | null {
  let min: number | null = null;
  for (let i = 0; i < s.count; i++) {
    let ok = true;
    if (within) {
      const z = s.vals[within.v][i * net.values[within.v].size + within.j];
      if (z < within.lo || z > within.hi) ok = false;
    }
    for (let q = 0; q < splits.length && ok; q += 3) {
      const v = net.nodes[splits[q]].inputs[0], size = net.values[v].size;
      if (splits[q + 2] * s.vals[v][i * size + splits[q + 1]] < slack) ok = false;
    }
    if (ok && (min === null || s.obj[i] < min)) min = s.obj[i];
  }
  return min;
}

const settings = { ...VERIFY_DEFAULTS, workers: 1 };

describe('Sigmoid / Tanh splitting in the ReLU-split engine', () => {
  it('split domains of sigmoid and tanh networks: every bound is below the sampled minimum of its domain; emptiness only when no sample satisfies the splits', () => {
    const rng = new Rng(5);
    let checked = 0, smoothSplits = 0, empties = 0, pointSplits = 0;
    for (const act of ['Sigmoid', 'Tanh'] as Activation[]) {
      for (let t = 0; t < 5; t++) {
        const net = buildFromSpec(randomDense({ seed: 2100 + t, inputs: 2, widths: [6, 5], outputs: 2, act, weightScale: 2 }));
        const s = samples(net, rng);
        const ctx = reluRootContext(net, disjunct(0));
        expect(ctx.layout.nodes.length).toBe(2); // both smooth layers are splittable
        const root = boundReluDomains(ctx, [rootReluDomain(ctx, 1)], { iterations: 10 }, 4);
        let doms: ReluDomain[] = [root.bounded[0].domain];
        for (let round = 0; round < 4; round++) {
          const kids = doms.flatMap((d) => (d.candidates && d.candidates.length >= 2 ? splitReluDomain(d, d.candidates[0], d.candidates[1]) : []));
          if (kids.length === 0) break;
          const res = boundReluDomains(ctx, kids, { iterations: 10 }, 4, undefined, rng.next() < 0.5);
          for (const b of res.bounded) {
            const sp = b.domain.splits;
            smoothSplits += sp.length / 3;
            const lower = b.lower;
            if (lower === Infinity) {
              empties++;
              expect(sampledMinUnder(net, s, sp, 1e-9), `${act} net ${t}: a domain with samples proved empty`).toBe(null);
              continue;
            }
            const min = sampledMinUnder(net, s, sp);
            if (min === null || !Number.isFinite(lower)) continue;
            checked++;
            // The bound is sound in real arithmetic; the sampled value has float64 forward error (≪ 1e-12).
            expect(lower <= min + 1e-12, `${act} net ${t}: bound ${lower} above the sampled minimum ${min}`).toBe(true);
          }
          doms = res.bounded.map((b) => b.domain).filter((_, i) => i < 2 || rng.next() < 0.6);
        }
        // Splits at a point p (elements whose interval no longer contains 0): each child's bound
        // is below the sampled minimum over its part (z ≤ p or z ≥ p) of the parent's splits.
        for (const d of doms.slice(0, 4)) {
          const S = ctx.layout.total;
          ctx.layout.nodes.forEach((k, li) => {
            const v = net.nodes[k].inputs[0];
            for (let j = 0; j < ctx.layout.sizes[li]; j += 2) {
              const i = ctx.layout.offsets[li] + j, l = d.bounds![i], u = d.bounds![S + i];
              if (l < 0 && u > 0 || !(u > l)) continue;
              const kids = splitReluDomain(d, k, j, ctx);
              const p = kids[0].bounds![S + i];
              expect(p > l && p < u && kids[1].bounds![i] === p).toBe(true);
              const res = boundReluDomains(ctx, kids, { iterations: 5 }, 2);
              res.bounded.forEach((b, side) => {
                pointSplits++;
                const min = sampledMinUnder(net, s, b.domain.splits, 0, side === 0 ? { v, j, lo: -Infinity, hi: p } : { v, j, lo: p, hi: Infinity });
                if (min !== null && Number.isFinite(b.lower)) {
                  checked++;
                  expect(b.lower <= min + 1e-12, `${act} net ${t}: point split bound ${b.lower} above the sampled minimum ${min}`).toBe(true);
                }
              });
            }
          });
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
    expect(smoothSplits).toBeGreaterThan(100);
    expect(pointSplits).toBeGreaterThan(20);
  });

  it('branch and bound on smooth splits proves margins the root bound cannot, and never one that sampling refutes', async () => {
    const rng = new Rng(8);
    let provedBeyondRoot = 0;
    // Below the sampled minimum by 4 % (10 % is proved at the root since the tighter S-shaped
    // relaxation across 0): must be proved (every domain refuted, none given up).
    for (let t = 0; t < 4; t++) {
      const net = buildFromSpec(randomDense({ seed: 2200 + t, inputs: 2, widths: [8, 6], outputs: 2, act: 'Sigmoid', weightScale: 2 }));
      const min = sampledMinUnder(net, samples(net, rng), new Int32Array(0))!;
      const problem = new ReluSplitProblem(net, net, disjunct(min - 0.04 * (1 + Math.abs(min))), settings, performance.now() + 60_000);
      const res = await branchAndBound<ReluDomain>(problem, { batch: 16, maxOpen: 100_000, deadline: performance.now() + 60_000 });
      expect(res.outcome, `Sigmoid net ${t}: 4 % below the sampled minimum ${min}`).toBe('proved');
      expect(problem.gaveUp).toBe(0);
      const root = boundReluDomains(problem.ctx, [rootReluDomain(problem.ctx, 1)], { iterations: settings.betaRootIterations }, 1).bounded[0].lower;
      if (!(root > 0)) provedBeyondRoot++;
    }
    // Splitting does the work on some of them (the root's β-CROWN bound alone is below 0).
    expect(provedBeyondRoot).toBeGreaterThanOrEqual(2);
    // Above the sampled minimum (a sample violates the property): never proved.
    for (const act of ['Sigmoid', 'Tanh'] as Activation[]) {
      for (let t = 0; t < 2; t++) {
        const net = buildFromSpec(randomDense({ seed: 2200 + t, inputs: 2, widths: [8, 6], outputs: 2, act, weightScale: 2 }));
        const min = sampledMinUnder(net, samples(net, rng), new Int32Array(0))!;
        const problem = new ReluSplitProblem(net, net, disjunct(min + 0.02 * (1 + Math.abs(min))), settings, performance.now() + 5_000);
        const res = await branchAndBound<ReluDomain>(problem, { batch: 16, maxOpen: 100_000, deadline: performance.now() + 5_000 });
        expect(res.outcome === 'proved' && problem.gaveUp === 0, `${act} net ${t}: proved although a sample violates it`).toBe(false);
      }
    }
  }, 300_000);
});
