import { giveBack, takeZeroed } from '../util/buffer_pool.js';
import type { Network } from './network.js';
import { InputError } from './op.js';

/**
 * Exact float64 forward pass of a batch: `x` holds `batch` inputs back to back (B × inputSize);
 * returns every value of the network (index = value id), each B × size. Sample s of a batch
 * gets bit-for-bit the same result as evaluating it alone.
 */
export function forwardAll(net: Network, x: Float64Array, batch = 1): Float64Array[] {
  if (net.inputIds.length !== 1) throw new InputError(`${net.meta.source}: evaluation needs exactly one input, the model has ${net.inputIds.length}`);
  if (x.length !== batch * net.inputSize) {
    throw new InputError(`input has ${x.length} values; expected ${batch} × ${net.inputSize} (input '${net.input.name}' of shape [${net.input.shape}])`);
  }
  const vals: Float64Array[] = new Array(net.values.length);
  vals[net.inputIds[0]] = x;
  for (const node of net.nodes) {
    const out = takeZeroed(batch * net.values[node.output].size);
    node.kind.eval(node.params, node.inputs.map((i) => vals[i]), out, batch);
    vals[node.output] = out;
  }
  return vals;
}

/** Exact float64 forward pass: the (first) output for a batch of inputs, B × outputSize. */
export function forward(net: Network, x: Float64Array, batch = 1): Float64Array {
  const vals = forwardAll(net, x, batch);
  const out = vals[net.outputIds[0]];
  releaseValues(vals, x, out);
  return out;
}

/** Hand the buffers of a forward pass's values back to the pool, except `x` and `keep`. */
export function releaseValues(vals: (Float64Array | undefined)[], x: Float64Array, keep?: Float64Array): void {
  for (const v of vals) if (v && v !== x && v !== keep) giveBack(v);
}

/** Convenience: evaluate one input given as a plain array. */
export function evaluate(net: Network, x: ArrayLike<number>): Float64Array {
  return forward(net, Float64Array.from(x), 1);
}
