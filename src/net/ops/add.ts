import type { OpKind } from '../op.js';
import { BinaryCode, backwardBinary, binaryBounds, binaryAffine, binaryToSpec, buildBinary, evalBinary, type BinaryParams } from './binary_impl.js';

/** ONNX Add: elementwise with multidirectional broadcasting; one operand may be a constant. */
export const Add: OpKind<BinaryParams> = {
  onnx: 'Add',
  build: (ctx) => buildBinary(BinaryCode.Add, ctx),
  ...binaryBounds,
  eval: evalBinary,
  backward: backwardBinary,
  toSpec: binaryToSpec,
  elementwiseAffine: (p) => binaryAffine(p),
};
