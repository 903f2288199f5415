import type { Network } from './network.js';
import { InputError } from './op.js';

/**
 * Float32 emulation of the forward pass: every node's result is rounded to float32 (and the
 * input too), as a float32 runtime stores it. Dot products are accumulated in float64 before
 * the rounding, so this is an emulation, not a bit-exact replay of any particular runtime; a
 * witness is reported only when both this and the float64 pass agree it violates the property.
 */
export function forward32(net: Network, x: Float64Array, batch = 1): Float64Array {
  if (x.length !== batch * net.inputSize) throw new InputError(`input has ${x.length} values; expected ${batch} × ${net.inputSize}`);
  const vals: Float64Array[] = new Array(net.values.length);
  vals[net.inputIds[0]] = x.map(Math.fround);
  for (const node of net.nodes) {
    const out = new Float64Array(batch * net.values[node.output].size);
    node.kind.eval(node.params, node.inputs.map((i) => vals[i]), out, batch);
    for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]);
    vals[node.output] = out;
  }
  return vals[net.outputIds[0]];
}
