/**
 * Random networks, input regions and samplers for the bound-propagation tests
 * (test/bounds/*.test.ts), on top of the network generators of random_net.ts.
 *
 * - {@link randomBoundsCase}: a seeded random network of one of several families (dense ReLU,
 *   LeakyRelu, Sigmoid, Tanh; residual with an Add of two dynamic branches; Sub/Div input
 *   normalisation with BatchNormalization; small conv nets), 1–6 affine layers, widths 2–64.
 * - {@link randomBox} / {@link randomBall}: regions of random widths (1e-6 to 2), balls in the
 *   L∞/L2/L1 norms with and without a [0, 1] domain box.
 * - {@link samplePoints}: points inside a region (uniform in a box; inside ball ∩ domain for a
 *   ball) plus its extreme points (box corners: all for ≤ 10 inputs, else 256 random ones).
 * - {@link checkBounds}: every sampled output (and every intermediate value) inside the bounds;
 *   a float64 value outside is re-evaluated EXACTLY in rationals (piecewise-linear nets), since
 *   the bounds are about the real-arithmetic network and the float forward pass rounds.
 */
import type { BatchRegion, BoundsResult, Norm } from '../../src/bounds/types.js';
import { forwardAll } from '../../src/net/forward.js';
import type { GraphSpec } from '../../src/net/graph.js';
import type { Network } from '../../src/net/network.js';
import { addDown, addUp } from '../../src/util/float.js';
import { compileExact, exactRows, isPiecewiseLinear, Q, qVec } from './exact.js';
import { buildFromSpec, GraphBuilder, randomConvNet, randomDense, randomNormalized, randomResidual, Rng, type Activation, type ConvLayer } from './random_net.js';

export type NetFamily = 'dense-relu' | 'dense-leaky' | 'dense-sigmoid' | 'dense-tanh' | 'residual' | 'normalized' | 'conv' | 'mixed';

export interface BoundsCase {
  seed: number;
  family: NetFamily;
  /** Human-readable description (family, sizes, options). */
  label: string;
  spec: GraphSpec;
  net: Network;
  /** Every op is affine, Relu or LeakyRelu (exact rational re-evaluation is possible). */
  pwl: boolean;
}

/** log-uniform in [a, b]. */
export function logUniform(rng: Rng, a: number, b: number): number {
  return Math.exp(rng.uniform(Math.log(a), Math.log(b)));
}

/** Integer uniform in [a, b]. */
export function intIn(rng: Rng, a: number, b: number): number {
  return a + rng.int(b - a + 1);
}

/** Integer log-uniform-ish in [a, b] (small values as likely as large ones on a log scale). */
function widthIn(rng: Rng, a: number, b: number): number {
  return Math.min(b, Math.max(a, Math.round(logUniform(rng, a, b))));
}

/** Input counts: mostly ≤ 10 (every corner is checked), sometimes more (random corners). */
function inputCount(rng: Rng): number {
  return rng.next() < 0.75 ? intIn(rng, 1, 10) : intIn(rng, 11, 24);
}

const ACTS: Record<string, Activation> = { 'dense-relu': 'Relu', 'dense-leaky': 'LeakyRelu', 'dense-sigmoid': 'Sigmoid', 'dense-tanh': 'Tanh' };

/**
 * A random network of the family (seeded: the same arguments give the same network).
 * Dense nets have 1–6 affine layers of widths 2–64; the others are smaller variations.
 */
export function randomBoundsCase(seed: number, family: NetFamily, opts: { maxWidth?: number; maxLayers?: number } = {}): BoundsCase {
  const rng = new Rng(seed * 7919 + 17);
  const maxW = opts.maxWidth ?? 64, maxL = opts.maxLayers ?? 6;
  const float32 = rng.next() < 0.5;
  const weightScale = logUniform(rng, 0.5, 2.5);
  const common = { seed, float32, weightScale, leakyAlpha: rng.uniform(0.01, 0.5) };
  let spec: GraphSpec;
  let label: string;
  let simplify = false;
  switch (family) {
    case 'dense-relu':
    case 'dense-leaky':
    case 'dense-sigmoid':
    case 'dense-tanh': {
      const layers = intIn(rng, 1, maxL);
      const widths = Array.from({ length: layers - 1 }, () => widthIn(rng, 2, maxW));
      const inputs = inputCount(rng), outputs = intIn(rng, 1, 5);
      spec = randomDense({ ...common, inputs, widths, outputs, act: ACTS[family] });
      label = `${family} ${inputs}-${widths.join('-')}${widths.length ? '-' : ''}${outputs}`;
      break;
    }
    case 'residual': {
      const act: Activation = (['Relu', 'Relu', 'LeakyRelu', 'Tanh'] as const)[rng.int(4)];
      const inputs = inputCount(rng), width = widthIn(rng, 2, Math.min(maxW, 32)), blocks = intIn(rng, 1, 2), outputs = intIn(rng, 1, 4);
      spec = randomResidual({ ...common, inputs, width, blocks, outputs, act });
      label = `residual ${act} in ${inputs} width ${width} blocks ${blocks} out ${outputs}`;
      break;
    }
    case 'normalized': {
      const act: Activation = (['Relu', 'LeakyRelu', 'Sigmoid'] as const)[rng.int(3)];
      const channels = intIn(rng, 1, 2), height = intIn(rng, 1, 3), width = intIn(rng, 2, 3);
      const widths = Array.from({ length: intIn(rng, 1, Math.min(3, maxL - 1)) }, () => widthIn(rng, 2, Math.min(maxW, 32)));
      const outputs = intIn(rng, 1, 4);
      simplify = rng.next() < 0.5;
      spec = randomNormalized({ ...common, channels, height, width, widths, outputs, act });
      label = `normalized ${act} ${channels}x${height}x${width} widths ${widths.join('-')} out ${outputs}${simplify ? ' (simplified)' : ''}`;
      break;
    }
    case 'conv': {
      const act: Activation = (['Relu', 'Relu', 'LeakyRelu', 'Sigmoid'] as const)[rng.int(4)];
      const channels = intIn(rng, 1, 2), height = intIn(rng, 4, 6), width = intIn(rng, 4, 6);
      const convs: ConvLayer[] = [];
      const nConv = intIn(rng, 1, 2);
      let h = height, w = width;
      for (let l = 0; l < nConv; l++) {
        const kernel = Math.min(h, w, intIn(rng, 2, 3));
        const pad = rng.next() < 0.3 ? 1 : 0;
        const stride = rng.next() < 0.3 ? 2 : 1;
        const layer: ConvLayer = { channels: intIn(rng, 2, 4), kernel, pads: [pad, pad, pad, pad], strides: [stride, stride], batchNorm: rng.next() < 0.4 };
        const oh = Math.floor((h + 2 * pad - kernel) / stride) + 1, ow = Math.floor((w + 2 * pad - kernel) / stride) + 1;
        if (oh < 1 || ow < 1) break;
        convs.push(layer);
        h = oh; w = ow;
      }
      const outputs = intIn(rng, 1, 4);
      simplify = rng.next() < 0.5;
      spec = randomConvNet({ ...common, channels, height, width, convs, outputs, act });
      label = `conv ${act} ${channels}x${height}x${width} convs ${convs.map((c) => `${c.channels}k${c.kernel}s${c.strides![0]}p${c.pads![0]}${c.batchNorm ? 'bn' : ''}`).join(',')} out ${outputs}${simplify ? ' (simplified)' : ''}`;
      break;
    }
    case 'mixed': {
      const act: Activation = (['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh'] as const)[rng.int(4)];
      const inputs = intIn(rng, 1, 8);
      spec = randomMixed({ ...common, inputs, act, maxWidth: Math.min(maxW, 16) });
      simplify = rng.next() < 0.5;
      label = `mixed ops ${act} in ${inputs}${simplify ? ' (simplified)' : ''}`;
      break;
    }
  }
  label += `${float32 ? '' : ' f64'} scale ${weightScale.toFixed(2)} seed ${seed}`;
  const net = buildFromSpec(spec, { simplify });
  return { seed, family, label, spec, net, pwl: isPiecewiseLinear(net) };
}

/**
 * A net mixing the other affine ops and broadcasting forms: MatMul with a constant on the right
 * (2-D, and 1-D at the end) and on the left, Add/Sub/Mul/Div by constants of broadcast shapes,
 * Sub of two dynamic tensors with one broadcast, Add of a value to itself, Gather (with repeated
 * indices), Concat with a constant part, Reshape, Flatten, Identity, Dropout, Gemm with transA.
 */
export function randomMixed(o: { seed: number; float32?: boolean; weightScale?: number; leakyAlpha?: number; inputs: number; act: Activation; maxWidth: number }): GraphSpec {
  const g = new GraphBuilder(o, { name: 'input', shape: [1, o.inputs] });
  const r = g.rng;
  const w = intIn(r, 2, o.maxWidth), w2 = intIn(r, 2, o.maxWidth), k = intIn(r, 1, 3), M = intIn(r, 2, o.maxWidth);
  const act = (name: string, x: string) => g.activation(o.act, name, x);
  // h = act(input·W + b): MatMul with a 2-D constant, Add of a [w] bias.
  let h = g.node('MatMul', 'mm1', ['input', g.randomConstant('mm1.W', [o.inputs, w], 1 / Math.sqrt(o.inputs))]);
  h = g.node('Add', 'mm1.bias', [h, g.randomConstant('mm1.b', [w], 0.1)]);
  const a = act('act1', h);
  // Branch 1: a·W2 + b2 ([1, w2]).
  let b1 = g.node('MatMul', 'mm2', [a, g.randomConstant('mm2.W', [w, w2], Math.SQRT2 / Math.sqrt(w))]);
  b1 = g.node('Add', 'mm2.bias', [g.randomConstant('mm2.b', [1, w2], 0.1), b1]);
  // Branch 2: ((a ⊙ c − s) / d) gathered to w2 elements (indices may repeat).
  let b2 = g.node('Mul', 'scale', [g.uniformConstant('scale.c', [w], -1.5, 1.5), a]);
  b2 = g.node('Sub', 'shift', [b2, g.uniformConstant('shift.s', [], -0.5, 0.5)]);
  b2 = g.node('Div', 'div', [b2, g.uniformConstant('div.d', [1, w], 0.5, 2)]);
  const idx = Array.from({ length: w2 }, () => r.int(w));
  b2 = g.node('Gather', 'gather', [b2, g.constant('gather.idx', [w2], idx, 'int64')], { axis: 1 });
  // Branch 3: one element of a, broadcast against [1, w2] in a dynamic Sub.
  const b3 = g.node('Gather', 'pick', [a, g.constant('pick.idx', [1], [r.int(w)], 'int64')], { axis: 1 });
  const joinKind = r.int(4);
  let j = joinKind === 0 ? g.node('Add', 'join', [b1, b2]) : joinKind === 1 ? g.node('Sub', 'join', [b1, b2]) : joinKind === 2 ? g.node('Add', 'join', [b1, b1]) : g.node('Sub', 'join', [b1, b3]);
  j = act('act2', j);
  // Concat with a constant block, reshape to [1, w2 + k, 1], constant on the left of a MatMul.
  let c = g.node('Concat', 'cat', [j, g.uniformConstant('cat.const', [1, k], -1, 1)], { axis: 1 });
  c = g.node('Reshape', 'reshape', [c, g.constant('reshape.shape', [3], [1, w2 + k, 1], 'int64')]);
  c = g.node('MatMul', 'mm3', [g.randomConstant('mm3.W', [M, w2 + k], Math.SQRT2 / Math.sqrt(w2 + k)), c]);
  c = g.node('Flatten', 'flatten', [c], { axis: 1 });
  c = g.node('Identity', 'id', [c]);
  c = act('act3', c);
  c = g.node('Dropout', 'dropout', [c]);
  // Gemm with transA: [1, M]ᵀ·[1, 1] + [1] → [M, 1], then a 1-D MatMul to one output, or a Gemm.
  c = g.node('Gemm', 'gemmT', [c, g.uniformConstant('gemmT.B', [1, 1], 0.5, 1.5), g.uniformConstant('gemmT.C', [1], -0.1, 0.1)], { transA: 1 });
  c = g.node('Reshape', 'rows', [c, g.constant('rows.shape', [2], [1, M], 'int64')]);
  const out = r.next() < 0.5
    ? g.node('MatMul', 'head', [c, g.randomConstant('head.W', [M], 1 / Math.sqrt(M))])
    : g.gemm('head', c, M, intIn(r, 1, 4), 1);
  return g.finish(out, 'mixed');
}

// ---------------------------------------------------------------------------------------------
// Regions

/** A region of the tests: its batch-1 BatchRegion and what to sample. */
export interface TestRegion {
  label: string;
  region: BatchRegion;
  ball?: { center: Float64Array; radius: number; norm: Norm; domain?: { lo: Float64Array; hi: Float64Array } };
}

/**
 * A random box: centre uniform in [−1, 1] (or [0, 1]), half-width per input log-uniform around
 * a random scale (log-uniform in `scaleRange`, default 1e-6 to 2), with an occasional
 * zero-width (fixed) input.
 */
export function randomBox(rng: Rng, n: number, scaleRange: [number, number] = [1e-6, 2]): TestRegion {
  const scale = logUniform(rng, scaleRange[0], scaleRange[1]);
  const lo = new Float64Array(n), hi = new Float64Array(n);
  const pos = rng.next() < 0.3;
  for (let i = 0; i < n; i++) {
    const c = pos ? rng.next() : rng.uniform(-1, 1);
    const w = rng.next() < 0.05 ? 0 : scale * logUniform(rng, 0.25, 1);
    lo[i] = c - w / 2;
    hi[i] = lo[i] + w;
    if (!(hi[i] >= lo[i])) hi[i] = lo[i];
  }
  return { label: `box width ${scale.toExponential(1)}`, region: { batch: 1, lo, hi } };
}

/**
 * A random ball ‖x − c‖_p ≤ r (radius log-uniform 1e-6 to 1), with the [0, 1] domain box half
 * the time (the centre then lies in [0, 1]). Its BatchRegion is the box hull c ± r rounded
 * outward, intersected with the domain, with `ball` set (as src/spec/region.ts builds it).
 */
export function randomBall(rng: Rng, n: number, norm?: Norm): TestRegion {
  const p: Norm = norm ?? (['inf', '2', '1'] as const)[rng.int(3)];
  const radius = logUniform(rng, 1e-6, 1);
  const withDomain = rng.next() < 0.5;
  const center = new Float64Array(n);
  for (let i = 0; i < n; i++) center[i] = withDomain ? (rng.next() < 0.2 ? rng.int(2) : rng.next()) : rng.uniform(-1, 1);
  const domain = withDomain ? { lo: new Float64Array(n), hi: new Float64Array(n).fill(1) } : undefined;
  return { label: `L${p} ball r ${radius.toExponential(1)}${withDomain ? ' ∩ [0,1]' : ''}`, ...ballRegion(center, radius, p, domain) };
}

/** The BatchRegion of a ball (hull rounded outward, ∩ domain). */
export function ballRegion(center: Float64Array, radius: number, norm: Norm, domain?: { lo: Float64Array; hi: Float64Array }): Omit<TestRegion, 'label'> {
  const n = center.length;
  const lo = new Float64Array(n), hi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lo[i] = addDown(center[i], -radius);
    hi[i] = addUp(center[i], radius);
    if (domain) {
      lo[i] = Math.max(lo[i], domain.lo[i]);
      hi[i] = Math.min(hi[i], domain.hi[i]);
    }
  }
  return { region: { batch: 1, lo, hi, ball: { center: Float64Array.from(center), radius, norm } }, ball: { center, radius, norm, domain } };
}

/** Several batch-1 regions of the same kind stacked into one batch (balls must share radius and norm). */
export function stackRegions(regs: TestRegion[]): BatchRegion {
  const lo = new Float64Array(regs.reduce((s, r) => s + r.region.lo.length, 0));
  const hi = new Float64Array(lo.length);
  let o = 0;
  for (const r of regs) {
    lo.set(r.region.lo, o);
    hi.set(r.region.hi, o);
    o += r.region.lo.length;
  }
  const b0 = regs[0].region.ball;
  if (!b0) return { batch: regs.length, lo, hi };
  const center = new Float64Array(lo.length);
  regs.forEach((r, d) => center.set(r.region.ball!.center, d * r.region.lo.length));
  return { batch: regs.length, lo, hi, ball: { center, radius: b0.radius, norm: b0.norm } };
}

// ---------------------------------------------------------------------------------------------
// Sampling

/** The corners of a box: all 2^n for n ≤ maxAll, else `random` random ones (count × n). */
export function boxCorners(rng: Rng, lo: Float64Array, hi: Float64Array, maxAll = 10, random = 256): Float64Array {
  const n = lo.length;
  if (n <= maxAll) {
    const count = 2 ** n;
    const out = new Float64Array(count * n);
    for (let c = 0; c < count; c++) for (let i = 0; i < n; i++) out[c * n + i] = (c >> i) & 1 ? hi[i] : lo[i];
    return out;
  }
  const out = new Float64Array(random * n);
  for (let c = 0; c < random; c++) for (let i = 0; i < n; i++) out[c * n + i] = rng.next() < 0.5 ? lo[i] : hi[i];
  return out;
}

/** Shrink factor for points of a ball, so that their rounding cannot leave the real ball. */
const BALL_SHRINK = 1 - 2 ** -30;

/**
 * `count` points of the region (count × n) followed by its extreme points: for a box (and an
 * L∞ ball, whose region is its box), uniform points and the corners; for an L2/L1 ball,
 * uniform points in the ball (Gaussian/Laplace direction, radius r·U^(1/n)), its vertices
 * c ± r·e_i and (L2) points c + r·s/√n for random sign vectors s, each clamped into the
 * domain box (clamping moves a point towards the centre on every axis, so it stays in the ball).
 */
export function samplePoints(rng: Rng, reg: TestRegion, count: number): Float64Array {
  const { lo, hi } = reg.region;
  const n = lo.length;
  const ball = reg.ball;
  if (!ball || ball.norm === 'inf') {
    const corners = boxCorners(rng, lo, hi);
    const out = new Float64Array(count * n + corners.length);
    for (let s = 0; s < count; s++) {
      for (let i = 0; i < n; i++) {
        const v = lo[i] + (hi[i] - lo[i]) * rng.next();
        out[s * n + i] = v < lo[i] ? lo[i] : v > hi[i] ? hi[i] : v;
      }
    }
    out.set(corners, count * n);
    return out;
  }
  const { center, radius, norm, domain } = ball;
  const r = radius * BALL_SHRINK;
  const pts: number[][] = [];
  const dir = new Float64Array(n);
  for (let s = 0; s < count; s++) {
    let len = 0;
    for (let i = 0; i < n; i++) {
      if (norm === '2') { dir[i] = rng.normal(); len += dir[i] * dir[i]; } else {
        const e = -Math.log(1 - rng.next());
        dir[i] = rng.next() < 0.5 ? -e : e;
        len += e;
      }
    }
    if (norm === '2') len = Math.sqrt(len);
    if (!(len > 0)) { pts.push(Array.from(center)); continue; }
    // A fifth of the points on the sphere itself, the rest uniform in the ball.
    const t = s % 5 === 0 ? 1 : rng.next() ** (1 / n);
    pts.push(Array.from(dir, (d, i) => center[i] + (r * t * d) / len));
  }
  for (let i = 0; i < n; i++) for (const sg of [-1, 1]) { const p = Array.from(center); p[i] += sg * r; pts.push(p); }
  if (norm === '2') {
    const rs = r / Math.sqrt(n) * BALL_SHRINK;
    for (let k = 0; k < 64; k++) pts.push(Array.from(center, (c) => c + (rng.next() < 0.5 ? -rs : rs)));
  }
  const out = new Float64Array(pts.length * n);
  pts.forEach((p, s) => {
    for (let i = 0; i < n; i++) {
      let v = p[i];
      if (domain) v = Math.min(domain.hi[i], Math.max(domain.lo[i], v));
      out[s * n + i] = v;
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checking

/** Random specification rows: R × m entries in [−1, 1] (some zero), and an offset per row. */
export function randomRows(rng: Rng, m: number, R = intIn(rng, 1, 4)): { C: Float64Array; cOffset: Float64Array } {
  const C = new Float64Array(R * m);
  for (let i = 0; i < C.length; i++) C[i] = rng.next() < 0.2 ? 0 : rng.uniform(-1, 1);
  const cOffset = new Float64Array(R);
  for (let r = 0; r < R; r++) cOffset[r] = rng.next() < 0.3 ? 0 : rng.uniform(-3, 3);
  return { C, cOffset };
}

/** Forward values of every sample, computed once and shared by the checks of several methods. */
export interface Samples {
  /** count × n inputs. */
  xs: Float64Array;
  count: number;
  /** Every value (index = value id), count × size. */
  vals: Float64Array[];
  /** The rows C·y + cOffset per sample in float64 (count × R). */
  rows: Float64Array;
  R: number;
  /** Per value id (and 'rows'): elementwise min and max over the samples, computed on first use. */
  ranges: Map<number | 'rows', { min: Float64Array; max: Float64Array }>;
}

/** Elementwise min/max over the samples of a count × size array (cached in `smp.ranges`). */
function rangeOf(smp: Samples, key: number | 'rows', v: Float64Array, size: number): { min: Float64Array; max: Float64Array } {
  let r = smp.ranges.get(key);
  if (r) return r;
  const min = new Float64Array(size).fill(Infinity), max = new Float64Array(size).fill(-Infinity);
  for (let s = 0; s < smp.count; s++) {
    const o = s * size;
    for (let j = 0; j < size; j++) {
      const x = v[o + j];
      if (x < min[j]) min[j] = x;
      if (x > max[j]) max[j] = x;
      if (x !== x) { min[j] = NaN; max[j] = NaN; }
    }
  }
  r = { min, max };
  smp.ranges.set(key, r);
  return r;
}

/** Float64 rows C·y + cOffset for every sample. */
export function evalSamples(net: Network, xs: Float64Array, C?: Float64Array, cOffset?: Float64Array): Samples {
  const n = net.inputSize, m = net.outputSize;
  const count = xs.length / n;
  const vals = forwardAll(net, xs, count);
  const y = vals[net.outputIds[0]];
  const R = C ? C.length / m : m;
  const rows = new Float64Array(count * R);
  for (let s = 0; s < count; s++) {
    for (let r = 0; r < R; r++) {
      let v = cOffset ? cOffset[r] : 0;
      if (C) for (let j = 0; j < m; j++) v += C[r * m + j] * y[s * m + j];
      else v += y[s * m + r];
      rows[s * R + r] = v;
    }
  }
  return { xs, count, vals, rows, R, ranges: new Map() };
}

/**
 * Tolerance for nets the exact evaluator cannot handle (Sigmoid/Tanh): the float64 forward
 * pass itself rounds, so a float value may leave a (real-arithmetic) bound by that much.
 */
function floatSlack(v: number, scale: number): number {
  return 1e-12 * (Math.abs(v) + scale);
}

/** How often a float64 sample fell outside a bound, and how each case was settled (for the logs). */
export const checkStats = { floatOutside: 0, exactInside: 0, slackInside: 0 };

/**
 * Check that the rows' bounds of domain `d` contain the sampled rows, and (optionally) that the
 * node bounds contain every sampled intermediate value. A float64 value outside a bound is
 * re-evaluated exactly (pwl nets) — only an exact value outside is a failure — or, for S-shaped
 * nets, allowed within the forward pass's rounding slack. Returns failure messages (empty: ok).
 */
export function checkBounds(
  net: Network,
  res: BoundsResult,
  d: number,
  smp: Samples,
  opts: { C?: Float64Array; cOffset?: Float64Array; pwl: boolean; nodes?: boolean; what: string },
): string[] {
  const fails: string[] = [];
  const R = res.rows;
  if (R !== smp.R) return [`${opts.what}: ${R} rows, expected ${smp.R}`];
  const n = net.inputSize;
  const xAt = (s: number) => smp.xs.subarray(s * n, (s + 1) * n);
  const rr = rangeOf(smp, 'rows', smp.rows, R);
  for (let r = 0; r < R; r++) {
    const lo = res.lower[d * R + r], hi = res.upper[d * R + r];
    if (Number.isNaN(lo) || Number.isNaN(hi)) { fails.push(`${opts.what}: row ${r} has a NaN bound [${lo}, ${hi}]`); continue; }
    if (rr.min[r] >= lo && rr.max[r] <= hi) continue; // every sample inside (the common case)
    let scale = 0;
    for (let s = 0; s < smp.count; s++) scale = Math.max(scale, Math.abs(smp.rows[s * R + r]));
    for (let s = 0; s < smp.count && fails.length < 5; s++) {
      const v = smp.rows[s * R + r];
      if (v >= lo && v <= hi) continue;
      checkStats.floatOutside++;
      if (opts.pwl) {
        const exact = exactRows(compileExact(net).evaluate(qVec(xAt(s))), opts.C, opts.cOffset)[r];
        if (Q.fromFloat(lo).le(exact) && exact.le(Q.fromFloat(hi))) { checkStats.exactInside++; continue; }
        fails.push(`${opts.what}: row ${r}: exact value ${exact.toNumber()} (float ${v}) at x = [${Array.from(xAt(s))}] is outside [${lo}, ${hi}]`);
      } else {
        const slack = floatSlack(v, scale);
        if (v >= lo - slack && v <= hi + slack) { checkStats.slackInside++; continue; }
        fails.push(`${opts.what}: row ${r}: value ${v} at x = [${Array.from(xAt(s))}] is outside [${lo}, ${hi}] (by ${v < lo ? lo - v : v - hi})`);
      }
    }
  }
  if (opts.nodes) {
    for (let id = 0; id < net.values.length && fails.length < 5; id++) {
      const blo = res.nodes.lo[id], bhi = res.nodes.hi[id];
      if (!blo || !bhi) continue;
      const size = net.values[id].size;
      const v = smp.vals[id];
      const vr = rangeOf(smp, id, v, size);
      let inside = true;
      for (let j = 0; j < size && inside; j++) inside = vr.min[j] >= blo[d * size + j] && vr.max[j] <= bhi[d * size + j];
      if (inside) continue;
      let scale = 0;
      for (let i = 0; i < v.length; i++) scale = Math.max(scale, Math.abs(v[i]));
      for (let s = 0; s < smp.count && fails.length < 5; s++) {
        for (let j = 0; j < size; j++) {
          const x = v[s * size + j], l = blo[d * size + j], h = bhi[d * size + j];
          if (x >= l && x <= h) continue;
          checkStats.floatOutside++;
          if (opts.pwl) {
            const exact = compileExact(net).evaluateAll(qVec(xAt(s)))[id][j];
            if (Q.fromFloat(l).le(exact) && exact.le(Q.fromFloat(h))) { checkStats.exactInside++; continue; }
            fails.push(`${opts.what}: value '${net.values[id].name}'[${j}]: exact ${exact.toNumber()} (float ${x}) at x = [${Array.from(xAt(s))}] is outside node bounds [${l}, ${h}]`);
          } else {
            const slack = floatSlack(x, scale);
            if (x >= l - slack && x <= h + slack) { checkStats.slackInside++; continue; }
            fails.push(`${opts.what}: value '${net.values[id].name}'[${j}] = ${x} at x = [${Array.from(xAt(s))}] is outside node bounds [${l}, ${h}]`);
          }
        }
      }
    }
  }
  return fails;
}
