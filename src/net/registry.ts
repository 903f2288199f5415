import type { OpKind } from './op.js';
import { Add } from './ops/add.js';
import { BatchNormalization } from './ops/batchnorm.js';
import { Cast } from './ops/cast.js';
import { Concat } from './ops/concat.js';
import { Constant } from './ops/constant.js';
import { Conv } from './ops/conv.js';
import { Div } from './ops/div.js';
import { Dropout } from './ops/dropout.js';
import { Flatten } from './ops/flatten.js';
import { Gather } from './ops/gather.js';
import { Gemm } from './ops/gemm.js';
import { Identity } from './ops/identity.js';
import { LeakyRelu } from './ops/leaky_relu.js';
import { MatMul } from './ops/matmul.js';
import { Mul } from './ops/mul.js';
import { Relu } from './ops/relu.js';
import { Reshape } from './ops/reshape.js';
import { Shape } from './ops/shape.js';
import { Sigmoid } from './ops/sigmoid.js';
import { Squeeze } from './ops/squeeze.js';
import { Sub } from './ops/sub.js';
import { Tanh } from './ops/tanh.js';
import { Unsqueeze } from './ops/unsqueeze.js';

/** ONNX op type → its module. Adding an op is one file plus one line here. */
export const OPS: ReadonlyMap<string, OpKind> = new Map<string, OpKind>(
  [
    Add, BatchNormalization, Cast, Concat, Constant, Conv, Div, Dropout, Flatten, Gather, Gemm,
    Identity, LeakyRelu, MatMul, Mul, Relu, Reshape, Shape, Sigmoid, Squeeze, Sub, Tanh, Unsqueeze,
  ].map((k) => [k.onnx, k as OpKind]),
);

/** The module for an ONNX op type, or undefined when lipcert does not support it. */
export function opKind(opType: string): OpKind | undefined {
  return OPS.get(opType);
}
