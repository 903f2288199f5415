import type { OpKind } from '../op.js';
import { attrInt, checkAttrs } from '../network.js';
import { sizeOf } from '../op.js';
import { reshapeBuilt, reshapeSemantics, type ReshapeParams } from './reshape_impl.js';

/** ONNX Flatten: [d0..d(axis-1)] × [d(axis)..] as a 2-D tensor (axis defaults to 1, may be negative). */
export const Flatten: OpKind<ReshapeParams> = {
  onnx: 'Flatten',
  ...reshapeSemantics,
  build(ctx) {
    checkAttrs(ctx.attrs, ['axis']);
    const x = ctx.inputs[0];
    if (!x) throw new Error('Flatten takes one input');
    const r = x.shape.length;
    let axis = attrInt(ctx.attrs, 'axis', 1);
    if (axis < 0) axis += r;
    if (axis < 0 || axis > r) throw new Error(`axis ${ctx.attrs.axis} is out of range for rank ${r}`);
    const shape = [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))];
    const b = reshapeBuilt('Flatten', x.shape, shape, { axis });
    return b;
  },
  toSpec(p, ctx) {
    return [{ name: ctx.name, op: 'Flatten', inputs: [ctx.inputs[0]], outputs: [ctx.output], attrs: { axis: p.attrs.axis as number } }];
  },
};
