import type { OpKind } from '../op.js';
import { checkAttrs } from '../network.js';
import { identityToSpec, reshapeBuilt, reshapeSemantics, type ReshapeParams } from './reshape_impl.js';

/** ONNX Identity. */
export const Identity: OpKind<ReshapeParams> = {
  onnx: 'Identity',
  ...reshapeSemantics,
  build(ctx) {
    checkAttrs(ctx.attrs, []);
    const x = ctx.inputs[0];
    if (!x) throw new Error('Identity takes one input');
    return reshapeBuilt('Identity', x.shape, x.shape.slice());
  },
  toSpec: identityToSpec,
};
