import type { OpKind } from '../op.js';
import { attrInts, checkAttrs } from '../network.js';
import { normAxis } from './broadcast_impl.js';
import { constInts, reshapeBuilt, reshapeSemantics, reshapeToSpec, type ReshapeParams } from './reshape_impl.js';

/** ONNX Unsqueeze: axes as an attribute (opset < 13) or a constant input (opset ≥ 13). */
export const Unsqueeze: OpKind<ReshapeParams> = {
  onnx: 'Unsqueeze',
  ...reshapeSemantics,
  build(ctx) {
    checkAttrs(ctx.attrs, ['axes']);
    const x = ctx.inputs[0];
    if (!x) throw new Error('Unsqueeze takes a data input');
    const raw = ctx.inputs[1] ? constInts(ctx.inputs[1].value, 'axes') : attrInts(ctx.attrs, 'axes');
    if (!raw) throw new Error('Unsqueeze needs axes');
    const r = x.shape.length + raw.length;
    const axes = raw.map((a) => normAxis(a, r)).sort((a, b) => a - b);
    const shape: number[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) shape.push(axes.includes(i) ? 1 : x.shape[k++]);
    return reshapeBuilt('Unsqueeze', x.shape, shape);
  },
  toSpec: reshapeToSpec,
};
