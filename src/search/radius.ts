/**
 * The maximum safe radius (MSR) of a classifier at x0 as a certified interval [lower, upper]:
 *
 * - `lower` is a proof: every input within distance `lower` of x0 (in the norm, inside the
 *   domain box, moving only the free coordinates) gets y_label > y_j for every j ≠ label, in
 *   real arithmetic. It is the largest radius a prover accepted during a bisection; a radius
 *   proved holds for every smaller one, so the bisection only ever raises it.
 * - `upper` is a witness: the distance (rounded up) of an adversarial example re-checked by
 *   {@link checkAdversarial} (some y_j > y_label strictly in float64, and in float32 emulation
 *   for float32 models, inside the domain).
 *
 * Provers form a ladder, cheapest first: CROWN, α-CROWN (sound bounds of y_label − y_j over the
 * ball ∩ domain; for L2/L1 the final linear bound is also minimised over the ball ∩ domain
 * exactly by a Lagrangian dual, {@link concretizeBallBox}), then under L∞ `verify`'s branch
 * and bound (input splitting for at most `splitMaxInputs` free inputs, ReLU splitting with
 * β-CROWN on larger ReLU networks; it also returns counterexamples). Further provers (e.g. a
 * ball-shaped branch and bound for L2/L1) plug in through `provers`. Intermediate bounds
 * computed at a radius R are reused (intersected) at every r ≤ R, never above.
 *
 * Upper: minimum-norm attacks from src/search/attacks.ts before the bisection, and PGD at each
 * radius a prover could not prove.
 */
import { gamma } from '../bounds/fp.js';
import { computeBounds } from '../bounds/index.js';
import type { BatchRegion, BoundMethod, NodeBounds, Norm } from '../bounds/types.js';
import { forward } from '../net/forward.js';
import type { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import { parseDomain, parseNorm } from '../spec/region.js';
import { marginRows, type Property } from '../spec/property.js';
import { addDown, addUp, divDown, nextDown } from '../util/float.js';
import { Rng } from '../util/rng.js';
import { resolveSettings } from '../util/settings.js';
import {
  ATTACK_DEFAULTS, checkAdversarial, closer, distanceUp, linearRegionAttack, pgdAt, pgdRadiusSearch,
  type AdversarialExample, type AttackSettings, type InputBox,
} from './attacks.js';
import { FALSIFY_DEFAULTS, type FalsifySettings } from './falsify.js';
import type { Feature } from './features.js';
import type { MctsSettings } from './mcts.js';
import { splitKind, verify } from './verify.js';
import { cpuMs } from '../util/cpu_time.js';

/** Every knob of `radius` (one settings object, documented defaults). */
export interface RadiusSettings {
  /** Bound methods tried in turn by the bisection, cheapest first. Default ['crown', 'alpha']. */
  methods: BoundMethod[];
  /**
   * L∞ only (the ball ∩ box is a box): `verify` proves bisection points by input splitting when
   * at most this many inputs are free. Default 10.
   */
  splitMaxInputs: number;
  /**
   * L∞ only: also use `verify` when more inputs are free but the network's nonlinearities are
   * all ReLU-like (verify then splits ReLU phases, bounded by β-CROWN). Default true.
   */
  reluSplitting: boolean;
  /**
   * Seconds per `verify` call at most (each call is one bisection point) at first; when its
   * bracket closes with time left, the calls get twice as long (up to 16×) and the bracket
   * reopens. Default 10.
   */
  splitCallTimeout: number;
  /**
   * Where `verify` tries next: lower + splitStep·(failed − lower), failed being the smallest
   * radius it could not prove (or the upper bound). A proof near the lower bound is cheap, a
   * failure costs the whole call, so it steps up from below rather than bisecting. Default 0.3.
   */
  splitStep: number;
  /**
   * Run the α-CROWN bisection even when `verify` follows (it optimises α itself at its root).
   * Default false: measured on mnist-net_256x2 image 3 (L∞), α's bisection took 6.5 s of 60 and
   * raised the lower bound by 0.7 %, verify's took 45 s and raised it by 20 %.
   */
  alphaBeforeVerify: boolean;
  /**
   * `verify`'s first call asks for a proof at `targetRatio`·upper (the ratio the search aims at)
   * instead of stepping up from the lower bound, when CROWN's radius is already at least
   * `targetMinCrownRatio`·upper (then the target is within reach often enough to pay for a
   * failed call). After it, verify steps up as usual (from the target when it was proved, below
   * it otherwise). 0 = off. Default 0.9.
   */
  targetRatio: number;
  /** See `targetRatio`. Default 0.65 (round 2 on the bundled example: the images that reached 0.9 had CROWN/upper 0.70–0.94, those that stalled below 0.7 had 0.42–0.58). */
  targetMinCrownRatio: number;
  /** PGD steps at every radius a prover fails to prove (0 = none). Default 20. */
  pgdOnFailure: number;
  /**
   * Before the bisection, the Lipschitz radius min(R, min_j m_j(x0)↓ / L_j(B_R)) for R = the
   * bracket's top halved up to this many times (L_j: the local Lipschitz constant of
   * y_label − y_j in the dual norm over the box hull of the R-ball ∩ box). 0 = off. Default 2
   * (each try costs about one CROWN pass; on MNIST the CROWN radius is larger anyway).
   */
  lipschitzRadii: number;
  /**
   * Share of the timeout the attacks before the bisection may use at most. Default 0.2 (the
   * interval's gap is the proof's on MNIST: PGD with 10 restarts × 200 steps per class found
   * nothing closer than the default attacks on the bundled example's images 2, 13 and 29).
   */
  attackShare: number;
  /** Attack settings. */
  attack: AttackSettings;
  /** Seed of the random generator (attack restarts). Default 0. */
  seed: number;
}

export const RADIUS_DEFAULTS: RadiusSettings = {
  methods: ['crown', 'alpha'],
  splitMaxInputs: 10,
  reluSplitting: true,
  splitCallTimeout: 10,
  splitStep: 0.3,
  alphaBeforeVerify: false,
  targetRatio: 0.9,
  targetMinCrownRatio: 0.65,
  pgdOnFailure: 20,
  lipschitzRadii: 2,
  attackShare: 0.2,
  attack: ATTACK_DEFAULTS,
  seed: 0,
};

/** What a prover says about one radius: proved, or not (with a witness within it, when it found one). */
export interface ProverAnswer {
  proved: boolean;
  witness?: AdversarialExample | null;
}

/** Everything a prover needs about the question "does every input within r keep the label?". */
export interface RadiusQuestion {
  net: Network;
  x0: Float64Array;
  label: number;
  norm: Norm;
  /** The admissible box: domain ∩ fixed coordinates (lo = hi = x0 where not free). */
  box: InputBox;
  /** Free coordinates. */
  free: number[];
  /** Rows y_label − y_j (m−1 rows × m). */
  C: Float64Array;
  /** The ball ∩ box at radius r as a bounding region (box hull rounded outward, ball attached for L2/L1). */
  region(r: number): BatchRegion;
  /**
   * Wall-clock seconds per budget second (1 unless the budget counts CPU seconds on a shared
   * machine): provers multiply their own per-call wall-clock limits by it.
   */
  wallPerBudgetSecond(): number;
}

/**
 * A prover for the lower bound. `prove(r)` must return proved only when every input of the
 * r-ball ∩ box keeps the label (a proof), and may return a re-checked witness otherwise.
 */
export interface RadiusProver {
  name: string;
  /** Where the bisection tries next: lower + step·(failed − lower). Default 0.5 (bisection). */
  step?: number;
  /**
   * When its bracket has closed (it failed within eps/4 of the lower bound) and time is left:
   * allow itself more work per call and return true, or return false (done). Optional.
   */
  escalate?(): boolean;
  /** Whether it applies to this question (e.g. input splitting only for few free inputs). */
  applies(q: RadiusQuestion): boolean;
  prove(q: RadiusQuestion, r: number, timeLeft: number, signal?: AbortSignal): Promise<ProverAnswer>;
}

/** One point of the trace: the interval after a step. */
export interface RadiusTracePoint {
  time_s: number;
  lower: number;
  upper: number;
  /** What the step was: 'attack', a prover's name at radius r, ... */
  step: string;
  r?: number;
}

export interface RadiusOptions {
  /** The class to keep (default: the prediction at x0). */
  label?: number;
  /** Default 'inf'. */
  norm?: Norm | string;
  /** The domain box ("lo:hi" for every coordinate, or arrays); default: none. */
  domain?: string | { lo: ArrayLike<number>; hi: ArrayLike<number> };
  /** Absolute tolerance: stop when upper − lower ≤ eps (in the norm's units). Default 1e-3. */
  eps?: number;
  /** Seconds for the whole run (anytime: the interval so far is returned). Default: none. */
  timeout?: number;
  /**
   * Count `timeout` in CPU seconds of this process (`process.cpuUsage`, every thread) instead of
   * wall-clock seconds, so that a budget means the same work on a machine shared with other jobs.
   * The provers' calls still get wall-clock limits (their own clocks): the per-call limits are
   * stretched by the ratio wall / CPU time measured so far in this run (at most 8×), and the
   * overall budget is checked in CPU time between calls. The attacks before the bisection keep
   * their wall-clock share. Default false.
   */
  cpuClock?: boolean;
  /** Only these input coordinates may change (a feature); default: all. */
  free?: number[];
  settings?: Partial<RadiusSettings>;
  /**
   * DeepGame's Monte-Carlo tree search over these features as an extra upper-bound source (run
   * after the other attacks; its witnesses are re-checked like every other). Default: off.
   */
  mcts?: { features: Feature[]; settings?: Partial<MctsSettings> };
  /** Extra provers tried after the built-in ones (e.g. a ReLU-splitting verifier). */
  provers?: RadiusProver[];
  /** The network as loaded (unsimplified), for re-checking witnesses; default: `net`. */
  checkNet?: Network;
  onProgress?: (p: RadiusTracePoint) => void;
  signal?: AbortSignal;
}

export interface RadiusResult {
  label: number;
  norm: Norm;
  /** Proved: no input within this distance changes the label. */
  lower: number;
  /** Distance of the adversarial example (rounded up); Infinity when none is known. */
  upper: number;
  adversarial: AdversarialExample | null;
  /** upper − lower (Infinity when there is no upper). */
  gap: number;
  /** True when the whole domain is proved to keep the label (then there is no adversarial example). */
  certified: boolean;
  /** The largest radius proved by CROWN alone (for comparison). */
  crownLower: number;
  /** Wall-clock seconds. */
  time_s: number;
  /** CPU seconds of this process during the run (every thread). */
  cpu_s: number;
  trace: RadiusTracePoint[];
  /** With `mcts`: the distance of the closest witness MCTS found itself (Infinity: none). */
  mctsUpper?: number;
  /** E.g. "x0 is already misclassified". */
  note?: string;
}

// ---------------------------------------------------------------------------------------------
// The lower bound of a linear function over ball ∩ box (Lagrangian dual, sound in floating point)

/**
 * Sound lower bound of a·x + bias over {‖x − c‖_p ≤ r} ∩ [lo, hi] for p = 2 or 1 (c in the
 * box), by weak duality: for any λ ≥ 0, min over the box of a·x + bias + λ(‖x − c‖² − r²) (L2)
 * or + λ(‖x − c‖₁ − r) (L1) is a lower bound, and it separates per coordinate. λ is chosen
 * near the optimum (the primal's active constraint), and the value is evaluated with every
 * rounding charged (each coordinate's interval is widened outward, a convex function's minimum
 * over the wider interval is smaller). Returns −∞ when the box minimum lies inside the ball
 * (then the plain box bound is already exact).
 */
export function concretizeBallBox(a: Float64Array, aOff: number, bias: number, c: Float64Array, r: number, norm: '2' | '1', lo: Float64Array, hi: Float64Array): number {
  const n = c.length;
  const u = 2 ** -53;
  // Room toward the box minimiser of each coordinate (the descent direction −sign(a_i)).
  const dlo = new Float64Array(n), dhi = new Float64Array(n);
  for (let i = 0; i < n; i++) { dlo[i] = addDown(lo[i], -c[i]); dhi[i] = addUp(hi[i], -c[i]); }
  let lambda: number;
  if (norm === '2') {
    // t ↦ ‖clip(−a t, dlo, dhi)‖² increases; find t with value r² (λ = 1/(2t)).
    const sq = (t: number) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const ai = a[aOff + i];
        if (ai === 0) continue;
        const d = Math.min(Math.max(-ai * t, dlo[i]), dhi[i]);
        s += d * d;
      }
      return s;
    };
    const r2 = r * r;
    let tHi = 1;
    let k = 0;
    while (sq(tHi) < r2 && k++ < 200) tHi *= 4;
    if (sq(tHi) < r2) return -Infinity;
    let tLo = 0;
    for (let it = 0; it < 80; it++) {
      const t = 0.5 * (tLo + tHi);
      if (sq(t) < r2) tLo = t; else tHi = t;
    }
    lambda = 1 / (2 * tHi);
  } else {
    // Greedy primal: spend the budget r on the coordinates with the largest |a_i| first; λ is
    // the |a_i| of the coordinate where it runs out.
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (a[aOff + i] !== 0) idx.push(i);
    idx.sort((p, q) => Math.abs(a[aOff + q]) - Math.abs(a[aOff + p]));
    let left = r;
    lambda = -1;
    for (const i of idx) {
      const ai = a[aOff + i];
      const room = ai > 0 ? -dlo[i] : dhi[i];
      if (room >= left) { lambda = Math.abs(ai); break; }
      left -= room;
    }
    if (lambda < 0) return -Infinity;
  }
  if (!(lambda > 0) || !Number.isFinite(lambda)) return -Infinity;
  // L(λ) = bias + Σ a_i c_i + Σ ψ_i − λ·(r² or r), ψ_i = min over [dlo, dhi] of a_i d + λ d² (or λ|d|).
  let s = bias, mag = Math.abs(bias), extra = 0;
  for (let i = 0; i < n; i++) {
    const ai = a[aOff + i];
    if (ai === 0) continue;
    const ac = ai * c[i];
    s += ac; mag += Math.abs(ac);
    let psi: number, pm: number;
    if (norm === '2') {
      const dStar = -ai / (2 * lambda);
      const slack = 4 * u * Math.abs(dStar) + Number.MIN_VALUE;
      const at = (d: number) => ai * d + lambda * d * d;
      if (dStar + slack < dlo[i]) { psi = at(dlo[i]); pm = Math.abs(ai * dlo[i]) + lambda * dlo[i] * dlo[i]; }
      else if (dStar - slack > dhi[i]) { psi = at(dhi[i]); pm = Math.abs(ai * dhi[i]) + lambda * dhi[i] * dhi[i]; }
      else { psi = -(ai * ai) / (4 * lambda); pm = -psi; }
    } else {
      // Convex piecewise linear with its kink at 0: the minimum is at dlo, 0 or dhi.
      const vl = ai * dlo[i] - lambda * dlo[i], vh = ai * dhi[i] + lambda * dhi[i];
      psi = Math.min(0, vl, vh);
      pm = Math.abs(ai * dlo[i]) + lambda * Math.abs(dlo[i]) + Math.abs(ai * dhi[i]) + lambda * Math.abs(dhi[i]);
    }
    s += psi; extra += pm;
  }
  const rt = norm === '2' ? lambda * (r * r) : lambda * r;
  s -= rt;
  // Each term carries a few roundings (≤ 6u relative of its magnitude), the sum γ_{n+2}.
  const err = gamma(n + 8) * 2 * (mag + extra + rt);
  const v = nextDown(s - err);
  return v === v ? v : -Infinity;
}

// ---------------------------------------------------------------------------------------------
// Provers


/**
 * A bound-propagation prover (CROWN or α-CROWN): proves radius r when every row y_label − y_j
 * has a positive sound lower bound over the r-ball ∩ box. Intermediate bounds computed at a
 * radius R are passed as the parent bounds of every later call at r ≤ R (they hold there:
 * the r-ball is inside the R-ball), never at r > R.
 */
export class BoundProver implements RadiusProver {
  readonly name: string;
  /** Node bounds per radius they were computed at (the ball grows with the radius). */
  private cache: { radius: number; nodes: NodeBounds }[] = [];
  /** The smallest proved lower bound over the rows at the last call (diagnostic). */
  lastWorst = -Infinity;

  constructor(readonly method: BoundMethod) {
    this.name = method;
  }

  applies(): boolean {
    return true;
  }

  async prove(q: RadiusQuestion, r: number, _timeLeft: number, signal?: AbortSignal): Promise<ProverAnswer> {
    const region = q.region(r);
    let parent: NodeBounds | undefined;
    let pr = Infinity;
    for (const c of this.cache) if (c.radius >= r && c.radius < pr) { pr = c.radius; parent = c.nodes; }
    const res = await computeBounds({ net: q.net, region, C: q.C, parent, wantCoefficients: q.norm !== 'inf', signal }, this.method);
    if (this.cache.length >= 16) this.cache.shift();
    this.cache.push({ radius: r, nodes: res.nodes });
    let worst = Infinity;
    const R = res.rows;
    for (let k = 0; k < R; k++) {
      let lb = res.lower[k];
      if (!(lb > 0) && q.norm !== 'inf' && res.A && res.bias) {
        const v = concretizeBallBox(res.A, k * q.x0.length, res.bias[k], q.x0, r, q.norm, region.lo, region.hi);
        if (v > lb) lb = v;
      }
      if (!(lb < worst)) continue;
      worst = lb;
    }
    this.lastWorst = worst;
    return { proved: worst > 0 };
  }
}

/** verify's falsifier for input splitting (few inputs), shortened: the radius search runs its own attacks. */
const SPLIT_FALSIFY: FalsifySettings = { ...FALSIFY_DEFAULTS, samples: 256, boundarySamples: 256, restarts: 4, steps: 20, localSteps: 5 };
/**
 * verify's falsifier for ReLU splitting (image-sized inputs): the same search before the branch
 * and bound (its boundary samples find witnesses the radius search's PGD misses), but no local
 * PGD in every expanded domain, which doubled a call on 784 inputs. Measured on the bundled
 * example, image 13, r = 0.05 (L∞, a loaded machine): unsat in 9.8 s with local steps, 5.0 s
 * without, same 165 domains.
 */
const RELU_SPLIT_FALSIFY: FalsifySettings = { ...SPLIT_FALSIFY, localSteps: 0 };

/**
 * Branch and bound by `verify` (L∞ only: the ball ∩ box is a box): input splitting for at most
 * `maxInputs` free inputs, and (with `reluSplitting`) ReLU splitting bounded by β-CROWN on
 * ReLU networks with more inputs. unsat proves the radius; sat gives a re-checked witness.
 */
export class SplitProver implements RadiusProver {
  readonly name = 'verify';
  private callTimeout: number;
  /** Bisection step: `reluStep` under ReLU splitting, 0.5 under input splitting (set by `applies`). */
  step = 0.5;
  constructor(private readonly maxInputs: number, private readonly initialCallTimeout: number, private readonly checkNet?: Network, private readonly reluSplitting = true, private readonly reluStep = 0.5) {
    this.callTimeout = initialCallTimeout;
  }

  /** Doubles the per-call time, up to 16 times the initial one. */
  escalate(): boolean {
    if (this.callTimeout >= 16 * this.initialCallTimeout) return false;
    this.callTimeout *= 2;
    return true;
  }

  applies(q: RadiusQuestion): boolean {
    if (q.norm !== 'inf' || q.free.length === 0) return false;
    if (q.free.length <= this.maxInputs) { this.step = 0.5; return true; }
    this.step = this.reluStep;
    return this.reluSplitting && splitKind(q.net, { split: 'auto' }) === 'relu';
  }

  async prove(q: RadiusQuestion, r: number, timeLeft: number, signal?: AbortSignal): Promise<ProverAnswer> {
    const m = q.net.outputSize;
    const region = q.region(r);
    const outputs = [];
    for (let k = 0; k < m - 1; k++) {
      // Unsafe: y_label − y_j ≤ 0 (ties included, so unsat proves the strict inequality).
      outputs.push({ C: q.C.slice(k * m, (k + 1) * m), d: new Float64Array(1), rows: 1, numOutputs: m });
    }
    const prop: Property = { numInputs: q.net.inputSize, numOutputs: m, disjuncts: [{ box: { lo: region.lo, hi: region.hi }, outputs }] };
    const timeout = Math.max(0.05, Math.min(this.callTimeout * q.wallPerBudgetSecond(), timeLeft));
    const v = await verify(q.net, prop, { timeout, settings: { workers: 1, falsify: q.free.length <= this.maxInputs ? SPLIT_FALSIFY : RELU_SPLIT_FALSIFY }, checkNet: this.checkNet, signal });
    if (v.result === 'unsat') return { proved: true };
    if (v.result === 'sat' && v.counterexample) {
      return { proved: false, witness: checkAdversarial(this.checkNet ?? q.net, v.counterexample.input, q.x0, q.label, q.norm, q.box) };
    }
    return { proved: false };
  }
}

/**
 * A sound radius from local Lipschitz constants: for each R tried (the top of the bracket, then
 * halves), every x of the R-ball ∩ box has m_j(x) ≥ m_j(x0) − L_j(B_R)·‖x − x0‖ with m_j =
 * y_label − y_j, so every radius r ≤ R with r·L_j < m_j(x0) for all j is proved. m_j(x0) is
 * CROWN's sound lower bound at the point (rounding included); L_j is `localLipschitz` over the
 * R-ball's box hull (a constant holds only for the ball it was computed on: each R gets its own).
 */
export async function lipschitzRadius(q: RadiusQuestion, top: number, tries: number): Promise<number> {
  const { localLipschitz } = await import('../lipschitz/local.js');
  const at0 = await computeBounds({ net: q.net, region: { batch: 1, lo: q.x0, hi: q.x0 }, C: q.C }, 'crown');
  let mMin = Infinity;
  for (const v of at0.lower) if (!(v >= mMin)) mMin = v;
  if (!(mMin > 0)) return 0;
  let best = 0;
  for (let k = 0, R = top; k < tries && Number.isFinite(R) && R > best; k++, R *= 0.5) {
    const { dual } = localLipschitz(q.net, q.region(R), q.C, q.norm);
    let r = R;
    for (let j = 0; j < dual.length; j++) {
      const L = dual[j];
      if (!(L >= 0)) { r = 0; break; }
      if (L === 0) continue;
      // nextDown makes r·L < m strictly (divDown gives r·L ≤ m).
      const rj = nextDown(divDown(at0.lower[j], L));
      if (rj < r) r = rj;
    }
    if (r > best) best = r;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------

/** The admissible box: the domain (or ±∞) with every non-free coordinate fixed at x0. */
function admissibleBox(x0: Float64Array, domain: { lo: Float64Array; hi: Float64Array } | undefined, free: number[]): InputBox {
  const n = x0.length;
  const lo = new Float64Array(n).fill(-Infinity), hi = new Float64Array(n).fill(Infinity);
  if (domain) { lo.set(domain.lo); hi.set(domain.hi); }
  const isFree = new Uint8Array(n);
  for (const i of free) isFree[i] = 1;
  for (let i = 0; i < n; i++) if (!isFree[i]) { lo[i] = x0[i]; hi[i] = x0[i]; }
  return { lo, hi };
}

/** A double ≥ the largest distance from x0 to a point of the box (Infinity when unbounded). */
function farthestDistance(x0: Float64Array, box: InputBox, norm: Norm): number {
  const far = new Float64Array(x0.length);
  for (let i = 0; i < x0.length; i++) far[i] = hiSide(x0[i], box.lo[i], box.hi[i]);
  if (far.some((v) => !Number.isFinite(v))) return Infinity;
  return distanceUp(far, x0, norm);
}

function hiSide(c: number, lo: number, hi: number): number {
  return hi - c >= c - lo ? hi : lo;
}

/** Validate the point, the label, the norm, the domain, eps and the free set; one-line InputErrors. */
function checkInputs(net: Network, x0: ArrayLike<number>, o: RadiusOptions) {
  const n = net.inputSize, m = net.outputSize;
  if (x0.length !== n) throw new InputError(`the point has ${x0.length} values; the network takes ${n} inputs`);
  const x = Float64Array.from(x0);
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i])) throw new InputError(`the point: entry ${i} (${x[i]}) is not a finite number`);
  const norm = parseNorm(o.norm ?? 'inf');
  const eps = o.eps ?? 1e-3;
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw new InputError(`eps must be a positive number, got ${eps}`);
  if (o.timeout !== undefined && !(o.timeout > 0)) throw new InputError(`the timeout must be positive, got ${o.timeout}`);
  if (o.label !== undefined && !(Number.isInteger(o.label) && o.label >= 0 && o.label < m)) throw new InputError(`label ${o.label} is out of range (the network has ${m} outputs: 0..${m - 1})`);
  if (m < 2) throw new InputError(`the network has ${m} output; a radius needs at least 2 classes`);
  let domain: { lo: Float64Array; hi: Float64Array } | undefined;
  if (o.domain !== undefined) {
    domain = typeof o.domain === 'string' ? parseDomain(o.domain, n) : { lo: Float64Array.from(o.domain.lo), hi: Float64Array.from(o.domain.hi) };
    if (domain.lo.length !== n || domain.hi.length !== n) throw new InputError(`the domain has ${domain.lo.length} values; the network takes ${n} inputs`);
    for (let i = 0; i < n; i++) {
      if (!(domain.lo[i] <= domain.hi[i])) throw new InputError(`the domain is empty at entry ${i}`);
      if (!(x[i] >= domain.lo[i] && x[i] <= domain.hi[i])) throw new InputError(`the point is outside the domain at entry ${i} (${x[i]} not in [${domain.lo[i]}, ${domain.hi[i]}])`);
    }
  }
  const free = o.free ?? Array.from({ length: n }, (_, i) => i);
  for (const i of free) if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new InputError(`free input index ${i} is out of range (0..${n - 1})`);
  return { x, norm, eps, domain, free: [...new Set(free)].sort((a, b) => a - b) };
}

/**
 * The maximum safe radius at x0 as a certified interval (see the module comment): `lower` is
 * proved, `upper` is the rounded-up distance of a re-checked adversarial example. Iterates
 * until upper − lower ≤ eps, the provers give up, or the timeout (anytime). When x0 itself is
 * already misclassified (some y_j > y_label), lower = upper = 0 and x0 is the witness.
 */
export async function radius(net: Network, x0In: ArrayLike<number>, opts: RadiusOptions = {}): Promise<RadiusResult> {
  const start = performance.now();
  const cpuStart = cpuMs();
  const { x: x0, norm, eps, domain, free } = checkInputs(net, x0In, opts);
  const s = resolveSettings('radius', RADIUS_DEFAULTS, {}, undefined, opts.settings);
  const checkNet = opts.checkNet ?? net;
  // The budget's clock: wall time, or this process's CPU time (ms).
  const clock = opts.cpuClock ? cpuMs : () => performance.now();
  const deadline = opts.timeout !== undefined ? clock() + opts.timeout * 1000 : Infinity;
  const elapsed = () => (performance.now() - start) / 1000;
  /** Wall seconds per budget second so far (≥ 1, at most 8; 1 on the wall clock or before 0.5 s of CPU time). */
  const wallPerBudgetSecond = () => {
    if (!opts.cpuClock) return 1;
    const cpu = cpuMs() - cpuStart;
    return cpu < 500 ? 1 : Math.min(8, Math.max(1, (performance.now() - start) / cpu));
  };
  /** Seconds of the budget left, in wall-clock seconds for the provers' own timers. */
  const wallLeft = () => ((deadline - clock()) / 1000) * wallPerBudgetSecond();
  const m = net.outputSize, n = net.inputSize;
  const y0 = forward(checkNet, x0, 1);
  let pred = 0;
  for (let j = 1; j < m; j++) if (y0[j] > y0[pred]) pred = j;
  const label = opts.label ?? pred;
  const box = admissibleBox(x0, domain, free);
  const trace: RadiusTracePoint[] = [];
  let lower = 0, upper = Infinity, crownLower = 0, mctsUpper: number | undefined;
  let best: AdversarialExample | null = null;
  const note = (step: string, r?: number) => {
    const p: RadiusTracePoint = { time_s: elapsed(), lower, upper, step, ...(r !== undefined ? { r } : {}) };
    trace.push(p);
    opts.onProgress?.(p);
  };
  const result = (certified: boolean, extra?: string): RadiusResult => ({
    label, norm, lower, upper: certified ? Infinity : upper, adversarial: certified ? null : best,
    gap: certified ? 0 : upper - lower, certified, crownLower, time_s: elapsed(), cpu_s: (cpuMs() - cpuStart) / 1000, trace, ...(extra ? { note: extra } : {}),
    ...(mctsUpper !== undefined ? { mctsUpper } : {}),
  });
  const take = (w: AdversarialExample | null | undefined) => {
    if (w && w.distance < upper) { best = w; upper = w.distance; }
  };

  // Already misclassified: the point itself is the witness.
  const w0 = checkAdversarial(checkNet, x0, x0, label, norm, box, false);
  if (w0) { best = w0; upper = 0; note('misclassified'); return result(false, `the point is already misclassified (class ${w0.cls} scores above label ${label})`); }
  if (free.length === 0) { note('no free inputs'); return result(false, 'no input may change'); }

  const rng = new Rng(s.seed);
  const rDomain = farthestDistance(x0, box, norm);
  // Upper: the attacks first, so the bisection has a bracket; they get at most `attackShare`
  // of the time (on a busy machine they must not eat the provers' share).
  const attackDeadline = opts.timeout !== undefined ? start + s.attackShare * opts.timeout * 1000 : Infinity;
  take(linearRegionAttack(checkNet, x0, label, norm, box, rng, s.attack, attackDeadline));
  note('attack: linear regions');
  const guess = Number.isFinite(upper) ? upper : Number.isFinite(rDomain) ? rDomain : 1;
  take(pgdRadiusSearch(checkNet, x0, label, norm, box, rng, 0, guess, s.attack, attackDeadline));
  note('attack: PGD radius search');
  if (opts.mcts) {
    const { mctsAttack } = await import('./mcts.js');
    const w = mctsAttack(checkNet, x0, label, norm, box, opts.mcts.features, rng, opts.mcts.settings, attackDeadline);
    mctsUpper = w ? w.distance : Infinity;
    take(w);
    note('attack: MCTS');
  }

  const C = marginRows(m, label);
  const question: RadiusQuestion = {
    net, x0, label, norm, box, free, C,
    region(r: number): BatchRegion {
      const lo = new Float64Array(n), hi = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        lo[i] = Math.max(box.lo[i], addDown(x0[i], -r));
        hi[i] = Math.min(box.hi[i], addUp(x0[i], r));
      }
      return norm === 'inf' ? { batch: 1, lo, hi } : { batch: 1, lo, hi, ball: { center: x0, radius: r, norm } };
    },
    wallPerBudgetSecond,
  };
  const split = new SplitProver(s.splitMaxInputs, s.splitCallTimeout, checkNet, s.reluSplitting, s.splitStep);
  const splitApplies = split.applies(question);
  const provers: RadiusProver[] = [
    ...s.methods.filter((mth) => mth !== 'alpha' || !splitApplies || s.alphaBeforeVerify).map((mth) => new BoundProver(mth)),
    split,
    ...(opts.provers ?? []),
  ].filter((p) => p.applies(question));

  let certified = false;
  if (s.lipschitzRadii > 0) {
    const top = Math.min(upper, rDomain);
    const r = await lipschitzRadius(question, Number.isFinite(top) ? top : 1, s.lipschitzRadii);
    if (r > lower) { lower = r; if (r >= rDomain) certified = true; }
    note('lipschitz');
  }
  const closed = () => upper - lower <= eps || certified || opts.signal?.aborted;
  // The first prover (CROWN, a fraction of a second per call) gets one call even past the deadline.
  let calls = 0;
  const done = () => closed() || (clock() >= deadline && calls > 0);
  for (const prover of provers) {
    if (done()) break;
    // The smallest radius this prover failed at (it will fail above it too, as far as we know).
    let failed = Math.min(upper, rDomain);
    let first = true;
    while (!done()) {
      let r: number;
      if (!Number.isFinite(failed)) r = lower > 0 ? 2 * lower : 1; // no bracket yet: grow
      else if (first && !Number.isFinite(upper) && failed === rDomain) r = rDomain; // try to certify the whole domain
      else if (first && prover === split && s.targetRatio > 0 && Number.isFinite(upper) && lower >= s.targetMinCrownRatio * upper && s.targetRatio * upper - lower > 0.25 * eps) r = s.targetRatio * upper; // the target first
      else r = lower + (prover.step ?? 0.5) * (failed - lower);
      first = false;
      if (!(r > lower) || !(failed - lower > 0.25 * eps)) break;
      calls++;
      const ans = await prover.prove(question, r, wallLeft(), opts.signal);
      if (ans.proved) {
        lower = r;
        if (r >= rDomain) certified = true;
        if (prover.name === 'crown') crownLower = lower;
      } else {
        failed = r;
        take(ans.witness);
        if (!ans.witness && s.pgdOnFailure > 0 && r < upper) take(pgdAt(checkNet, x0, label, r, norm, box, rng, s.pgdOnFailure, 1));
        failed = Math.min(failed, upper);
      }
      note(prover.name, r);
      if (!Number.isFinite(failed) && lower > 1e12) break;
      // The bracket closed on this prover with time left: give it longer calls and reopen the
      // bracket to twice the last gap (a failure within the shorter budget is no evidence).
      if (!(failed - lower > 0.25 * eps) && !done() && upper - lower > eps && prover.escalate?.()) {
        failed = Math.min(upper, rDomain, lower + 2 * Math.max(failed - lower, 0.25 * eps));
        note(`${prover.name}: longer calls`);
      }
    }
  }
  return result(certified);
}
