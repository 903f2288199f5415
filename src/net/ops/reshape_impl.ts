import type { Attrs, Built, ConstTensor, ExportContext, OpKind, SpecNode } from '../op.js';
import { sizeOf } from '../op.js';
import { reshapeLipschitz } from './lipschitz_impl.js';

/** Params of an op that keeps its input's elements in C order and only changes the shape. */
export interface ReshapeParams {
  op: string;
  shape: number[];
  attrs: Attrs;
}

/** A built reshape-only node reading input 0. */
export function reshapeBuilt(op: string, inShape: number[], shape: number[], attrs: Attrs = {}): Built<ReshapeParams> {
  if (sizeOf(inShape) !== sizeOf(shape)) throw new Error(`cannot reshape [${inShape}] (${sizeOf(inShape)} elements) to [${shape}] (${sizeOf(shape)} elements)`);
  return { shape, params: { op, shape, attrs }, dynamic: [0] };
}

/** Write as Reshape to the static (batch-1) output shape: valid for Reshape, Squeeze and Unsqueeze. */
export function reshapeToSpec(p: ReshapeParams, ctx: ExportContext): SpecNode[] {
  const t: ConstTensor = { shape: [p.shape.length], data: Float64Array.from(p.shape), dtype: 'int64' };
  return [{ name: ctx.name, op: 'Reshape', inputs: [ctx.inputs[0], ctx.addConst('shape', t)], outputs: [ctx.output], attrs: {} }];
}

/** Write as Identity. */
export function identityToSpec(_p: ReshapeParams, ctx: ExportContext): SpecNode[] {
  return [{ name: ctx.name, op: 'Identity', inputs: [ctx.inputs[0]], outputs: [ctx.output], attrs: {} }];
}

/** The shared members of every reshape-only op: copy forward, copy the gradient back. */
export const reshapeSemantics: Pick<OpKind<ReshapeParams>, 'eval' | 'backward' | 'reshapeOnly' | 'isAffine' | 'absForward' | 'absOffset' | 'dotLength' | 'lipschitz'> = {
  reshapeOnly: true,
  lipschitz: reshapeLipschitz,
  isAffine: () => true,
  absForward(_p, [m], out) {
    out.set(m);
  },
  absOffset: (p) => new Float64Array(sizeOf(p.shape)),
  dotLength: () => 1,
  eval(_p, [x], out) {
    out.set(x);
  },
  backward(_p, _ins, _out, g, [gx]) {
    for (let i = 0; i < g.length; i++) gx[i] += g[i];
  },
};

/** A constant integer list from a shape-like input (Reshape's shape, Unsqueeze's axes, ...). */
export function constInts(t: ConstTensor | undefined, what: string): number[] {
  if (!t) throw new Error(`${what} must be a constant (a data-dependent ${what} is not supported)`);
  return Array.from(t.data, (v) => {
    if (!Number.isInteger(v)) throw new Error(`${what} holds a non-integer ${v}`);
    return v;
  });
}
