/**
 * Exact rational arithmetic (BigInt fractions) for the bound-soundness tests.
 *
 * - {@link Q}: an immutable fraction n/d in lowest terms (d > 0). Every finite float64 converts
 *   to a Q exactly ({@link Q.fromFloat}), so a bound computed in floating point can be compared
 *   with an exact value without any rounding ({@link Q.cmp}).
 * - {@link compileExact}: the network's real-arithmetic function on its stored float64 params,
 *   evaluated exactly at rational points. Supported: every affine op (isAffine: Gemm, MatMul,
 *   Conv, BatchNormalization, Add/Sub/Mul by constants or of two dynamic operands, Div by a
 *   constant, reshape-only ops) and Relu / LeakyRelu. S-shaped ops have no rational values.
 * - {@link exactExtremes}: the exact minimum and maximum over a box of every row of C·y + c for a
 *   piecewise-linear network with 1 or 2 inputs, by enumerating the linear regions (activation
 *   patterns) as convex polygons clipped exactly in rationals, and evaluating the (affine)
 *   network at every vertex of every region.
 */
import type { Network } from '../../src/net/network.js';

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  return x === 0n ? 0 : x.toString(2).length;
}

/** An exact rational number n/d, d > 0, gcd(n, d) = 1. Immutable. */
export class Q {
  readonly n: bigint;
  readonly d: bigint;

  private constructor(n: bigint, d: bigint) {
    this.n = n;
    this.d = d;
  }

  static readonly ZERO = new Q(0n, 1n);
  static readonly ONE = new Q(1n, 1n);

  /** n/d reduced to lowest terms (d ≠ 0). */
  static of(n: bigint, d: bigint = 1n): Q {
    if (d === 0n) throw new RangeError('Q: zero denominator');
    if (d < 0n) { n = -n; d = -d; }
    if (n === 0n) return Q.ZERO;
    if (d === 1n) return new Q(n, 1n);
    if ((d & (d - 1n)) === 0n) {
      // Dyadic (every float is): the gcd is a power of two, found from the lowest set bit.
      const low = n & -n;
      const g = low < d ? low : d;
      return g === 1n ? new Q(n, d) : new Q(n / g, d / g);
    }
    const g = gcd(n, d);
    return g === 1n ? new Q(n, d) : new Q(n / g, d / g);
  }

  static int(k: number): Q {
    return Q.of(BigInt(k));
  }

  /** The exact value of a finite double (−0 becomes 0). Throws on NaN/±∞. */
  static fromFloat(x: number): Q {
    if (!Number.isFinite(x)) throw new RangeError(`Q.fromFloat: ${x} is not finite`);
    if (x === 0) return Q.ZERO;
    f64[0] = x;
    const bits = u64[0];
    const neg = bits >> 63n === 1n;
    const expBits = Number((bits >> 52n) & 0x7ffn);
    let mant = bits & 0xfffffffffffffn;
    let exp: number;
    if (expBits === 0) exp = -1074; // subnormal
    else { mant |= 1n << 52n; exp = expBits - 1075; }
    // Strip trailing zeros so the fraction is already reduced.
    while ((mant & 1n) === 0n) { mant >>= 1n; exp++; }
    const n = neg ? -mant : mant;
    return exp >= 0 ? new Q(n << BigInt(exp), 1n) : new Q(n, 1n << BigInt(-exp));
  }

  add(b: Q): Q {
    if (this.n === 0n) return b;
    if (b.n === 0n) return this;
    if (this.d === b.d) return Q.of(this.n + b.n, this.d);
    if ((this.d & (this.d - 1n)) === 0n && (b.d & (b.d - 1n)) === 0n) {
      // Two dyadics: the larger denominator is a common one.
      return this.d > b.d ? Q.of(this.n + b.n * (this.d / b.d), this.d) : Q.of(this.n * (b.d / this.d) + b.n, b.d);
    }
    return Q.of(this.n * b.d + b.n * this.d, this.d * b.d);
  }
  sub(b: Q): Q {
    return this.add(b.neg());
  }
  mul(b: Q): Q {
    if (this.n === 0n || b.n === 0n) return Q.ZERO;
    return Q.of(this.n * b.n, this.d * b.d);
  }
  div(b: Q): Q {
    if (b.n === 0n) throw new RangeError('Q: division by zero');
    return Q.of(this.n * b.d, this.d * b.n);
  }
  neg(): Q {
    return this.n === 0n ? this : new Q(-this.n, this.d);
  }
  abs(): Q {
    return this.n < 0n ? this.neg() : this;
  }
  sign(): number {
    return this.n > 0n ? 1 : this.n < 0n ? -1 : 0;
  }
  /** −1, 0 or 1 as this <, =, > b (exact). */
  cmp(b: Q): number {
    if (this.d === b.d) return this.n < b.n ? -1 : this.n > b.n ? 1 : 0;
    const l = this.n * b.d, r = b.n * this.d;
    return l < r ? -1 : l > r ? 1 : 0;
  }
  lt(b: Q): boolean { return this.cmp(b) < 0; }
  le(b: Q): boolean { return this.cmp(b) <= 0; }
  gt(b: Q): boolean { return this.cmp(b) > 0; }
  ge(b: Q): boolean { return this.cmp(b) >= 0; }
  eq(b: Q): boolean { return this.n === b.n && this.d === b.d; }

  /** A double near the value (for messages and tolerances only; not correctly rounded). */
  toNumber(): number {
    if (this.n === 0n) return 0;
    const shift = bitLength(this.n) - bitLength(this.d) - 60;
    let num = this.n, den = this.d;
    if (shift > 0) den <<= BigInt(shift);
    else num <<= BigInt(-shift);
    const h = Math.trunc(shift / 2);
    return Number(num / den) * 2 ** h * 2 ** (shift - h);
  }

  toString(): string {
    return this.d === 1n ? `${this.n}` : `${this.n}/${this.d}`;
  }
}

export function qmin(a: Q, b: Q): Q { return a.le(b) ? a : b; }
export function qmax(a: Q, b: Q): Q { return a.ge(b) ? a : b; }

/** An exact float vector. */
export function qVec(x: ArrayLike<number>): Q[] {
  return Array.from(x, (v) => Q.fromFloat(v));
}

/** Σ a_i·b_i exactly. */
export function qDot(a: readonly Q[], b: readonly Q[]): Q {
  let s = Q.ZERO;
  for (let i = 0; i < a.length; i++) if (a[i].n !== 0n && b[i].n !== 0n) s = s.add(a[i].mul(b[i]));
  return s;
}

// ---------------------------------------------------------------------------------------------
// Exact evaluation of a network

/** One term of an affine op: out[o] += coef · in_slot[i]. */
interface Term { slot: number; i: number; coef: Q }

export type ExactNode =
  | { kind: 'affine'; input: number[]; output: number; outSize: number; terms: Term[][]; offset: Q[] }
  | { kind: 'leaky'; input: number[]; output: number; outSize: number; alpha: Q };

/** A network compiled for exact evaluation: every node's real-arithmetic map in rationals. */
export interface ExactNet {
  net: Network;
  nodes: ExactNode[];
  /** Every value (index = value id) at the rational input x. */
  evaluateAll(x: readonly Q[]): Q[][];
  /** The output at the rational input x. */
  evaluate(x: readonly Q[]): Q[];
}

/** True when {@link compileExact} can handle every node (affine ops, Relu, LeakyRelu). */
export function isPiecewiseLinear(net: Network): boolean {
  return net.nodes.every((n) => n.kind.isAffine?.(n.params) === true || n.kind.onnx === 'Relu' || n.kind.onnx === 'LeakyRelu');
}

const compiled = new WeakMap<Network, ExactNet>();

/**
 * Compile a network for exact evaluation. The linear part of each affine op is read from its
 * own transpose (`backward` on one-hot rows: each coefficient arrives as 1·w, exactly), except
 * Div by a constant c, whose real coefficient 1/c is taken from the constant itself; the
 * offset is `eval` on zero inputs (exact, as the bound code also assumes).
 */
export function compileExact(net: Network): ExactNet {
  const hit = compiled.get(net);
  if (hit) return hit;
  const nodes: ExactNode[] = net.nodes.map((node) => {
    const outSize = net.values[node.output].size;
    const inSizes = node.inputs.map((i) => net.values[i].size);
    if (node.kind.isAffine?.(node.params)) {
      const zeros = inSizes.map((s) => new Float64Array(s));
      const off = new Float64Array(outSize);
      node.kind.eval(node.params, zeros, off, 1);
      const terms: Term[][] = [];
      const g = new Float64Array(outSize);
      const isDiv = node.kind.onnx === 'Div';
      const divisor = isDiv ? (node.params as { consts: (Float64Array | null)[] }).consts[1] : null;
      if (isDiv && !divisor) throw new Error(`compileExact: Div node '${node.name}' without a constant divisor`);
      for (let o = 0; o < outSize; o++) {
        g.fill(0);
        g[o] = 1;
        const gIns = inSizes.map((s) => new Float64Array(s));
        node.kind.backward(node.params, inSizes.map((s) => new Float64Array(s)), new Float64Array(outSize), g, gIns, 1);
        const row: Term[] = [];
        gIns.forEach((gi, slot) => {
          for (let i = 0; i < gi.length; i++) {
            if (gi[i] === 0) continue;
            const coef = isDiv ? Q.ONE.div(Q.fromFloat(divisor![o])) : Q.fromFloat(gi[i]);
            row.push({ slot, i, coef });
          }
        });
        terms.push(row);
      }
      return { kind: 'affine', input: node.inputs, output: node.output, outSize, terms, offset: qVec(off) };
    }
    if (node.kind.onnx === 'Relu' || node.kind.onnx === 'LeakyRelu') {
      const a = node.kind.onnx === 'Relu' ? 0 : (node.params as { alpha: number }).alpha;
      return { kind: 'leaky', input: node.inputs, output: node.output, outSize, alpha: Q.fromFloat(a) };
    }
    throw new Error(`compileExact: op ${node.kind.onnx} (node '${node.name}') has no exact rational semantics`);
  });
  const evaluateAll = (x: readonly Q[]): Q[][] => {
    if (x.length !== net.inputSize) throw new Error(`compileExact: ${x.length} inputs for a network of ${net.inputSize}`);
    const vals: Q[][] = new Array(net.values.length);
    vals[net.inputIds[0]] = x.slice();
    for (const nd of nodes) {
      const ins = nd.input.map((i) => vals[i]);
      const out: Q[] = new Array(nd.outSize);
      if (nd.kind === 'affine') {
        for (let o = 0; o < nd.outSize; o++) {
          let s = nd.offset[o];
          for (const t of nd.terms[o]) {
            const v = ins[t.slot][t.i];
            if (v.n !== 0n) s = s.add(t.coef.mul(v));
          }
          out[o] = s;
        }
      } else {
        const v = ins[0];
        for (let o = 0; o < nd.outSize; o++) out[o] = v[o].sign() >= 0 ? v[o] : nd.alpha.mul(v[o]);
      }
      vals[nd.output] = out;
    }
    return vals;
  };
  const ex: ExactNet = {
    net,
    nodes,
    evaluateAll,
    evaluate: (x) => evaluateAll(x)[net.outputIds[0]],
  };
  compiled.set(net, ex);
  return ex;
}

/** Rows C·y + cOffset exactly (identity rows when C is undefined). */
export function exactRows(y: readonly Q[], C?: Float64Array, cOffset?: Float64Array): Q[] {
  if (!C) return cOffset ? y.map((v, r) => v.add(Q.fromFloat(cOffset[r]))) : y.slice();
  const m = y.length, R = C.length / m;
  const out: Q[] = [];
  for (let r = 0; r < R; r++) {
    let s = cOffset ? Q.fromFloat(cOffset[r]) : Q.ZERO;
    for (let j = 0; j < m; j++) {
      const c = C[r * m + j];
      if (c !== 0) s = s.add(Q.fromFloat(c).mul(y[j]));
    }
    out.push(s);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Exact extremes over a box by enumerating linear regions (1 or 2 inputs)

/** An affine form c·x + k over the (1 or 2) inputs. */
export interface Form { c: Q[]; k: Q }

/** An affine node applied to affine forms of its inputs (exact): the forms of its outputs. */
export function affineForms(nd: Extract<ExactNode, { kind: 'affine' }>, ins: Form[][], n: number): Form[] {
  const out: Form[] = [];
  for (let o = 0; o < nd.outSize; o++) {
    const c = new Array<Q>(n).fill(Q.ZERO);
    let k = nd.offset[o];
    for (const term of nd.terms[o]) {
      const f = ins[term.slot][term.i];
      for (let i = 0; i < n; i++) if (f.c[i].n !== 0n) c[i] = c[i].add(term.coef.mul(f.c[i]));
      if (f.k.n !== 0n) k = k.add(term.coef.mul(f.k));
    }
    out.push({ c, k });
  }
  return out;
}

function formAt(f: Form, p: readonly Q[]): Q {
  let s = f.k;
  for (let i = 0; i < p.length; i++) if (f.c[i].n !== 0n) s = s.add(f.c[i].mul(p[i]));
  return s;
}

function formScale(f: Form, a: Q): Form {
  return { c: f.c.map((v) => v.mul(a)), k: f.k.mul(a) };
}

/**
 * Clip a convex polygon (vertices in cyclic order; a segment or a point is fine) to g ≥ 0
 * (Sutherland–Hodgman, exact). Consecutive duplicates are dropped.
 */
export function clip(poly: Q[][], g: Form): Q[][] {
  const out: Q[][] = [];
  const push = (p: Q[]) => {
    const last = out[out.length - 1];
    if (last && last.every((v, i) => v.eq(p[i]))) return;
    out.push(p);
  };
  const vals = poly.map((p) => formAt(g, p));
  for (let i = 0; i < poly.length; i++) {
    const j = (i + 1) % poly.length;
    const gp = vals[i], gq = vals[j];
    if (gp.sign() >= 0) push(poly[i]);
    if ((gp.sign() > 0 && gq.sign() < 0) || (gp.sign() < 0 && gq.sign() > 0)) {
      const t = gp.div(gp.sub(gq));
      push(poly[i].map((v, k) => v.add(t.mul(poly[j][k].sub(v)))));
    }
  }
  if (out.length > 1 && out[0].every((v, i) => v.eq(out[out.length - 1][i]))) out.pop();
  return out;
}

export interface ExactExtremes {
  /** Per row: the exact minimum and maximum over the box. */
  min: Q[];
  max: Q[];
  /** Per row: a point (a region vertex) attaining them. */
  argmin: Q[][];
  argmax: Q[][];
  /** Number of linear regions (activation patterns met, degenerate ones included). */
  regions: number;
}

/**
 * Exact extremes over the box [lo, hi] (1 or 2 inputs; or over `polygon`, a convex polygon
 * given by its vertices in cyclic order, e.g. an L1 ball clipped to a domain) of each row of C·y + cOffset for a
 * piecewise-linear network: the box is split into convex polygons on which every ReLU/LeakyRelu
 * input keeps its sign, the network is affine on each, so its extremes are at their vertices.
 * `check` re-evaluates every vertex with {@link compileExact} and throws on disagreement.
 */
export function exactExtremes(net: Network, lo: ArrayLike<number>, hi: ArrayLike<number>, C?: Float64Array, cOffset?: Float64Array, check = false, polygon?: Q[][]): ExactExtremes {
  const ex = compileExact(net);
  const n = net.inputSize;
  if (n !== 1 && n !== 2) throw new Error('exactExtremes: only 1 or 2 inputs');
  const L = qVec(lo), H = qVec(hi);
  const box: Q[][] = polygon ?? (n === 1 ? [[L[0]], [H[0]]] : [[L[0], L[1]], [H[0], L[1]], [H[0], H[1]], [L[0], H[1]]]);
  if (box.length === 0) throw new Error('exactExtremes: empty region');
  const inForms: Form[] = [];
  for (let i = 0; i < n; i++) inForms.push({ c: Array.from({ length: n }, (_, k) => (k === i ? Q.ONE : Q.ZERO)), k: Q.ZERO });
  let min: Q[] | undefined, max: Q[] | undefined, argmin: Q[][] = [], argmax: Q[][] = [];
  let regions = 0;

  interface Task { k: number; e: number; poly: Q[][]; vals: Form[][]; out: Form[] }
  const start: Form[][] = new Array(net.values.length);
  start[net.inputIds[0]] = inForms;
  const stack: Task[] = [{ k: 0, e: 0, poly: box, vals: start, out: [] }];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t.k === ex.nodes.length) {
      regions++;
      const y = t.vals[net.outputIds[0]];
      // Rows as forms: C·y + cOffset.
      const m = y.length;
      const R = C ? C.length / m : m;
      const rows: Form[] = [];
      for (let r = 0; r < R; r++) {
        let f: Form = { c: new Array(n).fill(Q.ZERO), k: cOffset ? Q.fromFloat(cOffset[r]) : Q.ZERO };
        for (let j = 0; j < m; j++) {
          const c = C ? C[r * m + j] : j === r ? 1 : 0;
          if (c === 0) continue;
          const s = formScale(y[j], Q.fromFloat(c));
          f = { c: f.c.map((v, i) => v.add(s.c[i])), k: f.k.add(s.k) };
        }
        rows.push(f);
      }
      for (const p of t.poly) {
        const v = rows.map((f) => formAt(f, p));
        if (check) {
          const direct = exactRows(ex.evaluate(p), C, cOffset);
          direct.forEach((d, r) => {
            if (!d.eq(v[r])) throw new Error(`exactExtremes: region form ${v[r].toNumber()} differs from direct evaluation ${d.toNumber()} at a vertex`);
          });
        }
        if (!min || !max) { min = v.slice(); max = v.slice(); argmin = v.map(() => p); argmax = v.map(() => p); continue; }
        for (let r = 0; r < v.length; r++) {
          if (v[r].lt(min[r])) { min[r] = v[r]; argmin[r] = p; }
          if (v[r].gt(max[r])) { max[r] = v[r]; argmax[r] = p; }
        }
      }
      continue;
    }
    const nd = ex.nodes[t.k];
    if (nd.kind === 'affine') {
      const vals = t.vals.slice();
      vals[nd.output] = affineForms(nd, nd.input.map((i) => t.vals[i]), n);
      stack.push({ k: t.k + 1, e: 0, poly: t.poly, vals, out: [] });
      continue;
    }
    // ReLU-like: settle element e, splitting the polygon where its input changes sign.
    if (t.e === nd.outSize) {
      const vals = t.vals.slice();
      vals[nd.output] = t.out;
      stack.push({ k: t.k + 1, e: 0, poly: t.poly, vals, out: [] });
      continue;
    }
    const f = t.vals[nd.input[0]][t.e];
    const signs = t.poly.map((p) => formAt(f, p).sign());
    const neg = formScale(f, nd.alpha);
    if (signs.every((s) => s >= 0)) {
      stack.push({ ...t, e: t.e + 1, out: [...t.out, f] });
    } else if (signs.every((s) => s <= 0)) {
      stack.push({ ...t, e: t.e + 1, out: [...t.out, neg] });
    } else {
      const pos = clip(t.poly, f);
      const negPoly = clip(t.poly, formScale(f, Q.int(-1)));
      if (pos.length > 0) stack.push({ ...t, poly: pos, e: t.e + 1, out: [...t.out, f] });
      if (negPoly.length > 0) stack.push({ ...t, poly: negPoly, e: t.e + 1, out: [...t.out, neg] });
    }
  }
  return { min: min!, max: max!, argmin, argmax, regions };
}

// ---------------------------------------------------------------------------------------------
// High-precision S-shaped functions (fixed point, 320 fractional bits)

/** Fractional bits of the fixed-point numbers below: values are v·2^FIX as BigInt. */
export const FIX = 320n;
const FONE = 1n << FIX;

/** ⌊q·2^FIX⌋ (error below 2^−FIX). */
export function toFixed(q: Q): bigint {
  const v = q.n << FIX;
  const r = v / q.d;
  return v < 0n && r * q.d !== v ? r - 1n : r;
}

/** e^x for x = X·2^−FIX, |x| ≤ ~100: relative error below 2^−280. */
export function expFixed(X: bigint): bigint {
  let k = 0;
  let Y = X;
  const lim = FONE >> 10n;
  while ((Y < 0n ? -Y : Y) > lim) { Y >>= 1n; k++; }
  let term = FONE, sum = FONE;
  for (let i = 1n; i < 80n; i++) {
    term = ((term * Y) >> FIX) / i;
    if (term === 0n) break;
    sum += term;
  }
  for (; k > 0; k--) sum = (sum * sum) >> FIX;
  return sum;
}

/** σ(x)·2^FIX and tanh(x)·2^FIX for a rational x (|x| ≤ ~100), absolute error far below 2^−250. */
export function sigmoidFixed(x: Q): bigint {
  return (FONE * FONE) / (FONE + expFixed(-toFixed(x)));
}
export function tanhFixed(x: Q): bigint {
  return FONE - (2n * FONE * FONE) / (expFixed(2n * toFixed(x)) + FONE);
}
