import type { ConstTensor, OpKind } from '../op.js';
import { attrInt, checkAttrs } from '../network.js';
import { sizeOf } from '../op.js';
import { normAxis } from './broadcast_impl.js';
import { affineLipschitz } from './lipschitz_impl.js';

interface ConcatParams {
  axis: number;
  outer: number;
  /** Per part: its block length along (axis × inner), and its dynamic slot or its constant. */
  parts: { block: number; slot: number; value: ConstTensor | null }[];
  outBlock: number;
}

/** ONNX Concat along one axis; parts may be constant (kept in params) or dynamic. */
export const Concat: OpKind<ConcatParams> = {
  onnx: 'Concat',
  lipschitz: affineLipschitz<ConcatParams>((p, g, gIns, batch) => Concat.backward(p, [], g, g, gIns, batch)),
  build(ctx) {
    checkAttrs(ctx.attrs, ['axis']);
    const ins = ctx.inputs;
    if (ins.length === 0 || ins.some((i) => !i)) throw new Error('Concat takes one or more inputs');
    const r = ins[0]!.shape.length;
    const axis = normAxis(attrInt(ctx.attrs, 'axis'), r);
    const shape = ins[0]!.shape.slice();
    shape[axis] = 0;
    for (const i of ins) {
      if (i!.shape.length !== r || i!.shape.some((d, k) => k !== axis && d !== ins[0]!.shape[k])) {
        throw new Error(`input shapes [${ins[0]!.shape}] and [${i!.shape}] cannot be joined on axis ${axis}`);
      }
      shape[axis] += i!.shape[axis];
    }
    const inner = sizeOf(shape.slice(axis + 1));
    const dynamic: number[] = [];
    const allConst = ins.every((i) => i!.value);
    const parts = ins.map((i, k) => {
      const dyn = allConst || !i!.value;
      if (dyn) dynamic.push(k);
      return { block: i!.shape[axis] * inner, slot: dyn ? dynamic.length - 1 : -1, value: dyn ? null : i!.value! };
    });
    return { shape, params: { axis, outer: sizeOf(shape.slice(0, axis)), parts, outBlock: shape[axis] * inner }, dynamic };
  },
  eval(p, ins, out, batch) {
    const outSize = p.outer * p.outBlock;
    for (let s = 0; s < batch; s++) {
      let off = 0;
      for (const part of p.parts) {
        const src = part.slot >= 0 ? ins[part.slot] : part.value!.data;
        const base = part.slot >= 0 ? s * p.outer * part.block : 0;
        for (let a = 0; a < p.outer; a++) {
          const o = s * outSize + a * p.outBlock + off;
          for (let i = 0; i < part.block; i++) out[o + i] = src[base + a * part.block + i];
        }
        off += part.block;
      }
    }
  },
  backward(p, _ins, _out, g, gIns, batch) {
    const outSize = p.outer * p.outBlock;
    for (let s = 0; s < batch; s++) {
      let off = 0;
      for (const part of p.parts) {
        if (part.slot >= 0) {
          const gx = gIns[part.slot];
          for (let a = 0; a < p.outer; a++) {
            const o = s * outSize + a * p.outBlock + off;
            const base = s * p.outer * part.block + a * part.block;
            for (let i = 0; i < part.block; i++) gx[base + i] += g[o + i];
          }
        }
        off += part.block;
      }
    }
  },
  isAffine: () => true,
  /** |J|·m: the dynamic parts' m side by side, zeros where a part is constant. */
  absForward(p, ms, out, batch) {
    const zero = { ...p, parts: p.parts.map((q) => (q.slot >= 0 ? q : { ...q, value: { shape: q.value!.shape, data: new Float64Array(q.value!.data.length) } })) };
    Concat.eval(zero, ms, out, batch);
  },
  absOffset(p) {
    const out = new Float64Array(p.outer * p.outBlock);
    const abs = { ...p, parts: p.parts.map((q) => (q.slot >= 0 ? { ...q, slot: -1, value: { shape: [], data: new Float64Array(p.outer * q.block) } } : { ...q, value: { shape: q.value!.shape, data: q.value!.data.map(Math.abs) } })) };
    Concat.eval(abs, [], out, 1);
    return out;
  },
  dotLength: () => 1,
  toSpec(p, ctx) {
    let d = 0;
    const inputs = p.parts.map((part, k) => (part.slot >= 0 ? ctx.inputs[d++] : ctx.addConst(`part${k}`, part.value!)));
    return [{ name: ctx.name, op: 'Concat', inputs, outputs: [ctx.output], attrs: { axis: p.axis } }];
  },
};
