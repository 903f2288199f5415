import type { Attrs, BuildContext, Built, ExportContext, SpecNode } from '../op.js';
import { checkAttrs } from '../network.js';

/** Params of an elementwise unary op: its size and its (already validated) attributes. */
export interface UnaryParams {
  op: string;
  size: number;
  alpha: number;
  attrs: Attrs;
}

/** Build an elementwise unary op with the given allowed attributes; `alpha` is read when allowed. */
export function buildUnary(ctx: BuildContext, allowed: readonly string[] = [], alphaDefault = 0): Built<UnaryParams> {
  const x = ctx.inputs[0];
  if (!x || ctx.inputs.length !== 1) throw new Error(`${ctx.op} takes exactly one input`);
  checkAttrs(ctx.attrs, allowed);
  const a = ctx.attrs.alpha;
  const alpha = typeof a === 'number' ? a : alphaDefault;
  let size = 1;
  for (const d of x.shape) size *= d;
  return { shape: x.shape.slice(), params: { op: ctx.op, size, alpha, attrs: ctx.attrs }, dynamic: [0] };
}

/** Write an elementwise op back unchanged. */
export function unaryToSpec(p: UnaryParams, ctx: ExportContext): SpecNode[] {
  return [{ name: ctx.name, op: p.op, inputs: [ctx.inputs[0]], outputs: [ctx.output], attrs: { ...p.attrs } }];
}
