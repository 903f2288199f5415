import { Network } from '../net/network.js';
import type { DenseParams } from '../net/ops/dense_impl.js';
import { opKind } from '../net/registry.js';

/**
 * The network restricted to the free coordinates of a box (lo < hi): a new input of the k free
 * values feeds a Gemm x_full = P·x_free + x_fixed (P selects, x_fixed holds the fixed values and
 * 0 elsewhere) whose output is the original input value. Every product is 1·x or 0·x and every
 * sum adds zeros, so the Gemm is exact in float64 and the restricted network computes exactly
 * the original one on the box's slice; bounds, gradients and Lipschitz constants over the k free
 * coordinates carry over unchanged, and analyses whose cost grows with the input size (forward
 * linear bounds, Jacobians) pay for k inputs instead of n.
 */
export interface Restricted {
  net: Network;
  /** Indices of the free coordinates in the original input. */
  free: number[];
  /** The original input for free values x (k values). */
  lift(x: ArrayLike<number>): Float64Array;
}

export function restrictToFree(net: Network, lo: Float64Array, hi: Float64Array): Restricted {
  const n = net.inputSize;
  const free: number[] = [];
  for (let i = 0; i < n; i++) if (lo[i] < hi[i]) free.push(i);
  const k = free.length;
  const W = new Float64Array(n * k);
  const bias = new Float64Array(n);
  for (let i = 0; i < n; i++) if (!(lo[i] < hi[i])) bias[i] = lo[i];
  free.forEach((i, j) => { W[i * k + j] = 1; });
  const params: DenseParams = { mode: 'right', rows: 1, K: k, N: n, W, bias, transA: false, groups: 1 };
  const inId = net.values.length;
  const values = [...net.values, { name: `${net.input.name}:free`, shape: [1, k], size: k }];
  const node = { name: `${net.input.name}:scatter`, kind: opKind('Gemm')!, params, inputs: [inId], output: net.inputIds[0] };
  const restricted = new Network(values, [node, ...net.nodes], [inId], net.outputIds, net.meta);
  const lift = (x: ArrayLike<number>) => {
    const out = Float64Array.from(bias);
    free.forEach((i, j) => { out[i] = x[j]; });
    return out;
  };
  return { net: restricted, free, lift };
}
