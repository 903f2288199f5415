import type { OpKind } from '../op.js';
import { reluCuts, reluInterval, reluMilp, reluRelax } from './relu_impl.js';
import { buildUnary, unaryToSpec, type UnaryParams } from './unary_impl.js';
import { reluLipschitz } from './lipschitz_impl.js';

/** ONNX Relu: max(x, 0). Piecewise linear with one kink at 0, so branch-and-bound may split it. */
export const Relu: OpKind<UnaryParams> = {
  onnx: 'Relu',
  lipschitz: reluLipschitz,
  breakpoints: 'relu',
  build: (ctx) => buildUnary(ctx),
  eval(_p, [x], out) {
    for (let i = 0; i < out.length; i++) { const v = x[i]; out[i] = v > 0 ? v : 0; }
  },
  /** Subgradient 0 at x = 0 (the PyTorch/ONNX Runtime convention). */
  backward(_p, [x], _out, g, [gx]) {
    for (let i = 0; i < g.length; i++) if (x[i] > 0) gx[i] += g[i];
  },
  interval: reluInterval,
  relax: reluRelax,
  relaxCuts: reluCuts,
  milp: reluMilp,
  toSpec: unaryToSpec,
};
