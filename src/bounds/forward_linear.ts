import type { Network } from '../net/network.js';
import { nextDown, nextUp } from '../util/float.js';
import { gamma, UNIT_ROUNDOFF } from './fp.js';
import { clampSplitInput, initialBounds, intersectInPlace, nodeInterval } from './ibp.js';
import { giveBack, takeZeroed } from '../util/buffer_pool.js';
import { prepare, unsupported } from './prepare.js';
import type { BoundsRequest, NodeBounds } from './types.js';

/**
 * Forward-mode linear bounds (the forward variant of CROWN), for networks with few inputs.
 *
 * Every value v carries, per domain d, two linear functions of the input, L_v and U_v, with
 * L_v(x) ≤ v(x) ≤ U_v(x) for every x of the domain, in real arithmetic with the float64
 * coefficients stored. Layout: D × (n + 1) × size — column k < n is the coefficient of x_k,
 * column n the constant. Through an affine op, L and U become centre ± radius,
 * J·mid ± |J|·rad (equal to J⁺L + J⁻U exactly, so nothing is lost); through an elementwise
 * nonlinearity, each bound is composed with the op's lower or upper line. Every float64 step is
 * charged, as in backward CROWN, to the constant column: a coefficient computed with error δ
 * moves the function by at most δ·max(|l_k|, |u_k|) on the box. Concrete bounds of each value
 * are the box minimum/maximum of L and U, intersected with the interval bounds.
 *
 * Cost per affine op is about (2n + 3) products of the op per domain, against one backward
 * pass per unstable neuron in backward mode: much cheaper when n is small (ACAS Xu: n = 5).
 */

const U2 = 2 * UNIT_ROUNDOFF;

/** Zeroed arrays from the buffer pool, all handed back together once a step is done with them. */
class Temporaries {
  private readonly taken: Float64Array[] = [];
  take(length: number): Float64Array {
    const a = takeZeroed(length);
    this.taken.push(a);
    return a;
  }
  giveAllBack(): void {
    for (const a of this.taken) giveBack(a);
    this.taken.length = 0;
  }
}

/** Σ_k |c_k|·m_k + |c_n| per element: the largest |f(x)| of the linear functions over the box. */
function magnitudes(F: Float64Array, m: Float64Array, D: number, n: number, size: number, out: Float64Array): void {
  const c = n + 1;
  for (let d = 0; d < D; d++) {
    const base = d * c * size, o = d * size;
    for (let j = 0; j < size; j++) out[o + j] = Math.abs(F[base + n * size + j]);
    for (let k = 0; k < n; k++) {
      const mk = m[d * n + k], kb = base + k * size;
      for (let j = 0; j < size; j++) out[o + j] += Math.abs(F[kb + j]) * mk;
    }
  }
}

/** Box minimum (sign = +1) or maximum (sign = −1, returned as a maximum) of each linear function, rounded outward. */
function concretizeLinear(F: Float64Array, lo: Float64Array, hi: Float64Array, D: number, n: number, size: number, upper: boolean, out: Float64Array): void {
  const c = n + 1;
  const g = gamma(n + 1);
  for (let d = 0; d < D; d++) {
    const base = d * c * size, o = d * size;
    for (let j = 0; j < size; j++) {
      let s = F[base + n * size + j], mag = Math.abs(s);
      for (let k = 0; k < n; k++) {
        const a = F[base + k * size + j];
        if (a === 0) continue;
        const l = lo[d * n + k], u = hi[d * n + k];
        s += upper ? (a > 0 ? a * u : a * l) : (a > 0 ? a * l : a * u);
        const ml = Math.abs(l), mu = Math.abs(u);
        mag += Math.abs(a) * (ml > mu ? ml : mu);
      }
      const v = upper ? nextUp(s + g * mag) : nextDown(s - g * mag);
      out[o + j] = v === v ? v : upper ? Infinity : -Infinity;
    }
  }
}

/**
 * Forward linear bounds through affine node k: L, U (D × (n + 1) × size) from its inputs' bounds
 * as centre ± radius; E gets the rounding allowance per element (added outward by the caller).
 */
function forwardAffine(net: Network, k: number, Lf: (Float64Array | undefined)[], Uf: (Float64Array | undefined)[], m: Float64Array, D: number, n: number, L: Float64Array, U: Float64Array, E: Float64Array): void {
  const prep = prepare(net);
  const node = net.nodes[k];
  const size = net.values[node.output].size;
  const c = n + 1;
  const tmp = new Temporaries();
  const mids: Float64Array[] = [], rads: Float64Array[] = [], ws: Float64Array[] = [];
  for (let q = 0; q < node.inputs.length; q++) {
    const v = node.inputs[q];
    const Lv = Lf[v]!, Uv = Uf[v]!, sz = net.values[v].size;
    const mid = tmp.take(Lv.length), rad = tmp.take(Lv.length);
    for (let i = 0; i < Lv.length; i++) { mid[i] = 0.5 * Lv[i] + 0.5 * Uv[i]; rad[i] = 0.5 * Uv[i] - 0.5 * Lv[i]; }
    // Splitting into centre and radius: each coefficient off by ≤ u·(|L| + |U|).
    const magL = tmp.take(D * sz), magU = tmp.take(D * sz), magM = tmp.take(D * sz), magR = tmp.take(D * sz);
    magnitudes(Lv, m, D, n, sz, magL);
    magnitudes(Uv, m, D, n, sz, magU);
    magnitudes(mid, m, D, n, sz, magM);
    magnitudes(rad, m, D, n, sz, magR);
    for (let d = 0; d < D; d++) {
      const cb = d * c * sz + n * sz;
      for (let j = 0; j < sz; j++) rad[cb + j] = nextUp(rad[cb + j] + U2 * (magL[d * sz + j] + magU[d * sz + j]));
    }
    const w = tmp.take(D * sz);
    for (let i = 0; i < w.length; i++) w[i] = magM[i] + magR[i] + U2 * (magL[i] + magU[i]);
    mids.push(mid);
    rads.push(rad);
    ws.push(w);
  }
  const outMid = tmp.take(D * c * size), outRad = tmp.take(D * c * size);
  node.kind.eval(node.params, mids, outMid, D * c);
  node.kind.absForward!(node.params, rads, outRad, D * c);
  // eval added the offset to every column: take it off the coefficient columns.
  const off = prep.offset[k]!, absOff = prep.absOffset[k]!;
  for (let d = 0; d < D; d++) for (let col = 0; col < n; col++) {
    const o = (d * c + col) * size;
    for (let j = 0; j < size; j++) outMid[o + j] -= off[j];
  }
  // Rounding of J·mid, |J|·rad and of the offset subtraction: γ·|J|·w + γ·|off|·(Σ m_k + 1).
  const absW = tmp.take(D * size);
  node.kind.absForward!(node.params, ws, absW, D);
  const g = gamma(node.kind.dotLength?.(node.params) ?? 1 << 20) + U2;
  for (let d = 0; d < D; d++) {
    let msum = 1;
    for (let q = 0; q < n; q++) msum += m[d * n + q];
    for (let j = 0; j < size; j++) E[d * size + j] = g * (absW[d * size + j] + 2 * absOff[j] * msum);
  }
  for (let i = 0; i < L.length; i++) { L[i] = outMid[i] - outRad[i]; U[i] = outMid[i] + outRad[i]; }
  // Recombination: each coefficient off by ≤ u·(|mid| + |rad|).
  const magOM = tmp.take(D * size), magOR = tmp.take(D * size);
  magnitudes(outMid, m, D, n, size, magOM);
  magnitudes(outRad, m, D, n, size, magOR);
  for (let i = 0; i < E.length; i++) E[i] += U2 * (magOM[i] + magOR[i]);
  tmp.giveAllBack();
}

/**
 * Forward linear bounds through relaxation node k: each bound composed with the op's lower or
 * upper line over its input's concrete bounds in `b`; E gets the rounding allowance.
 */
function forwardRelax(net: Network, k: number, b: NodeBounds, Lf: (Float64Array | undefined)[], Uf: (Float64Array | undefined)[], m: Float64Array, D: number, n: number, L: Float64Array, U: Float64Array, E: Float64Array): void {
  const node = net.nodes[k];
  const size = net.values[node.output].size;
  const c = n + 1;
  const v = node.inputs[0];
  const lo = b.lo[v]!, hi = b.hi[v]!;
  const Lv = Lf[v]!, Uv = Uf[v]!;
  const sl = new Float64Array(size), bl = new Float64Array(size), su = new Float64Array(size), bu = new Float64Array(size);
  const magL = takeZeroed(D * size), magU = takeZeroed(D * size);
  magnitudes(Lv, m, D, n, size, magL);
  magnitudes(Uv, m, D, n, size, magU);
  for (let d = 0; d < D; d++) {
    node.kind.relax!(node.params, lo.subarray(d * size, (d + 1) * size), hi.subarray(d * size, (d + 1) * size), null, sl, bl, su, bu);
    const base = d * c * size;
    for (let j = 0; j < size; j++) {
      // Lower: sl·z + bl ≤ f(z), and z ≥ L(x) (sl ≥ 0) or z ≤ U(x) (sl < 0).
      const srcL = sl[j] >= 0 ? Lv : Uv, srcU = su[j] >= 0 ? Uv : Lv;
      for (let col = 0; col < n; col++) {
        const o = base + col * size + j;
        L[o] = sl[j] * srcL[o];
        U[o] = su[j] * srcU[o];
      }
      const o = base + n * size + j;
      L[o] = sl[j] * srcL[o] + bl[j];
      U[o] = su[j] * srcU[o] + bu[j];
      const magSL = sl[j] >= 0 ? magL[d * size + j] : magU[d * size + j];
      const magSU = su[j] >= 0 ? magU[d * size + j] : magL[d * size + j];
      E[d * size + j] = U2 * (Math.abs(sl[j]) * magSL + Math.abs(su[j]) * magSU + Math.abs(bl[j]) + Math.abs(bu[j]));
    }
  }
  giveBack(magL);
  giveBack(magU);
}

/**
 * The forward linear bounds of a batch, advanced one node at a time by `step`, writing the
 * concrete bounds of each node's output into `b` (intersected with interval arithmetic and
 * the parent's bounds). The caller may tighten a value's concrete bounds before the nodes
 * that read it are stepped (backward CROWN refinement, splits): the relaxations use them.
 */
export class ForwardLinear {
  readonly D: number;
  readonly n: number;
  private readonly m: Float64Array;
  private readonly Lf: (Float64Array | undefined)[];
  private readonly Uf: (Float64Array | undefined)[];
  /** Per value: readers not yet stepped. */
  private readonly reads: Int32Array;

  constructor(readonly req: BoundsRequest, readonly b: NodeBounds) {
    const { net, region } = req;
    this.D = region.batch;
    const n = (this.n = net.inputSize);
    const c = n + 1;
    this.m = new Float64Array(this.D * n);
    for (let i = 0; i < this.m.length; i++) this.m[i] = Math.max(Math.abs(region.lo[i]), Math.abs(region.hi[i]));
    this.reads = Int32Array.from(prepare(net).consumers);
    this.Lf = new Array(net.values.length);
    this.Uf = new Array(net.values.length);
    const I = new Float64Array(this.D * c * n);
    for (let d = 0; d < this.D; d++) for (let k = 0; k < n; k++) I[d * c * n + k * n + k] = 1;
    const inId = net.inputIds[0];
    this.Lf[inId] = I;
    this.Uf[inId] = I;
  }

  /** Propagate node k (its inputs' linear and concrete bounds must be final). */
  step(k: number): void {
    const { net, region } = this.req;
    const { D, n, m, Lf, Uf, b } = this;
    const c = n + 1;
    const prep = prepare(net);
    const node = net.nodes[k];
    const size = net.values[node.output].size;
    const L = takeZeroed(D * c * size), U = takeZeroed(D * c * size);
    const E = takeZeroed(D * size); // rounding allowance, added outward to the constants
    if (prep.kind[k] === 'affine') {
      forwardAffine(net, k, Lf, Uf, m, D, n, L, U, E);
    } else if (prep.kind[k] === 'relax') {
      forwardRelax(net, k, b, Lf, Uf, m, D, n, L, U, E);
    } else {
      unsupported(node, 'linear bound (forward mode)');
    }
    for (let d = 0; d < D; d++) {
      const cb = d * c * size + n * size;
      for (let j = 0; j < size; j++) {
        const e = E[d * size + j];
        if (e === 0) continue;
        L[cb + j] = nextDown(L[cb + j] - e);
        U[cb + j] = nextUp(U[cb + j] + e);
      }
    }
    giveBack(E);
    Lf[node.output] = L;
    Uf[node.output] = U;
    // An input's linear bounds are dead once its last reader has stepped: their buffers go back.
    for (const v of node.inputs) {
      if (--this.reads[v] > 0 || v === net.inputIds[0]) continue;
      giveBack(Lf[v]!);
      if (Uf[v] !== Lf[v]) giveBack(Uf[v]!);
      Lf[v] = Uf[v] = undefined;
    }
    // Concrete bounds: the linear bounds' box extremes, intersected with interval arithmetic.
    nodeInterval(net, k, b, D);
    const lo = b.lo[node.output]!, hi = b.hi[node.output]!;
    const lLin = takeZeroed(D * size), uLin = takeZeroed(D * size);
    concretizeLinear(L, region.lo, region.hi, D, n, size, false, lLin);
    concretizeLinear(U, region.lo, region.hi, D, n, size, true, uLin);
    intersectInPlace(lo, hi, lLin, uLin);
    giveBack(lLin);
    giveBack(uLin);
    intersectInPlace(lo, hi, this.req.parent?.lo[node.output], this.req.parent?.hi[node.output]);
  }
}

/**
 * Bounds of every value by forward linear propagation interleaved with IBP alone (no backward
 * refinement); splits clamp the inputs of split ops and parent bounds are intersected.
 */
export function forwardIntermediate(req: BoundsRequest): NodeBounds & { infeasible: Uint8Array } {
  const { net, region } = req;
  const b = initialBounds(net, region);
  const infeasible = new Uint8Array(region.batch);
  const fl = new ForwardLinear(req, b);
  net.nodes.forEach((node, k) => {
    if (req.signal?.aborted) throw req.signal.reason;
    clampSplitInput(net, k, b, req.splits?.get(k), infeasible, region.batch);
    fl.step(k);
  });
  return { ...b, infeasible };
}
