/**
 * Property-based soundness of every bounding method: on 225 random networks (dense ReLU,
 * LeakyRelu, Sigmoid, Tanh with 1–6 layers of widths 2–64; residual nets whose Add joins two
 * dynamic branches; Sub/Div input normalisation with BatchNormalization, simplified or not; small
 * conv nets; nets mixing MatMul/Gather/Concat/broadcasting ops) and random regions (boxes of
 * widths 1e-6 to 2 — two of them as one batch of D = 2 domains —, L∞/L2/L1 balls with and
 * without the [0, 1] domain, sometimes two balls in one batch), the bounds of every method (ibp,
 * crown, alpha, and lp when src/bounds/lp.ts exists) contain the outputs of 10,000 sampled points
 * per region plus the region's corners (all for ≤ 10 inputs, else 256 random ones) — also for
 * random specification rows C with an offset, and for the bounds of every intermediate value.
 * Also: point regions, batches vs single calls, huge inputs (no NaN), structural edge cases,
 * ReLU splits, parent bounds, the coefficients of wantCoefficients, LP intermediate tightening.
 *
 * The bounds are about the network in REAL arithmetic; a float64 sample outside a bound is
 * re-evaluated exactly in rationals (test/helpers/exact.ts) and only an exact violation fails.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeBounds, type BatchRegion, type BoundMethod, type BoundsResult, type SplitSet } from '../../src/bounds/index.js';
import { forwardAll } from '../../src/net/forward.js';
import { REPO_ROOT } from '../helpers/benchmarks.js';
import { compileExact, exactRows, isPiecewiseLinear, Q, qVec } from '../helpers/exact.js';
import {
  ballRegion, checkBounds, checkStats, evalSamples, randomBall, randomBox, randomBoundsCase, randomRows, samplePoints, stackRegions,
  type BoundsCase, type NetFamily, type Samples,
} from '../helpers/random_bounds_nets.js';
import { buildFromSpec, GraphBuilder, Rng } from '../helpers/random_net.js';

const HAVE_LP = existsSync(join(REPO_ROOT, 'src', 'bounds', 'lp.ts'));
if (!HAVE_LP) console.warn('[bounds/soundness] src/bounds/lp.ts does not exist: the lp method is skipped');
const METHODS: BoundMethod[] = HAVE_LP ? ['ibp', 'crown', 'alpha', 'lp'] : ['ibp', 'crown', 'alpha'];

const SAMPLES = 10_000;

/** lp.ts's counters of its last call (proved LPs vs CROWN fallbacks), loaded without a static import. */
const lpStatsModule = './../../src/bounds/lp.js';
const lpStats: { proved: number; fallback: number; seconds: number } | undefined = HAVE_LP ? (await import(/* @vite-ignore */ lpStatsModule)).lastLpStats : undefined;
const lpTotals = { calls: 0, proved: 0, fallback: 0, seconds: 0 };

/** Families and how many networks of each (225 in all). */
const FAMILIES: [NetFamily, number][] = [
  ['dense-relu', 60],
  ['dense-leaky', 25],
  ['dense-sigmoid', 25],
  ['dense-tanh', 25],
  ['residual', 35],
  ['normalized', 20],
  ['conv', 15],
  ['mixed', 20],
];

async function boundsOf(c: BoundsCase, region: BatchRegion, method: BoundMethod, C?: Float64Array, cOffset?: Float64Array, wantCoefficients = false): Promise<BoundsResult> {
  const res = await computeBounds({ net: c.net, region, C, cOffset, wantCoefficients }, method);
  if (method === 'lp' && lpStats) { lpTotals.calls++; lpTotals.proved += lpStats.proved; lpTotals.fallback += lpStats.fallback; lpTotals.seconds += lpStats.seconds; }
  return res;
}

/**
 * With wantCoefficients, C·y ≥ A·x + bias must hold at every sample (the documented lower
 * linear function; checked exactly where the float comparison fails, pwl nets only).
 */
function checkCoefficients(c: BoundsCase, res: BoundsResult, d: number, smp: Samples, C: Float64Array | undefined, what: string): string[] {
  if (!res.A || !res.bias) return [`${what}: wantCoefficients returned no A/bias`];
  const n = c.net.inputSize, R = res.rows, fails: string[] = [];
  for (let r = 0; r < R && fails.length < 3; r++) {
    const a = res.A.subarray((d * R + r) * n, (d * R + r + 1) * n), b = res.bias[d * R + r];
    for (let s = 0; s < smp.count && fails.length < 3; s++) {
      let lin = b, mag = Math.abs(b);
      for (let k = 0; k < n; k++) { lin += a[k] * smp.xs[s * n + k]; mag += Math.abs(a[k] * smp.xs[s * n + k]); }
      // C·y without the offset: the coefficients describe the rows of C·y.
      const v = smp.rows[s * R + r];
      if (lin <= v) continue;
      if (!c.pwl) {
        if (lin <= v + 1e-12 * (mag + Math.abs(v))) continue;
        fails.push(`${what}: row ${r}: A·x + bias = ${lin} > ${v} at sample ${s}`);
        continue;
      }
      const x = qVec(smp.xs.subarray(s * n, (s + 1) * n));
      const exact = exactRows(compileExact(c.net).evaluate(x), C)[r];
      let linQ = Q.fromFloat(b);
      for (let k = 0; k < n; k++) linQ = linQ.add(Q.fromFloat(a[k]).mul(x[k]));
      if (linQ.le(exact)) continue;
      fails.push(`${what}: row ${r}: exact A·x + bias = ${linQ.toNumber()} > exact C·y = ${exact.toNumber()} (by ${linQ.sub(exact).toNumber()}) at x = [${Array.from(x, (q) => q.toNumber())}]`);
    }
  }
  return fails;
}

async function runCase(family: NetFamily, seed: number): Promise<void> {
  const c = randomBoundsCase(seed, family);
  const rng = new Rng(100_003 * seed + family.length);
  const n = c.net.inputSize, m = c.net.outputSize;
  // Rows: identity, random C with an offset, or the identity with an offset only.
  const kind = seed % 3;
  const rows = kind === 1 ? randomRows(rng, m) : kind === 2 ? { C: undefined, cOffset: randomRows(rng, m, m).cOffset } : { C: undefined, cOffset: undefined };
  const { C, cOffset } = rows;
  const boxes = [randomBox(rng, n), randomBox(rng, n)];
  const ball = randomBall(rng, n);
  // Every third net: a batch of two balls (same radius, norm and domain; another centre).
  const balls = [ball];
  if (seed % 3 === 0) {
    const center = ball.ball!.center.map((v) => Math.min(1, Math.max(ball.ball!.domain ? 0 : -1, v + rng.uniform(-0.3, 0.3))));
    balls.push({ label: `${ball.label} (2nd centre)`, ...ballRegion(center, ball.ball!.radius, ball.ball!.norm, ball.ball!.domain) });
  }
  const groups = [{ regs: boxes, batch: stackRegions(boxes) }, { regs: balls, batch: stackRegions(balls) }];
  const fails: string[] = [];
  for (const g of groups) {
    // Samples (and their forward values) per domain, shared by every method.
    const smps = g.regs.map((reg) => evalSamples(c.net, samplePoints(rng, reg, SAMPLES), C, cOffset));
    for (const method of METHODS) {
      const res = await boundsOf(c, g.batch, method, C, cOffset);
      g.regs.forEach((reg, d) => {
        fails.push(...checkBounds(c.net, res, d, smps[d], { C, cOffset, pwl: c.pwl, nodes: method !== 'lp', what: `${method} on ${reg.label}` }));
      });
    }
    // CROWN with each intermediate mode forced ('auto' picks forward for ≤ 20 inputs).
    for (const mode of ['forward', 'backward'] as const) {
      const res = await computeBounds({ net: c.net, region: g.batch, C, cOffset, intermediate: mode }, seed % 2 ? 'crown' : 'alpha');
      g.regs.forEach((reg, d) => {
        fails.push(...checkBounds(c.net, res, d, smps[d], { C, cOffset, pwl: c.pwl, nodes: true, what: `${seed % 2 ? 'crown' : 'alpha'}[${mode}] on ${reg.label}` }));
      });
    }
  }
  // The lower linear functions of CROWN and α-CROWN (rows of C·y, without the offset).
  if (seed % 4 === 0) {
    const smps = boxes.map((reg) => evalSamples(c.net, samplePoints(rng, reg, 2000), C));
    for (const method of ['crown', 'alpha'] as const) {
      const res = await boundsOf(c, stackRegions(boxes), method, C, undefined, true);
      boxes.forEach((reg, d) => fails.push(...checkCoefficients(c, res, d, smps[d], C, `${method} coefficients on ${reg.label}`)));
    }
  }
  expect(fails, c.label).toEqual([]);
}

describe('bounds contain every sampled output (random networks × random regions)', () => {
  for (const [family, count] of FAMILIES) {
    describe(family, () => {
      const seeds = Array.from({ length: count }, (_, i) => i + 1);
      it.each(seeds)(`${family} #%i`, async (seed) => {
        await runCase(family, seed);
      });
    });
  }
});

describe('bounds: special regions', () => {
  it('a point region (lo = hi) contains the point value for every method', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const c = randomBoundsCase(5000 + seed, seed % 2 ? 'dense-relu' : 'dense-tanh');
      const rng = new Rng(seed);
      const x = new Float64Array(c.net.inputSize).map(() => rng.uniform(-1, 1));
      const smp = evalSamples(c.net, x);
      for (const method of METHODS) {
        const res = await boundsOf(c, { batch: 1, lo: x, hi: x }, method);
        expect(checkBounds(c.net, res, 0, smp, { pwl: c.pwl, nodes: true, what: `${method} point` }), c.label).toEqual([]);
      }
    }
  });

  it('a batch of 5 boxes bounds each box as if alone (same result as D = 1 calls)', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const c = randomBoundsCase(6000 + seed, 'dense-relu', { maxWidth: 24, maxLayers: 4 });
      const rng = new Rng(seed);
      const regs = Array.from({ length: 5 }, () => randomBox(rng, c.net.inputSize));
      const rows = randomRows(rng, c.net.outputSize);
      for (const method of ['ibp', 'crown'] as const) {
        const all = await boundsOf(c, stackRegions(regs), method, rows.C, rows.cOffset);
        for (let d = 0; d < regs.length; d++) {
          const one = await boundsOf(c, regs[d].region, method, rows.C, rows.cOffset);
          expect(Array.from(all.lower.subarray(d * one.rows, (d + 1) * one.rows)), `${method} lower, domain ${d}`).toEqual(Array.from(one.lower));
          expect(Array.from(all.upper.subarray(d * one.rows, (d + 1) * one.rows)), `${method} upper, domain ${d}`).toEqual(Array.from(one.upper));
        }
      }
    }
  });

  it('large inputs (|x| up to 1e6, and boxes up to ±1e300) stay sound, with no NaN bound', async () => {
    const fams: NetFamily[] = ['dense-relu', 'dense-leaky', 'dense-tanh', 'dense-sigmoid', 'residual'];
    for (let seed = 1; seed <= 15; seed++) {
      const c = randomBoundsCase(7000 + seed, fams[seed % fams.length], { maxWidth: 16, maxLayers: 4 });
      const rng = new Rng(seed);
      const n = c.net.inputSize;
      const lo = new Float64Array(n), hi = new Float64Array(n);
      const huge = seed > 10;
      for (let i = 0; i < n; i++) {
        if (huge) { lo[i] = -(10 ** (200 + 10 * (seed - 10))); hi[i] = rng.uniform(-1, 1) * 10 ** 300; if (hi[i] < lo[i]) hi[i] = -lo[i]; } else { lo[i] = rng.uniform(-1e6, 1e6); hi[i] = lo[i] + rng.uniform(0, 1e3); }
      }
      const reg = { label: 'big box', region: { batch: 1, lo, hi } };
      const smp = evalSamples(c.net, samplePoints(rng, reg, 2000));
      for (const method of METHODS) {
        const res = await boundsOf(c, reg.region, method);
        expect(checkBounds(c.net, res, 0, smp, { pwl: c.pwl, nodes: true, what: `${method} big box` }), c.label).toEqual([]);
      }
    }
  });
});

describe('structural edge cases', () => {
  type Build = (g: GraphBuilder, n: number) => string;
  const gemm = (g: GraphBuilder, x: string, i: number, o: number) => g.gemm(`fc${g.nodes.length}`, x, i, o);
  const CASES: [string, Build][] = [
    ['an activation on the input, the output is an activation', (g, n) => g.activation('Tanh', 't', gemm(g, g.activation('Relu', 'r', 'input'), n, 3))],
    ['activations in a row (Relu → Relu → Sigmoid → LeakyRelu)', (g, n) => gemm(g, g.activation('LeakyRelu', 'l', g.activation('Sigmoid', 's', g.activation('Relu', 'r2', g.activation('Relu', 'r1', gemm(g, 'input', n, 5))))), 5, 2)],
    ['only reshapes (the output is the input)', (g) => g.node('Flatten', 'f', [g.node('Identity', 'id', ['input'])], { axis: 1 })],
    ['Add of an activation and the network input', (g, n) => gemm(g, g.node('Add', 'add', [g.activation('LeakyRelu', 'l', g.activation('Sigmoid', 's', 'input')), 'input']), n, 2)],
    ['two activations of one value joined by Concat', (g, n) => {
      const h = gemm(g, 'input', n, 4);
      return gemm(g, g.node('Concat', 'cat', [g.activation('Relu', 'r', h), g.activation('Tanh', 't', h)], { axis: 1 }), 8, 2);
    }],
    ['Add(h, h) and Sub(h, h) of one ReLU output', (g, n) => {
      const h = g.activation('Relu', 'r', gemm(g, 'input', n, 4));
      return gemm(g, g.node('Concat', 'cat', [g.node('Add', 'twice', [h, h]), g.node('Sub', 'zero', [h, h])], { axis: 1 }), 8, 3);
    }],
  ];
  it.each(CASES.map(([name], i) => [name, i] as const))('%s', async (_name, i) => {
    for (let seed = 1; seed <= 4; seed++) {
      const n = 1 + seed;
      const g = new GraphBuilder({ seed, float32: false }, { name: 'input', shape: [1, n] });
      const out = CASES[i][1](g, n);
      const spec = g.finish(out, 'edge');
      const c: BoundsCase = { seed, family: 'dense-relu', label: `${CASES[i][0]} (seed ${seed})`, spec, net: buildFromSpec(spec), pwl: false };
      c.pwl = isPiecewiseLinear(c.net);
      const rng = new Rng(seed);
      const regs = [randomBox(rng, n, [0.1, 2]), randomBall(rng, n)];
      for (const reg of regs) {
        const smp = evalSamples(c.net, samplePoints(rng, reg, 2000));
        for (const method of METHODS) {
          const res = await boundsOf(c, reg.region, method);
          expect(checkBounds(c.net, res, 0, smp, { pwl: c.pwl, nodes: method !== 'lp', what: `${method} on ${reg.label}` }), c.label).toEqual([]);
        }
      }
    }
  });
});

describe('bounds with ReLU splits and parent bounds', () => {
  it.each(Array.from({ length: 16 }, (_, i) => i + 1))('net #%i: split domains contain the samples that satisfy the split', async (seed) => {
    // The first network (from this seed on) with unstable ReLU inputs over a wide box.
    let c!: BoundsCase, reg!: ReturnType<typeof randomBox>;
    const rng = new Rng(seed);
    const unstable: [number, number][] = [];
    for (let t = 0; unstable.length === 0 && t < 20; t++) {
      c = randomBoundsCase(8000 + 100 * t + seed, seed % 3 === 0 ? 'residual' : seed % 3 === 1 ? 'dense-relu' : 'dense-leaky', { maxWidth: 24, maxLayers: 4 });
      reg = randomBox(rng, c.net.inputSize, [0.5, 2]);
      const ib = await computeBounds({ net: c.net, region: reg.region }, 'crown');
      c.net.nodes.forEach((node, k) => {
        if (!node.kind.breakpoints) return;
        const lo = ib.nodes.lo[node.inputs[0]]!, hi = ib.nodes.hi[node.inputs[0]]!;
        for (let j = 0; j < lo.length; j++) if (lo[j] < 0 && hi[j] > 0) unstable.push([k, j]);
      });
    }
    expect(unstable.length, 'unstable ReLU inputs').toBeGreaterThan(0);
    const xs = samplePoints(rng, reg, 4000);
    const all = forwardAll(c.net, xs, xs.length / c.net.inputSize);
    // Four domains: two random unstable neurons, each split both ways (D = 4 in one batch).
    const picks = [unstable[rng.int(unstable.length)], unstable[rng.int(unstable.length)]];
    const splits: SplitSet = new Map();
    const D = 4;
    picks.forEach(([k]) => {
      const size = c.net.values[c.net.nodes[k].inputs[0]].size;
      if (!splits.has(k)) splits.set(k, new Int8Array(D * size));
    });
    picks.forEach(([k, j], p) => {
      const size = c.net.values[c.net.nodes[k].inputs[0]].size;
      splits.get(k)![(2 * p) * size + j] = 1;
      splits.get(k)![(2 * p + 1) * size + j] = -1;
    });
    const lo = new Float64Array(D * c.net.inputSize), hi = new Float64Array(D * c.net.inputSize);
    for (let d = 0; d < D; d++) { lo.set(reg.region.lo, d * c.net.inputSize); hi.set(reg.region.hi, d * c.net.inputSize); }
    const region: BatchRegion = { batch: D, lo, hi };
    const fails: string[] = [];
    let checked = 0;
    for (const [method, intermediate] of [...METHODS.map((mt) => [mt, undefined] as const), ['crown', 'forward'] as const, ['crown', 'backward'] as const]) {
      const res = await computeBounds({ net: c.net, region, splits, intermediate }, method);
      for (let d = 0; d < D; d++) {
        const [k, j] = picks[d >> 1];
        const sign = d % 2 === 0 ? 1 : -1;
        const pre = all[c.net.nodes[k].inputs[0]], size = c.net.values[c.net.nodes[k].inputs[0]].size;
        // Samples on the split's side (with a margin, so that rounding cannot put one on the wrong side).
        const keep: number[] = [];
        for (let s = 0; s < xs.length / c.net.inputSize; s++) if (sign * pre[s * size + j] > 1e-9) keep.push(s);
        if (keep.length === 0) continue;
        checked++;
        const n = c.net.inputSize;
        const sub = new Float64Array(keep.length * n);
        keep.forEach((s, i) => sub.set(xs.subarray(s * n, (s + 1) * n), i * n));
        const smp = evalSamples(c.net, sub);
        fails.push(...checkBounds(c.net, res, d, smp, { pwl: c.pwl, nodes: false, what: `${method}${intermediate ? `[${intermediate}]` : ''} split ${sign > 0 ? '+' : '-'} node ${k}[${j}]` }));
      }
    }
    expect(fails, c.label).toEqual([]);
    expect(checked, 'split domains with samples on their side').toBeGreaterThanOrEqual(3);
  });

  it.each(Array.from({ length: 10 }, (_, i) => i + 1))('net #%i: a sub-box bounded with its parent box\'s node bounds contains its samples', async (seed) => {
    const c = randomBoundsCase(8500 + seed, seed % 2 ? 'dense-relu' : 'dense-tanh', { maxWidth: 24, maxLayers: 4 });
    const rng = new Rng(seed);
    const parentReg = randomBox(rng, c.net.inputSize, [0.1, 2]);
    const n = c.net.inputSize;
    const lo = new Float64Array(n), hi = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = rng.uniform(parentReg.region.lo[i], parentReg.region.hi[i]), b = rng.uniform(parentReg.region.lo[i], parentReg.region.hi[i]);
      lo[i] = Math.max(parentReg.region.lo[i], Math.min(a, b));
      hi[i] = Math.min(parentReg.region.hi[i], Math.max(a, b));
    }
    const child = { label: 'sub-box', region: { batch: 1, lo, hi } };
    const smp = evalSamples(c.net, samplePoints(rng, child, 3000));
    const fails: string[] = [];
    for (const [method, intermediate] of [...METHODS.map((mt) => [mt, undefined] as const), ['crown', 'forward'] as const, ['crown', 'backward'] as const]) {
      const parent = (await computeBounds({ net: c.net, region: parentReg.region, intermediate }, method)).nodes;
      const res = await computeBounds({ net: c.net, region: child.region, parent, intermediate }, method);
      fails.push(...checkBounds(c.net, res, 0, smp, { pwl: c.pwl, nodes: true, what: `${method}${intermediate ? `[${intermediate}]` : ''} with parent` }));
    }
    expect(fails, c.label).toEqual([]);
  });
});

describe('logs', () => {
  it('float64 samples outside a bound were all inside in exact arithmetic (or within the S-shaped slack)', () => {
    console.info(`[bounds/soundness] float64 values outside a bound: ${checkStats.floatOutside} (exactly inside: ${checkStats.exactInside}, within the Sigmoid/Tanh forward slack: ${checkStats.slackInside})`);
    expect(checkStats.exactInside + checkStats.slackInside).toBeLessThanOrEqual(checkStats.floatOutside);
  });
});

describe.skipIf(!HAVE_LP)('lp', () => {
  it.each([1, 2, 3, 4, 5, 6])('with intermediate LP tightening (net #%i): sound outputs and intermediate bounds', async (seed) => {
    const c = randomBoundsCase(9500 + seed, seed % 2 ? 'dense-relu' : 'residual', { maxWidth: 12, maxLayers: 4 });
    const rng = new Rng(seed);
    const reg = randomBox(rng, c.net.inputSize, [0.1, 2]);
    const rows = randomRows(rng, c.net.outputSize);
    const smp = evalSamples(c.net, samplePoints(rng, reg, 5000), rows.C, rows.cOffset);
    const res = await computeBounds({ net: c.net, region: reg.region, C: rows.C, cOffset: rows.cOffset }, 'lp', { lp: { intermediate: true, timeLimit: 5 } });
    expect(checkBounds(c.net, res, 0, smp, { C: rows.C, cOffset: rows.cOffset, pwl: c.pwl, nodes: true, what: 'lp (intermediate)' }), c.label).toEqual([]);
    const cr = await computeBounds({ net: c.net, region: reg.region, C: rows.C, cOffset: rows.cOffset }, 'crown');
    for (let r = 0; r < res.rows; r++) {
      expect(res.lower[r]).toBeGreaterThanOrEqual(cr.lower[r]);
      expect(res.upper[r]).toBeLessThanOrEqual(cr.upper[r]);
    }
  });

  it('proved most of its LPs through their duals (it did not only fall back to CROWN)', () => {
    if (lpTotals.calls === 0) return; // the random-network tests were filtered out
    console.info(`[bounds/soundness] lp: ${lpTotals.calls} calls, ${lpTotals.proved} LPs proved, ${lpTotals.fallback} fell back to CROWN, ${lpTotals.seconds.toFixed(1)} s`);
    expect(lpTotals.proved).toBeGreaterThan(lpTotals.fallback);
  });
});
