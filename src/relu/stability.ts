/**
 * ReLU stability by tiers: every element of every ReLU-like node (an op with `breakpoints:
 * 'relu'`) over an input region is `active` (z ≥ 0 on the whole region), `inactive` (z ≤ 0;
 * z ≡ 0 counts as inactive) or `unstable`, with the tier that decided it:
 *
 * - `ibp`: interval bounds (src/bounds/ibp.ts);
 * - `crown`: CROWN's intermediate bounds (src/bounds/crown.ts);
 * - `lp`: per ReLU node in topological order, first an α-CROWN step (CROWN of ±z_j with the
 *   earlier ReLUs' lower slopes optimised; never above the LP optimum, so it decides only what
 *   the LP would; by default it also bounds the sides a witness refutes, so both bounds of
 *   every unstable element are optimised before later nodes' relaxations use them — see
 *   `tightenRefuted`), then the triangle-relaxation LP of each side still open, closest to deciding
 *   first, then (by default) of the refuted sides too, so later nodes see LP-all bounds —
 *   minimised or maximised with HiGHS in one model per node and proved only through its
 *   dual (src/bounds/lp.ts + lp_dual.ts), the whole tier optionally within a time budget (`lpBudget`); later
 *   bounds are recomputed by CROWN from the tightened ones;
 * - `milp`: per ReLU node, one big-M MILP (each op's `milp` encoding for every earlier unstable
 *   element, sound LP-tightened bounds as big-Ms) whose objective changes per element. A MILP
 *   is a search, not a proof: an element is called stable only when the solver's dual bound
 *   stays on the right side of 0 after subtracting its tolerances (integrality tolerance × Σ
 *   big-M + feasibility tolerance × ‖row‖₁, see `milpTolerance`), and `unstable` only with two
 *   re-evaluated inputs of the region whose pre-activations have opposite signs. On networks
 *   with at most 20 inputs each side first gets `babShare` of its time in lipcert's own exact
 *   search (verify's input-splitting branch and bound on the network truncated at the node: an
 *   `unsat` is a sound proof, its counterexamples are only witness candidates). An element
 *   neither proved nor witnessed within the time limit is `unstable` and counted in
 *   `milpTimeouts`.
 *
 * Witnesses: candidate inputs (random samples, LP optima, MILP incumbents) are clamped into
 * the region and evaluated by IBP on the degenerate box [x, x], which charges every rounding
 * of the forward pass: an element is witnessed positive only when that interval is > 0, and
 * negative only when it is < 0. Every tier records witnesses, but below `milp` an element that
 * is not proved stable is reported `unstable` whether or not it was witnessed.
 */
import { optimiseSlopes } from '../bounds/alpha.js';
import { crownIntermediate, FORWARD_MODE_MAX_INPUTS } from '../bounds/crown.js';
import { ibp } from '../bounds/ibp.js';
import { buildNetLP, columnObjectives, getHighs, solveLowerBounds, type Highs } from '../bounds/lp.js';
import { prepare, reluNodes } from '../bounds/prepare.js';

export { reluNodes };
import type { BatchRegion, NodeBounds } from '../bounds/types.js';
import type { SparseLP } from '../bounds/lp_dual.js';
import { vjp } from '../net/gradient.js';
import { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import { regionToBatch, type Region } from '../spec/region.js';
import { addDown, addUp } from '../util/float.js';
import { Rng } from '../util/rng.js';
import GLPK from 'glpk.js/node';

type Glpk = Awaited<ReturnType<typeof GLPK>>;
let glpkPromise: Promise<Glpk> | undefined;
/** The glpk.js runtime, loaded once per process. */
function getGlpk(): Promise<Glpk> {
  glpkPromise ??= GLPK();
  return glpkPromise;
}


export type ReluTier = 'ibp' | 'crown' | 'lp' | 'milp';
export const RELU_TIERS: readonly ReluTier[] = ['ibp', 'crown', 'lp', 'milp'];

/** Settings of `reluStability` (one object; defaults in RELU_DEFAULTS). */
export interface ReluSettings {
  /** Run every tier up to this one. Default 'milp'. */
  method: ReluTier;
  /** Time limit of one element's MILP in seconds (min or max side each). Default 20. */
  milpTime: number;
  /** Time limit of one LP in seconds (a timed-out LP keeps the cheaper bound). Default 5. */
  lpTime: number;
  /** Seconds for the whole MILP tier; elements left when it runs out are reported unstable and counted as timeouts. Default ∞. */
  milpBudget: number;
  /** MILP solver: glpk.js (faster on small MILPs, no early stop) or HiGHS (early stop on a proving bound or an incumbent). Default 'glpk'. */
  solver: 'glpk' | 'highs';
  /**
   * Share of each MILP side's time limit first given to lipcert's own exact search (input-splitting
   * branch and bound of src/search/verify.ts on the network truncated at the node) on networks
   * with at most 20 inputs; the MILP gets the rest. 0: MILP only. Default 0.5.
   */
  babShare: number;
  /** Boxes the milp tier's input-splitting proof (all open sides of a node at once, networks with ≤ 20 inputs) may bound per node before the per-element searches; 0: none. Default 512 (measured on ACAS Xu 1_1 prop_1: it decides the open elements of the second and third ReLU nodes; the deep nodes' elements need far finer boxes). */
  splitLeaves: number;
  /** Seconds for the whole lp tier: its witness searches, α-CROWN steps and LP solves stop at it (the CROWN re-bound after each node is not cut); sides not reached by then stay undecided. The milp tier's big-M LPs ignore it. Default ∞. */
  lpBudget: number;
  /**
   * LP tier: how the sides of an element that a witness already refutes are tightened (they
   * cannot decide the element, but both bounds enter the triangle relaxation of every later
   * node): 'alpha' adds them to the node's α-CROWN step (a few backward passes), 'lp' also solves
   * their LPs after all deciding sides ("LP-all" intermediate bounds), 'none' leaves CROWN's.
   * Measured on ACAS Xu 1_1 prop_3: none 201, alpha 206, lp 206 stable ReLUs (1.65 / 1.68 / 2.07
   * CPU s). With 'lp' the tier's bounds are the per-neuron triangle-relaxation LP optima over
   * LP-all intermediate bounds, as an independent LP confirms (test/relu/lp_tightness.test.ts);
   * 'alpha' stops short of them where 20 α steps do not reach a refuted side's LP optimum (ACAS
   * Xu 2_1 over the prop_1/prop_2 box: 35 instead of 36 stable ReLUs; the same counts on eight
   * other ACAS Xu and mnistfc rows, for 0–70 % less CPU). Under `lpBudget` the refuted sides' LPs
   * come after every deciding side, so a budget cuts them first. The milp tier always solves
   * both sides. Default 'lp'.
   */
  tightenRefuted: 'none' | 'alpha' | 'lp';
  /** Projected-ascent steps of the LP tier's α-CROWN step on each node's open sides before any LP (0: none). Default 20. */
  alphaSteps: number;
  /** Signed-gradient steps of the witness search per node. Default 10. */
  attackSteps: number;
  /** Random inputs of the region tried as witnesses before any LP. Default 256. */
  samples: number;
  /** Seed of the sampler. Default 0. */
  seed: number;
  /** Stop between steps; an aborted run throws its reason. */
  signal?: AbortSignal;
  /** Called after each ReLU node of the LP/MILP tiers (progress). */
  onProgress?: (done: number, total: number, tier: ReluTier) => void;
}

export const RELU_DEFAULTS: ReluSettings = { method: 'milp', milpTime: 20, milpBudget: Infinity, solver: 'glpk', lpTime: 5, lpBudget: Infinity, tightenRefuted: 'lp', babShare: 0.5, splitLeaves: 512, alphaSteps: 20, attackSteps: 10, samples: 256, seed: 0 };

/** Stability of one ReLU-like node's elements (indices into its flattened input). */
export interface ReluLayerStability {
  node: string;
  /** Index of the node in net.nodes. */
  nodeIndex: number;
  /** Value id of the node's input (the pre-activation). */
  input: number;
  size: number;
  /** Sound bounds of each pre-activation over the region (the tightest any tier proved). */
  lo: Float64Array;
  hi: Float64Array;
  /** +1 active, −1 inactive, 0 unstable. */
  status: Int8Array;
  /** Index into RELU_TIERS of the tier that proved a stable element; for unstable elements the tier that witnessed both signs (milp), else −1. */
  tier: Int8Array;
  /** Elements witnessed on the positive / negative side (bit 1 / bit 2). */
  witness: Uint8Array;
  /** Elements the MILP tier neither proved nor witnessed within its time limit. */
  milpTimeouts: number;
}

/** The result of `reluStability`. */
export interface StabilityResult {
  method: ReluTier;
  layers: ReluLayerStability[];
  /** Sound bounds of every value over the region (the last tier's). */
  nodes: NodeBounds;
  /** The region as analysed (box hull of a ball ∩ its domain). */
  region: BatchRegion;
  /** Seconds spent per tier. */
  seconds: Record<ReluTier, number>;
  /** MILPs solved (element sides), for diagnostics. */
  milps: number;
}


// ---- witnesses ----------------------------------------------------------------------------------

/**
 * Points of the region: a box `lo..hi` that lies inside the real region (for a ball, the box
 * hull shrunk so rounding cannot leave the ball), plus for ℓ1/ℓ2 balls a norm check.
 */
export interface WitnessRegion {
  lo: Float64Array;
  hi: Float64Array;
  ball?: { center: Float64Array; radius: number; norm: '1' | '2' | 'inf' };
}

/** The region witnesses must lie in (see WitnessRegion); a BatchRegion (batch 1) is read through its ball, if any, and its box. */
export function witnessRegion(region: Region | BatchRegion, n: number): WitnessRegion {
  if ('batch' in region) {
    if (!region.ball) return { lo: region.lo.slice(0, n), hi: region.hi.slice(0, n) };
    const w = witnessRegion({ kind: 'ball', center: region.ball.center.slice(0, n), radius: region.ball.radius, norm: region.ball.norm, domain: { lo: region.lo.slice(0, n), hi: region.hi.slice(0, n) } }, n);
    return w;
  }
  if (region.kind === 'box') return { lo: Float64Array.from(region.lo), hi: Float64Array.from(region.hi) };
  const { center, radius, norm, domain } = region;
  const lo = new Float64Array(n), hi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Inward rounding: c − r rounded up, c + r rounded down.
    lo[i] = addUp(center[i], -radius);
    hi[i] = addDown(center[i], radius);
    if (lo[i] > center[i]) lo[i] = center[i];
    if (hi[i] < center[i]) hi[i] = center[i];
    if (domain) {
      if (domain.lo[i] > lo[i]) lo[i] = domain.lo[i];
      if (domain.hi[i] < hi[i]) hi[i] = domain.hi[i];
      if (lo[i] > hi[i]) { lo[i] = Math.max(domain.lo[i], Math.min(center[i], domain.hi[i])); hi[i] = lo[i]; }
    }
  }
  return norm === 'inf' ? { lo, hi } : { lo, hi, ball: { center, radius, norm } };
}

/** Clamp x into the witness region; null when it cannot be placed there (outside an ℓ1/ℓ2 ball). */
export function placeInRegion(w: WitnessRegion, x: Float64Array): Float64Array | null {
  const n = w.lo.length;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = x[i] < w.lo[i] ? w.lo[i] : x[i] > w.hi[i] ? w.hi[i] : x[i];
  if (!w.ball) return y;
  const { center, radius, norm } = w.ball;
  let s = 0;
  for (let i = 0; i < n; i++) { const d = Math.abs(y[i] - center[i]); s += norm === '1' ? d : d * d; }
  const len = norm === '1' ? s : Math.sqrt(s);
  // A relative margin far above the rounding of this sum keeps the real norm ≤ r.
  if (len <= radius * (1 - 1e-9)) return y;
  const t = (radius * (1 - 1e-6)) / len;
  for (let i = 0; i < n; i++) {
    y[i] = center[i] + t * (y[i] - center[i]);
    if (y[i] < w.lo[i]) y[i] = w.lo[i];
    if (y[i] > w.hi[i]) y[i] = w.hi[i];
  }
  s = 0;
  for (let i = 0; i < n; i++) { const d = Math.abs(y[i] - center[i]); s += norm === '1' ? d : d * d; }
  return (norm === '1' ? s : Math.sqrt(s)) <= radius * (1 - 1e-9) ? y : null;
}

/** Random points of the witness region (uniform in its box, pulled into an ℓ1/ℓ2 ball). */
export function samplePoints(w: WitnessRegion, count: number, rng: Rng): Float64Array[] {
  const n = w.lo.length;
  const out: Float64Array[] = [];
  const mid = new Float64Array(n);
  for (let i = 0; i < n; i++) mid[i] = w.lo[i] + 0.5 * (w.hi[i] - w.lo[i]);
  const c = placeInRegion(w, w.ball ? w.ball.center : mid);
  if (c) out.push(c);
  for (let s = 0; s < count; s++) {
    const x = new Float64Array(n);
    const mode = rng.next();
    for (let i = 0; i < n; i++) {
      // A third of the points on the box's vertices (where affine pre-activations are extreme).
      x[i] = mode < 0.33 ? (rng.next() < 0.5 ? w.lo[i] : w.hi[i]) : rng.uniform(w.lo[i], w.hi[i]);
    }
    if (w.ball) {
      const t = Math.pow(rng.next(), 1 / Math.max(1, Math.min(n, 8)));
      for (let i = 0; i < n; i++) x[i] = w.ball.center[i] + t * (x[i] - w.ball.center[i]);
    }
    const y = placeInRegion(w, x);
    if (y) out.push(y);
  }
  return out;
}

/**
 * Record sign witnesses of every ReLU element at the given points (already inside the region):
 * IBP on the degenerate boxes [x, x] gives sound intervals of each pre-activation at x, every
 * rounding of the forward pass charged. Returns the number of new witness bits.
 */
export function recordWitnesses(net: Network, layers: ReluLayerStability[], points: Float64Array[]): number {
  if (points.length === 0) return 0;
  const n = net.inputSize;
  let added = 0;
  const CH = 64;
  for (let p0 = 0; p0 < points.length; p0 += CH) {
    const B = Math.min(CH, points.length - p0);
    const x = new Float64Array(B * n);
    for (let b = 0; b < B; b++) x.set(points[p0 + b], b * n);
    const nb = ibp(net, { batch: B, lo: x, hi: x });
    for (const L of layers) {
      const lo = nb.lo[L.input]!, hi = nb.hi[L.input]!;
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < L.size; j++) {
          const w = L.witness[j];
          if (w === 3) continue;
          let v = w;
          if (lo[b * L.size + j] > 0) v |= 1;
          if (hi[b * L.size + j] < 0) v |= 2;
          if (v !== w) { L.witness[j] = v; added++; }
        }
      }
    }
  }
  return added;
}

/**
 * Candidate witnesses for the undecided elements of one ReLU node: per element and side, a
 * short signed-gradient descent of ±z_j inside the region's box (the truncated network's
 * vector–Jacobian product), started from the box centre and a random point. The points are
 * only candidates: `recordWitnesses` re-evaluates them soundly.
 */
function attackLayer(net: Network, L: ReluLayerStability, w: WitnessRegion, rng: Rng, steps = 10, starts = 2): Float64Array[] {
  const targets: [number, number][] = [];
  for (let j = 0; j < L.size; j++) {
    if (L.status[j] !== 0) continue;
    if (!(L.witness[j] & 1)) targets.push([j, -1]); // look for z_j > 0: minimise −z_j
    if (!(L.witness[j] & 2)) targets.push([j, 1]); // look for z_j < 0
  }
  if (targets.length === 0) return [];
  const producer = net.nodes.findIndex((nd) => nd.output === L.input);
  if (producer < 0) return [];
  const sub = new Network(net.values, net.nodes.slice(0, producer + 1), net.inputIds, [L.input], net.meta);
  const n = net.inputSize, B = starts * targets.length;
  const x = new Float64Array(B * n);
  // Start 0 of each target at the box centre, the others at random points.
  for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) x[b * n + i] = b % starts === 0 ? 0.5 * (w.lo[i] + w.hi[i]) : rng.uniform(w.lo[i], w.hi[i]);
  const g = new Float64Array(B * L.size);
  targets.forEach(([j, sign], t) => { for (let q = 0; q < starts; q++) g[(starts * t + q) * L.size + j] = sign; });
  for (let s = 0; s < steps; s++) {
    const { grad } = vjp(sub, x, g, B);
    const frac = 0.5 * Math.pow(0.6, s);
    for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) {
      const d = grad[b * n + i];
      if (d === 0) continue;
      const v = x[b * n + i] - frac * (w.hi[i] - w.lo[i]) * Math.sign(d);
      x[b * n + i] = v < w.lo[i] ? w.lo[i] : v > w.hi[i] ? w.hi[i] : v;
    }
  }
  const out: Float64Array[] = [];
  for (let b = 0; b < B; b++) { const y = placeInRegion(w, x.subarray(b * n, (b + 1) * n)); if (y) out.push(y); }
  return out;
}

// ---- tiers ----------------------------------------------------------------------------------------

function decide(layers: ReluLayerStability[], nodes: NodeBounds, tier: number): void {
  for (const L of layers) {
    const lo = nodes.lo[L.input]!, hi = nodes.hi[L.input]!;
    for (let j = 0; j < L.size; j++) {
      if (lo[j] > L.lo[j]) L.lo[j] = lo[j];
      if (hi[j] < L.hi[j]) L.hi[j] = hi[j];
      if (L.status[j] !== 0) continue;
      if (L.hi[j] <= 0) { L.status[j] = -1; L.tier[j] = tier; } else if (L.lo[j] >= 0) { L.status[j] = 1; L.tier[j] = tier; }
    }
  }
}

function copyNodes(nb: NodeBounds): NodeBounds {
  return { lo: nb.lo.map((a) => a && Float64Array.from(a)), hi: nb.hi.map((a) => a && Float64Array.from(a)) };
}

/** Write the layers' tightened pre-activation bounds into node bounds (so later passes use them). */
function pushLayerBounds(nodes: NodeBounds, L: ReluLayerStability): void {
  const lo = nodes.lo[L.input]!, hi = nodes.hi[L.input]!;
  for (let j = 0; j < L.size; j++) {
    if (L.lo[j] > lo[j]) lo[j] = L.lo[j];
    if (L.hi[j] < hi[j]) hi[j] = L.hi[j];
    // A stable element's bound is clamped at the kink: z ≥ 0 resp. z ≤ 0 is proved.
    if (L.status[j] === 1 && lo[j] < 0) lo[j] = 0;
    if (L.status[j] === -1 && hi[j] > 0) hi[j] = 0;
  }
}

/** Input part of an LP/MILP solution vector, placed into the region. */
function inputPoint(net: Network, colOf: (Int32Array | undefined)[], sol: ArrayLike<number>, w: WitnessRegion): Float64Array | null {
  const cols = colOf[net.inputIds[0]];
  if (!cols) return null;
  const x = new Float64Array(net.inputSize);
  for (let i = 0; i < x.length; i++) x[i] = cols[i] >= 0 ? sol[cols[i]] : 0.5 * (w.lo[i] + w.hi[i]);
  return placeInRegion(w, x);
}

/**
 * LP tier on one ReLU node: min and max of each undecided pre-activation over the triangle
 * relaxation, proved through the dual. Tightens L.lo/L.hi; returns the LP optima's inputs.
 */
function lpLayer(net: Network, highs: Highs, nodes: NodeBounds, L: ReluLayerStability, s: ReluSettings, w: WitnessRegion, tighten: boolean, deadline = Infinity): Float64Array[] {
  // Sides to solve: min z_j (could prove active) unless a negative witness refutes it, max z_j
  // likewise; with `tighten` (big-Ms of the MILP, or LP-all intermediate bounds), also the sides
  // a witness refutes, after all the others (they only tighten bounds, they cannot decide).
  // Sides closest to being decided first (their bound's distance from 0 relative to the
  // interval's width), so a budget cut leaves the hopeless ones.
  const sides: { j: number; lower: boolean; key: number }[] = [];
  for (let j = 0; j < L.size; j++) {
    if (L.status[j] !== 0) continue;
    const width = Math.max(1e-300, L.hi[j] - L.lo[j]);
    const refMin = (L.witness[j] & 2) !== 0, refMax = (L.witness[j] & 1) !== 0;
    // Relative distance from deciding, in [0, 1] (1 when a bound is infinite).
    const rel = (g: number) => (g >= 0 && g <= 1 ? g : 1);
    if (tighten || !refMin) sides.push({ j, lower: true, key: (refMin ? 2 : 0) + rel(-L.lo[j] / width) });
    if (tighten || !refMax) sides.push({ j, lower: false, key: (refMax ? 2 : 0) + rel(L.hi[j] / width) });
  }
  if (sides.length === 0) return [];
  sides.sort((a, b) => a.key - b.key);
  const lp = buildNetLP(net, nodes, 0, L.input);
  const objs: Float64Array[] = sides.map(({ j, lower }) => { const e = new Float64Array(L.size); e[j] = lower ? 1 : -1; return e; });
  const { cols, costs } = columnObjectives(lp, L.input, objs);
  const primals: (Float64Array | null)[] = new Array(costs.length).fill(null);
  const b = solveLowerBounds(highs, lp, cols, costs, s.lpTime, s.signal, primals, deadline, PRIMAL_SIMPLEX);
  sides.forEach(({ j, lower }, i) => {
    if (lower) { const l = b[i]; if (l > L.lo[j] && l <= L.hi[j]) L.lo[j] = l; } else { const u = -b[i]; if (u < L.hi[j] && u >= L.lo[j]) L.hi[j] = u; }
  });
  const pts: Float64Array[] = [];
  for (const p of primals) {
    if (!p) continue;
    const x = inputPoint(net, lp.colOf, p, w);
    if (x) pts.push(x);
  }
  return pts;
}

/** HiGHS's primal simplex: after an objective change the last basis stays primal feasible (measured on ACAS Xu: 413 instead of 727 iterations, 1.8× less CPU per LP). */
const PRIMAL_SIMPLEX = { simplex_strategy: 4 };

/**
 * α-CROWN step of the LP tier on one ReLU node: CROWN bounds of ±z_j for every undecided
 * element's open sides (those no witness refutes; with `bothSides` also the refuted ones, whose
 * bounds cannot decide the element but tighten the relaxation of every later node), tightened by projected ascent on the earlier
 * ReLUs' lower slopes (src/bounds/alpha.ts; every iterate is a sound CROWN bound). Tightens
 * L.lo/L.hi. Its bound never exceeds the triangle LP's optimum (same relaxation, fixed slopes per
 * iterate), so it decides only elements the LP would decide too, each at the cost of a few
 * backward passes instead of an LP solve. Returns the number of rows bounded.
 */
function alphaLayer(net: Network, nodes: NodeBounds, region: BatchRegion, L: ReluLayerStability, iterations: number, signal?: AbortSignal, bothSides = false, deadline = Infinity): number {
  const sides: [number, number][] = [];
  for (let j = 0; j < L.size; j++) {
    if (L.status[j] !== 0) continue;
    if (bothSides || !(L.witness[j] & 2)) sides.push([j, 1]); // min z_j ≥ 0 would prove active
    if (bothSides || !(L.witness[j] & 1)) sides.push([j, -1]); // max z_j ≤ 0 would prove inactive
  }
  if (sides.length === 0) return 0;
  const R = sides.length;
  const A0 = new Float64Array(R * L.size);
  sides.forEach(([j, sign], r) => { A0[r * L.size + j] = sign; });
  const { lower } = optimiseSlopes(net, nodes, region, L.input, A0, R, { iterations }, signal, deadline);
  sides.forEach(([j, sign], r) => {
    const b = lower[r];
    if (!(b > -Infinity)) return;
    if (sign === 1) { if (b > L.lo[j] && b <= L.hi[j]) L.lo[j] = b; } else if (-b < L.hi[j] && -b >= L.lo[j]) L.hi[j] = -b;
  });
  return R;
}

/**
 * The proof tolerance of a MILP bound: integrality tolerance × Σ big-M over the binaries, plus
 * the feasibility tolerance × the largest ‖row‖₁ (coefficients and finite bounds) × the number
 * of rows a violation may pass through (the ReLU depth + 1), times a safety factor 10.
 */
function milpTolerance(intTol: number, feasTol: number, sumBigM: number, maxRowNorm: number, depth: number): number {
  return 10 * (intTol * sumBigM + feasTol * maxRowNorm * (depth + 1));
}

const MIP_FEASIBILITY_TOL = 1e-9;
const PRIMAL_FEASIBILITY_TOL = 1e-9;

/** The MILP of one ReLU node: the LP over everything it depends on plus each earlier unstable element's encoding. */
interface NodeMilp extends SparseLP {
  integrality: Int32Array;
  colOf: (Int32Array | undefined)[];
  tolerance: number;
  binaries: number;
  sumBigM: number;
  maxRowNorm: number;
}

function buildNodeMilp(net: Network, nodes: NodeBounds, target: number, depth: number): NodeMilp {
  const lp = buildNetLP(net, nodes, 0, target);
  const prep = prepare(net);
  const starts: number[] = Array.from(lp.starts);
  const indices: number[] = Array.from(lp.indices);
  const values: number[] = Array.from(lp.values);
  const rowLower: number[] = Array.from(lp.rowLower), rowUpper: number[] = Array.from(lp.rowUpper);
  const colLower: number[] = Array.from(lp.colLower), colUpper: number[] = Array.from(lp.colUpper);
  let sumBigM = 0, binaries = 0;
  const last = prep.producer[target];
  for (let k = 0; k < last; k++) {
    const node = net.nodes[k];
    if (!node.kind.milp || node.inputs.length !== 1) continue;
    const xc = lp.colOf[node.inputs[0]], yc = lp.colOf[node.output];
    if (!xc || !yc) continue;
    const lo = nodes.lo[node.inputs[0]]!, hi = nodes.hi[node.inputs[0]]!;
    for (let j = 0; j < xc.length; j++) {
      if (xc[j] < 0 || yc[j] < 0) continue;
      const enc = node.kind.milp(node.params, lo[j], hi[j]);
      if (!enc.binary) continue;
      const z = colLower.length;
      colLower.push(0); colUpper.push(1);
      binaries++;
      sumBigM += Math.max(Math.abs(lo[j]), Math.abs(hi[j]));
      for (const r of enc.rows) {
        const entries: [number, number][] = [];
        const add = (c: number, v: number) => {
          if (v === 0) return;
          const e = entries.find((q) => q[0] === c);
          if (e) e[1] += v; else entries.push([c, v]);
        };
        add(xc[j], r.cx); add(yc[j], r.cy); add(z, r.cz);
        for (const [c, v] of entries) { indices.push(c); values.push(v); }
        starts.push(indices.length);
        rowLower.push(r.lower); rowUpper.push(r.upper);
      }
    }
  }
  const numCols = colLower.length, numRows = rowLower.length;
  const integrality = new Int32Array(numCols);
  for (let c = lp.numCols; c < numCols; c++) integrality[c] = 1;
  let maxRowNorm = 0;
  for (let r = 0; r < numRows; r++) {
    let s = 0;
    for (let q = starts[r]; q < starts[r + 1]; q++) s += Math.abs(values[q]);
    const lb = Number.isFinite(rowLower[r]) ? Math.abs(rowLower[r]) : 0, ub = Number.isFinite(rowUpper[r]) ? Math.abs(rowUpper[r]) : 0;
    s += Math.max(lb, ub);
    if (s > maxRowNorm) maxRowNorm = s;
  }
  return {
    numCols, numRows,
    starts: Int32Array.from(starts), indices: Int32Array.from(indices), values: Float64Array.from(values),
    rowLower: Float64Array.from(rowLower), rowUpper: Float64Array.from(rowUpper),
    colLower: Float64Array.from(colLower), colUpper: Float64Array.from(colUpper),
    integrality, colOf: lp.colOf,
    tolerance: milpTolerance(MIP_FEASIBILITY_TOL, PRIMAL_FEASIBILITY_TOL, sumBigM, maxRowNorm, depth),
    binaries, sumBigM, maxRowNorm,
  };
}

/** Outcome of one side (min of sign·z_j) of one element's MILP. */
interface SideResult {
  /** The proved lower bound of sign·z_j (after the tolerance), −∞ when none. */
  proved: number;
  /** Incumbent solutions found (candidate witnesses; never trusted as such). */
  candidates: Float64Array[];
}

function solveSide(highs: Highs, model: ReturnType<Highs['createModel']>, m: NodeMilp, col: number, sign: number, timeLimit: number): SideResult {
  const C = highs.constants.callbackType;
  model.changeColsCost({ kind: 'set', indices: Int32Array.of(col) }, Float64Array.of(sign));
  model.clearSolver();
  model.zeroAllClocks();
  model.options.set('time_limit', timeLimit);
  let dual = -Infinity;
  const candidates: Float64Array[] = [];
  model.run({
    [C.mipImprovingSolution](e) {
      if (e.data.mip_solution && (e.data.objective_function_value ?? 0) < 0) candidates.push(Float64Array.from(e.data.mip_solution));
    },
    [C.mipInterrupt](e) {
      const d = e.data.mip_dual_bound;
      if (typeof d === 'number' && d > dual) dual = d;
      // Early stop: the bound proves the side, or an incumbent is clearly on the other side.
      if (dual - m.tolerance >= 0) e.interrupt();
      else if ((e.data.mip_primal_bound ?? Infinity) < -1e-6 && candidates.length > 0) e.interrupt();
    },
  });
  const status = model.getModelStatus();
  const S = highs.constants.modelStatus;
  // Only a branch-and-bound's dual bound counts (without binaries the model is the LP the LP
  // tier already proved through its dual), and never from a model the solver calls infeasible.
  if (m.binaries > 0 && status !== S.infeasible) {
    try {
      const d = Number(model.info.get('mip_dual_bound'));
      if (Number.isFinite(d) && d > dual) dual = d;
    } catch { /* no MIP information: keep the callbacks' bound */ }
  } else {
    dual = -Infinity;
  }
  if (status === S.optimal) {
    const sol = model.getSolution();
    if (sign * sol.colValue[col] < 0) candidates.push(Float64Array.from(sol.colValue));
  }
  model.changeColsCost({ kind: 'set', indices: Int32Array.of(col) }, Float64Array.of(0));
  const proved = dual - m.tolerance;
  return { proved: Number.isFinite(proved) ? proved : -Infinity, candidates };
}

/** glpk's integrality and primal feasibility tolerances (its defaults; glpk.js does not expose them). */
const GLPK_INT_TOL = 1e-5;
const GLPK_FEAS_TOL = 1e-7;

/** The MILP in glpk.js's object form (objective filled per side). */
function glpkProblem(m: NodeMilp, glpk: Glpk): { lp: import('glpk.js/node').LP; names: string[] } {
  const names = Array.from({ length: m.numCols }, (_, c) => `c${c}`);
  const bnd = (lo: number, hi: number) => {
    const fl = Number.isFinite(lo), fh = Number.isFinite(hi);
    if (fl && fh) return lo === hi ? { type: glpk.GLP_FX, lb: lo, ub: hi } : { type: glpk.GLP_DB, lb: lo, ub: hi };
    if (fl) return { type: glpk.GLP_LO, lb: lo, ub: 0 };
    if (fh) return { type: glpk.GLP_UP, lb: 0, ub: hi };
    return { type: glpk.GLP_FR, lb: 0, ub: 0 };
  };
  const subjectTo = [];
  for (let r = 0; r < m.numRows; r++) {
    const vars = [];
    for (let q = m.starts[r]; q < m.starts[r + 1]; q++) vars.push({ name: names[m.indices[q]], coef: m.values[q] });
    subjectTo.push({ name: `r${r}`, vars, bnds: bnd(m.rowLower[r], m.rowUpper[r]) });
  }
  const bounds = [];
  const binaries: string[] = [];
  for (let c = 0; c < m.numCols; c++) {
    if (m.integrality[c]) binaries.push(names[c]);
    else bounds.push({ name: names[c], ...bnd(m.colLower[c], m.colUpper[c]) });
  }
  return { lp: { name: 'relu', objective: { direction: glpk.GLP_MIN, name: 'obj', vars: [] }, subjectTo, bounds, binaries }, names };
}

function solveSideGlpk(glpk: Glpk, prob: { lp: import('glpk.js/node').LP; names: string[] }, m: NodeMilp, col: number, sign: number, timeLimit: number, depth: number): SideResult {
  prob.lp.objective = { direction: glpk.GLP_MIN, name: 'obj', vars: [{ name: prob.names[col], coef: sign }] };
  const res = glpk.solve(prob.lp, { msglev: glpk.GLP_MSG_OFF, tmlim: timeLimit, mipgap: 0, presol: true });
  const candidates: Float64Array[] = [];
  let proved = -Infinity;
  const st = res.result.status;
  if (st === glpk.GLP_OPT || st === glpk.GLP_FEAS) {
    const sol = new Float64Array(m.numCols);
    for (let c = 0; c < m.numCols; c++) sol[c] = res.result.vars[prob.names[c]] ?? 0;
    if (sign * sol[col] < 0) candidates.push(sol);
    // Only a MILP's proved optimum counts (without binaries it is the LP the LP tier proved through its dual).
    if (st === glpk.GLP_OPT && m.binaries > 0) {
      const tol = milpTolerance(GLPK_INT_TOL, GLPK_FEAS_TOL, m.sumBigM, m.maxRowNorm, depth);
      const p = res.result.z - tol;
      if (Number.isFinite(p)) proved = p;
    }
  }
  return { proved, candidates };
}

/**
 * Input-splitting proof of one node's open sides at once (networks with few inputs): the region's
 * box is bisected along its relatively widest dimension, breadth first, and every sub-box gets
 * CROWN intermediate bounds of the network truncated at the node (batched; the root's sound
 * bounds intersected in, as they hold on every sub-box). A side "z_j ≥ 0" (resp. "≤ 0") is proved
 * when every leaf's sound bound satisfies it — the leaves cover the box, so that is a proof on the
 * whole region. Only leaves that fail some open side are split; the sub-box centres are tried as
 * witnesses, and a side a witness refutes stops being pursued. Stops after `maxLeaves` bounded
 * boxes or at `deadline`. Decides elements (tier milp, the exact tier); returns the boxes bounded.
 */
function splitProveLayer(net: Network, L: ReluLayerStability, layers: ReluLayerStability[], nodes: NodeBounds, region: BatchRegion, w: WitnessRegion, maxLeaves: number, deadline: number, signal?: AbortSignal): number {
  if (!L.status.some((v, j) => v === 0 && L.witness[j] !== 3) || region.lo.length !== net.inputSize) return 0;
  const producer = net.nodes.findIndex((nd) => nd.output === L.input);
  const sub = new Network(net.values, net.nodes.slice(0, producer + 1), net.inputIds, [L.input], net.meta);
  const n = net.inputSize, size = L.size, BATCH = 128;
  const rootW = new Float64Array(n);
  for (let i = 0; i < n; i++) rootW[i] = region.hi[i] - region.lo[i];
  // The root's bounds, replicated for a batch (intersectInPlace reads the first D·size entries).
  const parent: NodeBounds = { lo: [], hi: [] };
  for (let v = 0; v < net.values.length; v++) {
    const lo = nodes.lo[v], hi = nodes.hi[v], sz = net.values[v].size;
    if (!lo || !hi || lo.length !== sz || v === net.inputIds[0]) continue;
    const pl = new Float64Array(2 * BATCH * sz), ph = new Float64Array(2 * BATCH * sz);
    for (let d = 0; d < 2 * BATCH; d++) { pl.set(lo, d * sz); ph.set(hi, d * sz); }
    parent.lo[v] = pl; parent.hi[v] = ph;
  }
  interface Leaf { lo: Float64Array; hi: Float64Array; zl: Float64Array; zh: Float64Array }
  // failA[j] / failI[j]: some leaf already set aside does not prove z_j ≥ 0 / z_j ≤ 0 (that side
  // is then out of reach, as is a side a witness refutes).
  const failA = new Uint8Array(size), failI = new Uint8Array(size);
  const wantA = (j: number) => !(L.witness[j] & 2) && !failA[j];
  const wantI = (j: number) => !(L.witness[j] & 1) && !failI[j];
  const open = (): number[] => { const o: number[] = []; for (let j = 0; j < size; j++) if (L.status[j] === 0 && (wantA(j) || wantI(j))) o.push(j); return o; };
  // A leaf needs splitting when, for some open element, it proves none of the sides still wanted.
  const dirty = (f: Leaf, o: number[]) => o.some((j) => !((wantA(j) && f.zl[j] >= 0) || (wantI(j) && f.zh[j] <= 0)));
  const setAside = (f: Leaf) => { for (let j = 0; j < size; j++) { if (!(f.zl[j] >= 0)) failA[j] = 1; if (!(f.zh[j] <= 0)) failI[j] = 1; } };
  let queue: Leaf[] = [{ lo: region.lo.slice(0, n), hi: region.hi.slice(0, n), zl: L.lo.slice(), zh: L.hi.slice() }];
  let bounded = 0, cleared = 0;
  while (bounded < maxLeaves && performance.now() < deadline) {
    if (signal?.aborted) throw signal.reason;
    const o = open();
    if (o.length === 0) break;
    const keep: Leaf[] = [];
    for (const f of queue) if (dirty(f, o)) keep.push(f); else { setAside(f); cleared++; }
    queue = keep;
    if (queue.length === 0) break;
    // No box settled after a few hundred: the sides need far finer boxes than this search affords.
    if (bounded >= 256 && cleared === 0) break;
    // Bisect the first leaves (breadth first); each is replaced by its two halves, which cover it.
    const parents = queue.splice(0, Math.min(BATCH, queue.length));
    const D = 2 * parents.length;
    const lo = new Float64Array(D * n), hi = new Float64Array(D * n);
    parents.forEach((f, q) => {
      let dim = 0, best = -1;
      for (let i = 0; i < n; i++) { const r = rootW[i] > 0 ? (f.hi[i] - f.lo[i]) / rootW[i] : 0; if (r > best) { best = r; dim = i; } }
      const mid = f.lo[dim] + 0.5 * (f.hi[dim] - f.lo[dim]);
      for (let c = 0; c < 2; c++) {
        const d = 2 * q + c;
        lo.set(f.lo, d * n); hi.set(f.hi, d * n);
        if (c === 0) hi[d * n + dim] = mid; else lo[d * n + dim] = mid;
      }
    });
    const nb = crownIntermediate({ net: sub, region: { batch: D, lo, hi }, parent, signal });
    bounded += D;
    const zl = nb.lo[L.input]!, zh = nb.hi[L.input]!;
    const centres: Float64Array[] = [];
    for (let d = 0; d < D; d++) {
      const leaf: Leaf = { lo: lo.slice(d * n, (d + 1) * n), hi: hi.slice(d * n, (d + 1) * n), zl: zl.slice(d * size, (d + 1) * size), zh: zh.slice(d * size, (d + 1) * size) };
      queue.push(leaf);
      const c = new Float64Array(n);
      for (let i = 0; i < n; i++) c[i] = leaf.lo[i] + 0.5 * (leaf.hi[i] - leaf.lo[i]);
      const x = placeInRegion(w, c);
      if (x) centres.push(x);
    }
    recordWitnesses(net, layers, centres);
  }
  // The leaves set aside and those still queued cover the box: a side holds when all of them prove it.
  for (let j = 0; j < size; j++) {
    if (L.status[j] !== 0) continue;
    if (!failA[j] && queue.every((f) => f.zl[j] >= 0)) { L.status[j] = 1; L.tier[j] = 3; if (L.lo[j] < 0) L.lo[j] = 0; }
    else if (!failI[j] && queue.every((f) => f.zh[j] <= 0)) { L.status[j] = -1; L.tier[j] = 3; if (L.hi[j] > 0) L.hi[j] = 0; }
  }
  return bounded;
}

/**
 * lipcert's own exact search on one side of one element: `verify` (input-splitting branch and
 * bound with sound CROWN/α-CROWN bounds per box, src/search/verify.ts) on the network truncated
 * at the element's node, asked whether sign·z_j ≤ 0 is reachable. `unsat` proves sign·z_j > 0
 * on the whole box; a counterexample is only a candidate witness (re-checked by the caller).
 */
async function babSide(sub: Network, box: { lo: Float64Array; hi: Float64Array }, size: number, j: number, sign: number, timeLimit: number, signal?: AbortSignal): Promise<{ proved: boolean; candidate: Float64Array | null }> {
  const { verify } = await import('../search/verify.js');
  const C = new Float64Array(size);
  C[j] = sign;
  const prop = { numInputs: sub.inputSize, numOutputs: size, disjuncts: [{ box, outputs: [{ C, d: Float64Array.of(0), rows: 1, numOutputs: size }] }] };
  const v = await verify(sub, prop, { timeout: timeLimit, settings: { workers: 1 }, signal });
  return { proved: v.result === 'unsat', candidate: v.counterexample ? Float64Array.from(v.counterexample.input) : null };
}

/** MILP tier on one ReLU node: decide every element still undecided and unwitnessed. Returns the number of MILP sides solved. */
async function milpLayer(net: Network, highs: Highs, glpk: Glpk | null, nodes: NodeBounds, L: ReluLayerStability, layers: ReluLayerStability[], depth: number, s: ReluSettings, w: WitnessRegion, deadline: number, region: BatchRegion): Promise<number> {
  // Few inputs: one input-splitting proof for all the node's open sides before any MILP.
  if (s.splitLeaves > 0 && net.inputSize <= FORWARD_MODE_MAX_INPUTS) splitProveLayer(net, L, layers, nodes, region, w, s.splitLeaves, deadline, s.signal);
  const todo: number[] = [];
  for (let j = 0; j < L.size; j++) if (L.status[j] === 0 && L.witness[j] !== 3) todo.push(j);
  if (todo.length === 0) return 0;
  const m = buildNodeMilp(net, nodes, L.input, depth);
  const cols = m.colOf[L.input]!;
  let solved = 0;
  const prob = glpk ? glpkProblem(m, glpk) : null;
  const model = highs.createModel({
    numCols: m.numCols, numRows: m.numRows,
    colCost: new Float64Array(m.numCols), colLower: m.colLower, colUpper: m.colUpper,
    rowLower: m.rowLower, rowUpper: m.rowUpper,
    matrix: { format: 'csr', numRows: m.numRows, numCols: m.numCols, starts: m.starts, indices: m.indices, values: m.values },
    ...(m.binaries > 0 ? { integrality: m.integrality } : {}),
  });
  // lipcert's own search first on networks with few inputs (where input splitting is strong).
  const useBab = s.babShare > 0 && net.inputSize <= FORWARD_MODE_MAX_INPUTS;
  let sub: Network | null = null;
  if (useBab) {
    const producer = net.nodes.findIndex((nd) => nd.output === L.input);
    sub = new Network(net.values, net.nodes.slice(0, producer + 1), net.inputIds, [L.input], net.meta);
  }
  const box = { lo: Float64Array.from(region.lo), hi: Float64Array.from(region.hi) };
  try {
    model.options.set({ output_flag: false, mip_feasibility_tolerance: MIP_FEASIBILITY_TOL, primal_feasibility_tolerance: PRIMAL_FEASIBILITY_TOL, mip_rel_gap: 0, mip_abs_gap: 0 });
    for (const j of todo) {
      if (s.signal?.aborted) throw s.signal.reason;
      if (cols[j] < 0) continue; // no column: the LP found it needs none (cannot happen for an undecided element)
      // Active side first when no negative witness: min z_j ≥ 0 proves active.
      for (const sign of [1, -1]) {
        if (L.status[j] !== 0 || L.witness[j] === 3 || performance.now() > deadline) break;
        const bit = sign === 1 ? 2 : 1; // the witness that refutes this side
        if (L.witness[j] & bit) continue;
        if (sub) {
          const t = Math.max(0.05, Math.min(s.babShare * s.milpTime, (deadline - performance.now()) / 1000));
          const b = await babSide(sub, box, L.size, j, sign, t, s.signal);
          if (b.proved) {
            L.status[j] = sign === 1 ? 1 : -1;
            L.tier[j] = 3;
            if (sign === 1 && L.lo[j] < 0) L.lo[j] = 0;
            if (sign === -1 && L.hi[j] > 0) L.hi[j] = 0;
            break;
          }
          if (b.candidate) { const x = placeInRegion(w, b.candidate); if (x) recordWitnesses(net, layers, [x]); }
          if (L.witness[j] & bit || performance.now() > deadline) continue;
        }
        const limit = Math.max(0.05, Math.min(s.milpTime * (sub ? 1 - s.babShare : 1), (deadline - performance.now()) / 1000));
        let r = glpk ? solveSideGlpk(glpk, prob!, m, cols[j], sign, limit, depth) : solveSide(highs, model, m, cols[j], sign, limit);
        solved++;
        if (glpk && r.proved < 0) {
          // glpk neither proved the side nor (maybe) left a usable witness: HiGHS gets a second try
          // when the first candidate does not witness the other side (measured: it settles such cases).
          const before = L.witness[j];
          const pts0: Float64Array[] = [];
          for (const c of r.candidates) { const x = inputPoint(net, m.colOf, c, w); if (x) pts0.push(x); }
          recordWitnesses(net, layers, pts0);
          if (!(L.witness[j] & bit) && before === L.witness[j]) {
            const left = Math.max(0.05, Math.min(s.milpTime, (deadline - performance.now()) / 1000));
            const r2 = solveSide(highs, model, m, cols[j], sign, left);
            solved++;
            r = { proved: Math.max(r.proved, r2.proved), candidates: r2.candidates };
          }
        }
        if (r.proved >= 0) {
          L.status[j] = sign === 1 ? 1 : -1;
          L.tier[j] = 3;
          if (sign === 1 && L.lo[j] < 0) L.lo[j] = 0;
          if (sign === -1 && L.hi[j] > 0) L.hi[j] = 0;
          break;
        }
        // A MILP bound that does not prove the side is not used as a bound (big-Ms and later
        // bounds stay outward-rounded sound bounds from IBP/CROWN/LP duals).
        const pts: Float64Array[] = [];
        for (const c of r.candidates) { const x = inputPoint(net, m.colOf, c, w); if (x) pts.push(x); }
        recordWitnesses(net, layers, pts);
      }
      if (L.status[j] === 0) {
        if (L.witness[j] === 3) L.tier[j] = 3;
        else L.milpTimeouts++;
      }
    }
  } finally {
    model.dispose();
  }
  return solved;
}

/**
 * Stability of every ReLU element over `region` by every tier up to `settings.method` (see the
 * module comment). Sound: an element reported active/inactive is so for every input of the
 * region in real arithmetic; with `milp`, an element reported unstable without a timeout has
 * two witnesses of opposite signs (so the milp tier is exact up to its timeouts).
 */
export async function reluStability(net: Network, region: Region | BatchRegion, settings: Partial<ReluSettings> = {}): Promise<StabilityResult> {
  const s: ReluSettings = { ...RELU_DEFAULTS, ...settings };
  if (!RELU_TIERS.includes(s.method)) throw new InputError(`unknown method '${s.method}' (use ${RELU_TIERS.join(', ')})`);
  if (!(s.milpTime > 0)) throw new InputError(`the MILP time limit (${s.milpTime}) must be a positive number of seconds`);
  const relus = reluNodes(net);
  if (relus.length === 0) throw new InputError(`${net.meta.source}: the network has no ReLU`);
  const batch = 'batch' in region ? checkedBatch(region, net.inputSize) : regionToBatch(region, net.inputSize);
  const w = witnessRegion(region, net.inputSize);
  const tierIndex = RELU_TIERS.indexOf(s.method);
  const seconds: Record<ReluTier, number> = { ibp: 0, crown: 0, lp: 0, milp: 0 };
  const layers: ReluLayerStability[] = relus.map((k) => {
    const node = net.nodes[k];
    const size = net.values[node.inputs[0]].size;
    return {
      node: node.name, nodeIndex: k, input: node.inputs[0], size,
      lo: new Float64Array(size).fill(-Infinity), hi: new Float64Array(size).fill(Infinity),
      status: new Int8Array(size), tier: new Int8Array(size).fill(-1), witness: new Uint8Array(size), milpTimeouts: 0,
    };
  });
  // Several ReLU nodes may read the same value (they then share bounds; each is reported).
  let t = performance.now();
  let nodes: NodeBounds = ibp(net, batch);
  decide(layers, nodes, 0);
  const rng = new Rng(s.seed);
  recordWitnesses(net, layers, samplePoints(w, s.samples, rng));
  seconds.ibp = (performance.now() - t) / 1000;
  let milps = 0;
  let milpDeadline: number | undefined;
  if (tierIndex >= 1) {
    t = performance.now();
    nodes = crownIntermediate({ net, region: batch, parent: nodes, signal: s.signal });
    decide(layers, nodes, 1);
    seconds.crown = (performance.now() - t) / 1000;
  }
  if (tierIndex >= 2) {
    const highs = await getHighs();
    const glpk = tierIndex >= 3 && s.solver === 'glpk' ? await getGlpk() : null;
    nodes = copyNodes(nodes);
    // The LP tier's budget counts from its start (the milp tier's big-M LPs are never cut).
    const lpDeadline = performance.now() + 1000 * s.lpBudget;
    for (let li = 0; li < layers.length; li++) {
      const L = layers[li];
      if (s.signal?.aborted) throw s.signal.reason;
      t = performance.now();
      const before = L.status.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
      // The lp tier's parts stop at its budget; the milp tier (which needs its LP bounds as big-Ms) is never cut.
      const deadline = tierIndex >= 3 ? Infinity : lpDeadline;
      // Cheap witnesses first: every element they show unstable needs no LP side.
      if (performance.now() < deadline) recordWitnesses(net, layers, attackLayer(net, L, w, rng, s.attackSteps, net.inputSize <= 32 ? 8 : 2));
      // Inputs straight from the region (no ReLU upstream) are exact under CROWN up to rounding: the LP cannot help.
      if (hasReluUpstream(net, L.nodeIndex)) {
        // Optimised slopes first: each element they decide needs no LP.
        if (s.alphaSteps > 0) {
          alphaLayer(net, nodes, batch, L, s.alphaSteps, s.signal, s.tightenRefuted !== 'none', deadline);
          decide([L], { lo: nodes.lo.map((a, v) => (v === L.input ? L.lo : a)), hi: nodes.hi.map((a, v) => (v === L.input ? L.hi : a)) }, 2);
        }
        const pts = lpLayer(net, highs, nodes, L, s, w, tierIndex >= 3 || s.tightenRefuted === 'lp', deadline);
        decide([L], { lo: nodes.lo.map((a, v) => (v === L.input ? L.lo : a)), hi: nodes.hi.map((a, v) => (v === L.input ? L.hi : a)) }, 2);
        recordWitnesses(net, layers, pts);
      }
      seconds.lp += (performance.now() - t) / 1000;
      if (tierIndex >= 3) {
        t = performance.now();
        if (!hasReluUpstream(net, L.nodeIndex)) {
          // Affine in the input: min/max over the region's box is an LP; reuse the LP tier for the optima (witness candidates).
          const pts = lpLayer(net, highs, nodes, L, s, w, true);
          decide([L], { lo: nodes.lo.map((a, v) => (v === L.input ? L.lo : a)), hi: nodes.hi.map((a, v) => (v === L.input ? L.hi : a)) }, 3);
          recordWitnesses(net, layers, pts);
        }
        pushLayerBounds(nodes, L);
        milpDeadline ??= performance.now() + 1000 * s.milpBudget;
        milps += await milpLayer(net, highs, glpk, nodes, L, layers, li, s, w, milpDeadline, batch);
        // Unstable by two witnesses (from any search): decided by the milp tier's rule.
        for (let j = 0; j < L.size; j++) if (L.status[j] === 0 && L.witness[j] === 3) L.tier[j] = 3;
        seconds.milp += (performance.now() - t) / 1000;
      }
      pushLayerBounds(nodes, L);
      const after = L.status.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
      // Later bounds from the tightened ones (CROWN keeps the tighter of its own and the parent's).
      if (after < before || tierIndex >= 2) {
        t = performance.now();
        nodes = copyNodes(crownIntermediate({ net, region: batch, parent: nodes, signal: s.signal }));
        for (const L2 of layers) pushLayerBounds(nodes, L2);
        decide(layers.slice(li + 1), nodes, 2);
        seconds.lp += (performance.now() - t) / 1000;
      }
      s.onProgress?.(li + 1, layers.length, s.method);
    }
  }
  return { method: s.method, layers, nodes, region: batch, seconds, milps };
}

/** A batch-1 region of the right dimension (else InputError). */
function checkedBatch(region: BatchRegion, n: number): BatchRegion {
  if (region.batch !== 1 || region.lo.length !== n || region.hi.length !== n) throw new InputError(`the region has ${region.lo.length / Math.max(1, region.batch)} values; the network takes ${n} inputs`);
  for (let i = 0; i < n; i++) if (!(region.lo[i] <= region.hi[i])) throw new InputError(`the region is empty or NaN at input ${i}`);
  return region;
}

const upstreamCache = new WeakMap<Network, Uint8Array>();

/** True when node k's input depends on the output of some ReLU-like node. */
function hasReluUpstream(net: Network, k: number): boolean {
  let after = upstreamCache.get(net);
  if (!after) {
    after = new Uint8Array(net.values.length);
    for (const node of net.nodes) {
      if (node.kind.breakpoints === 'relu' || node.inputs.some((v) => after![v])) after[node.output] = 1;
    }
    upstreamCache.set(net, after);
  }
  return after[net.nodes[k].inputs[0]] === 1;
}

/** Counts per layer for reports: stable by tier, unstable, timeouts. */
export function decidedBy(L: ReluLayerStability): Record<ReluTier, number> {
  const out: Record<ReluTier, number> = { ibp: 0, crown: 0, lp: 0, milp: 0 };
  for (let j = 0; j < L.size; j++) if (L.tier[j] >= 0) out[RELU_TIERS[L.tier[j]]]++;
  return out;
}
