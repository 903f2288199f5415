import type { ElementwiseAffine, OpKind } from '../op.js';
import { attrInt, attrInts, checkAttrs } from '../network.js';
import { affineLipschitz } from './lipschitz_impl.js';

interface ConvParams {
  C: number; H: number; W: number;
  M: number; OH: number; OW: number;
  kH: number; kW: number;
  sH: number; sW: number;
  dH: number; dW: number;
  padT: number; padL: number; padB: number; padR: number;
  group: number;
  /** M × (C/group) × kH × kW */
  weight: Float64Array;
  bias: Float64Array;
}

/** |W| with no bias, per params object: built once, reused by every bounding call. */
const absParams = new WeakMap<ConvParams, ConvParams>();

/** Output size and leading pad of one spatial axis under ONNX auto_pad rules. */
function axisPads(autoPad: string, inSize: number, k: number, s: number, d: number, p0: number, p1: number): [number, number, number] {
  const ek = (k - 1) * d + 1;
  if (autoPad === 'VALID') return [Math.floor((inSize - ek) / s) + 1, 0, 0];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const out = Math.ceil(inSize / s);
    const total = Math.max(0, (out - 1) * s + ek - inSize);
    const small = Math.floor(total / 2);
    return autoPad === 'SAME_UPPER' ? [out, small, total - small] : [out, total - small, small];
  }
  return [Math.floor((inSize + p0 + p1 - ek) / s) + 1, p0, p1];
}

/** ONNX Conv, 2-D (NCHW): pads, strides, dilations, groups, auto_pad; constant weight and bias. */
export const Conv: OpKind<ConvParams> = {
  onnx: 'Conv',
  lipschitz: affineLipschitz<ConvParams>((p, g, gIns, batch) => Conv.backward(p, [], g, g, gIns, batch)),
  build(ctx) {
    checkAttrs(ctx.attrs, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
    const [x, w, b] = ctx.inputs;
    if (!x || !w) throw new Error('Conv takes X and W');
    if (!w.value) throw new Error('a data-dependent weight is not supported');
    if (b && !b.value) throw new Error('a data-dependent bias is not supported');
    if (x.shape.length !== 4 || w.shape.length !== 4) throw new Error(`only 2-D convolution (rank-4 X and W) is supported, got X [${x.shape}], W [${w.shape}]`);
    const [, C, H, Wd] = x.shape;
    const [M, Cg, kH, kW] = w.shape;
    const group = attrInt(ctx.attrs, 'group', 1);
    if (group < 1 || C % group !== 0 || M % group !== 0 || Cg !== C / group) throw new Error(`group ${group} does not fit ${C} input and ${M} output channels (W is [${w.shape}])`);
    const ks = attrInts(ctx.attrs, 'kernel_shape');
    if (ks && (ks[0] !== kH || ks[1] !== kW)) throw new Error(`kernel_shape [${ks}] differs from the weight's [${kH},${kW}]`);
    const [sH, sW] = attrInts(ctx.attrs, 'strides', [1, 1])!;
    const [dH, dW] = attrInts(ctx.attrs, 'dilations', [1, 1])!;
    const pads = attrInts(ctx.attrs, 'pads', [0, 0, 0, 0])!;
    if (pads.length !== 4) throw new Error(`pads must have 4 values, got [${pads}]`);
    const ap = typeof ctx.attrs.auto_pad === 'string' ? ctx.attrs.auto_pad : 'NOTSET';
    if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(ap)) throw new Error(`unknown auto_pad '${ap}'`);
    const [OH, padT, padB] = axisPads(ap, H, kH, sH, dH, pads[0], pads[2]);
    const [OW, padL, padR] = axisPads(ap, Wd, kW, sW, dW, pads[1], pads[3]);
    if (OH < 1 || OW < 1) throw new Error('the output would be empty');
    if (b && b.value!.data.length !== M) throw new Error(`bias has ${b.value!.data.length} values for ${M} output channels`);
    const bias = b ? Float64Array.from(b.value!.data) : new Float64Array(M);
    return {
      shape: [x.shape[0], M, OH, OW],
      params: { C, H, W: Wd, M, OH, OW, kH, kW, sH, sW, dH, dW, padT, padL, padB, padR, group, weight: Float64Array.from(w.value.data), bias },
      dynamic: [0],
    };
  },
  eval(p, [x], out, batch) {
    const { C, H, W, M, OH, OW, kH, kW, sH, sW, dH, dW, padT, padL, group } = p;
    const Cg = C / group, Mg = M / group, inSize = C * H * W, outSize = M * OH * OW;
    for (let s = 0; s < batch; s++) {
      const xo = s * inSize, oo = s * outSize;
      for (let m = 0; m < M; m++) {
        const ob = oo + m * OH * OW;
        const bm = p.bias[m];
        for (let i = 0; i < OH * OW; i++) out[ob + i] = bm;
        const g = Math.floor(m / Mg);
        for (let cc = 0; cc < Cg; cc++) {
          const c = g * Cg + cc;
          const xb = xo + c * H * W;
          for (let ki = 0; ki < kH; ki++) for (let kj = 0; kj < kW; kj++) {
            const w = p.weight[((m * Cg + cc) * kH + ki) * kW + kj];
            if (w === 0) continue;
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * sH - padT + ki * dH;
              if (ih < 0 || ih >= H) continue;
              const xr = xb + ih * W, orow = ob + oh * OW;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * sW - padL + kj * dW;
                if (iw >= 0 && iw < W) out[orow + ow] += w * x[xr + iw];
              }
            }
          }
        }
      }
    }
  },
  backward(p, _ins, _out, gOut, [gx], batch) {
    const { C, H, W, M, OH, OW, kH, kW, sH, sW, dH, dW, padT, padL, group } = p;
    const Cg = C / group, Mg = M / group, inSize = C * H * W, outSize = M * OH * OW;
    for (let s = 0; s < batch; s++) {
      const xo = s * inSize, oo = s * outSize;
      for (let m = 0; m < M; m++) {
        const ob = oo + m * OH * OW;
        const g = Math.floor(m / Mg);
        for (let cc = 0; cc < Cg; cc++) {
          const xb = xo + (g * Cg + cc) * H * W;
          for (let ki = 0; ki < kH; ki++) for (let kj = 0; kj < kW; kj++) {
            const w = p.weight[((m * Cg + cc) * kH + ki) * kW + kj];
            if (w === 0) continue;
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * sH - padT + ki * dH;
              if (ih < 0 || ih >= H) continue;
              const xr = xb + ih * W, orow = ob + oh * OW;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * sW - padL + kj * dW;
                if (iw >= 0 && iw < W) gx[xr + iw] += w * gOut[orow + ow];
              }
            }
          }
        }
      }
    }
  },
  isAffine: () => true,
  absForward(p, ms, out, batch) {
    let abs = absParams.get(p);
    if (!abs) absParams.set(p, (abs = { ...p, weight: p.weight.map(Math.abs), bias: new Float64Array(p.M) }));
    Conv.eval(abs, ms, out, batch);
  },
  absOffset(p) {
    const plane = p.OH * p.OW, out = new Float64Array(p.M * plane);
    for (let m = 0; m < p.M; m++) out.fill(Math.abs(p.bias[m]), m * plane, (m + 1) * plane);
    return out;
  },
  dotLength: (p) => (p.C / p.group) * p.kH * p.kW + 1,
  /** Absorbs a per-channel affine map after the convolution (BatchNorm folding). */
  absorbAfter(p, a: ElementwiseAffine) {
    const plane = p.OH * p.OW;
    const per = p.weight.length / p.M;
    const weight = new Float64Array(p.weight.length), bias = new Float64Array(p.M);
    for (let m = 0; m < p.M; m++) {
      const s = a.scale[m * plane], t = a.shift[m * plane];
      for (let i = 1; i < plane; i++) if (a.scale[m * plane + i] !== s || a.shift[m * plane + i] !== t) return null;
      for (let i = 0; i < per; i++) weight[m * per + i] = p.weight[m * per + i] * s;
      bias[m] = p.bias[m] * s + t;
    }
    return { ...p, weight, bias };
  },
  toSpec(p, ctx) {
    const Cg = p.C / p.group;
    const w = ctx.addConst('weight', { shape: [p.M, Cg, p.kH, p.kW], data: p.weight });
    const b = ctx.addConst('bias', { shape: [p.M], data: p.bias });
    return [{
      name: ctx.name, op: 'Conv', inputs: [ctx.inputs[0], w, b], outputs: [ctx.output],
      attrs: {
        kernel_shape: [p.kH, p.kW], strides: [p.sH, p.sW], dilations: [p.dH, p.dW],
        pads: [p.padT, p.padL, p.padB, p.padR], group: p.group,
      },
    }];
  },
};
