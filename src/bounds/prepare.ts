import type { Network, NetNode } from '../net/network.js';
import { MissingSemanticsError } from '../net/op.js';

/** Per-network facts the bound propagators reuse across calls (computed once, cached). */
export interface PreparedNet {
  net: Network;
  /** Per node: affine (J·in + offset), elementwise nonlinear with relax/interval, or neither. */
  kind: ('affine' | 'relax' | 'other')[];
  /** Per affine node: |offset| per output element (batch 1). */
  absOffset: (Float64Array | undefined)[];
  /** Per affine node: the offset f(0) per output element (batch 1), exact (eval on zeros). */
  offset: (Float64Array | undefined)[];
  /** Per node id in net.nodes: index of the node producing each value (−1 for inputs). */
  producer: Int32Array;
  /** Per value id: how many node inputs read it (a value read by exactly one node can be fused with it). */
  consumers: Int32Array;
}

const cache = new WeakMap<Network, PreparedNet>();

/** The ReLU-like nodes (ops with breakpoints 'relu', one input) of a network, in topological order. */
export function reluNodes(net: Network): number[] {
  const out: number[] = [];
  net.nodes.forEach((n, k) => { if (n.kind.breakpoints === 'relu' && n.inputs.length === 1) out.push(k); });
  return out;
}

/** Classify every node once; affine ops get their |offset| precomputed. */
export function prepare(net: Network): PreparedNet {
  let p = cache.get(net);
  if (p) return p;
  const kind: PreparedNet['kind'] = [];
  const absOffset: PreparedNet['absOffset'] = [];
  const offset: PreparedNet['offset'] = [];
  const producer = new Int32Array(net.values.length).fill(-1);
  const consumers = new Int32Array(net.values.length);
  net.nodes.forEach((n, k) => {
    producer[n.output] = k;
    for (const i of n.inputs) consumers[i]++;
    if (n.kind.isAffine?.(n.params) && n.kind.absForward && n.kind.absOffset) {
      kind.push('affine');
      absOffset.push(n.kind.absOffset(n.params));
      const off = new Float64Array(net.values[n.output].size);
      n.kind.eval(n.params, n.inputs.map((i) => new Float64Array(net.values[i].size)), off, 1);
      offset.push(off);
    } else if (n.kind.relax && n.kind.interval && n.inputs.length === 1) {
      kind.push('relax');
      absOffset.push(undefined);
      offset.push(undefined);
    } else {
      kind.push('other');
      absOffset.push(undefined);
      offset.push(undefined);
    }
  });
  p = { net, kind, absOffset, offset, producer, consumers };
  cache.set(net, p);
  return p;
}

/** Throw the one-line error for an op an analysis cannot handle. */
export function unsupported(node: NetNode, analysis: string): never {
  throw new MissingSemanticsError(node.kind.onnx, node.name, analysis);
}
