import type { Network } from '../net/network.js';
import { nextDown } from '../util/float.js';
import { prepare } from './prepare.js';
import { backwardBound, crownIntermediate, finishRows, identityRows, intervalRows, markInfeasible, splitStacked, stackRows, type AlphaSet, type BackwardRecord, type BackwardResult } from './crown.js';
import type { BoundsRequest, BoundsResult, NodeBounds } from './types.js';

/** Tuning knobs of α-CROWN (defaults documented per field). */
export interface AlphaSettings {
  /** Projected gradient-ascent steps on the lower slopes. Default 20. */
  iterations: number;
  /** Adam step size on the slopes (they live in [0, 1]). Default 0.25. */
  learningRate: number;
  /** Multiply the step size by this after each step. Default 0.95. */
  decay: number;
}

export const ALPHA_DEFAULTS: AlphaSettings = { iterations: 20, learningRate: 0.25, decay: 0.95 };

/**
 * The previous corner and the values of the affine prefix (the values computed from the input by
 * affine ops alone, e.g. the first Dense layer) there, kept between the gradient steps of one
 * optimisation (see relaxedForward).
 */
export interface CornerCache {
  /** The previous corners (null before the first step). */
  x: Float64Array | null;
  values: Map<number, Float64Array>;
}

/**
 * The relaxed linear network of each row evaluated at x (D·R samples): affine ops as they
 * are, every nonlinear op replaced by the line the backward pass used for that row and
 * element. Returns, per relax node, the values at its input (the z in ∂bound/∂α = A·z).
 *
 * With `cache` (β-CROWN's gradient steps, src/bounds/beta.ts; updated in place): from one step
 * to the next a row's minimising corner changes in few coordinates, so the affine prefix is
 * updated by the change, v_new = v_old + (f(Δx) − f(0)) for affine f (the
 * dense kernels skip zero inputs), instead of being recomputed; the first layer is most of a
 * forward pass on MNIST networks (measured: 72 → 65 CPU ms per domain on mnist-net_256x2, a batch
 * of 32 domains, same bounds). Only the gradient uses these values (an estimate: its float
 * error grows with the steps, which costs no soundness: every bound is a full backward pass).
 */
export function relaxedForward(net: Network, rec: BackwardRecord, x: Float64Array, rows: number, target: number, cache?: CornerCache): Map<number, Float64Array> {
  const prep = prepare(net);
  const input = net.inputIds[0];
  const vals: (Float64Array | undefined)[] = new Array(net.values.length);
  vals[input] = x;
  // Δx for the incremental prefix (exact zeros where the corner did not move).
  const deltas: (Float64Array | undefined)[] = new Array(net.values.length);
  if (cache && cache.x && cache.x.length === x.length) {
    const dx = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) dx[i] = x[i] - cache.x[i];
    deltas[input] = dx;
  }
  const prefix = new Map<number, Float64Array>();
  const zs = new Map<number, Float64Array>();
  const last = prep.producer[target];
  for (let k = 0; k <= last; k++) {
    const node = net.nodes[k];
    const size = net.values[node.output].size;
    const out = new Float64Array(rows * size);
    if (prep.kind[k] === 'affine') {
      const old = cache?.values.get(node.output);
      const inPrefix = node.inputs.every((i) => i === input || prefix.has(i));
      if (inPrefix && old && old.length === out.length && node.inputs.every((i) => deltas[i])) {
        const d = new Float64Array(rows * size);
        node.kind.eval(node.params, node.inputs.map((i) => deltas[i]!), d, rows);
        const off = prep.offset[k]!;
        for (let r = 0; r < rows; r++) {
          const o = r * size;
          for (let j = 0; j < size; j++) { const dj = d[o + j] - off[j]; d[o + j] = dj; out[o + j] = old[o + j] + dj; }
        }
        deltas[node.output] = d;
      } else {
        node.kind.eval(node.params, node.inputs.map((i) => vals[i]!), out, rows);
      }
      if (inPrefix) prefix.set(node.output, out);
    } else {
      const z = vals[node.inputs[0]]!;
      const aOut = rec.aOut.get(k), lines = rec.lines.get(k);
      if (!aOut || !lines) continue; // does not reach the target
      zs.set(k, z);
      for (let i = 0; i < out.length; i++) out[i] = aOut[i] >= 0 ? lines.sl[i] * z[i] + lines.bl[i] : lines.su[i] * z[i] + lines.bu[i];
    }
    vals[node.output] = out;
  }
  if (cache) { cache.x = x; cache.values = prefix; }
  return zs;
}

/**
 * Ops whose lower line has a family of valid choices picked by `relax`'s α (the lower slope):
 * ReLU-like ops (lines through 0) and S-shaped ops (Sigmoid, Tanh: tangents on the convex part).
 */
export function hasSlopeFamily(kind: { breakpoints?: 'relu'; inflection?: number }): boolean {
  return kind.breakpoints === 'relu' || kind.inflection !== undefined;
}

/**
 * ∂(line in use at z)/∂α per element of a non-ReLU op with a slope family (see hasSlopeFamily):
 * the lower line where the coefficient aOut ≥ 0, the upper one elsewhere (an S-shaped op's α
 * picks both tangents), by a forward difference of its `relax` (the intercept moves with the
 * slope: a tangent's point moves). Only the ascent direction uses it: every bound is still a
 * full backward pass.
 */
export function lineGradient(net: Network, k: number, nb: NodeBounds, a: Float64Array, lines: { sl: Float64Array; bl: Float64Array; su: Float64Array; bu: Float64Array }, aOut: Float64Array, z: Float64Array, D: number, rows: number): Float64Array {
  const node = net.nodes[k];
  const lo = nb.lo[node.inputs[0]]!, hi = nb.hi[node.inputs[0]]!;
  const size = lo.length / D;
  const out = new Float64Array(a.length);
  const a2 = new Float64Array(size), sl = new Float64Array(size), bl = new Float64Array(size), su = new Float64Array(size), bu = new Float64Array(size);
  for (let d = 0; d < D; d++) {
    const lo_d = lo.subarray(d * size, (d + 1) * size), hi_d = hi.subarray(d * size, (d + 1) * size);
    for (let r = 0; r < rows; r++) {
      const ro = (d * rows + r) * size;
      for (let j = 0; j < size; j++) a2[j] = a[ro + j] * (1 + 1e-4) + 1e-9;
      node.kind.relax!(node.params, lo_d, hi_d, a2, sl, bl, su, bu);
      for (let j = 0; j < size; j++) {
        const i = ro + j;
        out[i] = aOut[i] >= 0
          ? ((sl[j] - lines.sl[i]) * z[i] + (bl[j] - lines.bl[i])) / (a2[j] - a[i])
          : ((su[j] - lines.su[i]) * z[i] + (bu[j] - lines.bu[i])) / (a2[j] - a[i]);
      }
    }
  }
  return out;
}

/**
 * Tightens value v's bounds nb.lo[v]/nb.hi[v] (batch 1) at `elements` by α-CROWN on the rows ±e_j
 * (`iterations` steps, none started after `deadline`), intersected with the bounds already there.
 * Sound: every α iterate is a CROWN bound with valid slopes.
 */
export function tightenValueBounds(net: Network, nb: NodeBounds, region: BoundsRequest['region'], v: number, elements: number[], iterations: number, signal?: AbortSignal, deadline = Infinity): void {
  if (elements.length === 0) return;
  const lo = nb.lo[v]!, hi = nb.hi[v]!, size = lo.length, R = 2 * elements.length;
  const A0 = new Float64Array(R * size);
  elements.forEach((j, i) => { A0[2 * i * size + j] = 1; A0[(2 * i + 1) * size + j] = -1; });
  const { lower } = optimiseSlopes(net, nb, region, v, A0, R, { iterations }, signal, deadline);
  elements.forEach((j, i) => {
    const l = lower[2 * i], u = -lower[2 * i + 1];
    if (l > lo[j]) lo[j] = l;
    if (u < hi[j]) hi[j] = u;
  });
}

/**
 * Rows A0 (D × rows) of value `target`, bounded below by CROWN and then by `iterations` steps of
 * projected Adam ascent on the lower slopes of ReLU-like and S-shaped ops (gradient ∂bound/∂α_j = A_j·z_j at the
 * minimising corner, by the envelope theorem), intermediate bounds `nb` fixed. Every iterate is
 * a sound CROWN bound with other valid slopes: `lower` is the best per row (sound, never looser
 * than CROWN); `first` is the plain CROWN pass (with its record), `last` the last improving one.
 */
export function optimiseSlopes(
  net: Network,
  nb: NodeBounds,
  region: BoundsRequest['region'],
  target: number,
  A0: Float64Array,
  rows: number,
  settings: Partial<AlphaSettings> = {},
  signal?: AbortSignal,
  /** performance.now() after which no further step starts (the best so far is returned: still sound). */
  deadline = Infinity,
): { lower: Float64Array; first: BackwardResult; last: BackwardResult } {
  const s = { ...ALPHA_DEFAULTS, ...settings };
  const D = region.batch;
  const n = net.inputSize;
  const first = backwardBound(net, nb, region, target, A0, rows, { record: true });
  let res = first, last = first;
  const best = Float64Array.from(first.lower);
  const alphas: AlphaSet = new Map();
  const mom = new Map<number, Float64Array>(), vel = new Map<number, Float64Array>();
  // Step scale per node: 1 for ReLU-like slopes (they span [0, 1]); other ops' slopes span less
  // (Sigmoid's at most 1/4), so their steps are scaled by the largest starting slope (measured on
  // ERAN's sigmoid 6x200, 20 steps at the root's rows: step 0.25 lifted −6.93 to −6.70, 0.02–0.05
  // to −6.2…−6.5; 3881: −2.73 to −1.79 with 0.01–0.05, unchanged with 0.25).
  const stepScale = new Map<number, number>();
  for (const [k, lines] of first.record!.lines) {
    if (!hasSlopeFamily(net.nodes[k].kind)) continue;
    const relu = net.nodes[k].kind.breakpoints === 'relu';
    // Start from the default lines: ReLU's α is its lower slope; an S-shaped op's α is the slope
    // of the line in use (the upper one where the coefficient is negative).
    const aOut = first.record!.aOut.get(k)!;
    const a0 = relu ? Float64Array.from(lines.sl) : Float64Array.from(lines.sl, (v, i) => (aOut[i] >= 0 ? v : lines.su[i]));
    alphas.set(k, a0);
    mom.set(k, new Float64Array(lines.sl.length));
    vel.set(k, new Float64Array(lines.sl.length));
    let top = 0;
    if (!relu) for (const v of a0) if (v > top) top = v;
    stepScale.set(k, relu ? 1 : Math.max(top, 1e-6));
  }
  let lr = s.learningRate;
  if (alphas.size === 0) return { lower: best, first, last };
  for (let it = 1; it <= s.iterations; it++) {
    if (signal?.aborted || performance.now() > deadline) break;
    // Gradient at the current slopes: corner minimising each row's linear function.
    const x = new Float64Array(D * rows * n);
    for (let d = 0; d < D; d++) {
      for (let r = 0; r < rows; r++) {
        const o = (d * rows + r) * n;
        for (let k = 0; k < n; k++) x[o + k] = res.A[o + k] >= 0 ? region.lo[d * n + k] : region.hi[d * n + k];
      }
    }
    const zs = relaxedForward(net, res.record!, x, D * rows, target);
    for (const [k, a] of alphas) {
      const aOut = res.record!.aOut.get(k)!, z = zs.get(k)!;
      const mk = mom.get(k)!, vk = vel.get(k)!;
      // ReLU-like lower lines pass through 0 (∂line/∂α = z, the upper line fixed); other ops' tangents move their intercept too, and α moves the upper one where it is in use.
      const relu = net.nodes[k].kind.breakpoints === 'relu';
      const dz = relu ? z : lineGradient(net, k, nb, a, res.record!.lines.get(k)!, aOut, z, D, rows);
      const scale = stepScale.get(k)!;
      for (let i = 0; i < a.length; i++) {
        const g = relu ? (aOut[i] > 0 ? aOut[i] * z[i] : 0) : aOut[i] * dz[i];
        mk[i] = 0.9 * mk[i] + 0.1 * g;
        vk[i] = 0.999 * vk[i] + 0.001 * g * g;
        const mh = mk[i] / (1 - 0.9 ** it), vh = vk[i] / (1 - 0.999 ** it);
        const v = a[i] + (lr * scale * mh) / (Math.sqrt(vh) + 1e-12);
        // Projection onto [0, 1]; the op clamps further to its own valid range.
        a[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
    lr *= s.decay;
    res = backwardBound(net, nb, region, target, A0, rows, { alphas, record: true });
    let improved = false;
    for (let i = 0; i < best.length; i++) {
      if (res.lower[i] > best[i]) { best[i] = res.lower[i]; improved = true; }
    }
    if (improved) last = res;
  }
  return { lower: best, first, last };
}

/**
 * α-CROWN: CROWN whose ReLU lower slopes are optimised per domain, row and neuron by projected
 * Adam ascent on the bound (see `optimiseSlopes`): anytime, and never looser than CROWN (the
 * first iterate is CROWN).
 */
export function alphaCrown(req: BoundsRequest, settings: Partial<AlphaSettings> = {}): BoundsResult {
  const { net, region } = req;
  const D = region.batch;
  const m = net.outputSize;
  const C = req.C ?? identityRows(m);
  const R = C.length / m;
  const R2 = 2 * R;
  const nb: NodeBounds & { infeasible: Uint8Array } = crownIntermediate(req);
  const out = net.outputIds[0];
  const n = net.inputSize;
  const { lower: best, last } = optimiseSlopes(net, nb, region, out, stackRows(C, R, m, D), R2, settings, req.signal);
  const { lower, upper } = splitStacked(best, R, D);
  finishRows(lower, upper, R, D, undefined, intervalRows(C, R, nb.lo[out]!, nb.hi[out]!, D));
  finishRows(lower, upper, R, D, req.cOffset);
  markInfeasible(lower, upper, nb.infeasible, R);
  const result: BoundsResult = { lower, upper, rows: R, nodes: nb };
  if (req.wantCoefficients) {
    // Coefficients of the last improving iterate (per-row best may mix iterates; these are still sound lower bounds).
    result.A = new Float64Array(D * R * n);
    result.bias = new Float64Array(D * R);
    for (let d = 0; d < D; d++) {
      result.A.set(last.A.subarray(d * R2 * n, d * R2 * n + R * n), d * R * n);
      // The constant with the rounding allowance taken off, so the linear function is itself sound.
      for (let r = 0; r < R; r++) result.bias[d * R + r] = nextDown(last.bias[d * R2 + r] - last.err[d * R2 + r]);
    }
  }
  return result;
}
