import type { ElementwiseAffine, OpKind } from '../op.js';
import { attrFloat, attrInt, checkAttrs } from '../network.js';
import { sizeOf } from '../op.js';
import { affineLipschitz } from './lipschitz_impl.js';

interface BatchNormParams extends ElementwiseAffine {
  channels: number;
  inner: number;
  /** Per channel: y = a·x + c. */
  a: Float64Array;
  c: Float64Array;
}

/**
 * ONNX BatchNormalization in inference mode: per channel (axis 1),
 * y = scale·(x − mean)/√(var + ε) + B, stored as y = a·x + c (a = scale/√(var+ε), c = B − a·mean).
 * Precomputing a and c may change the last bits relative to the formula (see the README).
 */
export const BatchNormalization: OpKind<BatchNormParams> = {
  onnx: 'BatchNormalization',
  lipschitz: affineLipschitz<BatchNormParams>((p, g, gIns, batch) => BatchNormalization.backward(p, [], g, g, gIns, batch)),
  build(ctx) {
    checkAttrs(ctx.attrs, ['epsilon', 'momentum', 'training_mode', 'spatial', 'is_test', 'consumed_inputs']);
    const [x, scale, bias, mean, variance] = ctx.inputs;
    if (!x || !scale || !bias || !mean || !variance) throw new Error('BatchNormalization takes X, scale, B, mean and var');
    if (attrInt(ctx.attrs, 'training_mode', 0) !== 0) throw new Error('training_mode=1 is not supported');
    if (attrInt(ctx.attrs, 'spatial', 1) !== 1) throw new Error('spatial=0 is not supported');
    for (const t of [scale, bias, mean, variance]) if (!t.value) throw new Error(`input '${t.name}' must be a constant`);
    if (x.shape.length < 2) throw new Error(`input must have a channel axis, got [${x.shape}]`);
    const C = x.shape[1];
    for (const t of [scale, bias, mean, variance]) if (t.value!.data.length !== C) throw new Error(`'${t.name}' has ${t.value!.data.length} values for ${C} channels`);
    const eps = attrFloat(ctx.attrs, 'epsilon', 1e-5);
    const a = new Float64Array(C), c = new Float64Array(C);
    for (let k = 0; k < C; k++) {
      const v = variance.value!.data[k] + eps;
      if (!(v > 0)) throw new Error(`variance + epsilon is not positive for channel ${k}`);
      a[k] = scale.value!.data[k] / Math.sqrt(v);
      c[k] = bias.value!.data[k] - a[k] * mean.value!.data[k];
    }
    const outer = x.shape[0], inner = sizeOf(x.shape.slice(2)), size = sizeOf(x.shape);
    const s = new Float64Array(size), t = new Float64Array(size);
    for (let o = 0; o < outer; o++) for (let k = 0; k < C; k++) for (let i = 0; i < inner; i++) {
      const j = (o * C + k) * inner + i;
      s[j] = a[k];
      t[j] = c[k];
    }
    return { shape: x.shape.slice(), params: { scale: s, shift: t, channels: C, inner, a, c }, dynamic: [0] };
  },
  eval(p, [x], out) {
    const n = p.scale.length;
    for (let i = 0; i < out.length; i++) { const j = i % n; out[i] = x[i] * p.scale[j] + p.shift[j]; }
  },
  backward(p, _ins, _out, g, [gx]) {
    const n = p.scale.length;
    for (let i = 0; i < g.length; i++) gx[i] += g[i] * p.scale[i % n];
  },
  isAffine: () => true,
  absForward(p, [m], out) {
    const n = p.scale.length;
    for (let i = 0; i < out.length; i++) out[i] = m[i] * Math.abs(p.scale[i % n]);
  },
  absOffset: (p) => p.shift.map(Math.abs),
  dotLength: () => 2,
  elementwiseAffine: (p) => ({ scale: p.scale, shift: p.shift }),
  toSpec(p, ctx) {
    const C = p.channels;
    const ones = new Float64Array(C).fill(1);
    const zeros = new Float64Array(C);
    const inputs = [
      ctx.inputs[0],
      ctx.addConst('scale', { shape: [C], data: p.a }),
      ctx.addConst('bias', { shape: [C], data: p.c }),
      ctx.addConst('mean', { shape: [C], data: zeros }),
      ctx.addConst('var', { shape: [C], data: ones }),
    ];
    // epsilon 0 with var 1 makes the written op compute exactly a·x + c.
    return [{ name: ctx.name, op: 'BatchNormalization', inputs, outputs: [ctx.output], attrs: { epsilon: 0 } }];
  },
};
