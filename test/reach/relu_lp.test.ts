/**
 * The ReLU-split LP bound of reach's bnb (src/reach/relu_lp.ts): on random ReLU and LeakyReLU
 * nets, random boxes and random sets of splits, the bound never exceeds the objective at any
 * sampled input of the domain (the box where every split holds), the root bound is below the
 * exact minimum (MILP), a domain proved empty has no sampled point, and a domain with every
 * unstable element split is bounded (nearly) exactly: its bound is within 1e-6 of the LP point's
 * re-evaluated value.
 */
import { describe, expect, it } from 'vitest';
import { forward } from '../../src/net/forward.js';
import { getHighs } from '../../src/bounds/lp.js';
import { boundBoxes } from '../../src/reach/bound.js';
import { minProblem, outputObjective, linearObjective, pointValues } from '../../src/reach/objective.js';
import { ReluLpModel, reluLpApplies } from '../../src/reach/relu_lp.js';
import { reluNodes } from '../../src/bounds/prepare.js';
import { splitSetOf } from '../../src/bounds/types.js';
import { buildFromSpec, randomDense, Rng } from '../helpers/random_net.js';
import { denseLayers, milpExtreme } from './exact_reach.js';
import type { GraphSpec } from '../../src/net/graph.js';

/** Pre-activation signs of every hidden element at x (float64 forward of the dense chain): +1, −1 or 0 (exactly 0). */
function preSigns(spec: GraphSpec, x: Float64Array, alpha: number): Int8Array[] {
  const { layers } = denseLayers(spec);
  let a = Array.from(x);
  const out: Int8Array[] = [];
  for (const L of layers) {
    if (!L.relu) break;
    const z = new Array(L.outSize).fill(0);
    const s = new Int8Array(L.outSize);
    for (let o = 0; o < L.outSize; o++) {
      let v = L.b[o];
      for (let i = 0; i < L.inSize; i++) v += L.W[o * L.inSize + i] * a[i];
      z[o] = v;
      s[o] = v > 0 ? 1 : v < 0 ? -1 : 0;
    }
    out.push(s);
    a = z.map((v) => (v > 0 ? v : alpha * v));
  }
  return out;
}

describe('reach: ReLU-split LP bounds (relu_lp.ts)', () => {
  for (const act of ['Relu', 'LeakyRelu'] as const) {
    it(`${act}: bounds of random split domains never exceed a sampled value; empty only when no sample lies inside`, async () => {
      const highs = await getHighs();
      const alpha = act === 'Relu' ? 0 : Math.fround(0.1);
      let checked = 0, exactLeaves = 0;
      for (let seed = 0; seed < 4; seed++) {
        const rng = new Rng(500 + seed);
        const n = 3 + (seed % 2);
        const spec = randomDense({ seed: 60 + seed, inputs: n, widths: [6, 6, 5], outputs: 2, act });
        const net = buildFromSpec(spec);
        expect(reluLpApplies(net)).toBe(true);
        const lo = Float64Array.from({ length: n }, () => rng.uniform(-1, 0));
        const hi = Float64Array.from(lo, (l) => l + rng.uniform(0.5, 1.5));
        const obj = seed % 2 ? outputObjective(2, 1) : linearObjective(2, [1, -0.5], 0.25);
        for (const sense of ['min', 'max'] as const) {
          const p = minProblem(obj, sense);
          const relu = reluNodes(net);
          const root = boundBoxes(net, p, lo, hi, 1, undefined, { linear: true, lipschitz: false });
          const model = new ReluLpModel(highs, net, p, relu, root.nodes!);
          try {
            const r0 = model.bound(root.nodes!, 5);
            if (act === 'Relu') {
              // The root bound is below the exact minimum of h (h = ±(c·y + d)).
              const c = sense === 'min' ? obj.C : obj.C.map((v) => -v), d = sense === 'min' ? obj.d[0] : -obj.d[0];
              const ex = await milpExtreme(spec, lo, hi, c, d, 'min');
              expect(r0.lower <= ex + 1e-7).toBe(true);
            }
            // Samples of the box with their h values and activation patterns.
            const S = 3000;
            const X = new Float64Array(S * n);
            for (let k = 0; k < S * n; k++) X[k] = lo[k % n] + (hi[k % n] - lo[k % n]) * rng.next();
            const y = forward(net, X, S);
            const hv = new Float64Array(S);
            for (let k = 0; k < S; k++) hv[k] = (sense === 'min' ? 1 : -1) * (obj.C[0] * y[2 * k] + obj.C[1] * y[2 * k + 1] + obj.d[0]);
            const signs = Array.from({ length: S }, (_, k) => preSigns(spec, X.subarray(k * n, (k + 1) * n), alpha));
            // Random split sets: elements of the root's unstable ones, random sides; some from a sample's own pattern.
            for (let trial = 0; trial < 12; trial++) {
              const cand: [number, number][] = [];
              relu.forEach((kNode) => {
                const v = net.nodes[kNode].inputs[0];
                root.nodes!.lo[v]!.forEach((l, j) => { if (l < 0 && root.nodes!.hi[v]![j] > 0) cand.push([kNode, j]); });
              });
              const own = trial % 3 === 2 ? rng.int(S) : -1;
              const depth = own >= 0 ? cand.length : 1 + rng.int(Math.min(6, cand.length));
              const pick = cand.slice();
              for (let i = pick.length - 1; i > 0; i--) { const j = rng.int(i + 1); [pick[i], pick[j]] = [pick[j], pick[i]]; }
              const splits: number[] = [];
              for (const [kNode, j] of pick.slice(0, depth)) {
                const layer = relu.indexOf(kNode);
                const sgn = own >= 0 ? (signs[own][layer][j] >= 0 ? 1 : -1) : rng.next() < 0.5 ? 1 : -1;
                splits.push(kNode, j, sgn);
              }
              const sp = Int32Array.from(splits);
              const bb = boundBoxes(net, p, lo, hi, 1, undefined, { linear: true, lipschitz: false, splits: splitSetOf(net, [sp]), hasSplit: Uint8Array.of(1) }, undefined, root.nodes);
              const r = bb.lower[0] === Infinity ? { lower: Infinity, points: [] as Float64Array[], branch: null } : model.bound(bb.nodes!, 5);
              const bound = Math.max(r.lower, bb.lower[0]);
              let inside = 0;
              for (let k = 0; k < S; k++) {
                let ok = true;
                for (let t = 0; t < sp.length && ok; t += 3) {
                  const s = signs[k][relu.indexOf(sp[t])][sp[t + 1]];
                  if (s !== 0 && s !== sp[t + 2]) ok = false;
                }
                if (!ok) continue;
                inside++;
                expect(hv[k] >= r.lower - 1e-12 * (1 + Math.abs(hv[k]))).toBe(true);
                expect(hv[k] >= bound - 1e-12 * (1 + Math.abs(hv[k]))).toBe(true);
                checked++;
              }
              if (bound === Infinity) expect(inside).toBe(0);
              // Every unstable element split: the LP is exact, its optimum a point of the network.
              if (own >= 0 && Number.isFinite(r.lower) && r.points.length > 0) {
                const pv = pointValues(net, p, r.points[0], 1).upper[0];
                // The optimum satisfies the splits only up to HiGHS's feasibility tolerance, so
                // its value may lie a hair below the domain's bound (then it lies just outside).
                expect(Math.abs(pv - r.lower) <= 1e-6 * (1 + Math.abs(pv))).toBe(true);
                exactLeaves++;
              }
            }
          } finally {
            model.dispose();
          }
        }
      }
      expect(checked).toBeGreaterThan(1000);
      expect(exactLeaves).toBeGreaterThan(4);
    }, 60_000);
  }
});
