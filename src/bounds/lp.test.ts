import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { forward, forwardAll } from '../net/forward.js';
import { readModel } from '../net/io.js';
import type { Network } from '../net/network.js';
import { addDown, addUp, mulDown, mulUp } from '../util/float.js';
import { readVnnlibFile } from '../spec/vnnlib.js';
import { bench, haveBenchmarks } from '../../test/helpers/benchmarks.js';
import { buildFromSpec, randomDense, randomNormalized, randomResidual, Rng } from '../../test/helpers/random_net.js';
import { crown, identityRows } from './crown.js';
import { computeBounds } from './index.js';
import { buildNetLP, getHighs, lastLpStats, lpBounds, lpTestHooks, solveLowerBounds } from './lp.js';
import { dualLowerBound, dualUpperBound, type SparseLP } from './lp_dual.js';
import type { BatchRegion, BoundsRequest, SplitSet } from './types.js';

const LP = { intermediate: false, timeLimit: 5 };

// ---- exact dyadic rationals (every double is n / 2^k) -------------------------------------------

interface Dy { n: bigint; k: number }
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

function dy(x: number): Dy {
  if (!Number.isFinite(x)) throw new Error(`dy(${x})`);
  if (x === 0) return { n: 0n, k: 0 };
  f64[0] = x;
  const bits = u64[0];
  const neg = bits >> 63n === 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = exp === 0 ? frac : frac | (1n << 52n);
  const e2 = exp === 0 ? -1074 : exp - 1075;
  const n = neg ? -mant : mant;
  return e2 >= 0 ? { n: n << BigInt(e2), k: 0 } : { n, k: -e2 };
}
function dyAdd(a: Dy, b: Dy): Dy {
  const k = Math.max(a.k, b.k);
  return { n: (a.n << BigInt(k - a.k)) + (b.n << BigInt(k - b.k)), k };
}
const dyNeg = (a: Dy): Dy => ({ n: -a.n, k: a.k });
const dyMul = (a: Dy, b: Dy): Dy => ({ n: a.n * b.n, k: a.k + b.k });
function dyCmp(a: Dy, b: Dy): number {
  const d = dyAdd(a, dyNeg(b));
  return d.n > 0n ? 1 : d.n < 0n ? -1 : 0;
}
const dyMin = (a: Dy, b: Dy): Dy => (dyCmp(a, b) <= 0 ? a : b);

/** Exact weak-duality value Σ min(y·rl, y·ru) + Σ min(r·l, r·u), r = c − Aᵀy, after the same projection of y. */
function exactDualValue(lp: SparseLP, c: ArrayLike<number>, yIn: ArrayLike<number>): Dy {
  const y = Array.from(yIn, (v, i) => (v > 0 && lp.rowLower[i] === -Infinity) || (v < 0 && lp.rowUpper[i] === Infinity) ? 0 : v);
  const r: Dy[] = Array.from(c, (v) => dy(v));
  for (let i = 0; i < lp.numRows; i++) {
    for (let q = lp.starts[i]; q < lp.starts[i + 1]; q++) {
      r[lp.indices[q]] = dyAdd(r[lp.indices[q]], dyNeg(dyMul(dy(lp.values[q]), dy(y[i]))));
    }
  }
  let total: Dy = { n: 0n, k: 0 };
  y.forEach((yi, i) => {
    if (yi === 0) return;
    total = dyAdd(total, dyMul(dy(yi), dy(yi > 0 ? lp.rowLower[i] : lp.rowUpper[i])));
  });
  r.forEach((rj, j) => {
    if (rj.n === 0n) return;
    total = dyAdd(total, dyMin(dyMul(rj, dy(lp.colLower[j])), dyMul(rj, dy(lp.colUpper[j]))));
  });
  return total;
}

// ---- small random LPs ---------------------------------------------------------------------------

interface TestLP extends SparseLP { c: Float64Array }

/** A feasible random LP: a point v0 in the column box, rows of random kinds around A·v0. */
function randomLP(rng: Rng, m: number, n: number, density = 0.6, scale = () => 1): TestLP {
  const colLower = new Float64Array(n), colUpper = new Float64Array(n), v0 = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const a = rng.uniform(-3, 3), w = rng.uniform(0, 4);
    colLower[j] = a; colUpper[j] = a + w; v0[j] = a + w * rng.next();
  }
  const starts = [0], indices: number[] = [], values: number[] = [];
  const rowLower = new Float64Array(m), rowUpper = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let act = 0;
    for (let j = 0; j < n; j++) {
      if (rng.next() > density) continue;
      const a = rng.normal() * scale();
      indices.push(j); values.push(a); act += a * v0[j];
    }
    starts.push(indices.length);
    const kind = rng.int(4);
    const lo = act - rng.uniform(0, 1), hi = act + rng.uniform(0, 1);
    rowLower[i] = kind === 1 ? -Infinity : kind === 3 ? act : lo;
    rowUpper[i] = kind === 0 ? Infinity : kind === 3 ? act : hi;
  }
  const c = new Float64Array(n);
  for (let j = 0; j < n; j++) c[j] = rng.normal();
  return {
    numRows: m, numCols: n, starts: Int32Array.from(starts), indices: Int32Array.from(indices), values: Float64Array.from(values),
    rowLower, rowUpper, colLower, colUpper, c,
  };
}

async function solveLP(lp: SparseLP, c: Float64Array): Promise<{ status: number; obj: number; y: Float64Array; optimal: boolean }> {
  const highs = await getHighs();
  const model = highs.createModel({
    numCols: lp.numCols, numRows: lp.numRows, colCost: c, colLower: lp.colLower, colUpper: lp.colUpper, rowLower: lp.rowLower, rowUpper: lp.rowUpper,
    matrix: { format: 'csr', numRows: lp.numRows, numCols: lp.numCols, starts: lp.starts, indices: lp.indices, values: lp.values },
  });
  try {
    model.options.set({ output_flag: false });
    model.run();
    const status = model.getModelStatus();
    return { status, obj: model.getObjectiveValue(), y: model.getSolution().rowDual, optimal: status === highs.constants.modelStatus.optimal };
  } finally {
    model.dispose();
  }
}

describe('HiGHS conventions', () => {
  it('row duals satisfy reduced cost = c − Aᵀy, y ≥ 0 on an active lower row side (minimisation)', async () => {
    const highs = await getHighs();
    // min x0 + x1  s.t.  x0 + 2·x1 ≥ 2,  x0 − x1 ≤ 1,  0 ≤ x ≤ 10: optimum 1 at (0, 1).
    const model = highs.createModel({
      numCols: 2, numRows: 2, colCost: [1, 1], colLower: [0, 0], colUpper: [10, 10],
      rowLower: [2, -Infinity], rowUpper: [Infinity, 1],
      matrix: { format: 'csr', numRows: 2, numCols: 2, starts: [0, 2, 4], indices: [0, 1, 0, 1], values: [1, 2, 1, -1] },
    });
    try {
      model.options.set({ output_flag: false });
      model.run();
      expect(model.getModelStatus()).toBe(highs.constants.modelStatus.optimal);
      expect(model.getObjectiveValue()).toBeCloseTo(1, 12);
      const s = model.getSolution();
      expect(s.rowDual[0]).toBeCloseTo(0.5, 12);
      expect(Math.abs(s.rowDual[1])).toBeLessThan(1e-12);
      expect(s.colDual[0]).toBeCloseTo(1 - 1 * s.rowDual[0] - 1 * s.rowDual[1], 12);
      expect(s.colDual[1]).toBeCloseTo(1 - 2 * s.rowDual[0] + 1 * s.rowDual[1], 12);
      // An upper row side active: max x0 + x1 s.t. x0 + x1 ≤ 3 → min −x0 − x1, y ≤ 0.
      const m2 = highs.createModel({
        numCols: 2, numRows: 1, colCost: [-1, -1], colLower: [0, 0], colUpper: [10, 10], rowLower: [-Infinity], rowUpper: [3],
        matrix: { format: 'csr', numRows: 1, numCols: 2, starts: [0, 2], indices: [0, 1], values: [1, 1] },
      });
      try {
        m2.options.set({ output_flag: false });
        m2.run();
        expect(m2.getObjectiveValue()).toBeCloseTo(-3, 12);
        expect(m2.getSolution().rowDual[0]).toBeCloseTo(-1, 12);
      } finally {
        m2.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});

describe('lp_dual: weak-duality validation', () => {
  it('is within 1e-6 of the optimum and never above it on random LPs', async () => {
    const rng = new Rng(11);
    let n = 0;
    for (let t = 0; t < 60; t++) {
      const lp = randomLP(rng, 2 + rng.int(12), 2 + rng.int(12));
      const sol = await solveLP(lp, lp.c);
      expect(sol.optimal).toBe(true);
      const b = dualLowerBound(lp, lp.c, sol.y);
      expect(b).toBeLessThanOrEqual(sol.obj + 1e-9 * (1 + Math.abs(sol.obj)));
      expect(b).toBeGreaterThanOrEqual(sol.obj - 1e-6);
      // Exact rational check: the float bound never exceeds the exact weak-duality value of y.
      expect(dyCmp(dy(b), exactDualValue(lp, lp.c, sol.y))).toBeLessThanOrEqual(0);
      // The upper-bound helper on −c: max (−c)ᵀv = −min cᵀv.
      const neg = lp.c.map((x) => -x);
      expect(dualUpperBound(lp, neg, sol.y)).toBeGreaterThanOrEqual(-sol.obj - 1e-9 * (1 + Math.abs(sol.obj)));
      n++;
    }
    expect(n).toBe(60);
  });

  it('LP bounds stay sound when the solver is handed a deliberately perturbed dual — the validation catches it', async () => {
    const rng = new Rng(12);
    let weaker = 0;
    for (let t = 0; t < 40; t++) {
      const lp = randomLP(rng, 3 + rng.int(10), 3 + rng.int(10));
      const sol = await solveLP(lp, lp.c);
      expect(sol.optimal).toBe(true);
      const tol = 1e-9 * (1 + Math.abs(sol.obj));
      const perturbed: Float64Array[] = [
        sol.y.map((v) => v + 1e-3 * rng.normal()),
        sol.y.map((v) => v * (1 + 0.5 * rng.normal())),
        sol.y.map((v) => -v),
        sol.y.map((v) => (rng.next() < 0.5 ? 0 : v)),
        sol.y.map(() => 10 * rng.normal()),
        sol.y.map((v) => v + 1e8 * rng.normal()),
        new Float64Array(sol.y.length),
      ];
      for (const y of perturbed) {
        const b = dualLowerBound(lp, lp.c, y);
        expect(b).toBeLessThanOrEqual(sol.obj + tol);
        if (Number.isFinite(b)) expect(dyCmp(dy(b), exactDualValue(lp, lp.c, y))).toBeLessThanOrEqual(0);
        if (b < sol.obj - 1e-6) weaker++;
      }
      // NaN, ±∞, a wrong length, no dual: no bound at all (the caller falls back).
      const nan = Float64Array.from(sol.y); nan[rng.int(nan.length)] = NaN;
      expect(dualLowerBound(lp, lp.c, nan)).toBe(-Infinity);
      const inf = Float64Array.from(sol.y); inf[0] = Infinity;
      expect(dualLowerBound(lp, lp.c, inf)).toBe(-Infinity);
      expect(dualLowerBound(lp, lp.c, sol.y.subarray(1))).toBe(-Infinity);
      expect(dualLowerBound(lp, lp.c, undefined)).toBe(-Infinity);
    }
    expect(weaker).toBeGreaterThan(100); // the perturbations do cost tightness, never soundness
  });

  it('charges every rounding: float bound ≤ exact rational value on adversarial data', () => {
    const rng = new Rng(13);
    const mag = () => 10 ** rng.uniform(-8, 8);
    for (let t = 0; t < 300; t++) {
      const lp = randomLP(rng, 1 + rng.int(6), 1 + rng.int(6), 0.8, mag);
      // widen the columns so the error of r matters
      if (t % 2 === 0) for (let j = 0; j < lp.numCols; j++) { lp.colLower[j] *= 1e6; lp.colUpper[j] *= 1e6; }
      const y = new Float64Array(lp.numRows);
      for (let i = 0; i < y.length; i++) y[i] = rng.normal() * mag();
      // Near-cancellation: c ≈ Aᵀy computed in float, so r is tiny or 0 in float but not exactly.
      const c = new Float64Array(lp.numCols);
      for (let i = 0; i < lp.numRows; i++) {
        for (let q = lp.starts[i]; q < lp.starts[i + 1]; q++) c[lp.indices[q]] += lp.values[q] * y[i];
      }
      if (t % 3 === 0) for (let j = 0; j < c.length; j++) c[j] += rng.normal() * 1e-12 * Math.abs(c[j]);
      const b = dualLowerBound(lp, c, y);
      if (!Number.isFinite(b)) continue;
      expect(dyCmp(dy(b), exactDualValue(lp, c, y))).toBeLessThanOrEqual(0);
    }
  });

  it('agrees with a hand-computed exact value on a tiny LP', () => {
    // min x − y s.t. 0 ≤ x + y ≤ 1, x, y ∈ [−1, 2]; y = (0.25) gives r = (0.75, −1.25):
    // 0.25·0 + min(0.75·−1, 0.75·2) + min(−1.25·−1, −1.25·2) = −0.75 − 2.5 = −3.25.
    const lp: SparseLP = {
      numRows: 1, numCols: 2, starts: Int32Array.of(0, 2), indices: Int32Array.of(0, 1), values: Float64Array.of(1, 1),
      rowLower: Float64Array.of(0), rowUpper: Float64Array.of(1), colLower: Float64Array.of(-1, -1), colUpper: Float64Array.of(2, 2),
    };
    const c = Float64Array.of(1, -1);
    const b = dualLowerBound(lp, c, Float64Array.of(0.25));
    expect(dyCmp(exactDualValue(lp, c, Float64Array.of(0.25)), dy(-3.25))).toBe(0);
    expect(b).toBeLessThanOrEqual(-3.25);
    expect(b).toBeGreaterThan(-3.25 - 1e-12);
    // The optimum is −3 at (x, y) = (−1, 2), already the box minimum, so y = 0 proves it up to rounding.
    const b0 = dualLowerBound(lp, c, Float64Array.of(0));
    expect(b0).toBeLessThanOrEqual(-3);
    expect(b0).toBeGreaterThan(-3 - 1e-12);
    // A multiplier that selects an infinite row side is projected to 0.
    const free: SparseLP = { ...lp, rowLower: Float64Array.of(-Infinity), rowUpper: Float64Array.of(Infinity) };
    expect(dualLowerBound(free, c, Float64Array.of(5))).toBe(dualLowerBound(free, c, Float64Array.of(0)));
    expect(dualLowerBound(free, c, Float64Array.of(0))).toBeLessThanOrEqual(-3);
  });
});

// ---- network LPs ----------------------------------------------------------------------------------

/** Directed-rounding range of row r of C·y + cOffset (contains the exact value). */
function rowRange(C: Float64Array, m: number, r: number, y: ArrayLike<number>, off = 0): [number, number] {
  let lo = off, hi = off;
  for (let j = 0; j < m; j++) {
    const a = C[r * m + j];
    if (a === 0) continue;
    lo = addDown(lo, mulDown(a, y[j]));
    hi = addUp(hi, mulUp(a, y[j]));
  }
  return [lo, hi];
}

function boxRegion(lo: number[], hi: number[]): BatchRegion {
  return { batch: 1, lo: Float64Array.from(lo), hi: Float64Array.from(hi) };
}

/** Points: `count` uniform samples and every corner of the box (n ≤ 10). */
function samplePoints(rng: Rng, lo: Float64Array, hi: Float64Array, count: number): Float64Array {
  const n = lo.length;
  const corners = n <= 10 ? 1 << n : 0;
  const x = new Float64Array((count + corners) * n);
  for (let s = 0; s < count; s++) for (let i = 0; i < n; i++) x[s * n + i] = rng.uniform(lo[i], hi[i]);
  for (let c = 0; c < corners; c++) for (let i = 0; i < n; i++) x[(count + c) * n + i] = (c >> i) & 1 ? hi[i] : lo[i];
  return x;
}

/** Check that every sampled output lies in the bounds of domain d. */
function expectContains(net: Network, req: BoundsRequest, res: { lower: Float64Array; upper: Float64Array }, d: number, x: Float64Array): void {
  const m = net.outputSize, n = net.inputSize;
  const C = req.C ?? identityRows(m);
  const R = C.length / m;
  const count = x.length / n;
  const y = forward(net, x, count);
  let bad = 0;
  for (let s = 0; s < count; s++) {
    const ys = y.subarray(s * m, (s + 1) * m);
    for (let r = 0; r < R; r++) {
      const [lo, hi] = rowRange(C, m, r, ys, req.cOffset?.[r] ?? 0);
      if (!(res.lower[d * R + r] <= lo && hi <= res.upper[d * R + r])) bad++;
    }
  }
  expect(bad).toBe(0);
}

function expectTighter(lp: { lower: Float64Array; upper: Float64Array }, cr: { lower: Float64Array; upper: Float64Array }): void {
  for (let i = 0; i < lp.lower.length; i++) {
    expect(lp.lower[i]).toBeGreaterThanOrEqual(cr.lower[i]);
    expect(lp.upper[i]).toBeLessThanOrEqual(cr.upper[i]);
    expect(lp.lower[i]).toBeLessThanOrEqual(lp.upper[i]);
  }
}

function sumWidth(b: { lower: Float64Array; upper: Float64Array }): number {
  let s = 0;
  for (let i = 0; i < b.lower.length; i++) s += b.upper[i] - b.lower[i];
  return s;
}

describe('lpBounds on random networks', () => {
  afterEach(() => { delete lpTestHooks.tamperDual; });

  it('contains 10,000 samples and the box corners, and is at least as tight as CROWN (dense ReLU)', async () => {
    let gain = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const net = buildFromSpec(randomDense({ seed, inputs: 4, widths: [12, 10, 8], outputs: 3, act: 'Relu' }));
      const rng = new Rng(100 + seed);
      const lo = Array.from({ length: 4 }, () => rng.uniform(-1, 0.5));
      const hi = lo.map((l) => l + rng.uniform(0.2, 1.5));
      const req: BoundsRequest = { net, region: boxRegion(lo, hi) };
      const cr = crown(req);
      const lp = await lpBounds(req, LP);
      expect(lastLpStats.proved).toBe(6);
      expect(lastLpStats.fallback).toBe(0);
      expectTighter(lp, cr);
      expectContains(net, req, lp, 0, samplePoints(rng, req.region.lo, req.region.hi, 10_000));
      gain += sumWidth(cr) - sumWidth(lp);
    }
    expect(gain).toBeGreaterThan(0);
  });

  it('handles spec rows C, cOffset and a batch of domains with splits', async () => {
    const net = buildFromSpec(randomDense({ seed: 7, inputs: 3, widths: [10, 10], outputs: 4, act: 'Relu' }));
    const rng = new Rng(7);
    const n = 3, D = 3;
    const lo = new Float64Array(D * n), hi = new Float64Array(D * n);
    for (let i = 0; i < D * n; i++) { lo[i] = rng.uniform(-1, 0); hi[i] = lo[i] + rng.uniform(0.3, 1.2); }
    const m = 4;
    const C = new Float64Array(3 * m);
    C[0 * m + 0] = 1; C[0 * m + 1] = -1;
    C[1 * m + 2] = 1; C[1 * m + 3] = -1;
    C[2 * m + 0] = 0.5; C[2 * m + 2] = -2; C[2 * m + 3] = 0.25;
    const cOffset = Float64Array.of(0.1, -0.3, 0.7);
    // Split two ReLUs of the first layer in domain 1 and one of the second in domain 2, each by
    // its sign at the domain's centre (so the domain stays non-empty).
    const reluNodes = net.nodes.map((nd, k) => (nd.kind.breakpoints ? k : -1)).filter((k) => k >= 0);
    const centre = (d: number) => Float64Array.from({ length: n }, (_, i) => 0.5 * lo[d * n + i] + 0.5 * hi[d * n + i]);
    const pre = (d: number, k: number) => forwardAll(net, centre(d), 1)[net.nodes[k].inputs[0]];
    const splits: SplitSet = new Map();
    const s0 = new Int8Array(D * 10), s1 = new Int8Array(D * 10);
    for (const j of [0, 3]) s0[1 * 10 + j] = pre(1, reluNodes[0])[j] >= 0 ? 1 : -1;
    s1[2 * 10 + 5] = pre(2, reluNodes[1])[5] >= 0 ? 1 : -1;
    splits.set(reluNodes[0], s0); splits.set(reluNodes[1], s1);
    const req: BoundsRequest = { net, region: { batch: D, lo, hi }, C, cOffset, splits };
    const cr = crown(req);
    const lp = await lpBounds(req, LP);
    expectTighter(lp, cr);
    // Soundness over the points that respect each domain's splits.
    for (let d = 0; d < D; d++) {
      const x = samplePoints(rng, lo.subarray(d * n, (d + 1) * n), hi.subarray(d * n, (d + 1) * n), 4000);
      const cnt = x.length / n;
      const keep: number[] = [];
      // pre-activations: value ids of the ReLU inputs
      const all = forwardAll(net, x, cnt);
      for (let s = 0; s < cnt; s++) {
        let ok = true;
        for (const [k, sp] of splits) {
          const v = net.nodes[k].inputs[0], size = net.values[v].size;
          for (let j = 0; j < size; j++) {
            const t = sp[d * size + j], pre = all[v][s * size + j];
            if ((t > 0 && pre < 0) || (t < 0 && pre > 0)) ok = false;
          }
        }
        if (ok) keep.push(s);
      }
      expect(keep.length).toBeGreaterThan(0);
      const xs = new Float64Array(keep.length * n);
      keep.forEach((s, i) => xs.set(x.subarray(s * n, (s + 1) * n), i * n));
      expectContains(net, req, lp, d, xs);
    }
  });

  it('keeps CROWN\'s verdict on a domain emptied by its splits (+∞ / −∞) and solves the others', async () => {
    const net = buildFromSpec(randomDense({ seed: 8, inputs: 2, widths: [6, 6], outputs: 2, act: 'Relu' }));
    const region: BatchRegion = { batch: 2, lo: Float64Array.of(0.2, 0.3, 0.2, 0.3), hi: Float64Array.of(0.4, 0.5, 0.4, 0.5) };
    const k0 = net.nodes.findIndex((nd) => nd.kind.breakpoints);
    const v = net.nodes[k0].inputs[0];
    const cr0 = crown({ net, region });
    // a first-layer neuron that is stable over the box; split it the other way in domain 1
    const size = net.values[v].size;
    let j = -1, sign = 0;
    for (let q = 0; q < size && j < 0; q++) {
      if (cr0.nodes.lo[v]![q] > 0) { j = q; sign = -1; } else if (cr0.nodes.hi[v]![q] < 0) { j = q; sign = 1; }
    }
    expect(j).toBeGreaterThanOrEqual(0);
    const sp = new Int8Array(2 * size); sp[size + j] = sign;
    const req: BoundsRequest = { net, region, splits: new Map([[k0, sp]]) };
    const cr = crown(req);
    const lp = await lpBounds(req, LP);
    expect(Array.from(lp.lower.subarray(2))).toEqual([Infinity, Infinity]);
    expect(Array.from(lp.upper.subarray(2))).toEqual([-Infinity, -Infinity]);
    expect(Array.from(cr.lower.subarray(2))).toEqual([Infinity, Infinity]);
    expect(lastLpStats.proved).toBe(4);
    expectTighter({ lower: lp.lower.subarray(0, 2), upper: lp.upper.subarray(0, 2) }, { lower: cr.lower.subarray(0, 2), upper: cr.upper.subarray(0, 2) });
  });

  it('stays sound for Sigmoid, Tanh, LeakyRelu, residual Adds and unsimplified normalisation ops', async () => {
    const nets: Network[] = [
      buildFromSpec(randomDense({ seed: 21, inputs: 3, widths: [8, 8], outputs: 3, act: 'Sigmoid' })),
      buildFromSpec(randomDense({ seed: 22, inputs: 3, widths: [8, 8], outputs: 3, act: 'Tanh' })),
      buildFromSpec(randomDense({ seed: 23, inputs: 3, widths: [8, 8], outputs: 3, act: 'LeakyRelu' })),
      buildFromSpec(randomResidual({ seed: 24, inputs: 3, width: 6, blocks: 2, outputs: 2 })),
      buildFromSpec(randomNormalized({ seed: 25, channels: 1, height: 2, width: 2, widths: [6, 5], outputs: 2 })),
    ];
    for (const [t, net] of nets.entries()) {
      const rng = new Rng(200 + t);
      const n = net.inputSize;
      const lo = Array.from({ length: n }, () => rng.uniform(-1, 0.5));
      const hi = lo.map((l) => l + rng.uniform(0.2, 1));
      const req: BoundsRequest = { net, region: boxRegion(lo, hi) };
      const cr = crown(req);
      const lp = await lpBounds(req, LP);
      expect(lastLpStats.fallback).toBe(0);
      expectTighter(lp, cr);
      expectContains(net, req, lp, 0, samplePoints(rng, req.region.lo, req.region.hi, 5000));
    }
  });

  it('LP bounds stay sound when the solver is handed a deliberately perturbed dual — the validation catches it', async () => {
    const net = buildFromSpec(randomDense({ seed: 31, inputs: 4, widths: [12, 12], outputs: 3, act: 'Relu' }));
    const rng = new Rng(31);
    const lo = [-0.5, -0.2, -0.8, 0], hi = [0.5, 0.6, 0.1, 0.9];
    const req: BoundsRequest = { net, region: boxRegion(lo, hi) };
    const x = samplePoints(rng, req.region.lo, req.region.hi, 10_000);
    const honest = await lpBounds(req, LP);
    const cr = crown(req);
    const tampers: ((y: Float64Array) => Float64Array)[] = [
      (y) => y.map((v) => v + 0.05 * rng.normal()),
      (y) => y.map((v) => -v),
      (y) => y.map((v) => (rng.next() < 0.3 ? 0 : v)),
      (y) => y.map((v) => v * 3),
      (y) => y.map(() => rng.normal()),
      (y) => { const z = Float64Array.from(y); z[0] = NaN; return z; },
    ];
    for (const tamper of tampers) {
      lpTestHooks.tamperDual = tamper;
      const lp = await lpBounds(req, LP);
      expectTighter(lp, cr); // never looser than CROWN (intersection), never crossing
      expectContains(net, req, lp, 0, x);
      for (let i = 0; i < lp.lower.length; i++) {
        expect(lp.lower[i]).toBeLessThanOrEqual(honest.lower[i] + 1e-9);
        expect(lp.upper[i]).toBeGreaterThanOrEqual(honest.upper[i] - 1e-9);
      }
    }
    // NaN duals: every LP falls back to CROWN.
    lpTestHooks.tamperDual = (y) => y.map(() => NaN);
    const fb = await lpBounds(req, LP);
    expect(lastLpStats.proved).toBe(0);
    expect(Array.from(fb.lower)).toEqual(Array.from(cr.lower));
    expect(Array.from(fb.upper)).toEqual(Array.from(cr.upper));
  });

  it('falls back to CROWN when the LPs hit the time limit', async () => {
    const net = buildFromSpec(randomDense({ seed: 41, inputs: 20, widths: [60, 60], outputs: 5, act: 'Relu' }));
    const lo = Array.from({ length: 20 }, () => -1), hi = Array.from({ length: 20 }, () => 1);
    const req: BoundsRequest = { net, region: boxRegion(lo, hi) };
    const cr = crown(req);
    const lp = await lpBounds(req, { intermediate: false, timeLimit: 1e-7 });
    expectTighter(lp, cr);
    // HiGHS stops before solving: every LP falls back and the result is exactly CROWN's.
    expect(lastLpStats.proved).toBe(0);
    expect(lastLpStats.fallback).toBe(10);
    expect(Array.from(lp.lower)).toEqual(Array.from(cr.lower));
    expect(Array.from(lp.upper)).toEqual(Array.from(cr.upper));
  });

  it('intermediate tightening is sound and at least as tight', async () => {
    for (let seed = 51; seed <= 53; seed++) {
      const net = buildFromSpec(randomDense({ seed, inputs: 3, widths: [10, 10, 10], outputs: 2, act: 'Relu' }));
      const rng = new Rng(seed);
      const lo = [-1, -0.5, -0.7], hi = [0.6, 0.8, 0.4];
      const req: BoundsRequest = { net, region: boxRegion(lo, hi) };
      const plain = await lpBounds(req, LP);
      const deep = await lpBounds(req, { intermediate: true, timeLimit: 5 });
      expectTighter(deep, plain);
      expectContains(net, req, deep, 0, samplePoints(rng, req.region.lo, req.region.hi, 10_000));
      // The tightened intermediate bounds contain the sampled values too.
      const x = samplePoints(rng, req.region.lo, req.region.hi, 2000);
      const all = forwardAll(net, x, x.length / 3);
      for (let v = 0; v < net.values.length; v++) {
        const l = deep.nodes.lo[v], h = deep.nodes.hi[v];
        if (!l || !h) continue;
        const size = net.values[v].size;
        for (let s = 0; s < x.length / 3; s++) {
          for (let j = 0; j < size; j++) {
            const val = all[v][s * size + j];
            expect(l[j] <= val && val <= h[j]).toBe(true);
          }
        }
      }
    }
  });

  it('matches the exact optimum closely on a tiny 2-input network (activation patterns + grid)', async () => {
    const net = buildFromSpec(randomDense({ seed: 61, inputs: 2, widths: [4, 4], outputs: 1, act: 'Relu' }));
    const lo = [-1, -1], hi = [1, 1];
    const req: BoundsRequest = { net, region: boxRegion(lo, hi) };
    const cr = crown(req);
    const lp = await lpBounds(req, LP);
    const exact = await exactExtremes(net, lo, hi);
    // dense grid: its extremes lie inside the exact ones and close to them
    const N = 801;
    const x = new Float64Array(N * N * 2);
    for (let a = 0; a < N; a++) for (let b = 0; b < N; b++) {
      x[(a * N + b) * 2] = -1 + (2 * a) / (N - 1);
      x[(a * N + b) * 2 + 1] = -1 + (2 * b) / (N - 1);
    }
    const y = forward(net, x, N * N);
    let gmin = Infinity, gmax = -Infinity;
    for (const v of y) { if (v < gmin) gmin = v; if (v > gmax) gmax = v; }
    expect(gmin).toBeGreaterThanOrEqual(exact.min - 1e-9);
    expect(gmax).toBeLessThanOrEqual(exact.max + 1e-9);
    expect(gmin - exact.min).toBeLessThan(0.05);
    expect(exact.max - gmax).toBeLessThan(0.05);
    // LP: sound, at least as tight as CROWN
    expect(lp.lower[0]).toBeLessThanOrEqual(exact.min + 1e-9);
    expect(lp.upper[0]).toBeGreaterThanOrEqual(exact.max - 1e-9);
    expectTighter(lp, cr);
    // and the LP gap is no larger than CROWN's
    expect(exact.min - lp.lower[0]).toBeLessThanOrEqual(exact.min - cr.lower[0]);
  });

  it('reduces the LP exactly: copies share columns, inactive unsplit pre-activations are dropped, split ones kept', () => {
    // Flatten (a copy) right after the input: its output reuses the input's columns.
    const normed = buildFromSpec(randomNormalized({ seed: 91, channels: 1, height: 2, width: 2, widths: [5], outputs: 2 }));
    const nIn = normed.inputSize;
    const cr1 = crown({ net: normed, region: boxRegion(Array(nIn).fill(-1), Array(nIn).fill(1)) });
    const lp1 = buildNetLP(normed, cr1.nodes, 0, normed.outputIds[0]);
    const flat = normed.nodes.findIndex((nd) => nd.kind.reshapeOnly);
    expect(flat).toBeGreaterThanOrEqual(0);
    const src = lp1.colOf[normed.nodes[flat].inputs[0]]!, dst = lp1.colOf[normed.nodes[flat].output]!;
    expect(Array.from(dst).sort()).toEqual(Array.from(src).sort());
    // A ReLU net over a box where some first-layer neurons are stably inactive.
    const net = buildFromSpec(randomDense({ seed: 92, inputs: 3, widths: [16, 8], outputs: 2, act: 'Relu' }));
    const region = boxRegion([0.1, 0.2, -0.3], [0.3, 0.4, -0.1]);
    const cr = crown({ net, region });
    const k0 = net.nodes.findIndex((nd) => nd.kind.breakpoints);
    const v = net.nodes[k0].inputs[0];
    const size = net.values[v].size;
    const inactive: number[] = [];
    for (let j = 0; j < size; j++) if (cr.nodes.hi[v]![j] <= 0) inactive.push(j);
    expect(inactive.length).toBeGreaterThan(0);
    const lp = buildNetLP(net, cr.nodes, 0, net.outputIds[0]);
    for (const j of inactive) expect(lp.colOf[v]![j]).toBe(-1);
    // A split on an (unstable or inactive) neuron keeps its row: the split is a real constraint.
    const sp = new Int8Array(size); sp[inactive[0]] = -1;
    const lpSplit = buildNetLP(net, cr.nodes, 0, net.outputIds[0], new Map([[k0, sp]]));
    expect(lpSplit.colOf[v]![inactive[0]]).toBeGreaterThanOrEqual(0);
    expect(lpSplit.numRows).toBe(lp.numRows + 1);
  });

  it('stays sound over an L2 ball (the LP uses its box hull; CROWN\'s ball bound is kept)', async () => {
    const net = buildFromSpec(randomDense({ seed: 93, inputs: 4, widths: [10, 10], outputs: 3, act: 'Relu' }));
    const center = Float64Array.of(0.1, -0.2, 0.3, 0), radius = 0.6;
    const region: BatchRegion = {
      batch: 1, lo: center.map((c) => c - radius - 1e-12), hi: center.map((c) => c + radius + 1e-12), ball: { center, radius, norm: '2' },
    };
    const req: BoundsRequest = { net, region };
    const cr = crown(req);
    const lp = await lpBounds(req, LP);
    expectTighter(lp, cr);
    const rng = new Rng(93);
    const count = 10_000, x = new Float64Array(count * 4);
    for (let s = 0; s < count; s++) {
      const g = Array.from({ length: 4 }, () => rng.normal());
      const norm = Math.hypot(...g), r = radius * rng.next() ** 0.25 * (1 - 1e-9);
      for (let i = 0; i < 4; i++) x[s * 4 + i] = center[i] + (r * g[i]) / norm;
    }
    expectContains(net, req, lp, 0, x);
  });

  it('throws the abort reason of an aborted signal', async () => {
    const net = buildFromSpec(randomDense({ seed: 94, inputs: 3, widths: [8], outputs: 2, act: 'Relu' }));
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(lpBounds({ net, region: boxRegion([-1, -1, -1], [1, 1, 1]), signal: ac.signal }, LP)).rejects.toThrow('stop');
  });

  it('is what computeBounds(..., "lp") returns', async () => {
    const net = buildFromSpec(randomDense({ seed: 71, inputs: 3, widths: [8], outputs: 2, act: 'Relu' }));
    const req: BoundsRequest = { net, region: boxRegion([-1, -1, -1], [1, 1, 1]) };
    const a = await computeBounds(req, 'lp');
    const b = await lpBounds(req, LP);
    expect(Array.from(a.lower)).toEqual(Array.from(b.lower));
    expect(Array.from(a.upper)).toEqual(Array.from(b.upper));
  });

  it('builds the LP op-agnostically: affine rows reproduce the network at a point', () => {
    const net = buildFromSpec(randomNormalized({ seed: 81, channels: 1, height: 2, width: 2, widths: [5], outputs: 2 }));
    const n = net.inputSize;
    const region = boxRegion(Array(n).fill(-1), Array(n).fill(1));
    const cr = crown({ net, region });
    const lp = buildNetLP(net, cr.nodes, 0, net.outputIds[0]);
    // The forward values of any input satisfy every row (the float network is inside the LP).
    const rng = new Rng(81);
    for (let t = 0; t < 200; t++) {
      const x = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
      const vals = forwardAll(net, x, 1);
      const v = new Float64Array(lp.numCols);
      for (let id = 0; id < net.values.length; id++) {
        const cols = lp.colOf[id];
        if (!cols) continue;
        cols.forEach((c, j) => { if (c >= 0) v[c] = vals[id][j]; });
      }
      for (let j = 0; j < lp.numCols; j++) {
        expect(v[j]).toBeGreaterThanOrEqual(lp.colLower[j]);
        expect(v[j]).toBeLessThanOrEqual(lp.colUpper[j]);
      }
      for (let i = 0; i < lp.numRows; i++) {
        let lo = 0, hi = 0;
        for (let q = lp.starts[i]; q < lp.starts[i + 1]; q++) {
          lo = addDown(lo, mulDown(lp.values[q], v[lp.indices[q]]));
          hi = addUp(hi, mulUp(lp.values[q], v[lp.indices[q]]));
        }
        expect(hi).toBeGreaterThanOrEqual(lp.rowLower[i]);
        expect(lo).toBeLessThanOrEqual(lp.rowUpper[i]);
      }
    }
  });
});

/**
 * Exact min and max of a 1-output ReLU MLP over a box by enumerating activation patterns: per
 * pattern, an LP over the input (the net is linear there). Solved with HiGHS (tolerance ~1e-9).
 */
async function exactExtremes(net: Network, lo: number[], hi: number[]): Promise<{ min: number; max: number }> {
  const n = lo.length;
  // Express each value as an affine function of the input (given the pattern) by pushing unit inputs.
  const relus = net.nodes.filter((nd) => nd.kind.breakpoints);
  const sizes = relus.map((nd) => net.values[nd.output].size);
  const total = sizes.reduce((a, b) => a + b, 0);
  let best = { min: Infinity, max: -Infinity };
  const highs = await getHighs();
  for (let pat = 0; pat < 1 << total; pat++) {
    // forward of affine maps: coefficient rows [n + 1] per element
    const aff: Float64Array[][] = new Array(net.values.length);
    const inId = net.inputIds[0];
    aff[inId] = Array.from({ length: n }, (_, i) => { const r = new Float64Array(n + 1); r[i] = 1; return r; });
    const rows: { a: Float64Array; lo: number; hi: number }[] = [];
    let bit = 0;
    for (const node of net.nodes) {
      const ins = node.inputs.map((v) => aff[v]);
      const size = net.values[node.output].size;
      if (node.kind.breakpoints) {
        const x = ins[0];
        aff[node.output] = x.map((r) => {
          const on = (pat >> bit++) & 1;
          // constraint: pre ≥ 0 if on, ≤ 0 if off: a·x + a0 in range
          rows.push({ a: r, lo: on ? 0 : -Infinity, hi: on ? Infinity : 0 });
          return on ? r : new Float64Array(n + 1);
        });
      } else {
        // affine: evaluate the op on each coefficient "input" (linear part) and on zeros (offset)
        const zero = node.inputs.map((v) => new Float64Array(net.values[v].size));
        const off = new Float64Array(size);
        node.kind.eval(node.params, zero, off, 1);
        const out: Float64Array[] = Array.from({ length: size }, () => new Float64Array(n + 1));
        for (let c = 0; c <= n; c++) {
          const colIn = ins.map((rs) => Float64Array.from(rs, (r) => r[c]));
          const o = new Float64Array(size);
          node.kind.eval(node.params, colIn, o, 1);
          for (let j = 0; j < size; j++) out[j][c] = c < n ? o[j] - off[j] : o[j];
        }
        aff[node.output] = out;
      }
    }
    const outRow = aff[net.outputIds[0]][0];
    const m = rows.length;
    const starts = [0], idx: number[] = [], vals: number[] = [];
    const rl: number[] = [], ru: number[] = [];
    for (const r of rows) {
      for (let i = 0; i < n; i++) if (r.a[i] !== 0) { idx.push(i); vals.push(r.a[i]); }
      starts.push(idx.length);
      rl.push(r.lo - r.a[n]); ru.push(r.hi - r.a[n]);
    }
    for (const sign of [1, -1]) {
      const model = highs.createModel({
        numCols: n, numRows: m, colCost: Array.from(outRow.subarray(0, n), (v) => sign * v), colLower: lo, colUpper: hi, rowLower: rl, rowUpper: ru,
        matrix: { format: 'csr', numRows: m, numCols: n, starts, indices: idx, values: vals },
      });
      try {
        model.options.set({ output_flag: false });
        model.run();
        if (model.getModelStatus() !== highs.constants.modelStatus.optimal) continue;
        const v = sign * model.getObjectiveValue() + outRow[n];
        if (sign > 0) best.min = Math.min(best.min, v);
        else best.max = Math.max(best.max, v);
      } finally {
        model.dispose();
      }
    }
  }
  return best;
}

describe('lpBounds on benchmarks', () => {
  const have = haveBenchmarks();
  it.skipIf(!have)('ACAS Xu 1_1 over the prop_3 box: LP at least as tight as CROWN, and sound', async () => {
    const net = readModel(bench('acasxu', 'onnx', 'ACASXU_run2a_1_1_batch_2000.onnx'));
    const prop = readVnnlibFile(bench('acasxu', 'vnnlib', 'prop_3.vnnlib'));
    const dj = prop.disjuncts[0];
    const region: BatchRegion = { batch: 1, lo: Float64Array.from(dj.box.lo), hi: Float64Array.from(dj.box.hi) };
    for (const C of [dj.outputs[0].C, undefined]) {
      const req: BoundsRequest = { net, region, C };
      const cr = crown(req);
      const lp = await lpBounds(req, LP);
      expectTighter(lp, cr);
      expect(sumWidth(lp)).toBeLessThan(sumWidth(cr));
      expectContains(net, req, lp, 0, samplePoints(new Rng(5), region.lo, region.hi, 5000));
    }
  });

  const mnist = bench('mnistfc', 'onnx', 'mnist-net_256x2.onnx');
  it.skipIf(!have || !existsSync(mnist))('mnist-net_256x2 over a VNN-LIB ε-ball: 9 rows in a few seconds, tighter than CROWN', async () => {
    const net = readModel(mnist);
    const prop = readVnnlibFile(bench('mnistfc', 'vnnlib', 'prop_0_0.03.vnnlib'));
    const dj = prop.disjuncts[0];
    const region: BatchRegion = { batch: 1, lo: Float64Array.from(dj.box.lo), hi: Float64Array.from(dj.box.hi) };
    // rows y_label − y_j (the label maximises the output at the centre)
    const centre = region.lo.map((l, i) => 0.5 * l + 0.5 * region.hi[i]);
    const yc = forward(net, centre, 1);
    const label = yc.indexOf(Math.max(...yc));
    const m = 10;
    const C = new Float64Array(9 * m);
    for (let j = 0, r = 0; j < m; j++) if (j !== label) { C[r * m + label] = 1; C[r * m + j] = -1; r++; }
    const req: BoundsRequest = { net, region, C };
    const cr = crown(req);
    await lpBounds(req, LP); // warm up the solver (the first WebAssembly run is several times slower)
    const t0 = performance.now();
    const lp = await lpBounds(req, LP);
    const ms = performance.now() - t0;
    console.log(`[lp] mnist-net_256x2, 9 rows: ${ms.toFixed(0)} ms (${lastLpStats.proved} LPs proved); lower CROWN ${Array.from(cr.lower, (v) => v.toFixed(3)).join(' ')} → LP ${Array.from(lp.lower, (v) => v.toFixed(3)).join(' ')}`);
    expect(lastLpStats.proved).toBe(18);
    expectTighter(lp, cr);
    expect(sumWidth(lp)).toBeLessThan(sumWidth(cr));
    expect(ms).toBeLessThan(20_000);
    expectContains(net, req, lp, 0, samplePoints(new Rng(6), region.lo, region.hi, 500));
  });
});

describe('solveLowerBounds', () => {
  it('returns −∞ (fallback) for an infeasible LP: infeasibility is never claimed', async () => {
    const highs = await getHighs();
    // x ∈ [0, 1], row x ≥ 2: infeasible
    const lp: SparseLP = {
      numRows: 1, numCols: 1, starts: Int32Array.of(0, 1), indices: Int32Array.of(0), values: Float64Array.of(1),
      rowLower: Float64Array.of(2), rowUpper: Float64Array.of(Infinity), colLower: Float64Array.of(0), colUpper: Float64Array.of(1),
    };
    const b = solveLowerBounds(highs, lp, Int32Array.of(0), [Float64Array.of(1), Float64Array.of(-1)], 5);
    expect(Array.from(b)).toEqual([-Infinity, -Infinity]);
  });
});
