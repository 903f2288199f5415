/**
 * `nested`: DeepGO's adaptive nested optimisation (Ruan, Huang, Kwiatkowska 2018), made sound.
 *
 * With free inputs x_{f0}, …, x_{f(K−1)}, min_x h(x) = min_{t0} φ_0(t0), where
 * φ_k(t_k) = min_{t_{k+1}} φ_{k+1}(t_{k+1}) with t_{<k} fixed, and φ_K = h at the point.
 * Level k minimises the 1-D function φ_k over [lo, hi] of its coordinate by Piyavskii–Shubert:
 * points t_i with an INTERVAL [l_i, u_i] ∋ φ_k(t_i) from the inner level (never a sampled
 * value), and on each interval [t_i, t_{i+1}] the lower bound
 *     max( (l_i + l_{i+1})/2 − L·(t_{i+1} − t_i)/2 ,  bound of h over the box )   (rounded down)
 * where L is a CERTIFIED constant of φ_k on that interval: the per-coordinate bound
 * sup |∂h_r/∂x_{fk}| over [t_i, t_{i+1}] × the full ranges of the inner coordinates (x_{<k} at
 * their current values) from the local Lipschitz bound (min and max of L-Lipschitz functions
 * are L-Lipschitz), recomputed on every interval as it shrinks: the "adaptive" part. The box
 * bound (CROWN over the same box) is also a valid lower bound of φ_k there.
 * The outer incumbent uses the inner upper bounds (witness values, sound).
 *
 * Budgets: eps is shared out as E_k = eps·(K − k)/K: level k stops when its incumbent minus its
 * lower bound is ≤ E_k (its points' inner gaps are ≤ E_{k+1}), or when its lower bound exceeds
 * the caller's cutoff (it cannot improve the outer incumbent), or at the deadline (then every
 * level returns its current interval, still sound). Cost grows exponentially with K: `auto`
 * uses nested only for few free inputs.
 */
import type { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import { addDown, addUp, nextDown, nextUp } from '../util/float.js';
import { boundBoxes } from './bound.js';
import { Incumbent } from './incumbent.js';
import { pointValues, type MinProblem } from './objective.js';
import type { ReachBox, ReachRegion } from './region.js';
import { pushTrace, type DecidedCounts, type MinResult, type MinSettings } from './types.js';

interface Level {
  lower: number;
  upper: number;
}

interface Seg {
  /** Index of the left point in `pts` order is implicit: segments are kept sorted by a. */
  a: number;
  b: number;
  la: number;
  lb: number;
  lower: number;
  /** Where to evaluate next when this segment is split. */
  next: number;
}

/** Soundly minimise h over the region (a union of boxes) by nested Piyavskii–Shubert. Anytime. */
export async function minimiseNested(net: Network, p: MinProblem, region: ReachRegion, settings: MinSettings, inc = new Incumbent(net, p, region.ball)): Promise<MinResult> {
  // Piyavskii–Shubert needs the constant: without it a segment's bound is the box bound over
  // [a, b] × the full inner ranges, which does not shrink to φ(t) and cannot close the gap.
  const s = { ...settings, lipschitz: true };
  if (region.ball) throw new InputError('the nested method works on boxes only: use --method bnb for an L2 or L1 ball');
  const start = performance.now();
  const n = net.inputSize, R = p.rows;
  const decided: DecidedCounts = { linear: 0, lipschitz: 0, empty: 0, lp: 0 };
  const trace: MinResult['trace'] = [];
  let bounded = 0;
  let lastYield = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  const expired = () => performance.now() >= s.deadline || (s.signal?.aborted ?? false);

  // Every box's bound up front: the trace's lower bound counts the boxes not yet searched.
  const boxLower = region.boxes.map((b) => boundBoxes(net, p, b.lo, b.hi, 1, undefined, { linear: s.linear, lipschitz: s.lipschitz }).lower[0]);
  const done: number[] = [];
  let current = -1;
  let currentLower = -Infinity;
  const overallLower = () => {
    let l = Infinity;
    for (let i = 0; i < region.boxes.length; i++) l = Math.min(l, i < current ? done[i] : i === current ? Math.max(currentLower, boxLower[i]) : boxLower[i]);
    return l;
  };

  const solveBox = async (box: ReachBox): Promise<Level> => {
    const F: number[] = [];
    for (let i = 0; i < n; i++) if (box.lo[i] < box.hi[i]) F.push(i);
    const K = F.length;
    const x = Float64Array.from(box.lo);

    /** Bound h over D segments of level k: the box with x_{<k} as in `x`, coordinate F[k] in [a, b], inner coordinates full. */
    const boundSegs = (k: number, segs: Seg[]): void => {
      const D = segs.length;
      const lo = new Float64Array(D * n), hi = new Float64Array(D * n);
      segs.forEach((sg, d) => {
        lo.set(x, d * n); hi.set(x, d * n);
        lo[d * n + F[k]] = sg.a; hi[d * n + F[k]] = sg.b;
        for (let j = k + 1; j < K; j++) { lo[d * n + F[j]] = box.lo[F[j]]; hi[d * n + F[j]] = box.hi[F[j]]; }
      });
      const bb = boundBoxes(net, p, lo, hi, D, undefined, { linear: s.linear, lipschitz: s.lipschitz });
      bounded += D;
      segs.forEach((sg, d) => {
        let lower = bb.lower[d];
        let by: 'linear' | 'lipschitz' = bb.decider[d] === 'lipschitz' ? 'lipschitz' : 'linear';
        sg.next = 0.5 * sg.a + 0.5 * sg.b;
        if (bb.perCoord) {
          let L = 0;
          for (let r = 0; r < R; r++) L = Math.max(L, bb.perCoord[(d * R + r) * n + F[k]]);
          if (L === L && L < Infinity) {
            // Piyavskii–Shubert: the saw-tooth minorant's minimum on [a, b], rounded down.
            const mid = nextDown(0.5 * sg.la + 0.5 * sg.lb);
            const w = addUp(sg.b, -sg.a);
            const ps = addDown(mid, -nextUp(nextUp(L * w) * 0.5));
            if (ps > lower) { lower = ps; by = 'lipschitz'; }
            if (L > 0 && by === 'lipschitz') {
              const t = 0.5 * (sg.a + sg.b) + (sg.la - sg.lb) / (2 * L);
              const wf = sg.b - sg.a;
              sg.next = Math.min(sg.b - 0.05 * wf, Math.max(sg.a + 0.05 * wf, t));
            }
          }
        }
        decided[by]++;
        sg.lower = lower === lower ? lower : -Infinity;
      });
    };

    const solve = async (k: number, E: number, cutoff: number): Promise<Level> => {
      if (k === K) {
        const pv = pointValues(net, p, x, 1);
        inc.offer(x, 1, pv.upper);
        return { lower: pv.lower[0], upper: pv.upper[0] };
      }
      if (performance.now() - lastYield > 50) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
      const f = F[k];
      const Einner = (s.eps * (K - k - 1)) / K;
      const evalAt = async (t: number, cut: number): Promise<Level> => {
        x[f] = t;
        const r = await solve(k + 1, Einner, cut);
        return r;
      };
      const a0 = box.lo[f], b0 = box.hi[f];
      const A = await evalAt(a0, cutoff);
      const B = await evalAt(b0, Math.min(cutoff, A.upper));
      let upper = Math.min(A.upper, B.upper);
      const segs: Seg[] = [{ a: a0, b: b0, la: A.lower, lb: B.lower, lower: -Infinity, next: 0 }];
      x[f] = a0; // the segment bound reads x only below k
      boundSegs(k, segs);
      // The level's lower bound also never needs to be below a point's (each segment contains its endpoints).
      for (;;) {
        let best = 0;
        for (let i = 1; i < segs.length; i++) if (segs[i].lower < segs[best].lower) best = i;
        const lower = segs[best].lower;
        if (k === 0) {
          currentLower = lower;
          const l = overallLower();
          pushTrace(trace, elapsed(), l, inc.upper);
          s.onTrace?.(l, inc.upper);
        }
        if (addUp(upper, -lower) <= E || lower > cutoff || expired()) return { lower, upper };
        const sg = segs[best];
        const t = sg.next;
        if (!(t > sg.a && t < sg.b)) return { lower, upper }; // cannot split further in float64
        const T = await evalAt(t, Math.min(cutoff, upper));
        if (T.upper < upper) upper = T.upper;
        const left: Seg = { a: sg.a, b: t, la: sg.la, lb: T.lower, lower: -Infinity, next: 0 };
        const right: Seg = { a: t, b: sg.b, la: T.lower, lb: sg.lb, lower: -Infinity, next: 0 };
        boundSegs(k, [left, right]);
        // A sub-segment's bound is never below the parent segment's (valid on it too).
        if (sg.lower > left.lower) left.lower = sg.lower;
        if (sg.lower > right.lower) right.lower = sg.lower;
        segs.splice(best, 1, left, right);
      }
    };
    if (K === 0) {
      const pv = pointValues(net, p, x, 1);
      inc.offer(x, 1, pv.upper);
      return { lower: pv.lower[0], upper: pv.upper[0] };
    }
    // A box that cannot beat the incumbent of the boxes before it by more than eps stops early.
    return solve(0, s.eps, addUp(inc.upper, -s.eps));
  };

  pushTrace(trace, 0, Math.min(...boxLower), inc.upper);
  for (let i = 0; i < region.boxes.length; i++) {
    current = i;
    currentLower = -Infinity;
    const r = await solveBox(region.boxes[i]);
    done[i] = Math.max(r.lower, boxLower[i]);
  }
  current = region.boxes.length;
  let lower = Infinity;
  for (const l of done) lower = Math.min(lower, l);
  if (!(lower === lower)) lower = -Infinity;
  const upper = inc.upper;
  pushTrace(trace, elapsed(), lower, upper, 0);
  return { lower, upper, witness: inc.witness, certified: addUp(upper, -lower) <= s.eps, iterations: bounded, decided, trace, time_s: elapsed() };
}
