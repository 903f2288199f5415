import type { OpKind } from '../op.js';
import { attrFloat, attrInt, checkAttrs } from '../network.js';
import { expandTo } from './broadcast_impl.js';
import { denseSemantics, type DenseParams } from './dense_impl.js';

/**
 * ONNX Gemm: Y = alpha·A'·B' + beta·C with a constant B (and C). alpha and beta are folded
 * into the stored weight and bias (this may change their last bit; see the README).
 */
export const Gemm: OpKind<DenseParams> = {
  onnx: 'Gemm',
  build(ctx) {
    checkAttrs(ctx.attrs, ['alpha', 'beta', 'transA', 'transB', 'broadcast']);
    const [a, b, c] = ctx.inputs;
    if (!a || !b) throw new Error('Gemm takes inputs A and B');
    if (!b.value) throw new Error('Gemm with a data-dependent B is not supported');
    if (c && !c.value) throw new Error('Gemm with a data-dependent C is not supported');
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error(`Gemm needs 2-D A and B, got [${a.shape}] and [${b.shape}]`);
    const alpha = attrFloat(ctx.attrs, 'alpha', 1), beta = attrFloat(ctx.attrs, 'beta', 1);
    const transA = attrInt(ctx.attrs, 'transA', 0) === 1, transB = attrInt(ctx.attrs, 'transB', 0) === 1;
    const [M, K] = transA ? [a.shape[1], a.shape[0]] : a.shape;
    const [Kb, N] = transB ? [b.shape[1], b.shape[0]] : b.shape;
    if (K !== Kb) throw new Error(`inner dimensions differ: A is [${a.shape}], B is [${b.shape}]${transB ? ' (transB)' : ''}`);
    const W = new Float64Array(N * K);
    const B = b.value.data;
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) W[n * K + k] = alpha * (transB ? B[n * K + k] : B[k * N + n]);
    let bias: Float64Array | null = null;
    if (c) {
      bias = expandTo(c.value!.data, c.shape, [M, N]);
      if (beta !== 1) for (let i = 0; i < bias.length; i++) bias[i] *= beta;
    }
    return { shape: [M, N], params: { mode: 'right', rows: M, K, N, W, bias, transA, groups: 1 }, dynamic: [0] };
  },
  ...denseSemantics,
  toSpec(p, ctx) {
    const w = ctx.addConst('weight', { shape: [p.N, p.K], data: p.W });
    const inputs = [ctx.inputs[0], w];
    if (p.bias) inputs.push(ctx.addConst('bias', p.rows === 1 ? { shape: [p.N], data: p.bias } : { shape: [p.rows, p.N], data: p.bias }));
    return [{ name: ctx.name, op: 'Gemm', inputs, outputs: [ctx.output], attrs: { transA: p.transA ? 1 : 0, transB: 1 } }];
  },
};
