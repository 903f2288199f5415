import { buildNetwork, type Network } from '../../src/net/network.js';
import { GraphBuilder } from './random_net.js';
import type { SplitSet } from '../../src/bounds/types.js';
import { affineForms, clip, compileExact, Q, qVec, type Form } from './exact.js';

function formAt(f: Form, p: readonly Q[]): Q {
  let s = f.k;
  for (let i = 0; i < p.length; i++) if (f.c[i].n !== 0n) s = s.add(f.c[i].mul(p[i]));
  return s;
}

function formScale(f: Form, a: Q): Form {
  return { c: f.c.map((v) => v.mul(a)), k: f.k.mul(a) };
}

/**
 * Exact minimum of each row of C·y + cOffset over {x in the box [lo, hi] : every split holds}
 * (splits: node index → signs of domain `d` of a batch of D, +1 for input ≥ 0, −1 for ≤ 0), for a
 * piecewise-linear network of 1 or 2 inputs: the box is cut into convex polygons on which every
 * ReLU input keeps its sign (splits clip them), the network is affine on each, and the minimum is
 * at a vertex. Returns null when no input satisfies the splits (the set is empty).
 */
export function exactMinUnderSplits(net: Network, lo: ArrayLike<number>, hi: ArrayLike<number>, C: Float64Array, cOffset: Float64Array, splits: SplitSet, d = 0): Q[] | null {
  const ex = compileExact(net);
  const n = net.inputSize;
  if (n !== 1 && n !== 2) throw new Error('exactMinUnderSplits: only 1 or 2 inputs');
  const L = qVec(lo), H = qVec(hi);
  const box: Q[][] = n === 1 ? [[L[0]], [H[0]]] : [[L[0], L[1]], [H[0], L[1]], [H[0], H[1]], [L[0], H[1]]];
  const m = net.outputSize, R = C.length / m;
  let min: Q[] | null = null;
  interface Task { k: number; e: number; poly: Q[][]; vals: Form[][]; out: Form[] }
  const start: Form[][] = new Array(net.values.length);
  start[net.inputIds[0]] = Array.from({ length: n }, (_, i) => ({ c: Array.from({ length: n }, (_, k) => (k === i ? Q.ONE : Q.ZERO)), k: Q.ZERO }));
  const stack: Task[] = [{ k: 0, e: 0, poly: box, vals: start, out: [] }];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t.k === ex.nodes.length) {
      const y = t.vals[net.outputIds[0]];
      for (const p of t.poly) {
        const yv = y.map((f) => formAt(f, p));
        const v = Array.from({ length: R }, (_, r) => {
          let s = Q.fromFloat(cOffset[r]);
          for (let j = 0; j < m; j++) if (C[r * m + j] !== 0) s = s.add(Q.fromFloat(C[r * m + j]).mul(yv[j]));
          return s;
        });
        if (!min) min = v;
        else for (let r = 0; r < R; r++) if (v[r].lt(min[r])) min[r] = v[r];
      }
      continue;
    }
    const nd = ex.nodes[t.k];
    if (nd.kind === 'affine') {
      const vals = t.vals.slice();
      vals[nd.output] = affineForms(nd, nd.input.map((i) => t.vals[i]), n);
      stack.push({ k: t.k + 1, e: 0, poly: t.poly, vals, out: [] });
      continue;
    }
    if (t.e === nd.outSize) {
      const vals = t.vals.slice();
      vals[nd.output] = t.out;
      stack.push({ k: t.k + 1, e: 0, poly: t.poly, vals, out: [] });
      continue;
    }
    const f = t.vals[nd.input[0]][t.e];
    const neg = formScale(f, nd.alpha);
    const sg = splits.get(t.k);
    const s = sg ? sg[d * nd.outSize + t.e] : 0;
    const pos = s < 0 ? [] : clip(t.poly, f);
    const negPoly = s > 0 ? [] : clip(t.poly, formScale(f, Q.int(-1)));
    if (pos.length > 0) stack.push({ ...t, poly: pos, e: t.e + 1, out: [...t.out, f] });
    if (negPoly.length > 0) stack.push({ ...t, poly: negPoly, e: t.e + 1, out: [...t.out, neg] });
  }
  return min;
}

/** One dense layer given explicitly (float64 weights W: out × in, bias b), optionally followed by ReLU. */
export interface DenseLayer { W: number[][]; b: number[]; relu?: boolean }

/** A float64 dense network from explicit layers: Gemm(transB) [→ Relu] per layer. */
export function denseFromLayers(layers: DenseLayer[], source = 'hand-made'): Network {
  const n = layers[0].W[0].length;
  const g = new GraphBuilder({ seed: 0, float32: false, source }, { name: 'input', shape: [1, n], dtype: 'float64' });
  let cur = 'input';
  layers.forEach((l, i) => {
    const w = g.constant(`fc${i}.weight`, [l.W.length, n === 0 ? 0 : l.W[0].length], l.W.flat());
    const b = g.constant(`fc${i}.bias`, [l.W.length], l.b);
    cur = g.node('Gemm', `fc${i}`, [cur, w, b], { transB: 1 });
    if (l.relu) cur = g.node('Relu', `relu${i}`, [cur]);
  });
  return buildNetwork(g.finish(cur, 'hand-made'));
}
