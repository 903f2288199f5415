import type { OpKind } from '../op.js';
import { reluCuts, reluInterval, reluMilp, reluRelax } from './relu_impl.js';
import { buildUnary, unaryToSpec, type UnaryParams } from './unary_impl.js';
import { reluLipschitz } from './lipschitz_impl.js';

/** ONNX LeakyRelu: x for x ≥ 0, alpha·x otherwise (alpha defaults to 0.01). */
export const LeakyRelu: OpKind<UnaryParams> = {
  onnx: 'LeakyRelu',
  lipschitz: reluLipschitz,
  breakpoints: 'relu',
  build: (ctx) => buildUnary(ctx, ['alpha'], 0.01),
  eval(p, [x], out) {
    const a = p.alpha;
    for (let i = 0; i < out.length; i++) { const v = x[i]; out[i] = v >= 0 ? v : a * v; }
  },
  /** Slope 1 at x = 0, matching eval's branch. */
  backward(p, [x], _out, g, [gx]) {
    const a = p.alpha;
    for (let i = 0; i < g.length; i++) gx[i] += x[i] >= 0 ? g[i] : a * g[i];
  },
  interval: reluInterval,
  relax: reluRelax,
  relaxCuts: reluCuts,
  milp: reluMilp,
  toSpec: unaryToSpec,
};
