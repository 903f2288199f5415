import type { NetNode } from '../net/network.js';
import { gamma } from './fp.js';
import { prepare, unsupported } from './prepare.js';
import type { BatchRegion, NodeBounds, SplitSet } from './types.js';
import type { Network } from '../net/network.js';
import { nextDown, nextUp } from '../util/float.js';

/**
 * Sound interval bounds of an affine node's output from its inputs' bounds, for a batch:
 * centre f(mid), radius |J|·rad, plus γ_n·|J|·(|mid| + rad) + γ_n·|offset| for the rounding of
 * both, and one outward ulp. [lo, hi] ⊆ [mid − rad, mid + rad] holds in real arithmetic.
 */
export function affineInterval(node: NetNode, absOffset: Float64Array, los: Float64Array[], his: Float64Array[], outLo: Float64Array, outHi: Float64Array, batch: number): void {
  const mids = los.map((lo, k) => {
    const hi = his[k], mid = new Float64Array(lo.length);
    for (let i = 0; i < lo.length; i++) mid[i] = lo[i] === hi[i] ? lo[i] : 0.5 * lo[i] + 0.5 * hi[i];
    return mid;
  });
  const rads = los.map((lo, k) => {
    const hi = his[k], mid = mids[k], rad = new Float64Array(lo.length);
    for (let i = 0; i < lo.length; i++) rad[i] = lo[i] === hi[i] ? 0 : nextUp(Math.max(hi[i] - mid[i], mid[i] - lo[i]));
    return rad;
  });
  const both = mids.map((mid, k) => {
    const rad = rads[k], out = new Float64Array(mid.length);
    for (let i = 0; i < mid.length; i++) out[i] = Math.abs(mid[i]) + rad[i];
    return out;
  });
  const n = outLo.length;
  const cMid = new Float64Array(n), cRad = new Float64Array(n), cAll = new Float64Array(n);
  node.kind.eval(node.params, mids, cMid, batch);
  node.kind.absForward!(node.params, rads, cRad, batch);
  node.kind.absForward!(node.params, both, cAll, batch);
  const g = gamma(node.kind.dotLength?.(node.params) ?? 1 << 20);
  const size = n / batch;
  for (let i = 0; i < n; i++) {
    const t = cRad[i] + g * (cAll[i] + absOffset[i % size]);
    const lo = nextDown(cMid[i] - t), hi = nextUp(cMid[i] + t);
    // NaN (∞ − ∞ after an overflow, or an infinite input bound): no information, not a bound.
    outLo[i] = lo === lo ? lo : -Infinity;
    outHi[i] = hi === hi ? hi : Infinity;
  }
}

/**
 * Clamp the bounds of a splittable op's input by the domain's splits (+1: ≥ 0, −1: ≤ 0).
 * Returns per domain whether the split made the domain empty (lo > hi somewhere).
 */
export function applySplits(split: Int8Array, lo: Float64Array, hi: Float64Array, infeasible: Uint8Array, batch: number): void {
  const size = lo.length / batch;
  for (let i = 0; i < split.length; i++) {
    const s = split[i];
    if (s > 0) { if (lo[i] < 0) lo[i] = 0; } else if (s < 0) { if (hi[i] > 0) hi[i] = 0; }
    if (s !== 0 && lo[i] > hi[i]) infeasible[Math.floor(i / size)] = 1;
  }
}

/**
 * Clamp the input bounds of split node k in place (copying them first when they are the
 * region's own arrays), marking domains the splits empty.
 */
export function clampSplitInput(net: Network, k: number, b: NodeBounds, split: Int8Array | undefined, infeasible: Uint8Array, batch: number): void {
  if (!split) return;
  const v = net.nodes[k].inputs[0];
  if (v === net.inputIds[0]) { b.lo[v] = Float64Array.from(b.lo[v]!); b.hi[v] = Float64Array.from(b.hi[v]!); }
  applySplits(split, b.lo[v]!, b.hi[v]!, infeasible, batch);
}

/** Intersect bounds in place with a parent's (a superset's) bounds. */
export function intersectInPlace(lo: Float64Array, hi: Float64Array, plo?: Float64Array, phi?: Float64Array): void {
  if (plo) for (let i = 0; i < lo.length; i++) if (plo[i] > lo[i]) lo[i] = plo[i];
  if (phi) for (let i = 0; i < hi.length; i++) if (phi[i] < hi[i]) hi[i] = phi[i];
}

/** Empty per-value bounds with the region as the input's bounds (a batch of D domains). */
export function initialBounds(net: Network, region: BatchRegion): NodeBounds {
  const b: NodeBounds = { lo: new Array(net.values.length), hi: new Array(net.values.length) };
  b.lo[net.inputIds[0]] = region.lo;
  b.hi[net.inputIds[0]] = region.hi;
  return b;
}

/** Bounds of one node from its inputs' bounds (interval arithmetic), any op with interval semantics. */
export function nodeInterval(net: Network, k: number, b: NodeBounds, batch: number): void {
  const prep = prepare(net);
  const node = net.nodes[k];
  const size = net.values[node.output].size;
  const lo = new Float64Array(batch * size), hi = new Float64Array(batch * size);
  if (prep.kind[k] === 'affine') {
    affineInterval(node, prep.absOffset[k]!, node.inputs.map((i) => b.lo[i]!), node.inputs.map((i) => b.hi[i]!), lo, hi, batch);
  } else if (prep.kind[k] === 'relax') {
    node.kind.interval!(node.params, b.lo[node.inputs[0]]!, b.hi[node.inputs[0]]!, lo, hi);
  } else unsupported(node, 'interval');
  b.lo[node.output] = lo;
  b.hi[node.output] = hi;
}

/**
 * Interval bound propagation (IBP) for a batch of domains: sound bounds of every value,
 * rounding included. Splits clamp the inputs of split ops; parent bounds are intersected.
 * `infeasible[d]` is set when a split empties domain d (its bounds are then meaningless and
 * any claim about it holds vacuously).
 */
export function ibp(net: Network, region: BatchRegion, splits?: SplitSet, parent?: { lo: (Float64Array | undefined)[]; hi: (Float64Array | undefined)[] }): NodeBounds & { infeasible: Uint8Array } {
  const D = region.batch;
  const b = initialBounds(net, region);
  const infeasible = new Uint8Array(D);
  net.nodes.forEach((node, k) => {
    clampSplitInput(net, k, b, splits?.get(k), infeasible, D);
    nodeInterval(net, k, b, D);
    intersectInPlace(b.lo[node.output]!, b.hi[node.output]!, parent?.lo[node.output], parent?.hi[node.output]);
  });
  return { ...b, infeasible };
}

