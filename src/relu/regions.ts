/**
 * Activation regions of a ReLU network (Zhang and Xu: activation domains and matrices).
 *
 * On the set of inputs sharing an activation pattern (which ReLU inputs are > 0), the network
 * is affine: f(x) = W·x + b, and the set is a polyhedron cut out by one inequality per ReLU
 * element, s_j·(a_j·x + c_j) ≥ 0, where a_j·x + c_j is the element's pre-activation as an
 * affine map under the pattern of the earlier nodes. Both are computed by running the network
 * with every ReLU-like node replaced by its pattern's mask (an affine network), on the unit
 * vectors and on 0 — through each op's own `eval`, so any graph of affine ops and ReLUs works.
 *
 * - `activationRegion(net, x)`: the pattern at x, its affine map and inequalities (the map is
 *   computed in float64: it reproduces the network up to rounding at points of the region).
 * - `enumerateRegions2D(net, box)`: for 2-input networks, every linear region meeting the box
 *   as a convex polygon (the box split by each ReLU's line, node by node). A polygon counts as
 *   a full-dimensional region when its area is > 0 and its centroid's pattern is re-evaluated
 *   with every sign proved strict (IBP on [x, x]): the pattern then holds on a ball around it.
 *   The polygons come from float64 clipping: their areas sum to the box's up to rounding.
 * - `countRegionsBySampling`: distinct patterns of sampled points whose signs are all proved
 *   strict — a proved lower bound on the number of regions — and the Chao1 estimate (labelled
 *   an estimate).
 */
import { ibp } from '../bounds/ibp.js';
import type { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import { Rng } from '../util/rng.js';
import { reluNodes, samplePoints, type WitnessRegion } from './stability.js';

/** Per ReLU node (in topological order), 1 where the element's input is > 0 (active), else 0. */
export type Pattern = Uint8Array[];

/** The pattern at x (float64 forward pass: an element exactly at 0 counts as inactive). */
export function activationPattern(net: Network, x: Float64Array): Pattern {
  const relus = new Set(reluNodes(net));
  const vals: Float64Array[] = new Array(net.values.length);
  vals[net.inputIds[0]] = x;
  const out: Pattern = [];
  net.nodes.forEach((node, k) => {
    const o = new Float64Array(net.values[node.output].size);
    node.kind.eval(node.params, node.inputs.map((i) => vals[i]), o, 1);
    vals[node.output] = o;
    if (relus.has(k)) out.push(Uint8Array.from(vals[node.inputs[0]], (v) => (v > 0 ? 1 : 0)));
  });
  return out;
}

/**
 * Run the network with each ReLU node replaced by its pattern mask (nodes at index ≥ `upTo` in
 * the ReLU list, if given, are evaluated but unused) on a batch of n unit vectors and 0: returns
 * every value's affine map as (columns per unit vector minus the 0 run, and the 0 run).
 */
function maskedAffine(net: Network, pattern: Pattern, upTo = pattern.length): { W: Float64Array[]; b: Float64Array[] } {
  const n = net.inputSize;
  const B = n + 1;
  const relus = reluNodes(net);
  const maskOf = new Map<number, Uint8Array>();
  relus.forEach((k, i) => { if (i < upTo) maskOf.set(k, pattern[i]); });
  const vals: Float64Array[] = new Array(net.values.length);
  const x = new Float64Array(B * n);
  for (let i = 0; i < n; i++) x[i * n + i] = 1;
  vals[net.inputIds[0]] = x;
  for (const [k, node] of net.nodes.entries()) {
    const size = net.values[node.output].size;
    const o = new Float64Array(B * size);
    const mask = maskOf.get(k);
    if (mask) {
      const inp = vals[node.inputs[0]];
      // Masked: the active piece is y = x, the inactive piece y = 0 (plain ReLU; LeakyRelu is not supported here).
      for (let s = 0; s < B; s++) for (let j = 0; j < size; j++) o[s * size + j] = mask[j] ? inp[s * size + j] : 0;
    } else if (relus.includes(k)) {
      // A later ReLU node: not needed; leave zeros.
    } else {
      node.kind.eval(node.params, node.inputs.map((i) => vals[i]), o, B);
    }
    vals[node.output] = o;
  }
  const W: Float64Array[] = [], b: Float64Array[] = [];
  for (let v = 0; v < net.values.length; v++) {
    const a = vals[v];
    if (!a) { W.push(new Float64Array(0)); b.push(new Float64Array(0)); continue; }
    const size = net.values[v].size;
    const b0 = a.subarray(n * size, (n + 1) * size);
    const Wv = new Float64Array(size * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < size; j++) Wv[j * n + i] = a[i * size + j] - b0[j];
    W.push(Wv);
    b.push(Float64Array.from(b0));
  }
  return { W, b };
}

/** A point's activation region: pattern, affine map of the output, and the region's inequalities A·x + c ≥ 0 (one per ReLU element). */
export interface ActivationRegion {
  pattern: Pattern;
  /** Output map: y = W·x + b on the region (outputs × inputs, row-major). */
  W: Float64Array;
  b: Float64Array;
  /** Inequalities A·x + c ≥ 0 (rows × inputs), one per ReLU element in pattern order: s·(pre-activation) with s = +1 active, −1 inactive. */
  A: Float64Array;
  c: Float64Array;
}

function checkPlain(net: Network): void {
  const relus = reluNodes(net);
  if (relus.length === 0) throw new InputError(`${net.meta.source}: the network has no ReLU`);
  for (const k of relus) {
    const node = net.nodes[k];
    const sl = new Float64Array(1), bl = new Float64Array(1), su = new Float64Array(1), bu = new Float64Array(1);
    node.kind.relax!(node.params, Float64Array.of(-1), Float64Array.of(-1), null, sl, bl, su, bu);
    if (!(sl[0] === 0 && su[0] === 0 && bl[0] === 0 && bu[0] === 0)) throw new InputError(`regions: node '${node.name}' (${node.kind.onnx}) is not a plain ReLU`);
  }
  for (const node of net.nodes) {
    if (node.kind.breakpoints !== 'relu' && !node.kind.isAffine?.(node.params)) throw new InputError(`regions: node '${node.name}' (${node.kind.onnx}) is neither affine nor a ReLU`);
  }
}

/** The activation region of x: its pattern, the network's affine map there and the region's inequalities (float64). */
export function activationRegion(net: Network, x: Float64Array): ActivationRegion {
  checkPlain(net);
  if (x.length !== net.inputSize) throw new InputError(`the point has ${x.length} values; the network takes ${net.inputSize} inputs`);
  const pattern = activationPattern(net, x);
  const { W, b } = maskedAffine(net, pattern);
  const out = net.outputIds[0];
  const n = net.inputSize;
  const relus = reluNodes(net);
  const rows = pattern.reduce((a, p) => a + p.length, 0);
  const A = new Float64Array(rows * n), c = new Float64Array(rows);
  let r = 0;
  relus.forEach((k, li) => {
    const v = net.nodes[k].inputs[0];
    for (let j = 0; j < pattern[li].length; j++, r++) {
      const s = pattern[li][j] ? 1 : -1;
      for (let i = 0; i < n; i++) A[r * n + i] = s * W[v][j * n + i];
      c[r] = s * b[v][j];
    }
  });
  return { pattern, W: W[out], b: b[out], A, c };
}

/** A pattern as a string key ('0'/'1' per element, nodes separated by '|'). */
export function patternKey(p: Pattern): string {
  return p.map((a) => Array.from(a).join('')).join('|');
}

/** True when every ReLU input at x is proved nonzero (IBP on [x, x], rounding charged): the pattern is then constant near x. */
function strictAt(net: Network, x: Float64Array, pattern: Pattern): boolean {
  const nb = ibp(net, { batch: 1, lo: x, hi: x });
  const relus = reluNodes(net);
  return relus.every((k, li) => {
    const v = net.nodes[k].inputs[0];
    const lo = nb.lo[v]!, hi = nb.hi[v]!;
    for (let j = 0; j < lo.length; j++) {
      if (pattern[li][j] ? !(lo[j] > 0) : !(hi[j] < 0)) return false;
    }
    return true;
  });
}

/** One linear region of a 2-input network inside a box. */
export interface Region2D {
  pattern: Pattern;
  /** Vertices in counter-clockwise order. */
  polygon: [number, number][];
  area: number;
  /** Output map on the region. */
  W: Float64Array;
  b: Float64Array;
  /** True when the region's full dimension is proved (a point inside with every sign strict). */
  proved: boolean;
}

function clipPolygon(poly: [number, number][], a0: number, a1: number, c: number): [number, number][] {
  // Keep a0·x + a1·y + c ≥ 0 (Sutherland–Hodgman).
  const out: [number, number][] = [];
  for (let i = 0; i < poly.length; i++) {
    const p = poly[i], q = poly[(i + 1) % poly.length];
    const fp = a0 * p[0] + a1 * p[1] + c, fq = a0 * q[0] + a1 * q[1] + c;
    if (fp >= 0) out.push(p);
    if ((fp > 0 && fq < 0) || (fp < 0 && fq > 0)) {
      const t = fp / (fp - fq);
      out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
    }
  }
  return out;
}

function area(poly: [number, number][]): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) { const p = poly[i], q = poly[(i + 1) % poly.length]; s += p[0] * q[1] - q[0] * p[1]; }
  return Math.abs(s) / 2;
}

function centroid(poly: [number, number][]): Float64Array {
  let x = 0, y = 0;
  for (const p of poly) { x += p[0]; y += p[1]; }
  return Float64Array.of(x / poly.length, y / poly.length);
}

/**
 * Every linear region of a 2-input ReLU network meeting the box [lo, hi] (see the module
 * comment). Throws InputError for other input sizes or when the count passes `maxRegions`.
 */
export function enumerateRegions2D(net: Network, lo: ArrayLike<number>, hi: ArrayLike<number>, maxRegions = 100000): Region2D[] {
  checkPlain(net);
  if (net.inputSize !== 2) throw new InputError(`enumeration needs a network with 2 inputs (this one takes ${net.inputSize}); use --sample N`);
  const relus = reluNodes(net);
  const box: [number, number][] = [[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]];
  const boxArea = (hi[0] - lo[0]) * (hi[1] - lo[1]);
  const minArea = boxArea * 1e-14;
  const out: Region2D[] = [];
  const recurse = (poly: [number, number][], pattern: Pattern, li: number): void => {
    if (li === relus.length) {
      const { W, b } = maskedAffine(net, pattern);
      const o = net.outputIds[0];
      const c = centroid(poly);
      const pat = activationPattern(net, c);
      const proved = patternKey(pat) === patternKey(pattern) && strictAt(net, c, pattern);
      out.push({ pattern: pattern.map((p) => p.slice()), polygon: poly, area: area(poly), W: W[o], b: b[o], proved });
      if (out.length > maxRegions) throw new InputError(`more than ${maxRegions} regions: use --sample N`);
      return;
    }
    const v = net.nodes[relus[li]].inputs[0];
    const size = net.values[v].size;
    const { W, b } = maskedAffine(net, pattern.concat([new Uint8Array(size)]), li);
    // Split the polygon by each element's line in turn.
    let pieces: { poly: [number, number][]; bits: Uint8Array }[] = [{ poly, bits: new Uint8Array(size) }];
    for (let j = 0; j < size; j++) {
      const a0 = W[v][j * 2], a1 = W[v][j * 2 + 1], c = b[v][j];
      const next: typeof pieces = [];
      for (const p of pieces) {
        const pos = clipPolygon(p.poly, a0, a1, c), neg = clipPolygon(p.poly, -a0, -a1, -c);
        if (pos.length >= 3 && area(pos) > minArea) { const bits = p.bits.slice(); bits[j] = 1; next.push({ poly: pos, bits }); }
        if (neg.length >= 3 && area(neg) > minArea) next.push({ poly: neg, bits: p.bits });
      }
      pieces = next;
    }
    for (const p of pieces) recurse(p.poly, pattern.concat([p.bits]), li + 1);
  };
  recurse(box, [], 0);
  return out;
}

/** The result of `countRegionsBySampling`. */
export interface RegionCount {
  samples: number;
  /** Distinct patterns among the samples whose signs were all proved strict: a proved lower bound on the number of full-dimensional regions meeting the region. */
  provedLowerBound: number;
  /** Chao1 estimate S + f1²/(2·f2) of the number of regions (an estimate, not a bound). */
  chao1Estimate: number;
  /** Samples with an element exactly at (or within rounding of) a kink. */
  degenerate: number;
}

/** Count linear regions meeting the region by sampling `count` points (see the module comment). */
export function countRegionsBySampling(net: Network, w: WitnessRegion, count: number, seed = 0): RegionCount {
  checkPlain(net);
  const pts = samplePoints(w, count, new Rng(seed));
  const freq = new Map<string, number>();
  let degenerate = 0;
  for (const x of pts) {
    const p = activationPattern(net, x);
    if (!strictAt(net, x, p)) { degenerate++; continue; }
    const k = patternKey(p);
    freq.set(k, (freq.get(k) ?? 0) + 1);
  }
  let f1 = 0, f2 = 0;
  for (const c of freq.values()) { if (c === 1) f1++; else if (c === 2) f2++; }
  const S = freq.size;
  const chao1 = f2 > 0 ? S + (f1 * f1) / (2 * f2) : S + (f1 * (f1 - 1)) / 2;
  return { samples: pts.length, provedLowerBound: S, chao1Estimate: chao1, degenerate };
}

/** Plain SVG of 2-D regions inside the box: each region a polygon, coloured by a hash of its pattern. */
export function regionsSvg(regions: Region2D[], lo: ArrayLike<number>, hi: ArrayLike<number>, title = 'linear regions'): string {
  const Wd = 640, Ht = 640, pad = 40;
  const sx = (x: number) => pad + ((x - lo[0]) / (hi[0] - lo[0] || 1)) * (Wd - 2 * pad);
  const sy = (y: number) => Ht - pad - ((y - lo[1]) / (hi[1] - lo[1] || 1)) * (Ht - 2 * pad);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${Wd}" height="${Ht}" viewBox="0 0 ${Wd} ${Ht}">`);
  parts.push(`<rect x="0" y="0" width="${Wd}" height="${Ht}" fill="white"/>`);
  parts.push(`<text x="${Wd / 2}" y="24" font-family="sans-serif" font-size="16" text-anchor="middle">${title.replace(/[<&>]/g, '')} (${regions.length})</text>`);
  regions.forEach((r, i) => {
    let h = 0;
    const key = patternKey(r.pattern);
    for (let q = 0; q < key.length; q++) h = (Math.imul(h, 31) + key.charCodeAt(q)) | 0;
    const hue = ((h >>> 0) % 360 + i * 137) % 360;
    const pts = r.polygon.map(([x, y]) => `${sx(x).toFixed(2)},${sy(y).toFixed(2)}`).join(' ');
    parts.push(`<polygon points="${pts}" fill="hsl(${hue},65%,70%)" stroke="#333" stroke-width="0.5"/>`);
  });
  parts.push(`<text x="${pad}" y="${Ht - 12}" font-family="sans-serif" font-size="12">x0 ∈ [${lo[0]}, ${hi[0]}], x1 ∈ [${lo[1]}, ${hi[1]}]</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
