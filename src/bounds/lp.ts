/**
 * LP bounds over the triangle relaxation, proved only through the LP dual.
 *
 * Per domain, the LP has one column per element of every value the target depends on:
 * - the network input, bounded by the domain's box (or its split/parent-tightened bounds);
 * - every other value, bounded by its CROWN intermediate bounds (sound).
 * Rows, built op-agnostically from `prepare(net).kind`:
 * - affine node (out = J·in + offset): out_j − Σ_k J_jk·in_k ∈ [offset_j − e_j, offset_j + e_j],
 *   J read from the op's own `backward` on unit rows, and
 *   e_j = γ_n·(Σ_k |J_jk|·max(|l_k|, |u_k|) + |offset_j|), n = total input size + 2, which covers
 *   any difference between the float network and the real-arithmetic reading of J (a folded 1/c,
 *   a duplicated input whose two Jacobians were added);
 * - elementwise nonlinear node: the lines of `relaxCuts(params, lo, hi)` (or of `relax` when an op
 *   has no cuts): y − s·x ≥ b per lower line, y − s·x ≤ b per upper line (one equality row when a
 *   lower and an upper line coincide, e.g. a stable ReLU).
 * Exact reductions keep the LP small (copies share columns; pre-activations of stably inactive,
 * unsplit ReLU-like elements are dropped — see `buildNetLP`).
 * Each spec row c = C[r] is minimised and maximised with HiGHS (one model per domain, only the
 * objective changes between the LPs, so each LP warm-starts from the previous basis, and
 * restarts cold when the warm start stalls — see `solveLowerBounds`). The
 * solver's answer is never trusted: its row duals go through `dualLowerBound` (lp_dual.ts),
 * which recomputes a weak-duality bound with every rounding charged. An LP that is not optimal
 * (time limit, infeasible, error) or whose dual is unusable falls back to the CROWN bound of that
 * row. Infeasibility is never claimed from an LP (no Farkas certificate is validated): an
 * infeasible LP just keeps the CROWN bounds. Final bounds are CROWN's intersected with the LP's.
 *
 * With `intermediate`, the inputs of nonlinear ops that have another nonlinear op upstream are
 * tightened first, layer by layer (ReLU-like ops: only unstable elements), and the later layers'
 * CROWN bounds are recomputed from the tightened ones.
 */
import loadHighs from 'highs';
import type { Network } from '../net/network.js';
import { addDown, addUp } from '../util/float.js';
import { crown, crownIntermediate, finishRows, identityRows } from './crown.js';
import { gamma } from './fp.js';
import { dualLowerBound, type SparseLP } from './lp_dual.js';
import { prepare, unsupported, type PreparedNet } from './prepare.js';
import type { BoundsRequest, BoundsResult, NodeBounds, SplitSet } from './types.js';

export type Highs = Awaited<ReturnType<typeof loadHighs>>;
type HighsModel = ReturnType<Highs['createModel']>;

let highsPromise: Promise<Highs> | undefined;

/** The HiGHS runtime, loaded once per process. */
export function getHighs(): Promise<Highs> {
  if (!highsPromise) {
    highsPromise = loadHighs();
    highsPromise.catch(() => { highsPromise = undefined; });
  }
  return highsPromise;
}

export interface LpSettings {
  /** Tighten the inputs of nonlinear ops by LP too (slow). */
  intermediate: boolean;
  /** Time limit per LP in seconds (HiGHS `time_limit`); a timed-out LP falls back to CROWN. */
  timeLimit: number;
}

/** Counters of the last `lpBounds` call (for tests and diagnostics). */
export interface LpStats {
  /** LPs solved to optimality whose dual gave a finite bound. */
  proved: number;
  /** LPs that ended otherwise (status not optimal, solver error, unusable dual). */
  fallback: number;
  /** Seconds spent building models and solving. */
  seconds: number;
}
export const lastLpStats: LpStats = { proved: 0, fallback: 0, seconds: 0 };

/**
 * Test hook: when set, every row dual the solver returns passes through it before validation
 * (tests hand the validation deliberately perturbed duals). Never set in production.
 */
export const lpTestHooks: { tamperDual?: (y: Float64Array) => Float64Array } = {};

// ---- Jacobians of affine nodes (domain-independent, cached per network) ----------------------

/** J of one affine node as CSR over its output elements; entries address (unique input, element). */
interface NodeJacobian {
  /** Unique dynamic input value ids (an input used twice has its Jacobians added). */
  inputs: number[];
  starts: Int32Array;
  which: Int32Array;
  elem: Int32Array;
  vals: Float64Array;
  /** γ for e_j: total dynamic input size + 2 terms. */
  g: number;
  /** A reshapeOnly op with one input, every row a single entry 1, zero offset: out_j = in_{elem[j]} exactly. */
  copy: boolean;
}

const jacobianCache = new WeakMap<Network, Map<number, NodeJacobian>>();

/** Largest number of doubles a chunk of unit rows may fill when reading J. */
const CHUNK_DOUBLES = 1 << 22;

function nodeJacobian(net: Network, k: number): NodeJacobian {
  let cache = jacobianCache.get(net);
  if (!cache) { cache = new Map(); jacobianCache.set(net, cache); }
  const hit = cache.get(k);
  if (hit) return hit;
  const node = net.nodes[k];
  const sizeOut = net.values[node.output].size;
  const inSizes = node.inputs.map((v) => net.values[v].size);
  const totalIn = inSizes.reduce((a, b) => a + b, 0);
  const uniq = [...new Set(node.inputs)];
  const slotOf = node.inputs.map((v) => uniq.indexOf(v));
  const starts = new Int32Array(sizeOut + 1);
  let which: number[] = [], elem: number[] = [], vals: number[] = [];
  const chunk = Math.max(1, Math.min(sizeOut, Math.floor(CHUNK_DOUBLES / Math.max(1, totalIn + sizeOut))));
  for (let j0 = 0; j0 < sizeOut; j0 += chunk) {
    const b = Math.min(chunk, sizeOut - j0);
    const gOut = new Float64Array(b * sizeOut);
    for (let t = 0; t < b; t++) gOut[t * sizeOut + j0 + t] = 1;
    const gIns = inSizes.map((s) => new Float64Array(b * s));
    node.kind.backward(node.params, [], gOut, gOut, gIns, b);
    // Merge inputs that are the same value (their Jacobians add).
    const merged: Float64Array[] = uniq.map((v) => new Float64Array(b * net.values[v].size));
    gIns.forEach((gi, i) => {
      const dst = merged[slotOf[i]];
      for (let q = 0; q < gi.length; q++) dst[q] += gi[q];
    });
    for (let t = 0; t < b; t++) {
      merged.forEach((mg, u) => {
        const s = net.values[uniq[u]].size;
        for (let q = 0; q < s; q++) {
          const a = mg[t * s + q];
          if (a !== 0) { which.push(u); elem.push(q); vals.push(a); }
        }
      });
      starts[j0 + t + 1] = vals.length;
    }
  }
  const off = prepare(net).offset[k];
  // Only ops that declare they just relabel elements (reshapeOnly) are trusted to be exact copies.
  let copy = !!node.kind.reshapeOnly && node.inputs.length === 1 && vals.length === sizeOut && !!off;
  for (let j = 0; copy && j < sizeOut; j++) copy = starts[j + 1] - starts[j] === 1 && vals[starts[j]] === 1 && off![j] === 0;
  const J: NodeJacobian = {
    inputs: uniq,
    starts,
    which: Int32Array.from(which),
    elem: Int32Array.from(elem),
    vals: Float64Array.from(vals),
    g: gamma(totalIn + 2),
    copy,
  };
  which = elem = vals = [];
  cache.set(k, J);
  return J;
}

// ---- LP construction ----------------------------------------------------------------------------

/** A network LP for one domain: the sparse LP plus the column of every element of every value. */
export interface NetLP extends SparseLP {
  /**
   * Per value id: the column of each element, −1 for an element without one (see `buildNetLP`);
   * undefined when the target does not depend on the value. Two elements may share a column.
   */
  colOf: (Int32Array | undefined)[];
}

class RowBuilder {
  numRows = 0;
  nnz = 0;
  starts = new Int32Array(1024);
  indices = new Int32Array(1024);
  values = new Float64Array(1024);
  lower = new Float64Array(1024);
  upper = new Float64Array(1024);
  /** Make room for one more row of at most `entries` entries. */
  reserve(entries: number): void {
    if (this.numRows + 2 > this.starts.length) {
      const n = 2 * this.starts.length;
      this.starts = grow(this.starts, new Int32Array(n));
      this.lower = grow(this.lower, new Float64Array(n));
      this.upper = grow(this.upper, new Float64Array(n));
    }
    if (this.nnz + entries > this.indices.length) {
      const n = Math.max(2 * this.indices.length, this.nnz + entries);
      this.indices = grow(this.indices, new Int32Array(n));
      this.values = grow(this.values, new Float64Array(n));
    }
  }
  /** Append an entry to the open row (after `reserve`); zeros are dropped. */
  push(col: number, val: number): void {
    if (val === 0) return;
    this.indices[this.nnz] = col;
    this.values[this.nnz++] = val;
  }
  /** Close the open row with its bounds. */
  close(lo: number, hi: number): void {
    this.lower[this.numRows] = lo;
    this.upper[this.numRows++] = hi;
    this.starts[this.numRows] = this.nnz;
  }
  /** A row y − s·x ∈ [lo, hi]. */
  line(y: number, x: number, s: number, lo: number, hi: number): void {
    this.reserve(2);
    this.push(y, 1);
    if (s !== 0) this.push(x, -s);
    this.close(lo, hi);
  }
}

function grow<T extends Int32Array | Float64Array>(a: T, b: T): T {
  b.set(a);
  return b;
}

function boundsOf(nodes: NodeBounds, net: Network, v: number, d: number): { lo: Float64Array; hi: Float64Array } {
  const size = net.values[v].size;
  const lo = nodes.lo[v], hi = nodes.hi[v];
  if (!lo || !hi) throw new Error(`lp: no bounds for value '${net.values[v].name}'`);
  return { lo: lo.subarray(d * size, (d + 1) * size), hi: hi.subarray(d * size, (d + 1) * size) };
}

type Lines = { lower: [number, number][]; upper: [number, number][] };

/**
 * The LP of domain d over every value `target` depends on, with column bounds from `nodes`
 * (every value's bounds, D × size each; the input's too) — see the module comment. Two exact
 * reductions keep the LP small (HiGHS's presolve finds them too, but a warm-started simplex
 * runs on the LP as given):
 * - an op that declares it only relabels elements (`reshapeOnly`: Flatten, Reshape, Identity),
 *   whose J indeed has one entry 1 per row and whose offset is 0, computes out_j = in_k exactly,
 *   so out_j reuses in_k's column (bounds intersected: both are sound bounds of the same number);
 * - an element of an affine node's output that only feeds nonlinear ops whose every line for it
 *   has slope 0 (a stably inactive ReLU), and that no split constrains, gets neither a column
 *   nor its row: dropping constraints only relaxes the LP (sound), and the row only restated
 *   bounds implied by the region.
 */
export function buildNetLP(net: Network, nodes: NodeBounds, d: number, target: number, splits?: SplitSet): NetLP {
  const prep: PreparedNet = prepare(net);
  const need = new Uint8Array(net.values.length);
  need[target] = 1;
  const last = prep.producer[target];
  for (let k = last; k >= 0; k--) {
    const node = net.nodes[k];
    if (need[node.output]) for (const v of node.inputs) need[v] = 1;
  }
  // Lines of every nonlinear element (computed once; they decide which elements are dead).
  const lines: (Lines[] | undefined)[] = new Array(net.nodes.length);
  for (let k = 0; k <= last; k++) {
    const node = net.nodes[k];
    if (!need[node.output] || prep.kind[k] !== 'relax') continue;
    const { lo, hi } = boundsOf(nodes, net, node.inputs[0], d);
    const size = lo.length;
    const ls: Lines[] = new Array(size);
    if (node.kind.relaxCuts) {
      for (let j = 0; j < size; j++) ls[j] = node.kind.relaxCuts(node.params, lo[j], hi[j]);
    } else {
      const sl = new Float64Array(size), bl = new Float64Array(size), su = new Float64Array(size), bu = new Float64Array(size);
      node.kind.relax!(node.params, lo, hi, null, sl, bl, su, bu);
      for (let j = 0; j < size; j++) ls[j] = { lower: [[sl[j], bl[j]]], upper: [[su[j], bu[j]]] };
    }
    lines[k] = ls;
  }
  // Dead elements: outputs of affine nodes read only by nonlinear ops through slope-0 lines.
  const dead: (Uint8Array | undefined)[] = new Array(net.values.length);
  const readByOther = new Uint8Array(net.values.length);
  for (let k = 0; k <= last; k++) {
    const node = net.nodes[k];
    if (!need[node.output]) continue;
    if (prep.kind[k] !== 'relax') for (const v of node.inputs) readByOther[v] = 1;
  }
  for (let k = 0; k <= last; k++) {
    const node = net.nodes[k];
    if (!need[node.output] || prep.kind[k] !== 'relax') continue;
    const v = node.inputs[0];
    if (v === target || readByOther[v] || prep.producer[v] < 0 || prep.kind[prep.producer[v]] !== 'affine') continue;
    const size = net.values[v].size;
    const dv = (dead[v] ??= new Uint8Array(size).fill(1));
    const split = splits?.get(k);
    const ls = lines[k]!;
    for (let j = 0; j < size; j++) {
      if (!dv[j]) continue;
      if (split && split[d * size + j] !== 0) { dv[j] = 0; continue; }
      for (const [s] of ls[j].lower) if (s !== 0) dv[j] = 0;
      for (const [s] of ls[j].upper) if (s !== 0) dv[j] = 0;
    }
  }
  // Columns: the input, then every needed node output (aliases reuse their source's column).
  const colOf: (Int32Array | undefined)[] = new Array(net.values.length);
  const lowers: number[] = [], uppers: number[] = [];
  const newColumns = (v: number): void => {
    const { lo, hi } = boundsOf(nodes, net, v, d);
    const cols = new Int32Array(lo.length);
    const dv = dead[v];
    for (let j = 0; j < lo.length; j++) {
      if (dv?.[j]) { cols[j] = -1; continue; }
      cols[j] = lowers.length;
      lowers.push(lo[j]);
      uppers.push(hi[j]);
    }
    colOf[v] = cols;
  };
  for (const v of net.inputIds) if (need[v]) newColumns(v);
  const alias = new Uint8Array(net.nodes.length);
  for (let k = 0; k <= last; k++) {
    const node = net.nodes[k];
    const v = node.output;
    if (!need[v]) continue;
    if (prep.kind[k] === 'affine') {
      const J = nodeJacobian(net, k);
      if (J.copy && colOf[J.inputs[0]]) {
        alias[k] = 1;
        const src = colOf[J.inputs[0]]!;
        const { lo, hi } = boundsOf(nodes, net, v, d);
        const cols = new Int32Array(lo.length);
        for (let j = 0; j < lo.length; j++) {
          const c = dead[v]?.[j] ? -1 : src[J.elem[J.starts[j]]];
          cols[j] = c;
          if (c < 0) continue;
          if (lo[j] > lowers[c]) lowers[c] = lo[j];
          if (hi[j] < uppers[c]) uppers[c] = hi[j];
        }
        colOf[v] = cols;
        continue;
      }
    }
    newColumns(v);
  }
  const numCols = lowers.length;
  const rows = new RowBuilder();
  for (let k = 0; k <= last; k++) {
    const node = net.nodes[k];
    if (!need[node.output] || alias[k]) continue;
    const oCols = colOf[node.output]!;
    const sizeOut = oCols.length;
    if (prep.kind[k] === 'affine') {
      const J = nodeJacobian(net, k);
      const off = prep.offset[k]!;
      const ins = J.inputs.map((v) => ({ cols: colOf[v]!, ...boundsOf(nodes, net, v, d) }));
      for (let j = 0; j < sizeOut; j++) {
        if (oCols[j] < 0) continue;
        rows.reserve(1 + J.starts[j + 1] - J.starts[j]);
        rows.push(oCols[j], 1);
        let e = 0;
        for (let q = J.starts[j]; q < J.starts[j + 1]; q++) {
          const inp = ins[J.which[q]], el = J.elem[q], a = J.vals[q];
          rows.push(inp.cols[el], -a);
          const l = Math.abs(inp.lo[el]), h = Math.abs(inp.hi[el]);
          e += Math.abs(a) * (l > h ? l : h);
        }
        const ej = J.g * (e + Math.abs(off[j]));
        rows.close(addDown(off[j], -ej), addUp(off[j], ej));
      }
    } else if (prep.kind[k] === 'relax') {
      const iCols = colOf[node.inputs[0]]!;
      const ls = lines[k]!;
      for (let j = 0; j < sizeOut; j++) {
        const y = oCols[j], x = iCols[j];
        const cuts = ls[j];
        const usedUpper = new Set<number>();
        for (const [s, b] of cuts.lower) {
          const eq = cuts.upper.findIndex(([s2, b2], i) => !usedUpper.has(i) && s2 === s && b2 === b);
          if (eq >= 0) usedUpper.add(eq);
          rows.line(y, x, s, b, eq >= 0 ? b : Infinity);
        }
        cuts.upper.forEach(([s, b], i) => {
          if (!usedUpper.has(i)) rows.line(y, x, s, -Infinity, b);
        });
      }
    } else {
      unsupported(node, 'LP');
    }
  }
  const R = rows.numRows, nnz = rows.nnz;
  return {
    numRows: R,
    numCols,
    starts: rows.starts.slice(0, R + 1),
    indices: rows.indices.slice(0, nnz),
    values: rows.values.slice(0, nnz),
    rowLower: rows.lower.slice(0, R),
    rowUpper: rows.upper.slice(0, R),
    colLower: Float64Array.from(lowers),
    colUpper: Float64Array.from(uppers),
    colOf,
  };
}

/**
 * Objectives over the elements of a value (each of its size) as objectives over LP columns:
 * the distinct columns in increasing order and, per objective, the cost of each (elements that
 * share a column add up; an element without a column must have cost 0).
 */
export function columnObjectives(lp: NetLP, v: number, objs: Float64Array[]): { cols: Int32Array; costs: Float64Array[] } {
  const map = lp.colOf[v]!;
  const cols = Int32Array.from(new Set(Array.from(map).filter((c) => c >= 0))).sort();
  const pos = new Map<number, number>();
  cols.forEach((c, i) => pos.set(c, i));
  const costs = objs.map((o) => {
    const out = new Float64Array(cols.length);
    for (let j = 0; j < map.length; j++) {
      if (o[j] === 0) continue;
      if (map[j] < 0) throw new Error('lp: an objective on an element without a column');
      out[pos.get(map[j])!] += o[j];
    }
    return out;
  });
  return { cols, costs };
}

// ---- Solving ------------------------------------------------------------------------------------

/** Iteration cap of a warm-started LP: this many times the last cold solve's iterations (at least WARM_MIN). */
const WARM_FACTOR = 1.5;
const WARM_MIN = 100;
const NO_ITERATION_LIMIT = 2147483647;

/**
 * Solve min cᵀv over `lp` for each objective (its costs on the columns `cols`, increasing) with one
 * HiGHS model and return the dual-validated lower bounds (−∞ where nothing was proved). The
 * model is always disposed.
 *
 * Warm starts: only the objective changes between the LPs, so each LP first runs from the
 * previous basis, with an iteration cap of WARM_FACTOR × the last cold solve's iterations.
 * Measured on mnist-net_256x2 (2602 columns, 2008 rows): warm solves usually take 10–50 ms
 * against 100–300 ms cold (presolve + simplex), but on some objectives the warm-started simplex
 * stalls on this very degenerate LP (50,000+ iterations, 20 s). A warm run that hits the cap is
 * therefore restarted cold (`clearSolver`: presolve runs again). `timeLimit` covers both runs of
 * one LP (HiGHS's clock is zeroed once per LP).
 *
 * With `primals`, slot o receives the solver's column values of objective o when it was solved
 * to optimality (a point to try, never a proof), else null. With `deadline` (performance.now()
 * milliseconds), objectives not started by then are left at −∞. `highsOptions` are set on the model
 * (e.g. `simplex_strategy: 4`: primal simplex, measured 1.8× less CPU per LP than the default
 * when only the objective changes between LPs; the bounds stay dual-proved whatever the solver).
 */
export function solveLowerBounds(highs: Highs, lp: SparseLP, cols: Int32Array, objectives: Float64Array[], timeLimit: number, signal?: AbortSignal, primals?: (Float64Array | null)[], deadline = Infinity, highsOptions?: Record<string, string | number | boolean>): Float64Array {
  const out = new Float64Array(objectives.length).fill(-Infinity);
  if (objectives.length === 0) return out;
  let model: HighsModel | undefined;
  try {
    model = highs.createModel({
      numCols: lp.numCols,
      numRows: lp.numRows,
      colCost: new Float64Array(lp.numCols),
      colLower: lp.colLower,
      colUpper: lp.colUpper,
      rowLower: lp.rowLower,
      rowUpper: lp.rowUpper,
      matrix: { format: 'csr', numRows: lp.numRows, numCols: lp.numCols, starts: lp.starts, indices: lp.indices, values: lp.values },
    });
    model.options.set({ output_flag: false });
    if (highsOptions) model.options.set(highsOptions as Parameters<typeof model.options.set>[0]);
    if (timeLimit > 0 && Number.isFinite(timeLimit)) model.options.set('time_limit', timeLimit);
  } catch {
    model?.dispose();
    lastLpStats.fallback += objectives.length;
    return out;
  }
  const c = new Float64Array(lp.numCols);
  const len = cols.length;
  const contiguous = len > 0 && cols[len - 1] - cols[0] === len - 1;
  const selection = contiguous ? { kind: 'range' as const, from: cols[0], to: cols[len - 1] } : { kind: 'set' as const, indices: cols };
  const optimal = highs.constants.modelStatus.optimal;
  let coldIterations = -1;
  const iterations = (mdl: HighsModel): number => Number(mdl.info.get('simplex_iteration_count'));
  try {
    for (let o = 0; o < objectives.length; o++) {
      if (signal?.aborted) throw signal.reason;
      // Past the caller's deadline the remaining objectives keep −∞ (no bound, not a failure).
      if (performance.now() > deadline) break;
      const obj = objectives[o];
      let bound = -Infinity;
      try {
        if (len > 0) model.changeColsCost(selection, obj);
        model.zeroAllClocks();
        let solved = false;
        if (coldIterations >= 0) {
          model.options.set('simplex_iteration_limit', Math.max(WARM_MIN, Math.ceil(WARM_FACTOR * coldIterations)));
          model.run();
          model.options.set('simplex_iteration_limit', NO_ITERATION_LIMIT);
          solved = model.getModelStatus() === optimal;
        }
        if (!solved) {
          model.clearSolver();
          model.run();
          solved = model.getModelStatus() === optimal;
          if (solved) coldIterations = iterations(model);
        }
        if (solved) {
          for (let q = 0; q < len; q++) c[cols[q]] = obj[q];
          const solution = model.getSolution();
          const y = solution.rowDual;
          bound = dualLowerBound(lp, c, lpTestHooks.tamperDual ? lpTestHooks.tamperDual(y) : y);
          if (primals) primals[o] = Float64Array.from(solution.colValue);
          for (let q = 0; q < len; q++) c[cols[q]] = 0;
        }
      } catch (e) {
        if (signal?.aborted) throw e;
        bound = -Infinity;
      }
      out[o] = bound;
      if (bound === -Infinity) lastLpStats.fallback++;
      else lastLpStats.proved++;
    }
  } finally {
    model.dispose();
  }
  return out;
}

/**
 * Objectives C_0 … C_{R−1}, then −C_0 … −C_{R−1}: all minimisations first, then all
 * maximisations. Measured on mnist-net_256x2 (18 LPs, warm-started): this order takes about
 * 0.45 s, alternating min/max about 3 s (each flip of the objective costs many iterations).
 */
function rowObjectives(C: Float64Array, R: number, m: number): Float64Array[] {
  const objs: Float64Array[] = [];
  for (let r = 0; r < R; r++) objs.push(Float64Array.from(C.subarray(r * m, (r + 1) * m)));
  for (let r = 0; r < R; r++) objs.push(Float64Array.from(C.subarray(r * m, (r + 1) * m), (x) => -x));
  return objs;
}

function copyNodes(nb: NodeBounds): NodeBounds {
  return { lo: nb.lo.map((a) => a && Float64Array.from(a)), hi: nb.hi.map((a) => a && Float64Array.from(a)) };
}

function domainEmpty(net: Network, nodes: NodeBounds, d: number): boolean {
  for (let v = 0; v < net.values.length; v++) {
    const lo = nodes.lo[v], hi = nodes.hi[v];
    if (!lo || !hi) continue;
    const s = net.values[v].size;
    for (let i = d * s; i < (d + 1) * s; i++) if (!(lo[i] <= hi[i])) return true;
  }
  return false;
}

/**
 * Tighten, by LP, the inputs of nonlinear ops that have another nonlinear op upstream (the
 * others are affine images of the box, which CROWN already bounds exactly up to rounding),
 * layer by layer; after each layer the later values' bounds are recomputed by CROWN with the
 * tightened ones as parent bounds. Returns the tightened bounds.
 */
async function tightenIntermediate(req: BoundsRequest, nodes: NodeBounds & { infeasible?: Uint8Array }, settings: LpSettings, highs: Highs): Promise<NodeBounds & { infeasible?: Uint8Array }> {
  const { net, region } = req;
  const prep = prepare(net);
  const D = region.batch;
  const afterRelax = new Uint8Array(net.values.length);
  const done = new Set<number>();
  let cur = nodes;
  for (let k = 0; k < net.nodes.length; k++) {
    const node = net.nodes[k];
    const upstream = node.inputs.some((v) => afterRelax[v]);
    if (prep.kind[k] === 'relax' || upstream) afterRelax[node.output] = 1;
    if (prep.kind[k] !== 'relax') continue;
    const v = node.inputs[0];
    if (!afterRelax[v] || done.has(v)) continue;
    done.add(v);
    const size = net.values[v].size;
    const lo = cur.lo[v]!, hi = cur.hi[v]!;
    let changed = false;
    for (let d = 0; d < D; d++) {
      if (cur.infeasible?.[d] || domainEmpty(net, cur, d)) continue;
      const need: number[] = [];
      for (let j = 0; j < size; j++) {
        const l = lo[d * size + j], h = hi[d * size + j];
        if (node.kind.breakpoints ? l < 0 && h > 0 : h > l) need.push(j);
      }
      if (need.length === 0) continue;
      const lp = buildNetLP(net, cur, d, v, req.splits);
      const objs: Float64Array[] = [];
      for (const sign of [1, -1]) {
        for (const j of need) { const e = new Float64Array(size); e[j] = sign; objs.push(e); }
      }
      const { cols, costs } = columnObjectives(lp, v, objs);
      const b = solveLowerBounds(highs, lp, cols, costs, settings.timeLimit, req.signal);
      const N = need.length;
      need.forEach((j, i) => {
        const l = b[i], u = -b[N + i];
        const nl = Math.max(l, lo[d * size + j]), nu = Math.min(u, hi[d * size + j]);
        if (!(nl <= nu)) return; // never claim emptiness from an LP
        if (nl > lo[d * size + j] || nu < hi[d * size + j]) changed = true;
        lo[d * size + j] = nl;
        hi[d * size + j] = nu;
      });
    }
    if (changed) {
      // Recompute every later bound from the tightened ones (kept through the parent bounds).
      cur = crownIntermediate({ ...req, parent: copyNodes(cur) });
    }
  }
  return cur;
}

/**
 * Sound bounds of the rows C·y (+ cOffset) for every domain: CROWN's, tightened by LPs over
 * the triangle relaxation whose optima are proved through their duals (see the module comment).
 */
export async function lpBounds(req: BoundsRequest, settings: LpSettings): Promise<BoundsResult> {
  const t0 = performance.now();
  lastLpStats.proved = 0; lastLpStats.fallback = 0; lastLpStats.seconds = 0;
  const highs = await getHighs();
  const { net, region } = req;
  const D = region.batch, m = net.outputSize;
  const C = req.C ?? identityRows(m);
  const R = C.length / m;
  // CROWN without cOffset: the LP bounds are of C·y; cOffset is added once at the end.
  const base = crown({ ...req, cOffset: undefined });
  let nodes = base.nodes as NodeBounds & { infeasible?: Uint8Array };
  const emptied = nodes.infeasible ?? new Uint8Array(D);
  const crownInfeasible = (d: number): boolean => emptied[d] === 1;
  if (settings.intermediate) nodes = await tightenIntermediate(req, nodes, settings, highs);
  const lower = Float64Array.from(base.lower), upper = Float64Array.from(base.upper);
  const out = net.outputIds[0];
  const objs = rowObjectives(C, R, m);
  for (let d = 0; d < D; d++) {
    if (req.signal?.aborted) throw req.signal.reason;
    if (crownInfeasible(d) || nodes.infeasible?.[d] || domainEmpty(net, nodes, d)) continue;
    const lp = buildNetLP(net, nodes, d, out, req.splits);
    const { cols, costs } = columnObjectives(lp, out, objs);
    const b = solveLowerBounds(highs, lp, cols, costs, settings.timeLimit, req.signal);
    const lo = new Float64Array(R), hi = new Float64Array(R);
    let crossed = false;
    for (let r = 0; r < R; r++) {
      const i = d * R + r;
      lo[r] = Math.max(lower[i], b[r]);
      hi[r] = Math.min(upper[i], -b[R + r]);
      if (!(lo[r] <= hi[r])) crossed = true;
    }
    if (crossed) continue; // would claim an empty domain: keep CROWN's bounds
    lower.set(lo, d * R);
    upper.set(hi, d * R);
  }
  finishRows(lower, upper, R, D, req.cOffset);
  for (let d = 0; d < D; d++) {
    if (!crownInfeasible(d)) continue;
    lower.fill(Infinity, d * R, (d + 1) * R);
    upper.fill(-Infinity, d * R, (d + 1) * R);
  }
  const result: BoundsResult = { lower, upper, rows: R, nodes };
  if (base.A) { result.A = base.A; result.bias = base.bias; }
  lastLpStats.seconds = (performance.now() - t0) / 1000;
  return result;
}
