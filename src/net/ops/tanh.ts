import type { OpKind } from '../op.js';
import { sCuts, sInterval, sRelax } from './sshape_impl.js';
import { buildUnary, unaryToSpec, type UnaryParams } from './unary_impl.js';
import { sLipschitz } from './lipschitz_impl.js';

/** ONNX Tanh. */
export const Tanh: OpKind<UnaryParams> = {
  onnx: 'Tanh',
  lipschitz: sLipschitz('tanh'),
  build: (ctx) => buildUnary(ctx),
  eval(_p, [x], out) {
    for (let i = 0; i < out.length; i++) out[i] = Math.tanh(x[i]);
  },
  /** tanh'(x) = 1 − tanh²(x), from the stored output. */
  backward(_p, _ins, out, g, [gx]) {
    for (let i = 0; i < g.length; i++) { const t = out[i]; gx[i] += g[i] * (1 - t * t); }
  },
  interval: (_p, lo, hi, ol, oh) => sInterval('tanh', lo, hi, ol, oh),
  /** Convex below 0, concave above: branch and bound splits inputs at 0. */
  inflection: 0,
  relax: (_p, lo, hi, a, sl, bl, su, bu) => sRelax('tanh', lo, hi, sl, bl, su, bu, a),
  relaxCuts: (_p, l, h) => sCuts('tanh', l, h),
  toSpec: unaryToSpec,
};
