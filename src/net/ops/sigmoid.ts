import type { OpKind } from '../op.js';
import { sCuts, sInterval, sRelax } from './sshape_impl.js';
import { buildUnary, unaryToSpec, type UnaryParams } from './unary_impl.js';
import { sLipschitz } from './lipschitz_impl.js';

/** ONNX Sigmoid: 1 / (1 + e^(−x)), evaluated without overflow for large |x|. */
export const Sigmoid: OpKind<UnaryParams> = {
  onnx: 'Sigmoid',
  lipschitz: sLipschitz('sigmoid'),
  build: (ctx) => buildUnary(ctx),
  eval(_p, [x], out) {
    for (let i = 0; i < out.length; i++) {
      const v = x[i];
      if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
      else { const e = Math.exp(v); out[i] = e / (1 + e); }
    }
  },
  /** σ'(x) = σ(x)(1 − σ(x)), from the stored output. */
  backward(_p, _ins, out, g, [gx]) {
    for (let i = 0; i < g.length; i++) { const s = out[i]; gx[i] += g[i] * s * (1 - s); }
  },
  interval: (_p, lo, hi, ol, oh) => sInterval('sigmoid', lo, hi, ol, oh),
  /** Convex below 0, concave above: branch and bound splits inputs at 0. */
  inflection: 0,
  relax: (_p, lo, hi, a, sl, bl, su, bu) => sRelax('sigmoid', lo, hi, sl, bl, su, bu, a),
  relaxCuts: (_p, l, h) => sCuts('sigmoid', l, h),
  toSpec: unaryToSpec,
};
