import { hasSlopeFamily, optimiseSlopes, tightenValueBounds } from '../bounds/alpha.js';
import { crownIntermediate } from '../bounds/crown.js';
import { prepare } from '../bounds/prepare.js';
import type { BatchRegion, NodeBounds } from '../bounds/types.js';
import type { Network } from '../net/network.js';
import type { PropertyDisjunct } from '../spec/property.js';
import { nextDown } from '../util/float.js';
import { stackDisjunct } from './box_bounding.js';

/** What `smoothRootBound` proved over a disjunct's whole box. */
export interface SmoothRootResult {
  /** Per output polytope: a sound lower bound of max_r (C_r·y − d_r) over the box (> 0 refutes it). */
  polyLower: Float64Array;
  /** Every polytope refuted: the disjunct holds no counterexample (a proof). */
  refuted: boolean;
  /** The tightened bounds of every value over the box (sound). */
  nodes: NodeBounds;
  /** Nonlinear layers whose input bounds were tightened before the time ran out. */
  layersDone: number;
}

/**
 * α-CROWN with optimised intermediate bounds over a disjunct's whole box, for networks with smooth
 * S-shaped ops (Sigmoid, Tanh; α,β-CROWN's root bound on such networks): CROWN intermediate
 * bounds, then layer by layer the input bounds of every nonlinear op after the first tightened by
 * α-CROWN on rows ±e_j — every element of an S-shaped op (their one-sided relaxations over wide
 * intervals are loose too, not only those across 0), the unstable ones of a ReLU-like op — each
 * layer using the tightened bounds before it, and finally `iterations` α steps on the property's
 * rows. Until `deadline` (performance.now(); the layers left and the rows share the time left
 * evenly): anytime, every number is a sound bound (each α iterate is a CROWN bound with valid
 * lines, intersected with CROWN's). Sound in real arithmetic as the bounds it is made of.
 *
 * Measured on ERAN's ffnnSIGMOID__Point_6x200 (20 steps everywhere, CPU s at load ≈ 7): idx 6553
 * root CROWN −6.93; α on the rows alone −3.92; with the crossing elements' bounds (those across 0)
 * optimised −2.44 (7.8 s); with every element's +0.98 (29 s): proved; likewise 4214 (−7.58 → +0.87)
 * and 7107 (−4.47 → +0.88).
 */
export function smoothRootBound(net: Network, dj: PropertyDisjunct, iterations: number, deadline = Infinity, signal?: AbortSignal): SmoothRootResult {
  const region: BatchRegion = { batch: 1, lo: Float64Array.from(dj.box.lo), hi: Float64Array.from(dj.box.hi) };
  const nb = crownIntermediate({ net, region, intermediate: 'backward', signal });
  const m = net.outputSize, rows = stackDisjunct(dj, m);
  const out = net.outputIds[0];
  const finish = (steps: number, layersDone: number, until: number): SmoothRootResult => {
    const { lower } = optimiseSlopes(net, nb, region, out, Float64Array.from(rows.C), rows.R, { iterations: steps }, signal, until);
    const polyLower = new Float64Array(rows.ranges.length).fill(-Infinity);
    rows.ranges.forEach(([a, b], p) => {
      for (let r = a; r < b; r++) {
        // C_r·y ≥ lower[r], so C_r·y − d_r ≥ lower[r] + cOffset[r], rounded down (NaN proves nothing).
        const v = nextDown(lower[r] + rows.cOffset[r]);
        if (v > polyLower[p]) polyLower[p] = v;
      }
    });
    return { polyLower, refuted: polyLower.every((v) => v > 0), nodes: { lo: nb.lo, hi: nb.hi }, layersDone };
  };
  // Plain CROWN first: most properties it refutes (20 of ERAN's 36 sigmoid ones) need nothing else.
  const plain = finish(0, 0, deadline);
  if (plain.refuted || iterations <= 0) return plain;
  const prep = prepare(net);
  const layers: number[] = [];
  net.nodes.forEach((node, k) => { if (prep.kind[k] === 'relax' && hasSlopeFamily(node.kind)) layers.push(k); });
  let layersDone = 0;
  // The first nonlinear op's input is affine in the input: CROWN is exact there (the same skip as reluRootContext).
  for (let li = 1; li < layers.length; li++) {
    if (signal?.aborted || performance.now() >= deadline) break;
    const node = net.nodes[layers[li]];
    const v = node.inputs[0], lo = nb.lo[v]!, hi = nb.hi[v]!, size = lo.length;
    const relu = node.kind.breakpoints === 'relu';
    const need: number[] = [];
    for (let j = 0; j < size; j++) if (relu ? lo[j] < 0 && hi[j] > 0 : hi[j] - lo[j] > 1e-9) need.push(j);
    if (need.length > 0) {
      // The layers left and the rows share the time left evenly.
      const share = (deadline - performance.now()) / (layers.length - li + 1);
      tightenValueBounds(net, nb, region, v, need, iterations, signal, performance.now() + share);
    }
    layersDone++;
  }
  return finish(iterations, layersDone, deadline);
}
