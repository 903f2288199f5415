/**
 * Exactness: every method's bounds contain the EXACT (rational) values of the network, which
 * is what they claim — bounds of the network in real arithmetic, although computed in float64.
 *
 * - Small networks (≤ 4 inputs, ≤ 3 layers, width ≤ 6) whose float64 weights are chosen to
 *   cancel (w next to −w·(1 ± 2⁻⁵⁰), magnitudes from 1e-8 to 1e8 mixed, biases ±1e16 next to
 *   small ones), evaluated exactly in BigInt fractions at the box corners and at random float
 *   points; bounds compared with exact rational comparison, intermediate values included.
 * - 1- and 2-input piecewise-linear networks whose exact minimum and maximum over the box (or
 *   over an L1 ball ∩ domain, a polygon too) are computed by enumerating their linear regions.
 * - Networks with closed-form ranges, where the tight methods must also be tight (≤ 1e-12).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeBounds, type BatchRegion, type BoundMethod, type BoundsResult } from '../../src/bounds/index.js';
import type { GraphSpec } from '../../src/net/graph.js';
import { buildNetwork, type Network } from '../../src/net/network.js';
import { simplify } from '../../src/net/simplify.js';
import { REPO_ROOT } from '../helpers/benchmarks.js';
import { clip, compileExact, exactExtremes, exactRows, FIX, Q, qmax, qmin, qVec, sigmoidFixed, tanhFixed, toFixed } from '../helpers/exact.js';
import type { OpKind } from '../../src/net/op.js';
import { LeakyRelu } from '../../src/net/ops/leaky_relu.js';
import { Relu } from '../../src/net/ops/relu.js';
import { Sigmoid } from '../../src/net/ops/sigmoid.js';
import { Tanh } from '../../src/net/ops/tanh.js';
import { ballRegion, boxCorners, intIn, logUniform, randomMixed, randomRows } from '../helpers/random_bounds_nets.js';
import { GraphBuilder, randomConvNet, randomDense, randomNormalized, randomResidual, Rng } from '../helpers/random_net.js';

const HAVE_LP = existsSync(join(REPO_ROOT, 'src', 'bounds', 'lp.ts'));
if (!HAVE_LP) console.warn('[bounds/exact] src/bounds/lp.ts does not exist: the lp method is skipped');
const METHODS: BoundMethod[] = HAVE_LP ? ['ibp', 'crown', 'alpha', 'lp'] : ['ibp', 'crown', 'alpha'];

// ---------------------------------------------------------------------------------------------
// Hand-made networks

interface Layer {
  W: number[][];
  b: number[];
  act?: 'Relu' | 'LeakyRelu';
  alpha?: number;
}

/** A dense net from explicit float64 layers: Gemm(transB) [→ act] per layer. */
function mlp(layers: Layer[], source = 'exact-test'): Network {
  const n = layers[0].W[0].length;
  const g = new GraphBuilder({ seed: 0, float32: false, source }, { name: 'input', shape: [1, n], dtype: 'float64' });
  let cur = 'input';
  layers.forEach((l, i) => {
    const out = l.W.length, inp = l.W[0].length;
    const w = g.constant(`fc${i}.weight`, [out, inp], l.W.flat());
    const b = g.constant(`fc${i}.bias`, [out], l.b);
    cur = g.node('Gemm', `fc${i}`, [cur, w, b], { transB: 1 });
    if (l.act) cur = g.node(l.act, `act${i}`, [cur], l.act === 'LeakyRelu' ? { alpha: l.alpha ?? 0.1 } : {});
  });
  return buildNetwork(g.finish(cur, 'exact'));
}

function box(lo: number[], hi: number[]): BatchRegion {
  return { batch: 1, lo: Float64Array.from(lo), hi: Float64Array.from(hi) };
}

/** Intermediate-bound modes of CROWN tested besides the default ('auto'). */
const MODES = ['forward', 'backward'] as const;

/** Every method's bounds, plus CROWN with each intermediate mode (keys 'crown[forward]', ...). */
async function allBounds(net: Network, region: BatchRegion, C?: Float64Array, cOffset?: Float64Array): Promise<Map<string, BoundsResult>> {
  const out = new Map<string, BoundsResult>();
  for (const m of METHODS) out.set(m, await computeBounds({ net, region, C, cOffset }, m));
  for (const mode of MODES) out.set(`crown[${mode}]`, await computeBounds({ net, region, C, cOffset, intermediate: mode }, 'crown'));
  return out;
}

/** Exact per-row [min, max] of the rows over a set of points (count × n floats). */
function exactRange(net: Network, xs: Float64Array, C?: Float64Array, cOffset?: Float64Array): { min: Q[]; max: Q[]; values: Q[][][] } {
  const ex = compileExact(net);
  const n = net.inputSize, count = xs.length / n;
  let min: Q[] | undefined, max: Q[] | undefined;
  const values: Q[][][] = [];
  for (let s = 0; s < count; s++) {
    const all = ex.evaluateAll(qVec(xs.subarray(s * n, (s + 1) * n)));
    values.push(all);
    const r = exactRows(all[net.outputIds[0]], C, cOffset);
    if (!min || !max) { min = r.slice(); max = r.slice(); continue; }
    for (let i = 0; i < r.length; i++) { min[i] = qmin(min[i], r[i]); max[i] = qmax(max[i], r[i]); }
  }
  return { min: min!, max: max!, values };
}

/** Failures where a method's bounds do not contain the exact [min, max] of some row. */
function containFailures(res: Map<string, BoundsResult>, min: Q[], max: Q[], what: string): string[] {
  const fails: string[] = [];
  for (const [m, r] of res) {
    for (let i = 0; i < min.length; i++) {
      const lo = r.lower[i], hi = r.upper[i];
      // −∞ / +∞ bound nothing and are sound; NaN, +∞ lower and −∞ upper are not.
      if (Number.isNaN(lo) || Number.isNaN(hi) || lo === Infinity || hi === -Infinity) { fails.push(`${m} ${what}: row ${i}: bounds [${lo}, ${hi}]`); continue; }
      if (lo !== -Infinity && Q.fromFloat(lo).gt(min[i])) fails.push(`${m} ${what}: row ${i}: lower ${lo} > exact minimum ${min[i].toNumber()} (${min[i]})`);
      if (hi !== Infinity && Q.fromFloat(hi).lt(max[i])) fails.push(`${m} ${what}: row ${i}: upper ${hi} < exact maximum ${max[i].toNumber()} (${max[i]})`);
    }
  }
  return fails;
}

/** Failures where the node bounds of a method miss the exact value of an intermediate value. */
function nodeFailures(net: Network, res: Map<string, BoundsResult>, values: Q[][][], what: string): string[] {
  const fails: string[] = [];
  for (const [m, r] of res) {
    for (let id = 0; id < net.values.length; id++) {
      const lo = r.nodes.lo[id], hi = r.nodes.hi[id];
      if (!lo || !hi) continue;
      for (let j = 0; j < lo.length; j++) {
        if (Number.isNaN(lo[j]) || Number.isNaN(hi[j]) || lo[j] === Infinity || hi[j] === -Infinity) { fails.push(`${m} ${what}: value '${net.values[id].name}'[${j}]: node bounds [${lo[j]}, ${hi[j]}]`); continue; }
        const L = lo[j] === -Infinity ? undefined : Q.fromFloat(lo[j]), H = hi[j] === Infinity ? undefined : Q.fromFloat(hi[j]);
        for (const v of values) {
          const x = v[id][j];
          if ((L && L.gt(x)) || (H && H.lt(x))) { fails.push(`${m} ${what}: value '${net.values[id].name}'[${j}] exact ${x.toNumber()} outside node bounds [${lo[j]}, ${hi[j]}]`); break; }
        }
        if (fails.length > 5) return fails;
      }
    }
  }
  return fails;
}

// ---------------------------------------------------------------------------------------------
// Cancelling networks

const BIG_BIASES = [1e16, -1e16, -1e16 + 2, 1e16 - 2, 2 ** 60, -(2 ** 53) - 2, 1, -1, 0, 0.5, 2 ** -60, 3e15];

/**
 * A small random net built to cancel: rows next to their negation times (1 ± 2⁻⁵⁰), weights
 * spread over 1e-8…1e8, biases ±1e16 (neurons held active or inactive by a huge bias and
 * brought back by the next layer's matching bias) next to small ones. ≤ 3 layers, width ≤ 6.
 */
function cancelNet(seed: number): { net: Network; label: string } {
  const rng = new Rng(seed);
  const n = intIn(rng, 1, 4);
  const L = intIn(rng, 1, 3);
  const act: 'Relu' | 'LeakyRelu' = rng.next() < 0.7 ? 'Relu' : 'LeakyRelu';
  const alpha = rng.uniform(0.01, 0.9);
  const layers: Layer[] = [];
  let inSize = n;
  for (let l = 0; l < L; l++) {
    const last = l === L - 1;
    const out = last ? intIn(rng, 1, 3) : intIn(rng, 2, 6);
    const W: number[][] = [], b: number[] = [];
    for (let j = 0; j < out; j++) {
      if (j > 0 && rng.next() < 0.6) {
        const f = rng.next() < 0.5 ? 1 + 2 ** -50 : 1 - 2 ** -50;
        W.push(W[j - 1].map((w) => -w * f));
        b.push(rng.next() < 0.5 ? b[j - 1] : -b[j - 1]);
        continue;
      }
      const row: number[] = [];
      for (let k = 0; k < inSize; k++) {
        const u = rng.next();
        row.push(u < 0.1 ? 0 : u < 0.4 ? rng.normal() * 10 ** intIn(rng, -8, 8) : u < 0.5 ? (rng.next() < 0.5 ? 1 : -1) : rng.normal());
      }
      W.push(row);
      b.push(rng.next() < 0.5 ? BIG_BIASES[rng.int(BIG_BIASES.length)] : rng.normal());
    }
    layers.push({ W, b, act: last ? undefined : act, alpha });
    inSize = out;
  }
  const net = mlp(layers, `cancel:${seed}`);
  return { net, label: `cancel seed ${seed}: ${n}-${layers.map((l) => l.W.length).join('-')} ${act}` };
}

/** A random box: centre in [−1, 1] (sometimes ×1e8), widths log-uniform 1e-6…2 (sometimes 0). */
function randomExactBox(rng: Rng, n: number): BatchRegion {
  const lo: number[] = [], hi: number[] = [];
  const scale = logUniform(rng, 1e-6, 2), far = rng.next() < 0.15 ? 1e8 : 1;
  for (let i = 0; i < n; i++) {
    const c = rng.uniform(-1, 1) * far;
    const w = rng.next() < 0.05 ? 0 : scale * logUniform(rng, 0.25, 1);
    lo.push(c - w / 2);
    hi.push(Math.max(c - w / 2, c - w / 2 + w));
  }
  return box(lo, hi);
}

/** Corners (all, ≤ 16 for ≤ 4 inputs), the centre and `count` random float points of a box. */
function boxPoints(rng: Rng, region: BatchRegion, count: number): Float64Array {
  const { lo, hi } = region, n = lo.length;
  const corners = boxCorners(rng, lo, hi);
  const out = new Float64Array(corners.length + (count + 1) * n);
  out.set(corners);
  let o = corners.length;
  for (let i = 0; i < n; i++) out[o + i] = Math.min(hi[i], Math.max(lo[i], 0.5 * lo[i] + 0.5 * hi[i]));
  o += n;
  for (let s = 0; s < count; s++, o += n) {
    for (let i = 0; i < n; i++) {
      // Uniform, or one of the 16 float points nearest a bound (rounding-sensitive spots).
      const u = rng.next();
      let v = lo[i] + (hi[i] - lo[i]) * rng.next();
      if (u < 0.1) v = lo[i] + Math.abs(lo[i] || 1) * 2 ** -52 * rng.int(16);
      else if (u < 0.2) v = hi[i] - Math.abs(hi[i] || 1) * 2 ** -52 * rng.int(16);
      out[o + i] = Math.min(hi[i], Math.max(lo[i], v));
    }
  }
  return out;
}

describe('bounds contain the exact values of cancelling networks', () => {
  const seeds = Array.from({ length: 60 }, (_, i) => i + 1);
  it.each(seeds)('cancelling net #%i', async (seed) => {
    const { net, label } = cancelNet(seed);
    const rng = new Rng(1000 + seed);
    const fails: string[] = [];
    for (let k = 0; k < 3; k++) {
      const region = randomExactBox(rng, net.inputSize);
      const rows = k === 1 ? randomRows(rng, net.outputSize) : { C: undefined, cOffset: undefined };
      const xs = boxPoints(rng, region, 150);
      const { min, max, values } = exactRange(net, xs, rows.C, rows.cOffset);
      const res = await allBounds(net, region, rows.C, rows.cOffset);
      const what = `box [${Array.from(region.lo)}]–[${Array.from(region.hi)}]${rows.C ? ' with rows C' : ''}`;
      fails.push(...containFailures(res, min, max, what), ...nodeFailures(net, res, values, what));
      if (net.inputSize <= 2) {
        const ext = exactExtremes(net, region.lo, region.hi, rows.C, rows.cOffset);
        fails.push(...containFailures(res, ext.min, ext.max, `${what} (exact extremes over ${ext.regions} regions)`));
        // The enumeration's extremes bound every sampled exact value.
        for (let r = 0; r < min.length; r++) {
          if (ext.min[r].gt(min[r]) || ext.max[r].lt(max[r])) fails.push(`exactExtremes inconsistent with samples, row ${r}`);
        }
      }
    }
    expect(fails, label).toEqual([]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('mixed-op net #%i (MatMul both sides, broadcasting Add/Sub/Mul/Div, Gather, Concat, transA): exact values', async (seed) => {
    const rng = new Rng(1500 + seed);
    const built = buildNetwork(randomMixed({ seed: 150 + seed, inputs: intIn(rng, 1, 4), act: seed % 2 ? 'Relu' : 'LeakyRelu', maxWidth: 6, float32: false, leakyAlpha: 0.3 }));
    const net = seed % 3 === 0 ? simplify(built).net : built;
    const fails: string[] = [];
    for (let k = 0; k < 2; k++) {
      const region = randomExactBox(rng, net.inputSize);
      const rows = k === 1 ? randomRows(rng, net.outputSize) : { C: undefined, cOffset: undefined };
      const xs = boxPoints(rng, region, 60);
      const { min, max, values } = exactRange(net, xs, rows.C, rows.cOffset);
      const res = await allBounds(net, region, rows.C, rows.cOffset);
      fails.push(...containFailures(res, min, max, `box ${k}`), ...nodeFailures(net, res, values, `box ${k}`));
      if (net.inputSize <= 2) {
        const ext = exactExtremes(net, region.lo, region.hi, rows.C, rows.cOffset, k === 0);
        fails.push(...containFailures(res, ext.min, ext.max, `box ${k} (exact extremes over ${ext.regions} regions)`));
      }
    }
    expect(fails).toEqual([]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('normalisation (Sub/Div/BatchNormalization) or conv net #%i: exact values at corners and random points', async (seed) => {
    const rng = new Rng(1700 + seed);
    const act = seed % 2 ? 'Relu' : 'LeakyRelu';
    const spec = seed <= 5
      ? randomNormalized({ seed: 170 + seed, channels: 1, height: 1, width: intIn(rng, 2, 4), widths: [intIn(rng, 2, 6), intIn(rng, 2, 5)].slice(0, intIn(rng, 1, 2)), outputs: 2, act, float32: seed % 3 === 0 })
      : randomConvNet({ seed: 170 + seed, channels: 1, height: 3, width: 3, convs: [{ channels: 2, kernel: 2, batchNorm: true, pads: [1, 0, 0, 1] }], outputs: 2, act, float32: false });
    const built = buildNetwork(spec);
    const net = seed % 2 === 0 ? simplify(built).net : built;
    const fails: string[] = [];
    for (let k = 0; k < 2; k++) {
      const region = randomExactBox(rng, net.inputSize);
      const rows = k === 1 ? randomRows(rng, net.outputSize) : { C: undefined, cOffset: undefined };
      const { min, max, values } = exactRange(net, boxPoints(rng, region, 40), rows.C, rows.cOffset);
      const res = await allBounds(net, region, rows.C, rows.cOffset);
      fails.push(...containFailures(res, min, max, `box ${k}`), ...nodeFailures(net, res, values, `box ${k}`));
    }
    expect(fails, spec.source).toEqual([]);
  });

  it('relu(x + 1e16) − 1e16 = x on [−1, 1]: bounds contain [−1, 1] though float64 evaluates it to 0', async () => {
    const net = mlp([{ W: [[1]], b: [1e16], act: 'Relu' }, { W: [[1]], b: [-1e16] }]);
    expect(Array.from(compileExact(net).evaluate([Q.int(-1)]), (q) => q.toNumber())).toEqual([-1]);
    const res = await allBounds(net, box([-1], [1]));
    expect(containFailures(res, [Q.int(-1)], [Q.int(1)], '[-1,1]')).toEqual([]);
  });

  it('x·w − x·w(1+2⁻⁵⁰) through active ReLUs: bounds contain the exact −x·w·2⁻⁵⁰·(1 + …)', async () => {
    const w = 0.7310585786300049;
    const net = mlp([{ W: [[w], [w * (1 + 2 ** -50)]], b: [4, 4], act: 'Relu' }, { W: [[1, -1]], b: [0] }]);
    for (const [l, h] of [[1, 2], [-1, 1], [0.5, 0.5 + 2 ** -40]]) {
      const region = box([l], [h]);
      const xs = boxPoints(new Rng(7), region, 100);
      const { min, max } = exactRange(net, xs);
      const ext = exactExtremes(net, region.lo, region.hi, undefined, undefined, true);
      expect(ext.min[0].le(min[0]) && ext.max[0].ge(max[0])).toBe(true);
      const res = await allBounds(net, region);
      expect(containFailures(res, ext.min, ext.max, `[${l}, ${h}]`)).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Overflow, infinite and subnormal input bounds

describe('bounds stay sound when float64 overflows (regression: NaN intervals became [0, 0])', () => {
  /** y = 1e-10·relu(4·x1 + 2·x2): over the box below, 4·x1 + 2·x2 overflows float64 but not the reals. */
  const net = mlp([{ W: [[4, 2]], b: [0], act: 'Relu' }, { W: [[1e-10]], b: [0] }]);

  it('a pre-activation whose float64 interval overflows: every method contains the exact 3.96e298', async () => {
    const region = box([-1.79e308, -1.7e308], [1.79e308, -1.6e308]);
    const ex = compileExact(net);
    const xs = [[1.79e308, -1.6e308], [-1.79e308, -1.7e308], [0, -1.65e308], [1.79e308, -1.7e308]];
    const vals = xs.map((x) => ex.evaluate(qVec(x))[0]);
    expect(vals[0].toNumber()).toBeCloseTo(3.96e298, -290);
    const res = await allBounds(net, region);
    const min = vals.reduce(qmin), max = vals.reduce(qmax);
    expect(containFailures(res, [min], [max], 'overflowing box')).toEqual([]);
  });

  it('an infinite input bound: every method contains the exact values (no NaN, no finite wrong bound)', async () => {
    const region = box([-Infinity, 1], [1, 2]);
    const ex = compileExact(net);
    const vals = [[1, 2], [-1e300, 1.5], [0.25, 1]].map((x) => ex.evaluate(qVec(x))[0]);
    const res = await allBounds(net, region);
    expect(containFailures(res, [vals.reduce(qmin)], [vals.reduce(qmax)], 'x1 ∈ [−∞, 1]')).toEqual([]);
  });

  it.each(['Relu', 'LeakyRelu'] as const)('%s nets over huge and subnormal boxes contain the exact values at corners and random points', async (act) => {
    const fails: string[] = [];
    for (let seed = 1; seed <= 4; seed++) {
      const net = buildNetwork(randomDense({ seed, inputs: 3, widths: [5, 4], outputs: 2, act, float32: false }));
      const rng = new Rng(seed);
      for (const [l, h] of [[1e308, 1.7e308], [-1.7e308, 1.7e308], [-1e307, 1e307], [-1e154, 1e154], [1e-320, 2e-320], [-5e-324, 5e-324], [-1e-310, 3e-310]]) {
        const region = box([l, l, l], [h, h, h]);
        const xs = boxPoints(rng, region, 40);
        const { min, max, values } = exactRange(net, xs);
        const res = await allBounds(net, region);
        fails.push(...containFailures(res, min, max, `seed ${seed} box [${l}, ${h}]³`), ...nodeFailures(net, res, values, `seed ${seed} box [${l}, ${h}]³`));
      }
    }
    expect(fails).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Exact extremes by region enumeration

describe('bounds contain the exact extremes over the region (linear-region enumeration)', () => {
  const cases = Array.from({ length: 40 }, (_, i) => i + 1);
  it.each(cases)('2-input piecewise-linear net #%i: lower ≤ exact min, upper ≥ exact max', async (seed) => {
    const rng = new Rng(2000 + seed);
    const kind = seed % 4;
    const spec: GraphSpec = kind === 3
      ? randomResidual({ seed, inputs: 2, width: intIn(rng, 2, 5), blocks: 1, outputs: intIn(rng, 1, 3), act: rng.next() < 0.5 ? 'Relu' : 'LeakyRelu', float32: false, leakyAlpha: 0.2 })
      : randomDense({
        seed, inputs: kind === 0 ? 1 : 2, widths: Array.from({ length: intIn(rng, 0, 2) }, () => intIn(rng, 2, 6)), outputs: intIn(rng, 1, 3),
        act: rng.next() < 0.7 ? 'Relu' : 'LeakyRelu', float32: seed % 2 === 0, leakyAlpha: rng.uniform(0.01, 0.5), weightScale: logUniform(rng, 0.5, 3),
      });
    const built = buildNetwork(spec);
    const net = seed % 5 === 0 ? simplify(built).net : built;
    const n = net.inputSize;
    const fails: string[] = [];
    for (let k = 0; k < 3; k++) {
      const lo: number[] = [], hi: number[] = [];
      const w = logUniform(rng, 1e-6, 2);
      for (let i = 0; i < n; i++) { const c = rng.uniform(-1, 1); lo.push(c - w * rng.next()); hi.push(c + w * rng.next()); }
      const rows = k === 2 ? randomRows(rng, net.outputSize) : { C: undefined, cOffset: undefined };
      const ext = exactExtremes(net, lo, hi, rows.C, rows.cOffset, k === 0);
      const res = await allBounds(net, box(lo, hi), rows.C, rows.cOffset);
      fails.push(...containFailures(res, ext.min, ext.max, `box [${lo}]–[${hi}] (${ext.regions} regions)${rows.C ? ' rows C' : ''}`));
      // The extremes are attained (at a vertex): the exact value there equals the claimed one.
      const ex = compileExact(net);
      ext.min.forEach((v, r) => expect(exactRows(ex.evaluate(ext.argmin[r]), rows.C, rows.cOffset)[r].eq(v)).toBe(true));
    }
    expect(fails, spec.source).toEqual([]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('2-input net #%i over an L1 ball ∩ [0, 1]² (a polygon): bounds contain the exact extremes', async (seed) => {
    const rng = new Rng(3000 + seed);
    const net = buildNetwork(randomDense({ seed: 300 + seed, inputs: 2, widths: [intIn(rng, 2, 6), intIn(rng, 2, 5)], outputs: 2, act: 'Relu', float32: false }));
    const center = Float64Array.from([rng.next(), rng.next()]);
    const radius = logUniform(rng, 1e-4, 0.8);
    const withDomain = seed % 2 === 0;
    const dom = withDomain ? { lo: new Float64Array(2), hi: Float64Array.of(1, 1) } : undefined;
    const { region } = ballRegion(center, radius, '1', dom);
    // The real L1 ball: the diamond c ± r·e_i, clipped to the domain.
    const c = qVec(center), r = Q.fromFloat(radius);
    let poly: Q[][] = [[c[0].add(r), c[1]], [c[0], c[1].add(r)], [c[0].sub(r), c[1]], [c[0], c[1].sub(r)]];
    if (dom) {
      for (let i = 0; i < 2; i++) {
        poly = clip(poly, { c: [i === 0 ? Q.ONE : Q.ZERO, i === 1 ? Q.ONE : Q.ZERO], k: Q.ZERO });
        poly = clip(poly, { c: [i === 0 ? Q.int(-1) : Q.ZERO, i === 1 ? Q.int(-1) : Q.ZERO], k: Q.ONE });
      }
    }
    const ext = exactExtremes(net, region.lo, region.hi, undefined, undefined, true, poly);
    const res = await allBounds(net, region);
    expect(containFailures(res, ext.min, ext.max, `L1 ball c=[${Array.from(center)}] r=${radius}${withDomain ? ' ∩ [0,1]²' : ''}`)).toEqual([]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('2-input net #%i over an L2 ball: bounds contain the exact values at rational points ON the circle', async (seed) => {
    // Points c ± r·((1 − t²)/(1 + t²), 2t/(1 + t²)) are exactly on the circle for rational t.
    const rng = new Rng(4000 + seed);
    const net = buildNetwork(randomDense({ seed: 400 + seed, inputs: 2, widths: seed % 2 ? [intIn(rng, 2, 6)] : [], outputs: 2, act: 'Relu', float32: false }));
    const center = Float64Array.from([rng.uniform(-1, 1), rng.uniform(-1, 1)]);
    // Small radii keep every ReLU stable, where CROWN's dual-norm bound is tight to rounding.
    const radius = seed <= 5 ? logUniform(rng, 1e-6, 1e-3) : logUniform(rng, 0.1, 1);
    const { region } = ballRegion(center, radius, '2');
    const c = qVec(center), r = Q.fromFloat(radius);
    const ex = compileExact(net);
    const onCircle = (t: Q, flip: boolean): Q[] => {
      const t2 = t.mul(t), den = Q.ONE.add(t2);
      const u = [Q.ONE.sub(t2).div(den), Q.int(2).mul(t).div(den)];
      return flip ? [c[0].sub(r.mul(u[0])), c[1].sub(r.mul(u[1]))] : [c[0].add(r.mul(u[0])), c[1].add(r.mul(u[1]))];
    };
    /** Rational points on the circle at angle θ and within ~2⁻⁴⁰ of it. */
    const near = (theta: number): Q[][] => {
      const flip = Math.abs(theta) > Math.PI / 2;
      const t = Math.tan((flip ? theta - Math.sign(theta) * Math.PI : theta) / 2);
      return Array.from({ length: 9 }, (_, k) => onCircle(Q.fromFloat(t * (1 + (k - 4) * 2 ** -40) + (k - 4) * 2 ** -60), flip));
    };
    const pts: Q[][] = [];
    for (let k = 0; k < 360; k++) pts.push(...near(2 * Math.PI * (k + rng.next()) / 360 - Math.PI).slice(4, 5));
    // Near the extreme directions of every output: ±A/‖A‖ from CROWN's own coefficients.
    const m = net.outputSize;
    const C = new Float64Array(2 * m * m);
    for (let i = 0; i < m; i++) { C[i * m + i] = 1; C[(m + i) * m + i] = -1; }
    const lin = await computeBounds({ net, region, C, wantCoefficients: true }, 'crown');
    for (let row = 0; row < 2 * m; row++) pts.push(...near(Math.atan2(-lin.A![row * 2 + 1], -lin.A![row * 2])));
    let min: Q[] | undefined, max: Q[] | undefined;
    for (const p of pts) {
      const y = ex.evaluate(p);
      if (!min || !max) { min = y.slice(); max = y.slice(); continue; }
      for (let i = 0; i < y.length; i++) { min[i] = qmin(min[i], y[i]); max[i] = qmax(max[i], y[i]); }
    }
    const res = await allBounds(net, region);
    expect(containFailures(res, min!, max!, `L2 ball c=[${Array.from(center)}] r=${radius}`)).toEqual([]);
    // The test is sharp: for stable nets, CROWN's bound is within 1e-9 of the exact extreme found.
    if (seed <= 5) {
      const cr = res.get('crown')!;
      for (let i = 0; i < m; i++) {
        expect(min![i].toNumber() - cr.lower[i]).toBeLessThan(1e-9 * radius + 1e-12);
        expect(cr.upper[i] - max![i].toNumber()).toBeLessThan(1e-9 * radius + 1e-12);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Closed forms

/** lower ≤ exact ≤ upper, and (when tight) both within tol·(1 + |value|) of the exact range. */
async function expectRange(net: Network, lo: number[], hi: number[], exact: [number, number][], tight: BoundMethod[], tol = 1e-12): Promise<void> {
  const res = await allBounds(net, box(lo, hi));
  const min = exact.map(([a]) => Q.fromFloat(a)), max = exact.map(([, b]) => Q.fromFloat(b));
  expect(containFailures(res, min, max, `[${lo}]–[${hi}]`)).toEqual([]);
  for (const m of tight) {
    const r = res.get(m);
    if (!r) continue;
    exact.forEach(([a, b], i) => {
      expect(a - r.lower[i], `${m} lower of row ${i} (exact ${a})`).toBeLessThanOrEqual(tol * (1 + Math.abs(a)));
      expect(r.upper[i] - b, `${m} upper of row ${i} (exact ${b})`).toBeLessThanOrEqual(tol * (1 + Math.abs(b)));
    });
  }
}

describe('closed-form ranges (tight where the relaxation is exact)', () => {
  const TIGHT_ALL: BoundMethod[] = ['ibp', 'crown', 'alpha', 'lp'];
  const TIGHT_CROWN: BoundMethod[] = ['crown', 'alpha', 'lp'];

  it('relu(x) − relu(−x) = x: range [l, u], every method tight', async () => {
    const net = mlp([{ W: [[1], [-1]], b: [0, 0], act: 'Relu' }, { W: [[1, -1]], b: [0] }]);
    for (const [l, u] of [[-1, 1], [-0.3, 2.5], [-1e-6, 3e-6], [0.25, 4], [-7, -2]]) await expectRange(net, [l], [u], [[l, u]], TIGHT_ALL);
  });

  it('leaky(x) − leaky(−x) = (1 + a)·x: range (1 + a)·[l, u], every method tight', async () => {
    const a = 0.25;
    const net = mlp([{ W: [[1], [-1]], b: [0, 0], act: 'LeakyRelu', alpha: a }, { W: [[1, -1]], b: [0] }]);
    for (const [l, u] of [[-1, 1], [-0.5, 3], [1, 2]]) await expectRange(net, [l], [u], [[(1 + a) * l, (1 + a) * u]], TIGHT_ALL);
  });

  it('relu(x1 − x2) on [0, 1]²: range [0, 1], every method tight', async () => {
    const net = mlp([{ W: [[1, -1]], b: [0], act: 'Relu' }, { W: [[1]], b: [0] }]);
    await expectRange(net, [0, 0], [1, 1], [[0, 1]], TIGHT_ALL);
    await expectRange(net, [0, 0], [1, 3], [[0, 1]], TIGHT_ALL);
  });

  it('|x1 − x2| = relu(x1 − x2) + relu(x2 − x1) on [0, 1]²: range [0, 1], CROWN tight (IBP gives [0, 2])', async () => {
    const net = mlp([{ W: [[1, -1], [-1, 1]], b: [0, 0], act: 'Relu' }, { W: [[1, 1]], b: [0] }]);
    await expectRange(net, [0, 0], [1, 1], [[0, 1]], TIGHT_CROWN);
    const ibp = await computeBounds({ net, region: box([0, 0], [1, 1]) }, 'ibp');
    expect(ibp.upper[0]).toBeGreaterThanOrEqual(2);
  });

  it('|x| = relu(x) + relu(−x) on [−1, 2]: range [0, 2], CROWN tight', async () => {
    const net = mlp([{ W: [[1], [-1]], b: [0, 0], act: 'Relu' }, { W: [[1, 1]], b: [0] }]);
    await expectRange(net, [-1], [2], [[0, 2]], TIGHT_CROWN);
  });

  it('an affine function through stable ReLUs: CROWN exact at the corners, IBP looser', async () => {
    // h = relu(W1·x + b1) with b1 = 10 keeps every unit active on [−1, 1]³; y = W2·h + b2 is affine.
    const W1 = [[1, -2, 0.5], [0.25, 1, -1], [-1, -1, 1]], b1 = [10, 10, 10];
    const W2 = [[1, -1, 2], [0.5, 0.5, -3]], b2 = [-1, 2];
    const net = mlp([{ W: W1, b: b1, act: 'Relu' }, { W: W2, b: b2 }]);
    // y = (W2·W1)·x + W2·b1 + b2; extremes per output at the corners.
    const exact: [number, number][] = W2.map((row, i) => {
      const a = [0, 1, 2].map((k) => row.reduce((s, w, j) => s + w * W1[j][k], 0));
      const c = row.reduce((s, w, j) => s + w * b1[j], 0) + b2[i];
      const spread = a.reduce((s, v) => s + Math.abs(v), 0);
      return [c - spread, c + spread];
    });
    await expectRange(net, [-1, -1, -1], [1, 1, 1], exact, TIGHT_CROWN);
    const ibp = await computeBounds({ net, region: box([-1, -1, -1], [1, 1, 1]) }, 'ibp');
    expect(ibp.upper[0] - ibp.lower[0]).toBeGreaterThan(exact[0][1] - exact[0][0] + 1);
  });

  it('relu(x) on [−1, 3] and relu(relu(x + 10) − 10) = x on [−1, 1]: every method tight', async () => {
    await expectRange(mlp([{ W: [[1]], b: [0], act: 'Relu' }, { W: [[1]], b: [0] }]), [-1], [3], [[0, 3]], TIGHT_ALL);
    const net = mlp([{ W: [[1]], b: [10], act: 'Relu' }, { W: [[1]], b: [-10], act: 'Relu' }, { W: [[1]], b: [0] }]);
    await expectRange(net, [0.5], [1], [[0.5, 1]], TIGHT_ALL);
    await expectRange(net, [-1], [1], [[0, 1]], TIGHT_ALL);
  });

  it('specification rows: C·y + c on relu(x) − relu(−x) (= x) with C = [2; −3], c = [1, 0.5]', async () => {
    const net = mlp([{ W: [[1], [-1]], b: [0, 0], act: 'Relu' }, { W: [[1, -1]], b: [0] }]);
    const res = new Map<string, BoundsResult>();
    for (const m of METHODS) res.set(m, await computeBounds({ net, region: box([-1], [2]), C: Float64Array.of(2, -3), cOffset: Float64Array.of(1, 0.5) }, m));
    // 2x + 1 ∈ [−1, 5], −3x + 0.5 ∈ [−5.5, 3.5].
    expect(containFailures(res, [Q.int(-1), Q.of(-11n, 2n)], [Q.int(5), Q.of(7n, 2n)], 'rows')).toEqual([]);
    for (const m of ['crown', 'alpha'] as const) {
      const r = res.get(m)!;
      expect(r.lower[0]).toBeCloseTo(-1, 12);
      expect(r.upper[0]).toBeCloseTo(5, 12);
      expect(r.lower[1]).toBeCloseTo(-5.5, 12);
      expect(r.upper[1]).toBeCloseTo(3.5, 12);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The ops' own bound members, checked pointwise: exactly (ReLU-like) or in 320-bit fixed point

/** Random input intervals over many regimes (point, tiny, one-sided, crossing, huge). */
function randomIntervals(rng: Rng, count: number, maxAbs: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 8;
    const c = rng.uniform(-1, 1) * (kind < 4 ? 3 : maxAbs);
    const w = kind === 0 ? 0 : kind === 1 ? logUniform(rng, 1e-15, 1e-8) : kind === 2 ? logUniform(rng, 1e-8, 1e-3) : logUniform(rng, 1e-3, 2 * maxAbs);
    let l = c - w * rng.next(), h = l + w;
    if (kind === 5) { l = -logUniform(rng, 1e-6, maxAbs); h = logUniform(rng, 1e-6, maxAbs); }
    if (kind === 6) { l = rng.next() < 0.5 ? 0 : l; h = l === 0 ? Math.abs(h) + 1e-3 : 0; if (h < l) [l, h] = [h, l]; }
    if (!(h >= l)) h = l;
    out.push([l, h]);
  }
  return out;
}

/** Every line an op offers on [l, h]: its relax lines and its cuts, each as (name, slope, intercept, side: −1 below f, +1 above). */
function relaxationLines(kind: OpKind, p: unknown, l: number, h: number, sl: number, bl: number, su: number, bu: number): [string, number, number, number][] {
  const lines: [string, number, number, number][] = [['lower', sl, bl, -1], ['upper', su, bu, 1]];
  const cuts = kind.relaxCuts!(p, l, h);
  for (const [s0, b0] of cuts.lower) lines.push(['cut lower', s0, b0, -1]);
  for (const [s0, b0] of cuts.upper) lines.push(['cut upper', s0, b0, 1]);
  return lines;
}

/** Points of [l, h] to test a line at: the ends, 0, the middle, nearby floats, random ones. */
function testPoints(rng: Rng, l: number, h: number): number[] {
  const pts = [l, h, 0.5 * l + 0.5 * h];
  if (l < 0 && h > 0) pts.push(0, -Number.MIN_VALUE, Number.MIN_VALUE);
  for (let k = 0; k < 12; k++) pts.push(l + (h - l) * rng.next());
  return pts.map((x) => Math.min(h, Math.max(l, x)));
}

const unary = (op: string, alpha = 0) => ({ op, size: 1, alpha, attrs: {} });

describe('op bound members: lines and intervals hold pointwise', () => {
  it.each([['Relu', 0], ['LeakyRelu', 0.01], ['LeakyRelu', 0.3], ['LeakyRelu', 1]] as const)('%s (a = %f): relax (default and any α), interval and relaxCuts, exactly', (op, a) => {
    const kind: OpKind = op === 'Relu' ? Relu : LeakyRelu;
    const p = unary(op, a);
    const rng = new Rng(a * 1000 + 5);
    const ivs = randomIntervals(rng, 600, 1e300);
    const lo = Float64Array.from(ivs, (v) => v[0]), hi = Float64Array.from(ivs, (v) => v[1]);
    const n = ivs.length;
    const sl = new Float64Array(n), bl = new Float64Array(n), su = new Float64Array(n), bu = new Float64Array(n);
    const oLo = new Float64Array(n), oHi = new Float64Array(n);
    kind.interval!(p, lo, hi, oLo, oHi);
    const A = Q.fromFloat(a);
    const f = (x: Q) => (x.sign() >= 0 ? x : A.mul(x));
    const fails: string[] = [];
    for (const alpha of [null, Float64Array.from({ length: n }, () => rng.uniform(-0.5, 1.5))]) {
      kind.relax!(p, lo, hi, alpha, sl, bl, su, bu);
      for (let i = 0; i < n && fails.length < 5; i++) {
        const [l, h] = ivs[i];
        const lines = relaxationLines(kind, p, l, h, sl[i], bl[i], su[i], bu[i]);
        for (const x of testPoints(rng, l, h)) {
          const X = Q.fromFloat(x), fx = f(X);
          for (const [name, s0, b0, side] of lines) {
            if (!Number.isFinite(s0) || !Number.isFinite(b0)) { fails.push(`${name} line [${s0}, ${b0}] on [${l}, ${h}] is not finite`); continue; }
            const v = Q.fromFloat(s0).mul(X).add(Q.fromFloat(b0));
            if (side * v.cmp(fx) < 0) fails.push(`${name} line ${s0}·x + ${b0} (α ${alpha ? alpha[i] : 'default'}) on [${l}, ${h}] is on the wrong side at x = ${x}: ${v.toNumber()} vs f(x) = ${fx.toNumber()}`);
          }
        }
        if (Q.fromFloat(oLo[i]).gt(f(Q.fromFloat(l))) || Q.fromFloat(oHi[i]).lt(f(Q.fromFloat(h)))) fails.push(`interval [${oLo[i]}, ${oHi[i]}] misses f on [${l}, ${h}]`);
      }
    }
    expect(fails).toEqual([]);
  });

  it.each([['Sigmoid'], ['Tanh']] as const)('%s: relax, interval and relaxCuts hold in 320-bit arithmetic (|x| ≤ 60)', (op) => {
    const kind: OpKind = op === 'Sigmoid' ? Sigmoid : Tanh;
    const fFix = op === 'Sigmoid' ? sigmoidFixed : tanhFixed;
    const p = unary(op);
    const rng = new Rng(op.length);
    const ivs = randomIntervals(rng, 800, 60);
    const lo = Float64Array.from(ivs, (v) => v[0]), hi = Float64Array.from(ivs, (v) => v[1]);
    const n = ivs.length;
    const sl = new Float64Array(n), bl = new Float64Array(n), su = new Float64Array(n), bu = new Float64Array(n);
    const oLo = new Float64Array(n), oHi = new Float64Array(n);
    kind.relax!(p, lo, hi, null, sl, bl, su, bu);
    kind.interval!(p, lo, hi, oLo, oHi);
    // A line is wrong only if it crosses f by more than the fixed-point error (2^−200 ≪ any margin).
    const tol = 1n << (FIX - 200n);
    const fails: string[] = [];
    for (let i = 0; i < n && fails.length < 5; i++) {
      const [l, h] = ivs[i];
      const lines = relaxationLines(kind, p, l, h, sl[i], bl[i], su[i], bu[i]);
      for (const x of testPoints(rng, l, h)) {
        const X = Q.fromFloat(x), fx = fFix(X);
        for (const [name, s0, b0, side] of lines) {
          const v = toFixed(Q.fromFloat(s0).mul(X).add(Q.fromFloat(b0)));
          if (BigInt(side) * (v - fx) < -tol) fails.push(`${op} ${name} line ${s0}·x + ${b0} on [${l}, ${h}] is on the wrong side at x = ${x} by ${Q.of(v - fx, 1n << FIX).toNumber()}`);
        }
      }
      if (toFixed(Q.fromFloat(oLo[i])) - fFix(Q.fromFloat(l)) > tol || fFix(Q.fromFloat(h)) - toFixed(Q.fromFloat(oHi[i])) > tol) {
        fails.push(`${op} interval [${oLo[i]}, ${oHi[i]}] misses f on [${l}, ${h}]`);
      }
    }
    expect(fails).toEqual([]);
  });
});
