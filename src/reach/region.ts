/**
 * The region a reach query ranges over: a union of boxes (full input dimension; coordinates
 * with lo = hi are fixed), optionally intersected with one L2/L1 ball. Built from the user's
 * regions and `--free`/`--at` (DeepGO's setting: only some inputs vary, the others are fixed).
 */
import type { Norm } from '../bounds/types.js';
import { gamma } from '../bounds/fp.js';
import { InputError } from '../net/op.js';
import { regionToBatch, type Region } from '../spec/region.js';
import { addDown, addUp } from '../util/float.js';

export interface ReachBox {
  lo: Float64Array;
  hi: Float64Array;
}

export interface ReachRegion {
  /** The union of these boxes (each of the network's input size). */
  boxes: ReachBox[];
  /** Intersected with this ball (L2 or L1 only: an L∞ ball ∩ domain is its box hull exactly). */
  ball?: { center: Float64Array; radius: number; norm: Norm };
}

/**
 * A reach region from user regions (boxes, or one ball with its domain), with only the `free`
 * inputs varying when given (the others fixed at `at`, default each region's centre: the
 * ball's centre, or the box's midpoint). Throws InputError on a dimension mismatch, lo > hi,
 * NaN, an index out of range, or an `at` value outside its box.
 */
export function reachRegion(regions: Region[], numInputs: number, free?: number[], at?: Float64Array): ReachRegion {
  if (regions.length === 0) throw new InputError('the region is empty (no box)');
  const out: ReachRegion = { boxes: [] };
  if (at && at.length !== numInputs) throw new InputError(`--at has ${at.length} values; the network takes ${numInputs} inputs`);
  if (free) for (const i of free) if (!(Number.isInteger(i) && i >= 0 && i < numInputs)) throw new InputError(`--free: index ${i} is out of range (0..${numInputs - 1})`);
  if (at && !free) throw new InputError('--at needs --free (the inputs that vary)');
  for (const reg of regions) {
    const b = regionToBatch(reg, numInputs);
    const lo = b.lo, hi = b.hi;
    if (reg.kind === 'ball' && reg.norm !== 'inf' && reg.radius > 0) {
      if (regions.length > 1) throw new InputError('a ball region cannot be combined with other regions');
      out.ball = { center: Float64Array.from(reg.center), radius: reg.radius, norm: reg.norm };
    }
    if (free) {
      const isFree = new Uint8Array(numInputs);
      for (const i of free) isFree[i] = 1;
      for (let i = 0; i < numInputs; i++) {
        if (isFree[i]) continue;
        const v = at ? at[i] : reg.kind === 'ball' ? reg.center[i] : lo[i] === hi[i] ? lo[i] : 0.5 * lo[i] + 0.5 * hi[i];
        if (!(v >= lo[i] && v <= hi[i])) throw new InputError(`--at: input ${i} (${v}) lies outside the region [${lo[i]}, ${hi[i]}]`);
        lo[i] = v;
        hi[i] = v;
      }
    }
    out.boxes.push({ lo, hi });
  }
  return out;
}

/** Indices of the coordinates that vary (lo < hi) in any box of the region. */
export function freeCoordinates(region: ReachRegion): number[] {
  const n = region.boxes[0].lo.length;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (region.boxes.some((b) => b.lo[i] < b.hi[i])) out.push(i);
  return out;
}

/**
 * True only when the box [lo, hi] surely misses the ball (a lower bound of the distance from
 * the centre to the box exceeds the radius, rounding charged). False means "may meet it".
 */
export function boxMissesBall(ball: NonNullable<ReachRegion['ball']>, lo: Float64Array, hi: Float64Array, off = 0, n = lo.length): boolean {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const c = ball.center[i];
    const t = Math.max(0, addDown(lo[off + i], -c), addDown(c, -hi[off + i]));
    s = ball.norm === '2' ? s + t * t : s + t;
  }
  s *= 1 - gamma(n + 2);
  if (ball.norm === '2') return s > ball.radius * ball.radius * (1 + gamma(2));
  return s > ball.radius;
}

/** True only when x surely lies in the ball (an upper bound of ‖x − c‖ is ≤ the radius). */
export function pointInBall(ball: NonNullable<ReachRegion['ball']>, x: Float64Array, off = 0): boolean {
  const n = ball.center.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const t = Math.max(addUp(x[off + i], -ball.center[i]), addUp(ball.center[i], -x[off + i]));
    s = ball.norm === '2' ? s + t * t : s + t;
  }
  s *= 1 + gamma(n + 2);
  if (ball.norm === '2') return s <= ball.radius * ball.radius * (1 - gamma(2));
  return s <= ball.radius;
}

/**
 * Move a point of the box into the ball as well (a heuristic for witnesses): shrink it towards
 * the centre until it surely lies in the ball, then clamp into the box. Returns false when the
 * result is not surely in both (the point is then no witness).
 */
export function pullIntoRegion(ball: ReachRegion['ball'], lo: Float64Array, hi: Float64Array, x: Float64Array, off = 0): boolean {
  const n = lo.length;
  const clamp = () => { for (let i = 0; i < n; i++) x[off + i] = Math.min(hi[i], Math.max(lo[i], x[off + i])); };
  clamp();
  if (!ball || pointInBall(ball, x, off)) return true;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const t = Math.abs(x[off + i] - ball.center[i]);
    s = ball.norm === '2' ? s + t * t : s + t;
  }
  const dist = ball.norm === '2' ? Math.sqrt(s) : s;
  const f = (ball.radius / dist) * (1 - 1e-9);
  for (let i = 0; i < n; i++) if (lo[i] < hi[i]) x[off + i] = ball.center[i] + (x[off + i] - ball.center[i]) * f;
  clamp();
  return pointInBall(ball, x, off);
}
