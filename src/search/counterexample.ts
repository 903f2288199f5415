import { forward } from '../net/forward.js';
import { forward32 } from '../net/forward32.js';
import type { Network } from '../net/network.js';
import { nextDown, nextUp } from '../util/float.js';
import type { OutputPolytope, PropertyDisjunct } from '../spec/property.js';

/**
 * The objective a counterexample search minimises, for one output vector y:
 * min over the disjunct's polytopes of max over their rows of (C·y − d). The output is in
 * the unsafe region exactly when this is ≤ 0. A polytope with no rows gives −∞.
 */
export function violation(y: Float64Array, yOff: number, polytopes: OutputPolytope[]): number {
  let best = Infinity;
  for (const p of polytopes) {
    let worst = -Infinity;
    for (let r = 0; r < p.rows; r++) {
      let s = -p.d[r];
      for (let j = 0; j < p.numOutputs; j++) s += p.C[r * p.numOutputs + j] * y[yOff + j];
      if (s > worst) worst = s;
    }
    if (worst < best) best = worst;
  }
  return best;
}

/** True when y satisfies every row of some polytope, each right-hand side tightened by two ulps (so the file's real constant is met). */
export function violatesStrictly(y: Float64Array, polytopes: OutputPolytope[]): boolean {
  return polytopes.some((p) => {
    for (let r = 0; r < p.rows; r++) {
      let s = 0;
      for (let j = 0; j < p.numOutputs; j++) s += p.C[r * p.numOutputs + j] * y[j];
      if (!(s <= nextDown(nextDown(p.d[r])))) return false;
    }
    return true;
  });
}

/** The largest float32 value ≤ v. */
function f32Down(v: number): number {
  const f = Math.fround(v);
  if (f <= v) return f;
  const buf = new Float32Array([f]);
  const bits = new Int32Array(buf.buffer);
  bits[0] += f > 0 ? -1 : 1;
  if (f === 0) { buf[0] = -1.401298464324817e-45; }
  return buf[0];
}

/** The smallest float32 value ≥ v. */
function f32Up(v: number): number {
  return -f32Down(-v);
}

/**
 * Round a candidate to the model's input type and clamp it into the disjunct's box, shrunk by
 * two ulps where the box has room (the parser widened inexact constants outward, so this
 * lands inside the file's real box). Returns null when no representable point fits.
 */
export function roundIntoBox(x: Float64Array, disjunct: PropertyDisjunct, dtype: 'float32' | 'float64'): Float64Array | null {
  const { lo, hi } = disjunct.box;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let l = nextUp(nextUp(lo[i])), h = nextDown(nextDown(hi[i]));
    if (l > h) { l = lo[i]; h = hi[i]; }
    if (dtype === 'float32') { l = f32Up(l); h = f32Down(h); if (l > h) return null; }
    let v = x[i];
    if (dtype === 'float32') v = Math.fround(v);
    out[i] = v < l ? l : v > h ? h : v;
  }
  return out;
}

export interface Counterexample {
  input: Float64Array;
  /** Outputs recomputed in float64 from the rounded input. */
  output: Float64Array;
}

/**
 * Validate a candidate: round it into the box and the input type, recompute the outputs in
 * float64 and in float32 emulation, and accept only when both violate the disjunct. This is
 * the only way a `sat` answer is produced.
 */
export function checkCandidate(net: Network, x: Float64Array, disjunct: PropertyDisjunct): Counterexample | null {
  const xr = roundIntoBox(x, disjunct, net.meta.inputDtype);
  if (!xr) return null;
  const y = forward(net, xr, 1);
  // An overflowed output (±∞, NaN) proves nothing about the real-valued network.
  if (!y.every(Number.isFinite) || !violatesStrictly(y, disjunct.outputs)) return null;
  if (net.meta.inputDtype === 'float32') {
    const y32 = forward32(net, xr, 1);
    if (!y32.every(Number.isFinite) || !violatesStrictly(y32, disjunct.outputs)) return null;
  }
  return { input: xr, output: y };
}
