import type { OpKind } from '../op.js';
import { BinaryCode, backwardBinary, binaryBounds, binaryAffine, binaryToSpec, buildBinary, evalBinary, type BinaryParams } from './binary_impl.js';
import { affineLipschitz } from './lipschitz_impl.js';

/** ONNX Div: elementwise with multidirectional broadcasting; one operand may be a constant. */
export const Div: OpKind<BinaryParams> = {
  onnx: 'Div',
  lipschitz: affineLipschitz<BinaryParams>((p, g, gIns, batch) => backwardBinary(p, [], g, g, gIns, batch)),
  build: (ctx) => buildBinary(BinaryCode.Div, ctx),
  ...binaryBounds,
  eval: evalBinary,
  backward: backwardBinary,
  toSpec: binaryToSpec,
  elementwiseAffine: (p) => binaryAffine(p),
};
