import type { BuildContext, Built, ConstTensor, ElementwiseAffine, ExportContext, SpecNode } from '../op.js';
import { sizeOf } from '../op.js';
import { broadcastIndex, broadcastShape, expandTo } from './broadcast_impl.js';

/** The four arithmetic ops that share broadcasting and the elementwise-affine trait. */
export enum BinaryCode { Add = 0, Sub = 1, Mul = 2, Div = 3 }

/**
 * Params of a broadcasting binary op. Each operand is either dynamic (read through an index
 * map onto the output, null = same shape) or a constant expanded to the output size.
 */
export interface BinaryParams {
  code: BinaryCode;
  op: string;
  outShape: number[];
  outSize: number;
  /** Per operand: the dynamic input's position in `ins`, or -1 for a constant. */
  slot: [number, number];
  idx: [Int32Array | null, Int32Array | null];
  consts: [Float64Array | null, Float64Array | null];
  inShapes: [number[], number[]];
  /** The constants as the file gave them (for writing back). */
  raw: [ConstTensor | null, ConstTensor | null];
}

/** Build a binary op: broadcast shapes, expand constants, record which operands are dynamic. */
export function buildBinary(code: BinaryCode, ctx: BuildContext): Built<BinaryParams> {
  const [a, b] = ctx.inputs;
  if (!a || !b || ctx.inputs.length !== 2) throw new Error(`${ctx.op} takes exactly two inputs`);
  if (Object.keys(ctx.attrs).length > 0) throw new Error(`unsupported attribute '${Object.keys(ctx.attrs)[0]}' (legacy broadcast attributes are not supported)`);
  const outShape = broadcastShape(a.shape, b.shape);
  const dynamic: number[] = [];
  const slot: [number, number] = [-1, -1];
  const consts: [Float64Array | null, Float64Array | null] = [null, null];
  const idx: [Int32Array | null, Int32Array | null] = [null, null];
  [a, b].forEach((t, k) => {
    if (t.value) consts[k] = expandTo(t.value.data, t.shape, outShape);
    else {
      slot[k] = dynamic.length;
      dynamic.push(k);
      idx[k] = broadcastIndex(t.shape, outShape);
    }
  });
  if (code === BinaryCode.Div && consts[1]) {
    const c = consts[1];
    for (let i = 0; i < c.length; i++) if (c[i] === 0) throw new Error('division by a constant zero');
  }
  return {
    shape: outShape,
    dynamic,
    params: {
      code, op: ctx.op, outShape, outSize: sizeOf(outShape), slot, idx, consts,
      inShapes: [a.shape.slice(), b.shape.slice()], raw: [a.value ?? null, b.value ?? null],
    },
  };
}

/** Exact float64 evaluation of a batch. */
export function evalBinary(p: BinaryParams, ins: Float64Array[], out: Float64Array, batch: number): void {
  const n = p.outSize;
  const aSize = p.slot[0] >= 0 ? ins[p.slot[0]].length / batch : 0;
  const bSize = p.slot[1] >= 0 ? ins[p.slot[1]].length / batch : 0;
  const ia = p.idx[0], ib = p.idx[1];
  const ca = p.consts[0], cb = p.consts[1];
  const A = p.slot[0] >= 0 ? ins[p.slot[0]] : null;
  const B = p.slot[1] >= 0 ? ins[p.slot[1]] : null;
  const tmpA = ia ? new Float64Array(n) : null, tmpB = ib ? new Float64Array(n) : null;
  for (let s = 0; s < batch; s++) {
    const o = s * n;
    // Gather both operands to the output layout; the arithmetic loop below is branch-free.
    let av: Float64Array, bv: Float64Array, ao = 0, bo = 0;
    if (A) {
      if (ia) { for (let i = 0; i < n; i++) tmpA![i] = A[s * aSize + ia[i]]; av = tmpA!; } else { av = A; ao = s * n; }
    } else av = ca!;
    if (B) {
      if (ib) { for (let i = 0; i < n; i++) tmpB![i] = B[s * bSize + ib[i]]; bv = tmpB!; } else { bv = B; bo = s * n; }
    } else bv = cb!;
    switch (p.code) {
      case BinaryCode.Add: for (let i = 0; i < n; i++) out[o + i] = av[ao + i] + bv[bo + i]; break;
      case BinaryCode.Sub: for (let i = 0; i < n; i++) out[o + i] = av[ao + i] - bv[bo + i]; break;
      case BinaryCode.Mul: for (let i = 0; i < n; i++) out[o + i] = av[ao + i] * bv[bo + i]; break;
      case BinaryCode.Div: for (let i = 0; i < n; i++) out[o + i] = av[ao + i] / bv[bo + i]; break;
    }
  }
}

/** Vector–Jacobian product, summed over broadcast dimensions. */
export function backwardBinary(p: BinaryParams, ins: Float64Array[], _out: Float64Array, gOut: Float64Array, gIns: Float64Array[], batch: number): void {
  const n = p.outSize;
  for (let k = 0; k < 2; k++) {
    const sl = p.slot[k];
    if (sl < 0) continue;
    const g = gIns[sl];
    const size = g.length / batch;
    const idx = p.idx[k];
    const other = 1 - k;
    const oc = p.consts[other];
    const oSlot = p.slot[other];
    const oIns = oSlot >= 0 ? ins[oSlot] : null;
    const oSize = oIns ? oIns.length / batch : 0;
    const oIdx = p.idx[other];
    const self = ins[sl];
    for (let s = 0; s < batch; s++) {
      for (let i = 0; i < n; i++) {
        const gi = gOut[s * n + i];
        let d: number;
        switch (p.code) {
          case BinaryCode.Add: d = gi; break;
          case BinaryCode.Sub: d = k === 0 ? gi : -gi; break;
          case BinaryCode.Mul: {
            const ov = oc ? oc[i] : oIns![s * oSize + (oIdx ? oIdx[i] : i)];
            d = gi * ov;
            break;
          }
          default: {
            // Div: d(a/b)/da = 1/b, d(a/b)/db = -a/b².
            const bv = k === 0 ? (oc ? oc[i] : oIns![s * oSize + (oIdx ? oIdx[i] : i)]) : self[s * size + (idx ? idx[i] : i)];
            if (k === 0) d = gi / bv;
            else {
              const av = oc ? oc[i] : oIns![s * oSize + (oIdx ? oIdx[i] : i)];
              d = (-gi * av) / (bv * bv);
            }
          }
        }
        g[s * size + (idx ? idx[i] : i)] += d;
      }
    }
  }
}

/**
 * y = scale ⊙ x + shift when exactly one operand is dynamic, it has the output's shape and the
 * map is affine in it (not c / x). Division by c becomes scale 1/c: a fold may change the last
 * bit of a weight (documented in the README), which later bounds must cover.
 */
export function binaryAffine(p: BinaryParams): ElementwiseAffine | null {
  const dyn = p.slot[0] >= 0 ? 0 : 1;
  if (p.slot[1 - dyn] >= 0 || p.idx[dyn]) return null;
  const c = p.consts[1 - dyn]!;
  const n = p.outSize;
  const scale = new Float64Array(n), shift = new Float64Array(n);
  switch (p.code) {
    case BinaryCode.Add: scale.fill(1); shift.set(c); break;
    case BinaryCode.Sub:
      if (dyn === 0) { scale.fill(1); for (let i = 0; i < n; i++) shift[i] = -c[i]; } else { scale.fill(-1); shift.set(c); }
      break;
    case BinaryCode.Mul: scale.set(c); break;
    case BinaryCode.Div:
      if (dyn === 1) return null;
      for (let i = 0; i < n; i++) scale[i] = 1 / c[i];
      break;
  }
  return { scale, shift };
}

/** Write the op back with its constant operand as an initialiser. */
export function binaryToSpec(p: BinaryParams, ctx: ExportContext): SpecNode[] {
  const names: string[] = [];
  let d = 0;
  for (let k = 0; k < 2; k++) {
    if (p.slot[k] >= 0) names.push(ctx.inputs[d++]);
    else names.push(ctx.addConst(k === 0 ? 'A' : 'B', p.raw[k] ?? { shape: p.outShape, data: p.consts[k]! }));
  }
  return [{ name: ctx.name, op: p.op, inputs: names, outputs: [ctx.output], attrs: {} }];
}

/** Affine unless it multiplies two data-dependent tensors or divides by one. */
export function binaryIsAffine(p: BinaryParams): boolean {
  if (p.code === BinaryCode.Mul) return p.slot[0] < 0 || p.slot[1] < 0;
  if (p.code === BinaryCode.Div) return p.slot[1] < 0;
  return true;
}

/** |J|·m for the affine cases: a sum of the dynamic operands' m, or |c|·m, or m/|c|. */
export function binaryAbsForward(p: BinaryParams, ms: Float64Array[], out: Float64Array, batch: number): void {
  const n = p.outSize;
  out.fill(0, 0, batch * n);
  for (let k = 0; k < 2; k++) {
    const sl = p.slot[k];
    if (sl < 0) continue;
    const m = ms[sl];
    const size = m.length / batch;
    const idx = p.idx[k];
    const c = p.consts[1 - k];
    for (let s = 0; s < batch; s++) {
      for (let i = 0; i < n; i++) {
        const v = m[s * size + (idx ? idx[i] : i)];
        let w = v;
        if (p.code === BinaryCode.Mul && c) w = v * Math.abs(c[i]);
        else if (p.code === BinaryCode.Div && c) w = v / Math.abs(c[i]);
        out[s * n + i] += w;
      }
    }
  }
}

/** |offset|: the constant operand of Add/Sub, zero for Mul/Div by a constant. */
export function binaryAbsOffset(p: BinaryParams): Float64Array {
  const out = new Float64Array(p.outSize);
  if (p.code === BinaryCode.Add || p.code === BinaryCode.Sub) {
    for (let k = 0; k < 2; k++) {
      const c = p.consts[k];
      if (c) for (let i = 0; i < out.length; i++) out[i] += Math.abs(c[i]);
    }
  }
  return out;
}

/** Members the four binary ops share for bound propagation. */
export const binaryBounds = {
  isAffine: binaryIsAffine,
  absForward: binaryAbsForward,
  absOffset: binaryAbsOffset,
  dotLength: () => 2,
};
