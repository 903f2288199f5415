import type { OpKind } from '../op.js';
import { buildUnary, unaryToSpec, type UnaryParams } from './unary_impl.js';

/** ONNX Tanh. */
export const Tanh: OpKind<UnaryParams> = {
  onnx: 'Tanh',
  build: (ctx) => buildUnary(ctx),
  eval(_p, [x], out) {
    for (let i = 0; i < out.length; i++) out[i] = Math.tanh(x[i]);
  },
  /** tanh'(x) = 1 − tanh²(x), from the stored output. */
  backward(_p, _ins, out, g, [gx]) {
    for (let i = 0; i < g.length; i++) { const t = out[i]; gx[i] += g[i] * (1 - t * t); }
  },
  toSpec: unaryToSpec,
};
