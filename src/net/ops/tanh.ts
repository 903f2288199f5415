import type { OpKind } from '../op.js';
import { sInterval, sRelax } from './sshape_impl.js';
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
  interval: (_p, lo, hi, ol, oh) => sInterval('tanh', lo, hi, ol, oh),
  relax: (_p, lo, hi, _a, sl, bl, su, bu) => sRelax('tanh', lo, hi, sl, bl, su, bu),
  relaxCuts(_p, l, h) {
    const o = [0, 0, 0, 0].map(() => new Float64Array(1));
    sRelax('tanh', Float64Array.of(l), Float64Array.of(h), o[0], o[1], o[2], o[3]);
    return { lower: [[o[0][0], o[1][0]]], upper: [[o[2][0], o[3][0]]] };
  },
  toSpec: unaryToSpec,
};
