import type { Network } from '../net/network.js';
import { relaxedForward, type CornerCache } from './alpha.js';
import { backwardBound, type AlphaSet, type BackwardResult, type BetaTerms } from './crown.js';
import type { BatchRegion, NodeBounds, SplitSet } from './types.js';

/**
 * β-CROWN (Wang et al., NeurIPS 2021): lower bounds of rows over a domain restricted by ReLU
 * splits (z_j ≥ 0 or z_j ≤ 0 on chosen pre-activations z_j).
 *
 * CROWN alone uses a split only through the split neuron's own relaxation (its bounds clamped
 * to [0, u] or [l, 0]). β-CROWN also adds the split constraints to the bounded function with
 * Lagrange multipliers: on the domain, f(x) ≥ f(x) − Σ_j β_j·s_j·z_j(x) for any β ≥ 0 (s_j = +1
 * for z_j ≥ 0, −1 for z_j ≤ 0), and the backward pass bounds the right-hand side as a whole —
 * the split then constrains every neuron and the input, not only its own relaxation. The
 * multipliers β and the lower slopes α are optimised per domain and row by projected Adam
 * ascent; every iterate is a sound bound (β projected to ≥ 0, α clamped to its valid range by
 * the op), so the best is kept and the result is anytime. With β = 0 and CROWN's slopes the
 * first iterate is CROWN on the same domain.
 *
 * Soundness in float64: the β terms enter the backward pass of `backwardBound` (crown.ts), which
 * charges their rounding like every other coefficient (|β_j|·max(|l_j|, |u_j|) per term, times
 * γ_{n+1}); intermediate bounds must be sound for the split domain (e.g. the root's, clamped by
 * the splits).
 */

/** Tuning of the α,β optimisation (defaults near α,β-CROWN's published BaB settings). */
export interface BetaSettings {
  /** Projected Adam steps on α and β (0 = one pass with the starting α, β). Default 20. */
  iterations: number;
  /** Adam step size on the slopes α ∈ [0, 1]. Default 0.1 (α,β-CROWN: lr_alpha 0.1). */
  lrAlpha: number;
  /** Adam step size on the multipliers β ≥ 0. Default 0.05 (α,β-CROWN: lr_beta 0.05). */
  lrBeta: number;
  /** Step sizes are multiplied by this after each step. Default 0.98. */
  decay: number;
  /** Stop once every row's best bound exceeds this (early stop; +∞ never stops early). Default 0. */
  stopAbove: number;
}

export const BETA_DEFAULTS: BetaSettings = { iterations: 20, lrAlpha: 0.1, lrBeta: 0.05, decay: 0.98, stopAbove: 0 };


/** The α,β-optimised bound of a batch: best bound per row and the α, β that gave it. */
export interface BetaResult {
  /** D × R sound lower bounds (the best iterate per row). */
  lower: Float64Array;
  /** Per relax node index: the α of each row's best iterate (D × R × size). */
  alphas: AlphaSet;
  /** Per relax node index with splits: the β of each row's best iterate (D × R × size, 0 off the splits). */
  betas: Map<number, Float64Array>;
  /** The last pass (its record holds the coefficients on each nonlinear op's output: branching scores). */
  last: BackwardResult;
  /** Passes run (1 + steps taken). */
  passes: number;
}

/**
 * Sound lower bounds of the rows A0 (D × R × size of `target`) over each domain of `region`
 * restricted by `splits` (node index → D × size signs), with intermediate bounds `nb` (sound on
 * the split domains; split inputs clamped). α and β start from `start` (missing: CROWN's slopes
 * and β = 0) and are improved by `settings.iterations` projected Adam steps (see the module
 * comment). Every reported bound is that of some iterate with β ≥ 0 and valid α: sound.
 */
export function betaCrown(
  net: Network,
  nb: NodeBounds,
  region: BatchRegion,
  target: number,
  A0: Float64Array,
  R: number,
  splits: SplitSet,
  settings: Partial<BetaSettings> = {},
  start: { alphas?: AlphaSet; betas?: Map<number, Float64Array> } = {},
  signal?: AbortSignal,
  /** performance.now() after which no further step starts (the best so far is returned: still sound). */
  deadline = Infinity,
  /**
   * |J|·m_in per affine node and max(|l|, |u|) per relax node's input for this batch's `nb`
   * (see backwardBound's absCache/magCache), when the caller has them; filled in otherwise.
   */
  caches: { abs?: Map<number, Float64Array>; mag?: Map<number, Float64Array> } = {},
): BetaResult {
  const s = { ...BETA_DEFAULTS, ...settings };
  const D = region.batch;
  const n = net.inputSize;
  const rowsTotal = D * R;
  // β lives only on split nodes; copy the start (it is updated in place).
  const values = new Map<number, Float64Array>();
  for (const [k, sg] of splits) {
    const size = sg.length / D;
    const b = new Float64Array(rowsTotal * size);
    const init = start.betas?.get(k);
    if (init) for (let i = 0; i < b.length; i++) b[i] = init[i] > 0 ? init[i] : 0;
    values.set(k, b);
  }
  const betas: BetaTerms = { signs: splits, values };
  let alphas: AlphaSet | undefined = start.alphas ? new Map([...start.alphas].map(([k, a]) => [k, Float64Array.from(a)])) : undefined;
  // |J|·m of the affine ops and the relax inputs' magnitudes depend on nb only: computed once for every pass.
  const absCache = caches.abs ?? new Map<number, Float64Array>();
  const magCache = caches.mag ?? new Map<number, Float64Array>();
  let res = backwardBound(net, nb, region, target, A0, R, { alphas, betas, record: true, absCache, magCache });
  let passes = 1;
  const best = Float64Array.from(res.lower);
  // The best iterate's α and β per row.
  const bestAlpha: AlphaSet = new Map();
  for (const [k, lines] of res.record!.lines) {
    if (!net.nodes[k].kind.breakpoints) continue;
    bestAlpha.set(k, Float64Array.from(alphas?.get(k) ?? lines.sl));
  }
  const bestBeta = new Map([...values].map(([k, b]) => [k, Float64Array.from(b)]));
  if (!alphas) alphas = new Map([...bestAlpha].map(([k, a]) => [k, Float64Array.from(a)]));
  const done = () => { for (let i = 0; i < best.length; i++) if (!(best[i] > s.stopAbove)) return false; return true; };
  const adam = (m: Float64Array, v: Float64Array, i: number, g: number, it: number, lr: number): number => {
    m[i] = 0.9 * m[i] + 0.1 * g;
    v[i] = 0.999 * v[i] + 0.001 * g * g;
    return (lr * (m[i] / (1 - 0.9 ** it))) / (Math.sqrt(v[i] / (1 - 0.999 ** it)) + 1e-12);
  };
  const momA = new Map([...alphas].map(([k, a]) => [k, new Float64Array(a.length)]));
  const velA = new Map([...alphas].map(([k, a]) => [k, new Float64Array(a.length)]));
  const momB = new Map([...values].map(([k, b]) => [k, new Float64Array(b.length)]));
  const velB = new Map([...values].map(([k, b]) => [k, new Float64Array(b.length)]));
  let lrA = s.lrAlpha, lrB = s.lrBeta;
  // The corners' affine-prefix values, updated by differences from step to step (see relaxedForward).
  const corner: CornerCache = { x: null, values: new Map() };
  for (let it = 1; it <= s.iterations && !done(); it++) {
    if (signal?.aborted || performance.now() > deadline) break;
    // The corner minimising each row's linear function; the relaxed network's values there give
    // ∂bound/∂α_j = a_j·z_j (lower line in use) and ∂bound/∂β_j = −s_j·z_j (envelope theorem).
    const x = new Float64Array(rowsTotal * n);
    for (let d = 0; d < D; d++) {
      for (let r = 0; r < R; r++) {
        const o = (d * R + r) * n;
        for (let i = 0; i < n; i++) x[o + i] = res.A[o + i] >= 0 ? region.lo[d * n + i] : region.hi[d * n + i];
      }
    }
    const zs = relaxedForward(net, res.record!, x, rowsTotal, target, corner);
    for (const [k, a] of alphas) {
      const aOut = res.record!.aOut.get(k), z = zs.get(k);
      if (!aOut || !z) continue;
      const mk = momA.get(k)!, vk = velA.get(k)!;
      for (let i = 0; i < a.length; i++) {
        const g = aOut[i] > 0 ? aOut[i] * z[i] : 0;
        const v = a[i] + adam(mk, vk, i, g, it, lrA);
        a[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
    for (const [k, b] of values) {
      const z = zs.get(k), sg = splits.get(k)!;
      if (!z) continue;
      const size = sg.length / D;
      const mk = momB.get(k)!, vk = velB.get(k)!;
      for (let d = 0; d < D; d++) {
        for (let j = 0; j < size; j++) {
          const sj = sg[d * size + j];
          if (sj === 0) continue;
          for (let r = 0; r < R; r++) {
            const i = (d * R + r) * size + j;
            const v = b[i] + adam(mk, vk, i, -sj * z[i], it, lrB);
            b[i] = v > 0 ? v : 0; // projection onto β ≥ 0
          }
        }
      }
    }
    lrA *= s.decay;
    lrB *= s.decay;
    res = backwardBound(net, nb, region, target, A0, R, { alphas, betas, record: true, absCache, magCache });
    passes++;
    for (let d = 0; d < D; d++) {
      for (let r = 0; r < R; r++) {
        const i = d * R + r;
        if (!(res.lower[i] > best[i])) continue;
        best[i] = res.lower[i];
        for (const [k, a] of alphas) {
          const size = a.length / rowsTotal;
          bestAlpha.get(k)?.set(a.subarray(i * size, (i + 1) * size), i * size);
        }
        for (const [k, b] of values) {
          const size = b.length / rowsTotal;
          bestBeta.get(k)!.set(b.subarray(i * size, (i + 1) * size), i * size);
        }
      }
    }
  }
  return { lower: best, alphas: bestAlpha, betas: bestBeta, last: res, passes };
}

/**
 * Per domain, whether its split constraints are proved unsatisfiable over its region (1) or
 * not proved so (0). Proof: β-CROWN on the zero function — on the split domain,
 * 0 ≥ −Σ_j β_j·s_j·z_j for any β ≥ 0, so a sound lower bound of the right-hand side above 0
 * shows that no input satisfies the splits (a Lagrangian/Farkas certificate, validated by the
 * same sound backward pass as every bound). Domains emptied already by the clamped bounds of
 * `nb` (a lower bound above an upper bound) count as proved too.
 */
export function proveSplitsEmpty(net: Network, nb: NodeBounds, region: BatchRegion, splits: SplitSet, settings: Partial<BetaSettings> = {}, signal?: AbortSignal): Uint8Array {
  const D = region.batch;
  const empty = new Uint8Array(D);
  for (const [k, sg] of splits) {
    const v = net.nodes[k].inputs[0], lo = nb.lo[v]!, hi = nb.hi[v]!, size = sg.length / D;
    for (let i = 0; i < sg.length; i++) if (sg[i] !== 0 && lo[i] > hi[i]) empty[Math.floor(i / size)] = 1;
  }
  const out = net.outputIds[0];
  const A0 = new Float64Array(D * net.values[out].size);
  // The first step moves β off 0 (where the bound is exactly 0): a larger step than for rows.
  const res = betaCrown(net, nb, region, out, A0, 1, splits, { lrBeta: 0.5, iterations: 30, ...settings, stopAbove: 0 }, {}, signal);
  for (let d = 0; d < D; d++) if (res.lower[d] > 0) empty[d] = 1;
  return empty;
}

/**
 * Bounds of every value for D split domains of one region: the region's bounds `root` (batch 1,
 * sound over the whole region) repeated D times, each split input clamped to [max(l, 0), u] or
 * [l, min(u, 0)] by its domain's splits. Sound over each split domain (a subset of the region);
 * a clamp that leaves lower > upper marks a domain the splits empty (see proveSplitsEmpty).
 */
export function splitDomainBounds(net: Network, root: NodeBounds, splits: SplitSet, D: number): NodeBounds {
  const rep = (a: Float64Array | undefined) => {
    if (!a) return undefined;
    const out = new Float64Array(D * a.length);
    for (let d = 0; d < D; d++) out.set(a, d * a.length);
    return out;
  };
  const nb: NodeBounds = { lo: root.lo.map(rep), hi: root.hi.map(rep) };
  for (const [k, sg] of splits) {
    const v = net.nodes[k].inputs[0], lo = nb.lo[v]!, hi = nb.hi[v]!;
    for (let i = 0; i < sg.length; i++) {
      if (sg[i] > 0) { if (lo[i] < 0) lo[i] = 0; } else if (sg[i] < 0) { if (hi[i] > 0) hi[i] = 0; }
    }
  }
  return nb;
}
