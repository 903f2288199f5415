import type { OpKind } from '../op.js';
import { checkAttrs } from '../network.js';
import { identityToSpec, reshapeBuilt, reshapeSemantics, type ReshapeParams } from './reshape_impl.js';
import { reshapeLipschitz } from './lipschitz_impl.js';

/** ONNX TensorProto element types lipcert accepts as Cast targets. */
const FLOAT_TYPES = new Set([1, 10, 11, 16]); // FLOAT, FLOAT16, DOUBLE, BFLOAT16
const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 12, 13]);

interface CastParams extends ReshapeParams {
  toInt: boolean;
}

/**
 * ONNX Cast. On data, a cast to a float type is the identity (lipcert computes in float64; the
 * README explains how float32 rounding is covered). A cast to an integer type truncates
 * toward zero and is allowed only in constant (shape) computations.
 */
export const Cast: OpKind<CastParams> = {
  onnx: 'Cast',
  lipschitz: reshapeLipschitz,
  ...reshapeSemantics,
  build(ctx) {
    checkAttrs(ctx.attrs, ['to', 'saturate']);
    const x = ctx.inputs[0];
    if (!x) throw new Error('Cast takes one input');
    const to = ctx.attrs.to;
    if (typeof to !== 'number' || (!FLOAT_TYPES.has(to) && !INT_TYPES.has(to))) throw new Error(`unsupported target type ${String(to)}`);
    const toInt = INT_TYPES.has(to);
    if (toInt && !x.value) throw new Error('a cast of data to an integer type is not supported');
    const b = reshapeBuilt('Cast', x.shape, x.shape.slice());
    return { ...b, params: { ...b.params, toInt } };
  },
  eval(p, [x], out) {
    if (p.toInt) for (let i = 0; i < out.length; i++) out[i] = Math.trunc(x[i]);
    else out.set(x);
  },
  isAffine: (p) => !p.toInt,
  toSpec: identityToSpec,
};
