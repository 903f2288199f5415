import type { OpKind } from '../op.js';
import { attrInt, checkAttrs } from '../network.js';
import { sizeOf } from '../op.js';
import { constInts, reshapeBuilt, reshapeSemantics, reshapeToSpec, type ReshapeParams } from './reshape_impl.js';

/** ONNX Reshape (opset ≥ 5: shape as a constant input; 0 copies a dimension unless allowzero, −1 is inferred). */
export const Reshape: OpKind<ReshapeParams> = {
  onnx: 'Reshape',
  ...reshapeSemantics,
  build(ctx) {
    checkAttrs(ctx.attrs, ['allowzero', 'shape']);
    const x = ctx.inputs[0];
    if (!x) throw new Error('Reshape takes a data input');
    const target = ctx.inputs[1] ? constInts(ctx.inputs[1].value, 'shape') : (ctx.attrs.shape as number[] | undefined);
    if (!target) throw new Error('Reshape needs a shape');
    const allowzero = attrInt(ctx.attrs, 'allowzero', 0) === 1;
    const shape = target.map((d, i) => (d === 0 && !allowzero ? x.shape[i] : d));
    if (shape.some((d) => d === undefined || d < -1)) throw new Error(`bad target shape [${target}] for input [${x.shape}]`);
    const neg = shape.filter((d) => d === -1).length;
    if (neg > 1) throw new Error(`target shape [${target}] has more than one -1`);
    if (neg === 1) {
      const known = sizeOf(shape.filter((d) => d !== -1));
      const total = sizeOf(x.shape);
      if (known === 0 || total % known !== 0) throw new Error(`cannot infer -1 in [${target}] for input [${x.shape}]`);
      shape[shape.indexOf(-1)] = total / known;
    }
    return reshapeBuilt('Reshape', x.shape, shape);
  },
  toSpec: reshapeToSpec,
};
