import type { OpKind } from '../op.js';
import { attrInts, checkAttrs } from '../network.js';
import { normAxis } from './broadcast_impl.js';
import { constInts, reshapeBuilt, reshapeSemantics, reshapeToSpec, type ReshapeParams } from './reshape_impl.js';

/** ONNX Squeeze: axes as an attribute (opset < 13) or a constant input (opset ≥ 13); none = all 1-dims. */
export const Squeeze: OpKind<ReshapeParams> = {
  onnx: 'Squeeze',
  ...reshapeSemantics,
  build(ctx) {
    checkAttrs(ctx.attrs, ['axes']);
    const x = ctx.inputs[0];
    if (!x) throw new Error('Squeeze takes a data input');
    const r = x.shape.length;
    const raw = ctx.inputs[1] ? constInts(ctx.inputs[1].value, 'axes') : attrInts(ctx.attrs, 'axes');
    const axes = raw ? raw.map((a) => normAxis(a, r)) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    for (const a of axes) if (x.shape[a] !== 1) throw new Error(`cannot squeeze axis ${a} of size ${x.shape[a]}`);
    const shape = x.shape.filter((_, i) => !axes.includes(i));
    return reshapeBuilt('Squeeze', x.shape, shape);
  },
  toSpec: reshapeToSpec,
};
