/**
 * Certified reachability: for each objective g, the minimum and the maximum of g over the
 * region, each as an interval whose width is ≤ eps (absolute, in output units) unless the
 * timeout came first.
 *
 * Guarantees. Minimum: `lower` is a proof (no input of the region has g below it, in real
 * arithmetic, float64 rounding included); `upper` is the value of `witness`, an input of the
 * region, re-evaluated by interval arithmetic on the point (so the true g(witness) ≤ upper).
 * Maximum: symmetric (`upper` the proof, `lower` the witness's value). `certified` is false
 * only when the gap did not reach eps in time; the interval is still valid.
 */
import type { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import { resolveSettings } from '../util/settings.js';
import type { Region } from '../spec/region.js';
import { Incumbent } from './incumbent.js';
import { minimiseBnb, type BnbResume } from './lipbnb.js';
import { addUp } from '../util/float.js';
import { minimiseNested } from './nested.js';
import { minProblem, outputObjective, type ReachObjective } from './objective.js';
import { freeCoordinates, reachRegion, type ReachRegion } from './region.js';
import { restrictToFree, type Restricted } from '../net/restrict.js';
import type { DecidedCounts, MinResult, MinSettings, TracePoint } from './types.js';
import { cpuDeadlineSignal, cpuMs } from '../util/cpu_time.js';

export type ReachMethod = 'auto' | 'nested' | 'bnb';
export const REACH_METHODS: readonly ReachMethod[] = ['auto', 'nested', 'bnb'];

export interface ReachSettings {
  /** Absolute gap (output units) at which an extreme counts as certified. Default 1e-3. */
  eps: number;
  /** 'nested' (DeepGO, sound), 'bnb' (Lipschitz branch and bound), 'auto' (see `nestedMaxFree`). Default 'auto'. */
  method: ReachMethod;
  /** Seconds for the whole call (all objectives, min and max); anytime after it. Default 60. */
  timeout: number;
  /**
   * auto: nested when at most this many inputs are free (and the region is made of boxes), else
   * bnb. Default 1: measured on random ReLU/sigmoid/tanh nets (docs/reach.md), nested matches bnb
   * with one free input and is 10–1000× slower with two or three (each outer point costs a whole
   * inner search, and the inner-min function's constant is taken over the full inner ranges).
   */
  nestedMaxFree: number;
  /** Use the linear (CROWN) bound on boxes. Default true. */
  linear: boolean;
  /** Use the certified local Lipschitz bound on boxes (bnb; nested always uses it). Default true. */
  lipschitz: boolean;
  /**
   * bnb: α-CROWN steps on the objective rows of every box, intermediate bounds fixed (ReLU-like
   * nets only; "α where it pays"). Default 10: on ACAS Xu 1_1 prop_3 y0 (20 s, loaded machine)
   * the gaps after 20 s were 5.9e-3/6.5e-3 with 0 steps, 1.4e-3/4.4e-3 with 10, 1.0e-3/3.4e-3
   * with 20 and 3.5e-3/9.0e-3 with 40 (each step costs a backward pass of the objective rows).
   */
  alphaIterations: number;
  /**
   * bnb on piecewise-linear nets (every nonlinear op ReLU-like), boxes only: a box whose
   * intermediate bounds leave at most this many ReLU-like elements unstable is searched on by
   * ReLU splits, each domain bounded by the triangle-relaxation LP proved through its dual
   * (relu_lp.ts); the LP's optimum, re-evaluated, is a witness. 0: input splitting only.
   * Default 40: every ReLU of a 10-input net with 4 hidden layers of 10 (on whole boxes
   * [−1, 1]^10 input splitting leaves gaps of 1–3 after 30 s; with this, 0.2–27 CPU s); 12 of
   * the 135 ACAS Xu prop_1/3/4 roots (300 ReLUs) have ≤ 40 unstable (docs/reach.md).
   */
  reluLpMaxUnstable: number;
  /**
   * … and at most this many per free input of the box (input splitting is exponential in the
   * free inputs, ReLU splitting in the unstable elements). Default 4: on the 12 ACAS Xu roots
   * (5 inputs) with ≤ 40 unstable elements, ReLU splitting was slower (4_1 prop_4 y3 0.81 →
   * 4.33 CPU s, 2_4 prop_3 y2 0.11 → 1.44 s); with 4 per input only 5_7 prop_3 (16 unstable,
   * closed at the root either way) qualifies; 10-input nets of 4×10 ReLUs do.
   */
  reluLpPerInput: number;
  /** HiGHS time limit per LP of that search (s; an LP not solved in time proves nothing). Default 1. */
  reluLpTimeLimit: number;
  /** bnb: boxes expanded per batch. Default 32. */
  batch: number;
  /** Local-descent steps for witnesses. Default 8. */
  descentSteps: number;
  /** Random starting points per box for witnesses. Default 64. */
  samples: number;
  seed: number;
}

export const REACH_DEFAULTS: ReachSettings = {
  eps: 1e-3, method: 'auto', timeout: 60, nestedMaxFree: 1, linear: true, lipschitz: true, alphaIterations: 10, reluLpMaxUnstable: 40, reluLpPerInput: 4, reluLpTimeLimit: 1, batch: 32, descentSteps: 8, samples: 64, seed: 0,
};

/** One extreme as an interval (see the module comment for which end is the proof). */
export type ReachInterval = MinResult;

export interface ReachObjectiveResult {
  objective: ReachObjective;
  min: ReachInterval;
  max: ReachInterval;
}

export interface ReachResult {
  results: ReachObjectiveResult[];
  eps: number;
  /** Every gap ≤ eps. */
  certified: boolean;
  /** The method that ran ('auto' resolved). */
  method: 'nested' | 'bnb';
  /** Whether the Lipschitz bound was used. */
  lipschitz: boolean;
  freeInputs: number;
  time_s: number;
}

export interface ReachProgress {
  objective: number;
  sense: 'min' | 'max';
  lower: number;
  upper: number;
  elapsed: number;
}

export interface ReachOptions extends Partial<ReachSettings> {
  /** Only these inputs vary (others fixed at `at`, default the region's centre). */
  free?: number[];
  at?: Float64Array;
  signal?: AbortSignal;
  onProgress?: (p: ReachProgress) => void;
  /**
   * Count the timeout in this process's CPU seconds instead of wall seconds (benchmarks on a
   * machine shared with other work: the result is then what a quiet machine gives in that many
   * wall seconds, the search being single-threaded). Default false.
   */
  cpuClock?: boolean;
}

/** The method `auto` picks: nested for few free inputs on boxes, bnb otherwise. */
export function chooseMethod(region: ReachRegion, s: Pick<ReachSettings, 'method' | 'nestedMaxFree'>): 'nested' | 'bnb' {
  if (s.method === 'nested' || s.method === 'bnb') return s.method;
  const free = freeCoordinates(region).length;
  return !region.ball && free <= s.nestedMaxFree ? 'nested' : 'bnb';
}

/**
 * The restriction to the free inputs, when it pays: the network has more inputs than forward-mode
 * bounds take cheaply (20), fewer of them are free, there is no ball, and every box fixes the
 * same values.
 */
function restrictionFor(net: Network, reg: ReachRegion): Restricted | null {
  const n = net.inputSize;
  if (reg.ball || n <= 20) return null;
  const free = freeCoordinates(reg);
  if (free.length === 0 || free.length >= n) return null;
  const b0 = reg.boxes[0];
  const isFree = new Uint8Array(n);
  for (const i of free) isFree[i] = 1;
  for (const b of reg.boxes) for (let i = 0; i < n; i++) if (!isFree[i] && (b.lo[i] !== b0.lo[i] || b.hi[i] !== b0.lo[i])) return null;
  return restrictToFree(net, free, b0.lo);
}

function isReachRegion(r: unknown): r is ReachRegion {
  return typeof r === 'object' && r !== null && 'boxes' in r;
}

/**
 * Certified min and max of each objective over the region (default: every output). Sound at
 * any timeout; see the module comment for the guarantees. Throws InputError on bad input.
 */
export async function reach(net: Network, region: ReachRegion | Region | Region[], objectives?: ReachObjective | ReachObjective[], opts: ReachOptions = {}): Promise<ReachResult> {
  const start = performance.now();
  const { free, at, signal, onProgress, cpuClock, ...overrides } = opts;
  const cpuStart = cpuMs();
  const s = resolveSettings('reach', REACH_DEFAULTS, {}, undefined, overrides);
  if (!(typeof s.eps === 'number' && s.eps > 0 && Number.isFinite(s.eps))) throw new InputError(`eps must be a positive number (got ${s.eps})`);
  if (!(typeof s.timeout === 'number' && s.timeout > 0)) throw new InputError(`the timeout must be a positive number of seconds (got ${s.timeout})`);
  if (!REACH_METHODS.includes(s.method)) throw new InputError(`unknown method '${s.method}' (use auto, nested or bnb)`);
  const reg = isReachRegion(region) ? region : reachRegion(Array.isArray(region) ? region : [region], net.inputSize, free, at);
  for (const b of reg.boxes) {
    if (b.lo.length !== net.inputSize || b.hi.length !== net.inputSize) throw new InputError(`the region has ${b.lo.length} values; the network takes ${net.inputSize} inputs`);
    for (let i = 0; i < b.lo.length; i++) if (!(b.lo[i] <= b.hi[i])) throw new InputError(`the region is empty at input ${i} (lo ${b.lo[i]} > hi ${b.hi[i]})`);
  }
  const objs = objectives === undefined ? Array.from({ length: net.outputSize }, (_, j) => outputObjective(net.outputSize, j)) : Array.isArray(objectives) ? objectives : [objectives];
  for (const o of objs) if (o.C.length !== o.rows * net.outputSize) throw new InputError(`the objective has ${o.C.length / o.rows} coefficients per row; the network has ${net.outputSize} outputs`);
  const method = chooseMethod(reg, s);
  // Few free inputs of many (pixels of an image): search the network restricted to them (exact
  // in real arithmetic, so its bounds are the original's; witnesses are embedded back).
  const restricted = restrictionFor(net, reg);
  const searchNet = restricted ? restricted.net : net;
  const searchReg: ReachRegion = restricted
    ? { boxes: reg.boxes.map((b) => ({ lo: Float64Array.from(restricted.free, (i) => b.lo[i]), hi: Float64Array.from(restricted.free, (i) => b.hi[i]) })) }
    : reg;
  const embed = (w: Float64Array | null) => (w && restricted ? restricted.embed(w, 1) : w);
  if (method === 'nested' && reg.ball) throw new InputError('the nested method works on boxes only: use --method bnb for an L2 or L1 ball');
  const deadline = start + s.timeout * 1000;
  const results: ReachObjectiveResult[] = [];
  let remaining = objs.length * 2;
  /** The time left for the call (ms; CPU ms with cpuClock) shared by `parts` extremes still to do. */
  const shareOf = (parts: number) => (cpuClock ? Math.max(0, (cpuStart + s.timeout * 1000 - cpuMs()) / parts) : Math.max(0, (deadline - performance.now()) / parts));
  for (let q = 0; q < objs.length; q++) {
    const halves: Partial<Record<'min' | 'max', MinResult>> = {};
    const resumable: Partial<Record<'min' | 'max', { p: ReturnType<typeof minProblem>; inc: Incumbent; state: BnbResume }>> = {};
    const settingsFor = (q: number, sense: 'min' | 'max', share: number): MinSettings => {
      const now = performance.now();
      return {
        eps: s.eps, deadline: cpuClock ? Infinity : now + share, linear: s.linear, lipschitz: s.lipschitz, batch: s.batch, alphaIterations: s.alphaIterations,
        reluLpMaxUnstable: s.reluLpMaxUnstable, reluLpPerInput: s.reluLpPerInput, reluLpTimeLimit: s.reluLpTimeLimit,
        descentSteps: s.descentSteps, samples: s.samples, seed: s.seed, signal: cpuClock ? cpuDeadlineSignal(cpuMs() + share, signal) : signal,
        onTrace: onProgress ? (lower, upper) => onProgress({ objective: q, sense, lower: sense === 'min' ? lower : -upper, upper: sense === 'min' ? upper : -lower, elapsed: (performance.now() - start) / 1000 }) : undefined,
      };
    };
    for (const sense of ['min', 'max'] as const) {
      const now = performance.now();
      // The time left is shared evenly by the extremes still to do.
      const share = shareOf(remaining);
      remaining--;
      const p = minProblem(objs[q], sense);
      const ms = settingsFor(q, sense, share);
      const inc = new Incumbent(searchNet, p, searchReg.ball);
      inc.seed(searchReg.boxes, s.samples, s.descentSteps, s.seed + q);
      let half: MinResult;
      if (method === 'nested') half = await minimiseNested(searchNet, p, searchReg, ms, inc);
      else {
        const r = await minimiseBnb(searchNet, p, searchReg, ms, inc);
        const { resume: state, ...rest } = r;
        half = rest;
        if (!half.certified) resumable[sense] = { p, inc, state };
      }
      // Traces on the clock of the whole call (the extremes run one after the other).
      const offset = (now - start) / 1000;
      half.trace = half.trace.map((t) => ({ ...t, t: t.t + offset }));
      halves[sense] = half;
    }
    // An extreme that ran out of its share while the other finished early resumes its search
    // with the time the other left (shared with the extremes of later objectives).
    const open = (['min', 'max'] as const).filter((x) => resumable[x]);
    for (let k = 0; k < open.length; k++) {
      const sense = open[k], st = resumable[sense]!;
      const share = shareOf(remaining + open.length - k);
      if (!(share > 50)) continue; // under 50 ms: not worth a restart of the engine
      const now = performance.now();
      const r = await minimiseBnb(searchNet, st.p, searchReg, settingsFor(q, sense, share), st.inc, st.state);
      const { resume: state, ...more } = r;
      resumable[sense] = { ...st, state };
      const prev = halves[sense]!;
      const offset = (now - start) / 1000;
      // Both lower bounds are proofs; the resumed one covers every leaf of the whole tree.
      halves[sense] = { ...more, lower: Math.max(prev.lower, more.lower), certified: addUp(more.upper, -Math.max(prev.lower, more.lower)) <= s.eps, trace: prev.trace.concat(more.trace.map((t) => ({ ...t, t: t.t + offset }))), time_s: prev.time_s + more.time_s };
    }
    // Nothing resumes after this: free the LP models of the searches left open.
    for (const sense of ['min', 'max'] as const) resumable[sense]?.state.dispose();
    for (const sense of ['min', 'max'] as const) halves[sense]!.witness = embed(halves[sense]!.witness);
    const mn = halves.min!, mx = halves.max!;
    results.push({
      objective: objs[q],
      min: { ...mn },
      // max g = −min(−g): the proof becomes the upper end, the witness value the lower end.
      max: { ...mx, lower: -mx.upper, upper: -mx.lower, trace: mx.trace.map((t) => ({ t: t.t, lower: -t.upper, upper: -t.lower })) },
    });
  }
  return {
    results, eps: s.eps, certified: results.every((r) => r.min.certified && r.max.certified), method,
    lipschitz: s.lipschitz, freeInputs: freeCoordinates(reg).length, time_s: (performance.now() - start) / 1000,
  };
}
