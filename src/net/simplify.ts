import { Network, type NetNode, type ValueInfo } from './network.js';

/** What the simplifier did, for `lipcert info` and the tests. */
export interface SimplifyReport {
  foldedIntoPrevious: number;
  foldedIntoNext: number;
}

/**
 * Fold constant elementwise affine ops (Add/Sub/Mul/Div by a constant, BatchNormalization)
 * into a neighbouring affine op (Gemm, MatMul, Conv), through reshape-only ops in between.
 * The network computes the same function in real arithmetic; in floating point a folded
 * weight may differ in its last bits (W/σ instead of x/σ·W), which is why bounds built on
 * the folded network carry their own rounding-error terms and witnesses are re-checked on
 * the network as loaded. Constant subgraphs (Shape→Gather→Concat→Reshape) were already
 * folded when the network was built.
 */
export function simplify(net: Network): { net: Network; report: SimplifyReport } {
  let nodes: NetNode[] = net.nodes.map((n) => ({ ...n, inputs: n.inputs.slice() }));
  const report: SimplifyReport = { foldedIntoPrevious: 0, foldedIntoNext: 0 };
  const isOutput = new Set(net.outputIds);
  const consumers = (id: number) => nodes.filter((n) => n.inputs.includes(id));
  const producer = (id: number) => nodes.find((n) => n.output === id);

  let changed = true;
  while (changed) {
    changed = false;
    for (let k = nodes.length - 1; k >= 0 && !changed; k--) {
      const e = nodes[k];
      if (!e.kind.elementwiseAffine || e.inputs.length !== 1) continue;
      const inId = e.inputs[0];
      const inSize = net.values[inId].size;
      const affine = e.kind.elementwiseAffine(e.params, inSize);
      if (!affine || affine.scale.length !== inSize) continue;

      // (a) into the producer: P then E becomes P'.
      const p = producer(inId);
      if (p && p.kind.absorbAfter && !isOutput.has(inId) && consumers(inId).length === 1) {
        const params = p.kind.absorbAfter(p.params, affine, inSize);
        if (params) {
          p.params = params;
          p.output = e.output;
          nodes = nodes.filter((n) => n !== e);
          report.foldedIntoPrevious++;
          changed = true;
          continue;
        }
      }
      // (b) into the consumer, through reshape-only nodes: E, R…, Q becomes R…, Q'.
      if (isOutput.has(e.output)) continue;
      let cur = e.output;
      let first: NetNode | undefined;
      let q: NetNode | undefined;
      for (;;) {
        const cs = consumers(cur);
        if (cs.length !== 1 || cs[0].inputs.length !== 1) break;
        first ??= cs[0];
        if (cs[0].kind.reshapeOnly && !isOutput.has(cs[0].output)) { cur = cs[0].output; continue; }
        q = cs[0];
        break;
      }
      if (q && first && q.kind.absorbBefore) {
        const params = q.kind.absorbBefore(q.params, affine, inSize);
        if (params) {
          q.params = params;
          first.inputs = first.inputs.map((i) => (i === e.output ? inId : i));
          nodes = nodes.filter((n) => n !== e);
          report.foldedIntoNext++;
          changed = true;
        }
      }
    }
  }
  return { net: compact(new Network(net.values, nodes, net.inputIds, net.outputIds, net.meta)), report };
}

/**
 * Renumber the values canonically — inputs first, then node outputs in topological order —
 * dropping values no node produces or reads. Value ids then depend only on the node list, so a
 * network rebuilt from its own export (as worker threads do) numbers its values identically.
 */
export function compact(net: Network): Network {
  const map = new Map<number, number>();
  const values: ValueInfo[] = [];
  const keep = (id: number) => {
    if (!map.has(id)) { map.set(id, values.length); values.push(net.values[id]); }
    return map.get(id)!;
  };
  const inputIds = net.inputIds.map(keep);
  const nodes = net.nodes.map((n) => {
    const inputs = n.inputs.map(keep);
    return { ...n, inputs, output: keep(n.output) };
  });
  const outputIds = net.outputIds.map(keep);
  return new Network(values, nodes, inputIds, outputIds, net.meta);
}
