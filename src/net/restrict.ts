/**
 * A network restricted to its free inputs: x ↦ f(E·x + x_fixed), where E puts the k free
 * values into their places of the full input and x_fixed holds the fixed ones. Built as the
 * original graph with a Gemm (k → n, 0/1 weights, the fixed values as bias) and a Reshape in
 * front, so every analysis runs on it unchanged. In real arithmetic it is exactly the
 * original network on the slice (each full-input entry is one free value times 1, or a fixed
 * value plus 0), so bounds proved on it are bounds of the original; its k-dimensional inputs
 * make forward-mode bounds cheap when only a few of many inputs vary (pixels of an image).
 */
import { buildNetwork, Network, networkToSpec } from './network.js';
import type { GraphSpec } from './graph.js';

export interface Restricted {
  net: Network;
  free: number[];
  base: Float64Array;
  /** Full inputs (count × n) from free ones (count × k): exact copies of the values. */
  embed(x: Float64Array, count: number): Float64Array;
  /** The full input of one point given by its k free values. */
  lift(x: ArrayLike<number>): Float64Array;
}

/** The network on the free inputs only (the others fixed at `base`; at least one free input). */
export function restrictToFree(net: Network, free: number[], base: Float64Array): Restricted {
  const spec = networkToSpec(net);
  const input = spec.inputs[0];
  const n = net.inputSize, k = free.length;
  const used = new Set<string>([...spec.initializers.map((i) => i.name), ...spec.nodes.flatMap((nd) => [...nd.inputs, ...nd.outputs]), input.name]);
  const fresh = (name: string) => { let s = name; for (let q = 1; used.has(s); q++) s = `${name}_${q}`; used.add(s); return s; };
  const freeName = fresh(`${input.name}.free`), wName = fresh('reach.embed.weight'), bName = fresh('reach.embed.bias');
  const W = new Float64Array(n * k), b = new Float64Array(n);
  free.forEach((i, j) => { W[i * k + j] = 1; });
  const isFree = new Uint8Array(n);
  for (const i of free) isFree[i] = 1;
  for (let i = 0; i < n; i++) if (!isFree[i]) b[i] = base[i];
  const flat = input.shape.length === 2 && input.shape[0] === 1;
  const gemmOut = flat ? input.name : fresh(`${input.name}.flat`);
  const pre: GraphSpec['nodes'] = [{ name: fresh('reach.embed'), op: 'Gemm', inputs: [freeName, wName, bName], outputs: [gemmOut], attrs: { transB: 1 } }];
  const inits: GraphSpec['initializers'] = [
    { name: wName, tensor: { shape: [n, k], data: W, dtype: 'float64' } },
    { name: bName, tensor: { shape: [n], data: b, dtype: 'float64' } },
  ];
  if (!flat) {
    const sName = fresh('reach.embed.shape');
    inits.push({ name: sName, tensor: { shape: [input.shape.length], data: Float64Array.from(input.shape), dtype: 'int64' } });
    pre.push({ name: fresh('reach.embed.reshape'), op: 'Reshape', inputs: [gemmOut, sName], outputs: [input.name], attrs: {} });
  }
  const restricted: GraphSpec = {
    ...spec,
    inputs: [{ name: freeName, shape: [1, k], dtype: 'float64' }],
    initializers: [...inits, ...spec.initializers],
    nodes: [...pre, ...spec.nodes],
  };
  const rnet = buildNetwork(restricted, { ...net.meta, inputDtype: 'float64', inputRanges: undefined });
  const embed = (x: Float64Array, count: number): Float64Array => {
    const out = new Float64Array(count * n);
    for (let c = 0; c < count; c++) {
      out.set(base, c * n);
      for (let j = 0; j < k; j++) out[c * n + free[j]] = x[c * k + j];
    }
    return out;
  };
  return { net: rnet, free, base, embed, lift: (x) => embed(Float64Array.from(x), 1) };
}

/** The free coordinates of a box (lo < hi), in order. */
export function freeCoordinatesOf(lo: ArrayLike<number>, hi: ArrayLike<number>): number[] {
  const free: number[] = [];
  for (let i = 0; i < lo.length; i++) if (lo[i] < hi[i]) free.push(i);
  return free;
}

/** The network restricted to the free coordinates of a box (the fixed ones at their value); the box must have one. */
export function restrictToBox(net: Network, lo: Float64Array, hi: Float64Array): Restricted {
  return restrictToFree(net, freeCoordinatesOf(lo, hi), lo);
}
