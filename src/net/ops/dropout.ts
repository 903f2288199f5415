import type { OpKind } from '../op.js';
import { checkAttrs } from '../network.js';
import { identityToSpec, reshapeBuilt, reshapeSemantics, type ReshapeParams } from './reshape_impl.js';

/** ONNX Dropout at inference: the identity (training mode is rejected). */
export const Dropout: OpKind<ReshapeParams> = {
  onnx: 'Dropout',
  ...reshapeSemantics,
  build(ctx) {
    checkAttrs(ctx.attrs, ['ratio', 'seed', 'is_test']);
    const x = ctx.inputs[0];
    if (!x) throw new Error('Dropout takes one data input');
    const training = ctx.inputs[2];
    if (training && (!training.value || training.value.data.some((v) => v !== 0))) throw new Error('training_mode must be a constant false');
    return reshapeBuilt('Dropout', x.shape, x.shape.slice());
  },
  toSpec: identityToSpec,
};
