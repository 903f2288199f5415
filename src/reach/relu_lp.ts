/**
 * ReLU splitting with LP leaves for reach's branch and bound (`bnb`), on piecewise-linear nets.
 *
 * Input splitting is exponential in the number of free inputs: on whole 10-input boxes it does
 * not close. But once a box leaves few ReLU-like elements unstable, the minimum of c·y over it is
 * a small mixed-integer problem: each activation pattern is an LP. A domain here is a box with
 * some unstable elements fixed to one side (a *split*: input ≥ 0 or ≤ 0). Its bound is the
 * triangle-relaxation LP over the box (every split and stable element exact, each free unstable
 * one its convex hull, `buildNetLP`), solved by HiGHS and proved through its dual
 * (`dualLowerBound`, every rounding charged): the solver is never trusted. When the LP's optimum
 * satisfies every free element's ReLU exactly, it is a point of the network, so the LP bound is
 * the exact minimum over the domain (up to the dual's rounding charges), and the point,
 * re-evaluated soundly by the caller, is a witness that closes the domain. Otherwise the element
 * whose relaxation the optimum uses most (largest a − max(z, 0)) is split next.
 */
import { buildNetLP, columnObjectives, type Highs, type NetLP } from '../bounds/lp.js';
import { dualLowerBound, rayProvesEmpty } from '../bounds/lp_dual.js';
import type { NodeBounds } from '../bounds/types.js';
import type { Network } from '../net/network.js';
import { prepare } from '../bounds/prepare.js';
import { addDown } from '../util/float.js';
import type { MinProblem } from './objective.js';

/**
 * Whether the ReLU-split LP search applies: every nonlinear op is ReLU-like (a kink at 0,
 * piecewise linear), so a domain with every unstable element split is an exact LP. Smooth
 * activations (sigmoid, tanh) are never exact in an LP: they stay with the box bounds.
 */
export function reluLpApplies(net: Network): boolean {
  const prep = prepare(net);
  let any = false;
  for (let k = 0; k < net.nodes.length; k++) {
    if (prep.kind[k] === 'affine') continue;
    const node = net.nodes[k];
    if (prep.kind[k] !== 'relax' || node.kind.breakpoints !== 'relu' || node.inputs.length !== 1) return false;
    any = true;
  }
  return any;
}


/**
 * Unstable elements (input bounds straddling 0, not split) of domain d of a batch of D domains'
 * bounds; `Infinity` when some bounds are missing. Stops counting past `limit`.
 */
export function countUnstableIn(net: Network, relu: number[], nodes: NodeBounds, d: number, limit = Infinity): number {
  let count = 0;
  for (const k of relu) {
    const v = net.nodes[k].inputs[0];
    const lo = nodes.lo[v], hi = nodes.hi[v];
    if (!lo || !hi) return Infinity;
    const size = net.values[v].size;
    for (let j = d * size; j < (d + 1) * size; j++) if (lo[j] < 0 && hi[j] > 0 && ++count > limit) return count;
  }
  return count;
}


/** What the LP proved on one domain. */
export interface ReluLpResult {
  /** A sound lower bound of h over the domain (−∞ when no LP was proved). */
  lower: number;
  /** Input points of the LP optima (to re-evaluate: candidates, never proofs). */
  points: Float64Array[];
  /** The free unstable element to split next, (node, element), or null (none unstable). */
  branch: [number, number] | null;
}

type HighsModel = ReturnType<Highs['createModel']>;

/** Iteration cap of a warm-started solve, as a multiple of the root's cold solve (at least 200); a capped run restarts cold. */
const WARM_FACTOR = 3;

/**
 * One HiGHS model for every domain of one root box: the triangle-relaxation LP of the root
 * (`buildNetLP` over the root's bounds), changed per domain instead of rebuilt (a warm re-solve
 * after bound changes costs a fraction of a cold build and solve):
 * - every column's bounds become the domain's (its sound bounds of each value, splits clamped
 *   in: tighter than the root's, so every affine row's rounding allowance, computed from the
 *   root's magnitudes, still covers it);
 * - an element unstable at the root whose domain bounds put its input on one side (a split, or
 *   bounds that became stable) gets the line of that side as an equality (y = x, or y = a·x for
 *   a leaky slope a): exact there;
 * - an element still unstable keeps the root's lines (valid on any sub-interval), with its
 *   column bounds the domain's. Changing its upper line's coefficient to the domain's interval
 *   was measured slower (warm starts lost; 4 random 10-input nets on [−1, 1]^10, 30 CPU s
 *   each: one net open instead of certified in 27.5 s, the others 5.8/3.4/0.2 s instead of
 *   5.0/1.7/0.2 s).
 * Every line used holds on the domain, so the LP is a relaxation of h over it; its optimum is
 * proved through the dual (`dualLowerBound` on the LP exactly as changed, every rounding
 * charged). The solver is never trusted: a solve that is not optimal proves nothing (−∞).
 */
export class ReluLpModel {
  private readonly model: HighsModel;
  private readonly lp: NetLP;
  private readonly colLower0: Float64Array;
  private readonly colUpper0: Float64Array;
  private readonly rowUpper0: Float64Array;
  /** Per element unstable at the root (8 entries): node, element, x column, y column, the rows of its slope-1 and leak lines, its upper line's row and that row's x entry (−1: none). */
  private readonly tracked: Int32Array;
  private readonly leaks: Float64Array;
  private readonly objCols: Int32Array;
  private readonly objCosts: Float64Array[];
  private coldIterations = 0;
  private disposed = false;

  constructor(private readonly highs: Highs, private readonly net: Network, private readonly p: MinProblem, private readonly relu: number[], root: NodeBounds) {
    const out = net.outputIds[0], m = net.outputSize;
    const lp = buildNetLP(net, root, 0, out);
    this.lp = lp;
    this.colLower0 = Float64Array.from(lp.colLower);
    this.colUpper0 = Float64Array.from(lp.colUpper);
    this.rowUpper0 = Float64Array.from(lp.rowUpper);
    const objs: Float64Array[] = [];
    for (let r = 0; r < p.rows; r++) objs.push(p.C.slice(r * m, (r + 1) * m));
    const { cols, costs } = columnObjectives(lp, out, objs);
    this.objCols = cols;
    this.objCosts = costs;
    // Elements unstable at the root, by their y column.
    const byY = new Map<number, number>();
    const list: number[] = [], leaks: number[] = [];
    for (const k of relu) {
      const node = net.nodes[k];
      const zc = lp.colOf[node.inputs[0]], yc = lp.colOf[node.output];
      const lo = root.lo[node.inputs[0]]!, hi = root.hi[node.inputs[0]]!;
      if (!zc || !yc) continue;
      for (let j = 0; j < lo.length; j++) {
        if (!(lo[j] < 0 && hi[j] > 0) || zc[j] < 0 || yc[j] < 0) continue;
        const cuts = node.kind.relaxCuts!(node.params, -1, 1);
        leaks.push(Math.min(...cuts.lower.map(([sl]) => sl)));
        byY.set(yc[j], list.length / 8);
        list.push(k, j, zc[j], yc[j], -1, -1, -1, -1);
      }
    }
    const tracked = Int32Array.from(list);
    for (let r = 0; r < lp.numRows; r++) {
      const a = lp.starts[r], b = lp.starts[r + 1];
      if (b - a > 2) continue;
      let t = -1, zPos = -1, zVal = 0;
      for (let q = a; q < b; q++) {
        const e = byY.get(lp.indices[q]);
        if (e !== undefined && lp.values[q] === 1) t = e;
      }
      if (t < 0) continue;
      for (let q = a; q < b; q++) if (lp.indices[q] === tracked[t * 8 + 2]) { zPos = q; zVal = -lp.values[q]; }
      if (b - a === 2 && zPos < 0) continue;
      const o = t * 8;
      if (lp.rowLower[r] === -Infinity) { tracked[o + 6] = r; tracked[o + 7] = zPos; } else if (zVal === 1) tracked[o + 4] = r;
      else if (zVal === leaks[t]) tracked[o + 5] = r;
    }
    this.tracked = tracked;
    this.leaks = Float64Array.from(leaks);
    this.model = highs.createModel({
      numCols: lp.numCols, numRows: lp.numRows, colCost: new Float64Array(lp.numCols), colLower: lp.colLower, colUpper: lp.colUpper,
      rowLower: lp.rowLower, rowUpper: lp.rowUpper,
      matrix: { format: 'csr', numRows: lp.numRows, numCols: lp.numCols, starts: lp.starts, indices: lp.indices, values: lp.values },
    });
    this.model.options.set({ output_flag: false });
  }

  /** Free the HiGHS model (idempotent). */
  dispose(): void {
    if (!this.disposed) this.model.dispose();
    this.disposed = true;
  }

  /**
   * Bound h = combine_r (C_r·y + d_r) over one domain whose every value is bounded soundly by
   * `nodes` (batch 1; the domain's splits already clamped into them; a subset of the root box).
   * One LP per row (only the objective changes), each proved through its dual; the row bounds
   * combine as h does ('min': the least; 'max': the largest row bound, a bound of the max of
   * rows). Sound: no point of the domain has h below `lower`, in real arithmetic.
   */
  bound(nodes: NodeBounds, timeLimit: number, signal?: AbortSignal): ReluLpResult {
    const { lp, net, p, tracked, model } = this;
    const R = p.rows, inp = net.inputIds[0];
    const none: ReluLpResult = { lower: -Infinity, points: [], branch: null };
    if (this.disposed) return none;
    // Column bounds: the root's intersected with the domain's bounds of every value.
    const cl = lp.colLower, cu = lp.colUpper;
    cl.set(this.colLower0); cu.set(this.colUpper0);
    for (let v = 0; v < net.values.length; v++) {
      const cols = lp.colOf[v], lo = nodes.lo[v], hi = nodes.hi[v];
      if (!cols || !lo || !hi) continue;
      for (let j = 0; j < cols.length; j++) {
        const c = cols[j];
        if (c < 0) continue;
        if (lo[j] > cl[c]) cl[c] = lo[j];
        if (hi[j] < cu[c]) cu[c] = hi[j];
      }
    }
    for (let c = 0; c < lp.numCols; c++) if (!(cl[c] <= cu[c])) return none; // empty (the box bound says so too)
    const ru = lp.rowUpper;
    ru.set(this.rowUpper0);
    for (let t = 0; t < tracked.length; t += 8) {
      const v = net.nodes[tracked[t]].inputs[0], j = tracked[t + 1];
      const l = nodes.lo[v]![j], h = nodes.hi[v]![j];
      const rOne = tracked[t + 4], rLeak = tracked[t + 5];
      // Proved on one side in the domain (split, or stable by its bounds): that side's line is exact.
      if (l >= 0 && rOne >= 0) ru[rOne] = lp.rowLower[rOne];
      else if (h <= 0 && rLeak >= 0) ru[rLeak] = lp.rowLower[rLeak];
    }
    const points: Float64Array[] = [];
    let lower = p.combine === 'min' ? Infinity : -Infinity, decisive: Float64Array | null = null;
    try {
      model.changeColsBounds({ kind: 'range', from: 0, to: lp.numCols - 1 }, cl, cu);
      model.changeRowsBounds({ kind: 'range', from: 0, to: lp.numRows - 1 }, lp.rowLower, ru);
      const c = new Float64Array(lp.numCols);
      const optimal = this.highs.constants.modelStatus.optimal;
      for (let r = 0; r < R; r++) {
        if (signal?.aborted) throw signal.reason;
        model.changeColsCost({ kind: 'set', indices: this.objCols }, this.objCosts[r]);
        model.options.set('time_limit', timeLimit);
        model.zeroAllClocks();
        let solved = false;
        if (this.coldIterations > 0) {
          model.options.set('simplex_iteration_limit', Math.max(200, WARM_FACTOR * this.coldIterations));
          model.run();
          model.options.set('simplex_iteration_limit', 2147483647);
          solved = model.getModelStatus() === optimal;
        }
        if (!solved) {
          model.clearSolver();
          model.run();
          solved = model.getModelStatus() === optimal;
          if (solved && this.coldIterations === 0) this.coldIterations = Math.max(1, Number(model.info.get('simplex_iteration_count')));
        }
        let v = -Infinity;
        let primal: Float64Array | null = null;
        if (!solved && model.getModelStatus() === this.highs.constants.modelStatus.infeasible && this.provedEmpty()) {
          // No point of the domain exists: every bound holds (the engine drops it).
          return { lower: Infinity, points: [], branch: null };
        }
        if (solved) {
          c.fill(0);
          this.objCols.forEach((col, q) => { c[col] = this.objCosts[r][q]; });
          const sol = model.getSolution();
          const b = dualLowerBound(lp, c, sol.rowDual);
          v = b === -Infinity ? -Infinity : addDown(b, p.d[r]);
          if (!(v === v)) v = -Infinity;
          primal = Float64Array.from(sol.colValue);
          const xCols = lp.colOf[inp];
          if (xCols && xCols.every((q) => q >= 0)) points.push(Float64Array.from(xCols, (q) => primal![q]));
        }
        if (p.combine === 'min' ? v < lower : v > lower) { lower = v; decisive = primal; }
        if (r === 0 && !decisive) decisive = primal;
      }
    } catch (e) {
      if (signal?.aborted) throw e;
      return { lower: -Infinity, points, branch: this.pickBranch(nodes, null) };
    }
    if (!(lower === lower)) lower = -Infinity;
    return { lower, points, branch: this.pickBranch(nodes, decisive) };
  }

  /**
   * Whether the last (infeasible) solve's dual ray proves the LP, as changed for the domain,
   * empty: through weak duality with every rounding charged (`dualLowerBound`), a lower bound
   * > 0 of the zero objective over the feasible set, possible only when that set is empty (a
   * validated Farkas certificate, `rayProvesEmpty`, on this model instead of a new one).
   */
  private provedEmpty(): boolean {
    try {
      const ray = this.model.getDualRay();
      return !!ray && rayProvesEmpty(this.lp, ray.values);
    } catch {
      return false;
    }
  }

  /**
   * The element to split: among those unstable in the domain, the one where the optimum leans
   * most on its relaxation (y − max(x, a·x) at the optimum); without an optimum, or when the
   * optimum satisfies every element (then it is a point of the network and the LP is exact),
   * the widest triangle (−l·u/(u − l)).
   */
  private pickBranch(nodes: NodeBounds, primal: Float64Array | null): [number, number] | null {
    const { net, tracked } = this;
    let branch: [number, number] | null = null, best = 1e-9;
    let fallback: [number, number] | null = null, fbScore = -1;
    for (let t = 0; t < tracked.length; t += 8) {
      const k = tracked[t], j = tracked[t + 1];
      const v = net.nodes[k].inputs[0];
      const l = nodes.lo[v]![j], h = nodes.hi[v]![j];
      if (!(l < 0 && h > 0)) continue;
      const tri = (-l * h) / (h - l);
      if (tri > fbScore) { fbScore = tri; fallback = [k, j]; }
      if (!primal) continue;
      const z = primal[tracked[t + 2]], y = primal[tracked[t + 3]];
      const gap = y - Math.max(z, this.leaks[t / 8] * z);
      if (gap > best) { best = gap; branch = [k, j]; }
    }
    return branch ?? fallback;
  }
}
