import type { OpKind } from '../op.js';
import { checkAttrs } from '../network.js';
import { sizeOf } from '../op.js';
import { denseSemantics, type DenseParams } from './dense_impl.js';

/**
 * ONNX MatMul with one constant operand (a product of two data-dependent tensors is not
 * linear and is rejected). A constant on the right may be 1-D or 2-D; on the left, 2-D.
 * The simplifier may give it a bias (absorbing a following Add); it is then written as MatMul + Add.
 */
export const MatMul: OpKind<DenseParams> = {
  onnx: 'MatMul',
  build(ctx) {
    checkAttrs(ctx.attrs, []);
    const [a, b] = ctx.inputs;
    if (!a || !b) throw new Error('MatMul takes two inputs');
    if (b.value) {
      if (b.shape.length > 2) throw new Error(`a constant right operand of rank ${b.shape.length} is not supported`);
      const K = b.shape[0];
      const N = b.shape.length === 2 ? b.shape[1] : 1;
      if (a.shape.length < 1 || a.shape[a.shape.length - 1] !== K) throw new Error(`cannot multiply [${a.shape}] by [${b.shape}]`);
      const lead = a.shape.slice(0, -1);
      const shape = b.shape.length === 2 ? [...lead, N] : lead;
      const W = new Float64Array(N * K);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) W[n * K + k] = b.value.data[k * N + n];
      return { shape, params: { mode: 'right', rows: sizeOf(lead), K, N, W, bias: null, transA: false, groups: 1 }, dynamic: [0] };
    }
    if (a.value) {
      if (a.shape.length !== 2) throw new Error(`a constant left operand must be 2-D, got [${a.shape}]`);
      const [M, K] = a.shape;
      if (b.shape.length < 2 || b.shape[b.shape.length - 2] !== K) throw new Error(`cannot multiply [${a.shape}] by [${b.shape}]`);
      const N = b.shape[b.shape.length - 1];
      const shape = [...b.shape.slice(0, -2), M, N];
      return { shape, params: { mode: 'left', rows: M, K, N, W: Float64Array.from(a.value.data), bias: null, transA: false, groups: sizeOf(b.shape.slice(0, -2)) }, dynamic: [1] };
    }
    throw new Error('MatMul of two data-dependent tensors is not supported');
  },
  ...denseSemantics,
  toSpec(p, ctx) {
    if (p.mode === 'left') {
      const w = ctx.addConst('weight', { shape: [p.rows, p.K], data: p.W });
      return [{ name: ctx.name, op: 'MatMul', inputs: [w, ctx.inputs[0]], outputs: [ctx.output], attrs: {} }];
    }
    const Wkn = new Float64Array(p.K * p.N);
    for (let n = 0; n < p.N; n++) for (let k = 0; k < p.K; k++) Wkn[k * p.N + n] = p.W[n * p.K + k];
    const vector = sizeOf(ctx.outputShape) === p.rows && ctx.outputShape.length < ctx.inputShapes[0].length;
    const w = ctx.addConst('weight', vector ? { shape: [p.K], data: Wkn } : { shape: [p.K, p.N], data: Wkn });
    if (!p.bias) return [{ name: ctx.name, op: 'MatMul', inputs: [ctx.inputs[0], w], outputs: [ctx.output], attrs: {} }];
    const mid = `${ctx.output}.matmul`;
    const bias = ctx.addConst('bias', { shape: vector ? [] : [p.N], data: p.bias });
    return [
      { name: ctx.name, op: 'MatMul', inputs: [ctx.inputs[0], w], outputs: [mid], attrs: {} },
      { name: `${ctx.name}.add`, op: 'Add', inputs: [mid, bias], outputs: [ctx.output], attrs: {} },
    ];
  },
};
