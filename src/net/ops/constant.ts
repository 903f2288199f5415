import type { ConstTensor, OpKind } from '../op.js';

interface ConstantParams { value: ConstTensor }

/** ONNX Constant: value (tensor), value_float(s) or value_int(s). Folded away at load time. */
export const Constant: OpKind<ConstantParams> = {
  onnx: 'Constant',
  build(ctx) {
    const keys = Object.keys(ctx.attrs);
    if (keys.length !== 1) throw new Error('Constant needs exactly one value attribute');
    const k = keys[0];
    const v = ctx.attrs[k];
    let t: ConstTensor;
    if (k === 'value' && typeof v === 'object' && !Array.isArray(v)) t = v;
    else if ((k === 'value_float' || k === 'value_int') && typeof v === 'number') t = { shape: [], data: Float64Array.of(v) };
    else if ((k === 'value_floats' || k === 'value_ints') && Array.isArray(v)) t = { shape: [v.length], data: Float64Array.from(v as number[]) };
    else throw new Error(`unsupported attribute '${k}'`);
    for (const x of t.data) if (!Number.isFinite(x)) throw new Error(`constant holds a non-finite value (${x})`);
    return { shape: t.shape, params: { value: t }, dynamic: [], constant: t };
  },
  eval(p, _ins, out) {
    out.set(p.value.data);
  },
  backward() {},
  toSpec(p, ctx) {
    return [{ name: ctx.name, op: 'Constant', inputs: [], outputs: [ctx.output], attrs: { value: p.value } }];
  },
};
