import type { ConstTensor, OpKind } from '../op.js';
import { attrInt, checkAttrs } from '../network.js';

/** ONNX Shape: the (batch-1) shape of its input, known at load time, so always folded. */
export const Shape: OpKind<null> = {
  onnx: 'Shape',
  build(ctx) {
    checkAttrs(ctx.attrs, ['start', 'end']);
    const x = ctx.inputs[0];
    if (!x) throw new Error('Shape takes one input');
    const r = x.shape.length;
    const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
    const start = clamp(attrInt(ctx.attrs, 'start', 0));
    const end = clamp(attrInt(ctx.attrs, 'end', r));
    const dims = x.shape.slice(start, Math.max(start, end));
    const t: ConstTensor = { shape: [dims.length], data: Float64Array.from(dims), dtype: 'int64' };
    return { shape: t.shape, params: null, dynamic: [], constant: t };
  },
  eval() {
    throw new Error('Shape is folded at load time');
  },
  backward() {},
  toSpec() {
    throw new Error('Shape is folded at load time');
  },
};
