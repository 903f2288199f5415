import { giveBack, takeZeroed } from '../util/buffer_pool.js';
import { forwardAll, releaseValues } from './forward.js';
import type { Network } from './network.js';
import { InputError } from './op.js';

/**
 * Vector–Jacobian product of the network at a batch of points: returns the output (B × m)
 * and gᵀ·∂f/∂x for each sample (B × n), where `gOut` is B × m. Exact derivatives of the
 * float64 computation where the network is differentiable; at a ReLU kink the subgradient
 * each op documents.
 */
export function vjp(net: Network, x: Float64Array, gOut: Float64Array, batch = 1): { output: Float64Array; grad: Float64Array } {
  const vals = forwardAll(net, x, batch);
  const outId = net.outputIds[0];
  if (gOut.length !== batch * net.values[outId].size) throw new InputError(`output cotangent has ${gOut.length} values; expected ${batch} × ${net.values[outId].size}`);
  const grads: (Float64Array | undefined)[] = new Array(net.values.length);
  grads[outId] = Float64Array.from(gOut);
  for (let k = net.nodes.length - 1; k >= 0; k--) {
    const node = net.nodes[k];
    const g = grads[node.output];
    if (!g) continue; // does not reach the output
    const gIns = node.inputs.map((i) => (grads[i] ??= takeZeroed(batch * net.values[i].size)));
    node.kind.backward(node.params, node.inputs.map((i) => vals[i]), vals[node.output], g, gIns, batch);
  }
  const inId = net.inputIds[0];
  const output = vals[outId], grad = grads[inId] ?? new Float64Array(batch * net.values[inId].size);
  // Intermediate values and cotangents are dead now: their buffers go back to the pool.
  releaseValues(vals, x, output);
  for (const g of grads) if (g && g !== grad) giveBack(g);
  return { output, grad };
}

/** Gradient of one output coordinate (or of c·y for a weight vector c) at one input point. */
export function gradient(net: Network, x: ArrayLike<number>, c: number | ArrayLike<number>): Float64Array {
  const m = net.outputSize;
  const g = new Float64Array(m);
  if (typeof c === 'number') {
    if (!Number.isInteger(c) || c < 0 || c >= m) throw new InputError(`output index ${c} is out of range 0..${m - 1}`);
    g[c] = 1;
  } else g.set(c);
  return vjp(net, Float64Array.from(x), g, 1).grad;
}
