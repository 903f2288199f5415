import { describe, expect, it } from 'vitest';
import { backwardBound, crownIntermediate } from './crown.js';
import { betaCrown, proveSplitsEmpty, splitDomainBounds } from './beta.js';
import type { BatchRegion, NodeBounds, SplitSet } from './types.js';
import type { Network } from '../net/network.js';
import { Rng } from '../util/rng.js';
import { denseFromLayers, exactMinUnderSplits } from '../../test/helpers/exact_splits.js';
import { Q } from '../../test/helpers/exact.js';
import { buildFromSpec, randomDense } from '../../test/helpers/random_net.js';

function boxOf(lo: number[], hi: number[], D = 1): BatchRegion {
  const n = lo.length;
  const l = new Float64Array(D * n), h = new Float64Array(D * n);
  for (let d = 0; d < D; d++) { l.set(lo, d * n); h.set(hi, d * n); }
  return { batch: D, lo: l, hi: h };
}

/** Root bounds over the box (batch 1), sound for every split domain of it. */
function rootBounds(net: Network, lo: number[], hi: number[]): NodeBounds {
  return crownIntermediate({ net, region: boxOf(lo, hi), intermediate: 'backward' });
}

/** Rows C (R × m) for each of D domains, plus cOffset applied after (bounds are of C·y). */
function rowsFor(C: number[], D: number): Float64Array {
  const A = new Float64Array(D * C.length);
  for (let d = 0; d < D; d++) A.set(C, d * C.length);
  return A;
}

describe('β-CROWN', () => {
  it('with β = 0 and CROWN\'s slopes equals CROWN on the same split domain', () => {
    const rng = new Rng(5);
    for (let t = 0; t < 6; t++) {
      const net = buildFromSpec(randomDense({ seed: 100 + t, inputs: 3, widths: [8, 6], outputs: 2, act: 'Relu' }));
      const lo = [-1, -1, -1], hi = [1, 1, 1];
      const root = rootBounds(net, lo, hi);
      const D = 3;
      const splits: SplitSet = new Map();
      net.nodes.forEach((node, k) => {
        if (!node.kind.breakpoints) return;
        const size = net.values[node.inputs[0]].size;
        const sg = new Int8Array(D * size);
        for (let i = 0; i < sg.length; i++) sg[i] = rng.int(3) - 1;
        splits.set(k, sg);
      });
      const nb = splitDomainBounds(net, root, splits, D);
      const region = boxOf(lo, hi, D);
      const out = net.outputIds[0];
      const A0 = rowsFor([1, -1, -1, 1], D);
      const plain = backwardBound(net, nb, region, out, A0, 2);
      const beta = betaCrown(net, nb, region, out, A0, 2, splits, { iterations: 0 });
      expect(Array.from(beta.lower)).toEqual(Array.from(plain.lower));
    }
  });

  it('proves a hand-made bound that CROWN cannot: the split x ≥ 0 decides another neuron', () => {
    // y = relu(x) − relu(−x) = x on x ∈ [−1, 1]. Domain: split relu input 0 (x) active, i.e. x ≥ 0.
    // Claim: y + 1 > 0 there. CROWN clamps only the split neuron (the box stays [−1, 1]) and
    // relaxes relu(−x) by its chord: bound 1.5x − 0.5 + 1 ≥ −1. With β, the term −β·x moves the
    // minimum to x = 0: bound 0.5 (the triangle LP's value, tight for the relaxation).
    const net = denseFromLayers([{ W: [[1], [-1]], b: [0, 0], relu: true }, { W: [[1, -1]], b: [0] }]);
    const root = rootBounds(net, [-1], [1]);
    const reluNode = net.nodes.findIndex((n) => n.kind.breakpoints);
    const splits: SplitSet = new Map([[reluNode, Int8Array.of(1, 0)]]);
    const nb = splitDomainBounds(net, root, splits, 1);
    const region = boxOf([-1], [1]);
    const out = net.outputIds[0];
    const crownLower = backwardBound(net, nb, region, out, Float64Array.of(1), 1).lower[0] + 1;
    const betaLower = betaCrown(net, nb, region, out, Float64Array.of(1), 1, splits, { iterations: 60, stopAbove: Infinity }).lower[0] + 1;
    expect(crownLower).toBeLessThan(0);
    expect(betaLower).toBeGreaterThan(0.45);
    expect(betaLower).toBeLessThanOrEqual(0.5);
  });

  it('proves a two-layer hand-made property only with β (split in layer 1 decides a layer-2 neuron)', () => {
    // h = relu(x1 + x2), g = relu(x1 − x2), k = relu(x1); y = g − h − k + 0.9 on [−1, 1]². Splits:
    // x1 + x2 ≤ 0 and x1 − x2 ≤ 0 (h, g inactive), which imply x1 ≤ 0, so y = 0.9 exactly. CROWN
    // keeps the input box and relaxes k by its chord: y ≥ 0.4 − 0.5·x1 ≥ −0.1. With β the splits
    // enter the bound (x1 ≤ 0): the relaxation's own minimum, 0.4.
    const net = denseFromLayers([
      { W: [[1, 1], [1, -1], [1, 0]], b: [0, 0, 0], relu: true },
      { W: [[-1, 1, -1]], b: [0.9] },
    ]);
    const root = rootBounds(net, [-1, -1], [1, 1]);
    const reluNode = net.nodes.findIndex((n) => n.kind.breakpoints);
    const splits: SplitSet = new Map([[reluNode, Int8Array.of(-1, -1, 0)]]);
    const nb = splitDomainBounds(net, root, splits, 1);
    const region = boxOf([-1, -1], [1, 1]);
    const out = net.outputIds[0];
    const exact = exactMinUnderSplits(net, [-1, -1], [1, 1], Float64Array.of(1), Float64Array.of(0), splits)!;
    expect(exact[0].toNumber()).toBeCloseTo(0.9, 12);
    const crownLower = backwardBound(net, nb, region, out, Float64Array.of(1), 1).lower[0];
    const beta = betaCrown(net, nb, region, out, Float64Array.of(1), 1, splits, { iterations: 80, stopAbove: Infinity });
    expect(crownLower).toBeLessThan(0);
    expect(beta.lower[0]).toBeGreaterThan(0.3);
    expect(beta.lower[0]).toBeLessThanOrEqual(0.4);
    expect(Q.fromFloat(beta.lower[0]).le(exact[0])).toBe(true);
  });

  it('random networks × random split sets: never above the exact minimum; empty only when truly empty', () => {
    const rng = new Rng(11);
    let tighter = 0, cases = 0, empties = 0, provedEmpty = 0;
    for (let t = 0; t < 40; t++) {
      const net = buildFromSpec(randomDense({ seed: 500 + t, inputs: 2, widths: [5, 4], outputs: 2, act: 'Relu', float32: t % 2 === 0 }));
      const w = 0.5 + rng.next() * 2;
      const c = [rng.next() * 2 - 1, rng.next() * 2 - 1];
      const lo = [c[0] - w, c[1] - w], hi = [c[0] + w, c[1] + w];
      const root = rootBounds(net, lo, hi);
      // Candidates: every ReLU input element (stable ones too: a wrong-sign split empties the set).
      const elems: [number, number][] = [];
      net.nodes.forEach((node, k) => {
        if (!node.kind.breakpoints) return;
        const size = net.values[node.inputs[0]].size;
        for (let j = 0; j < size; j++) {
          const l = root.lo[node.inputs[0]]![j], u = root.hi[node.inputs[0]]![j];
          if ((l < 0 && u > 0) || rng.next() < 0.15) elems.push([k, j]);
        }
      });
      if (elems.length === 0) continue;
      const D = 4;
      const splits: SplitSet = new Map();
      for (let d = 0; d < D; d++) {
        const count = 1 + rng.int(Math.min(4, elems.length));
        for (let q = 0; q < count; q++) {
          const [k, j] = elems[rng.int(elems.length)];
          const size = net.values[net.nodes[k].inputs[0]].size;
          if (!splits.has(k)) splits.set(k, new Int8Array(D * size));
          splits.get(k)![d * size + j] = rng.next() < 0.5 ? 1 : -1;
        }
      }
      const nb = splitDomainBounds(net, root, splits, D);
      const region = boxOf(lo, hi, D);
      const out = net.outputIds[0];
      const C = [1, -1, 0.5, 1];
      const A0 = rowsFor(C, D);
      const crownRes = backwardBound(net, nb, region, out, A0, 2);
      const beta = betaCrown(net, nb, region, out, A0, 2, splits, { iterations: 30, stopAbove: Infinity });
      const empty = proveSplitsEmpty(net, nb, region, splits);
      for (let d = 0; d < D; d++) {
        const exact = exactMinUnderSplits(net, lo, hi, Float64Array.from(C), new Float64Array(2), splits, d);
        if (exact === null) {
          empties++;
          if (empty[d]) provedEmpty++;
          continue;
        }
        cases++;
        expect(empty[d], `net ${t} domain ${d}: a non-empty split set proved empty`).toBe(0);
        for (let r = 0; r < 2; r++) {
          const b = beta.lower[d * 2 + r];
          expect(b >= crownRes.lower[d * 2 + r], 'never looser than CROWN').toBe(true);
          if (b > crownRes.lower[d * 2 + r] + 1e-9) tighter++;
          if (Number.isFinite(b)) expect(Q.fromFloat(b).le(exact[r]), `net ${t} domain ${d} row ${r}: ${b} > exact ${exact[r].toNumber()}`).toBe(true);
        }
      }
    }
    expect(cases).toBeGreaterThan(50);
    expect(tighter).toBeGreaterThan(5);
    expect(empties).toBeGreaterThan(3);
    expect(provedEmpty).toBeGreaterThan(0);
  });
});
