import type { OpKind } from '../op.js';
import { attrInt, checkAttrs } from '../network.js';
import { sizeOf } from '../op.js';
import { normAxis } from './broadcast_impl.js';
import { affineLipschitz } from './lipschitz_impl.js';

interface GatherParams {
  /** Per output element (batch 1), the input element it copies. */
  src: Int32Array;
  axis: number;
  indices: { shape: number[]; data: Float64Array };
}

/** ONNX Gather with constant indices (negative indices count from the end): a selection of elements. */
export const Gather: OpKind<GatherParams> = {
  onnx: 'Gather',
  lipschitz: affineLipschitz<GatherParams>((p, g, gIns, batch) => Gather.backward(p, [], g, g, gIns, batch)),
  build(ctx) {
    checkAttrs(ctx.attrs, ['axis']);
    const [x, ind] = ctx.inputs;
    if (!x || !ind) throw new Error('Gather takes data and indices');
    if (!ind.value) throw new Error('data-dependent indices are not supported');
    const r = x.shape.length;
    const axis = normAxis(attrInt(ctx.attrs, 'axis', 0), r);
    const n = x.shape[axis];
    const idx = Array.from(ind.value.data, (v) => {
      const k = v < 0 ? v + n : v;
      if (!Number.isInteger(k) || k < 0 || k >= n) throw new Error(`index ${v} is out of range for axis ${axis} of size ${n}`);
      return k;
    });
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
    const src = new Int32Array(sizeOf(shape));
    let o = 0;
    for (let a = 0; a < outer; a++) for (const k of idx) for (let i = 0; i < inner; i++) src[o++] = (a * n + k) * inner + i;
    return { shape, params: { src, axis, indices: ind.value }, dynamic: [0] };
  },
  eval(p, [x], out, batch) {
    const m = p.src.length, n = x.length / batch;
    for (let s = 0; s < batch; s++) for (let i = 0; i < m; i++) out[s * m + i] = x[s * n + p.src[i]];
  },
  backward(p, _ins, _out, g, [gx], batch) {
    const m = p.src.length, n = gx.length / batch;
    for (let s = 0; s < batch; s++) for (let i = 0; i < m; i++) gx[s * n + p.src[i]] += g[s * m + i];
  },
  isAffine: () => true,
  absForward(p, [m], out, batch) {
    Gather.eval(p, [m], out, batch);
  },
  absOffset: (p) => new Float64Array(p.src.length),
  dotLength: () => 1,
  toSpec(p, ctx) {
    const ind = ctx.addConst('indices', { ...p.indices, dtype: 'int64' });
    return [{ name: ctx.name, op: 'Gather', inputs: [ctx.inputs[0], ind], outputs: [ctx.output], attrs: { axis: p.axis } }];
  },
};
