/**
 * Feature robustness (DeepGame's second game): partition the input into features and compute,
 * for each feature alone, the maximum safe radius interval when only that feature's inputs may
 * change (the others stay at x0). Each interval carries `radius`'s guarantees: `lower` proved,
 * `upper` the distance of a re-checked adversarial example that changes only that feature.
 *
 * Partitions:
 * - `saliency`: DeepGame's saliency partition: every input is set to the domain's low and high
 *   end (0 and 1 by default) in turn, its saliency is the largest drop of the label's output,
 *   inputs are sorted by saliency (most salient first) and cut into `parts` features of equal size.
 * - `grid:HxW`: image patches of H×W pixels (all channels of a pixel in the same patch).
 * - a JSON file: an array of index arrays, or an object {"name": [indices], ...}.
 */
import { readFileSync } from 'node:fs';
import { forward } from '../net/forward.js';
import type { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import { radius, type RadiusOptions, type RadiusResult } from './radius.js';

/** One feature: a name and the input indices it moves. */
export interface Feature {
  name: string;
  indices: number[];
}

/** A feature's MSR interval. */
export interface FeatureRadius {
  feature: string;
  indices: number[];
  lower: number;
  upper: number;
  result: RadiusResult;
}

/** An image layout of the input: height, width, channels and where a (row, col, channel) sits. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
  /** 'chw' for [1, C, H, W] inputs, 'hwc' otherwise (flat 784 = 28×28×1). */
  order: 'chw' | 'hwc';
}

/**
 * The input as an image, when it looks like one: a [.., C, H, W] input with C ≤ 4, else a flat
 * input of 784 values (28×28), else null.
 */
export function imageShape(net: Network): ImageShape | null {
  const s = net.input.shape.filter((d) => d !== 1);
  const full = net.input.shape;
  if (full.length === 4 && full[1] <= 4 && full[2] > 1 && full[3] > 1) return { channels: full[1], height: full[2], width: full[3], order: 'chw' };
  if (s.length === 2 && s[0] > 1 && s[1] > 1 && net.inputSize === s[0] * s[1]) return { channels: 1, height: s[0], width: s[1], order: 'hwc' };
  if (net.inputSize === 784) return { channels: 1, height: 28, width: 28, order: 'hwc' };
  return null;
}

/** Index of (row, col, channel) in the flat input. */
export function pixelIndex(img: ImageShape, row: number, col: number, ch: number): number {
  return img.order === 'chw' ? (ch * img.height + row) * img.width + col : (row * img.width + col) * img.channels + ch;
}

/** Patches of ph×pw pixels (the last row/column of patches may be smaller). */
export function gridFeatures(img: ImageShape, ph: number, pw: number): Feature[] {
  const out: Feature[] = [];
  for (let r0 = 0; r0 < img.height; r0 += ph) {
    for (let c0 = 0; c0 < img.width; c0 += pw) {
      const indices: number[] = [];
      for (let r = r0; r < Math.min(r0 + ph, img.height); r++) for (let c = c0; c < Math.min(c0 + pw, img.width); c++) for (let ch = 0; ch < img.channels; ch++) indices.push(pixelIndex(img, r, c, ch));
      out.push({ name: `patch(${r0},${c0})`, indices: indices.sort((a, b) => a - b) });
    }
  }
  return out;
}

/**
 * DeepGame's saliency partition: each input set to `low` and to `high` (batched forward
 * passes), saliency = the largest drop of y_label, sorted most salient first, cut into `parts`
 * features of (nearly) equal size.
 */
export function saliencyFeatures(net: Network, x0: Float64Array, label: number, parts = 10, low: ArrayLike<number> | number = 0, high: ArrayLike<number> | number = 1): Feature[] {
  const n = x0.length, m = net.outputSize;
  const lo = (i: number) => (typeof low === 'number' ? low : low[i]);
  const hi = (i: number) => (typeof high === 'number' ? high : high[i]);
  const y0 = forward(net, x0, 1)[label];
  const sal = new Float64Array(n);
  const chunk = 256;
  for (let s = 0; s < n; s += chunk) {
    const k = Math.min(chunk, n - s);
    const xs = new Float64Array(2 * k * n);
    for (let t = 0; t < k; t++) {
      xs.set(x0, 2 * t * n); xs.set(x0, (2 * t + 1) * n);
      xs[2 * t * n + s + t] = lo(s + t);
      xs[(2 * t + 1) * n + s + t] = hi(s + t);
    }
    const ys = forward(net, xs, 2 * k);
    for (let t = 0; t < k; t++) sal[s + t] = Math.max(y0 - ys[2 * t * m + label], y0 - ys[(2 * t + 1) * m + label]);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => sal[b] - sal[a] || a - b);
  const p = Math.max(1, Math.min(parts, n));
  const out: Feature[] = [];
  for (let k = 0; k < p; k++) {
    const a = Math.floor((k * n) / p), b = Math.floor(((k + 1) * n) / p);
    out.push({ name: `saliency${k + 1}`, indices: order.slice(a, b).sort((u, v) => u - v) });
  }
  return out;
}

/** Read features from a JSON file: [[i, ...], ...] or {"name": [i, ...], ...}; indices < n. */
export function readFeatureFile(path: string, n: number): Feature[] {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${path}: cannot read the feature file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]})`);
  }
  const entries: [string, unknown][] = Array.isArray(j) ? j.map((v, k) => [`feature${k + 1}`, v]) : j && typeof j === 'object' ? Object.entries(j) : [];
  if (entries.length === 0) throw new InputError(`${path}: expected a non-empty JSON array of index arrays or an object {"name": [indices]}`);
  return entries.map(([name, v]) => {
    if (!Array.isArray(v) || v.length === 0) throw new InputError(`${path}: feature '${name}' must be a non-empty array of input indices`);
    const indices = v.map((i) => {
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= n) throw new InputError(`${path}: feature '${name}' has index ${JSON.stringify(i)} (expected a whole number in 0..${n - 1})`);
      return i;
    });
    return { name, indices: [...new Set(indices)].sort((a, b) => a - b) };
  });
}

/**
 * Parse a feature spec: 'saliency' (10 parts, or 'saliency:K'), 'grid:HxW' (image inputs only),
 * or a JSON file. Throws InputError on anything else.
 */
export function parseFeatures(spec: string, net: Network, x0: Float64Array, label: number, domain?: { lo: ArrayLike<number>; hi: ArrayLike<number> }): Feature[] {
  const sal = /^saliency(?::(\d+))?$/.exec(spec);
  if (sal) {
    const parts = sal[1] ? Number(sal[1]) : 10;
    if (!(parts >= 1)) throw new InputError(`--features '${spec}': the number of parts must be at least 1`);
    return saliencyFeatures(net, x0, label, parts, domain?.lo ?? 0, domain?.hi ?? 1);
  }
  const grid = /^grid:(\d+)x(\d+)$/.exec(spec);
  if (grid) {
    const img = imageShape(net);
    if (!img) throw new InputError(`--features '${spec}': the model's input [${net.input.shape}] is not an image (grids need [1,C,H,W] or 784 inputs)`);
    const [ph, pw] = [Number(grid[1]), Number(grid[2])];
    if (!(ph >= 1 && pw >= 1)) throw new InputError(`--features '${spec}': patch sizes must be at least 1`);
    return gridFeatures(img, ph, pw);
  }
  if (spec.startsWith('grid')) throw new InputError(`--features '${spec}': expected grid:HxW, e.g. grid:7x7`);
  return readFeatureFile(spec, net.inputSize);
}

/**
 * The MSR interval of each feature alone (see the module comment), most fragile first (by
 * upper, then lower). The timeout, if any, is shared equally among the features.
 */
export async function featureRobustness(net: Network, x0: ArrayLike<number>, features: Feature[], opts: RadiusOptions = {}): Promise<FeatureRadius[]> {
  const out: FeatureRadius[] = [];
  const per = opts.timeout !== undefined ? opts.timeout / Math.max(1, features.length) : undefined;
  for (const f of features) {
    const result = await radius(net, x0, { ...opts, free: f.indices, timeout: per });
    out.push({ feature: f.name, indices: f.indices, lower: result.lower, upper: result.upper, result });
  }
  return out.sort((a, b) => a.upper - b.upper || a.lower - b.lower);
}
