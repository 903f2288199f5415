import type { Network } from './network.js';
import { networkToSpec } from './network.js';

/** A description of a network for `lipcert info` (plain data; the JSON shape is in the README). */
export interface NetworkSummary {
  file: string;
  producer: string | null;
  opset: number;
  inputs: { name: string; shape: number[]; dtype: string }[];
  outputs: { name: string; shape: number[] }[];
  input_size: number;
  output_size: number;
  nodes: number;
  ops: Record<string, number>;
  parameters: number;
  relus: number;
  layers: { name: string; op: string; shape: number[] }[];
}

/** Summarise a network: exact counts of nodes per op, parameters and ReLU-like units. */
export function summarize(net: Network): NetworkSummary {
  const ops: Record<string, number> = {};
  let relus = 0;
  for (const n of net.nodes) {
    ops[n.kind.onnx] = (ops[n.kind.onnx] ?? 0) + 1;
    if (n.kind.breakpoints) relus += net.values[n.output].size;
  }
  // Parameters are what the network stores: count them as the writers would emit them.
  const spec = networkToSpec(net);
  let parameters = 0;
  for (const i of spec.initializers) if (!i.tensor.dtype || i.tensor.dtype.startsWith('float')) parameters += i.tensor.data.length;
  return {
    file: net.meta.source,
    producer: net.meta.producer ?? null,
    opset: net.meta.opset,
    inputs: net.inputIds.map((i) => ({ name: net.values[i].name, shape: net.values[i].shape, dtype: net.meta.inputDtype })),
    outputs: net.outputIds.map((i) => ({ name: net.values[i].name, shape: net.values[i].shape })),
    input_size: net.inputSize,
    output_size: net.outputSize,
    nodes: net.nodes.length,
    ops,
    parameters,
    relus,
    layers: net.nodes.map((n) => ({ name: n.name, op: n.kind.onnx, shape: net.values[n.output].shape })),
  };
}
