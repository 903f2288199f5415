/**
 * The exact local Lipschitz constant of g = row·y over a box for a small piecewise-linear
 * network (Relu / LeakyRelu with affine ops), by enumerating its linear regions: starting from
 * the activation patterns of sample points, a pattern's region {x ∈ box : each element on its
 * side} is kept when an LP (glpk.js) finds a ball of positive radius inside it, and its
 * neighbours (one element flipped) are explored. The constant is the largest ‖∇g‖_q over the
 * kept regions (q dual to p, over the free coordinates). Generic position is assumed (random
 * float weights): regions sharing a facet differ in one element. Values are float64 (the test
 * tolerance is 1 %).
 */
import GLPK from 'glpk.js/node';
import type { Norm } from '../../src/bounds/types.js';
import { forwardAll } from '../../src/net/forward.js';
import type { Network } from '../../src/net/network.js';
import type { UnaryParams } from '../../src/net/ops/unary_impl.js';
import { Rng } from '../../src/util/rng.js';

type Pattern = Map<number, Uint8Array>;

/** Evaluate the network at a batch with every kinked element forced to its pattern's side. */
function forcedForward(net: Network, x: Float64Array, batch: number, pattern: Pattern): { pre: Map<number, Float64Array>; out: Float64Array } {
  const vals: Float64Array[] = new Array(net.values.length);
  vals[net.inputIds[0]] = x;
  const pre = new Map<number, Float64Array>();
  net.nodes.forEach((node, k) => {
    const size = net.values[node.output].size;
    const out = new Float64Array(batch * size);
    if (node.kind.breakpoints === 'relu') {
      const xin = vals[node.inputs[0]];
      pre.set(k, xin);
      const p = pattern.get(k)!;
      const a = node.kind.onnx === 'Relu' ? 0 : (node.params as UnaryParams).alpha;
      for (let i = 0; i < out.length; i++) out[i] = p[i % size] ? xin[i] : a * xin[i];
    } else node.kind.eval(node.params, node.inputs.map((v) => vals[v]), out, batch);
    vals[node.output] = out;
  });
  return { pre, out: vals[net.outputIds[0]] };
}

function patternOf(net: Network, x: Float64Array): Pattern {
  const vals = forwardAll(net, x, 1);
  const p: Pattern = new Map();
  net.nodes.forEach((node, k) => {
    if (node.kind.breakpoints !== 'relu') return;
    const z = vals[node.inputs[0]];
    p.set(k, Uint8Array.from(z, (v) => (v > 0 ? 1 : 0)));
  });
  return p;
}

const keyOf = (p: Pattern) => [...p.values()].map((a) => a.join('')).join('|');

export interface ExactLipschitz {
  value: number;
  regions: number;
  /** A point inside the region of largest gradient norm. */
  argmax: Float64Array;
}

export async function exactLocalLipschitz(net: Network, lo: Float64Array, hi: Float64Array, row: Float64Array, norm: Norm, seedPoints = 400): Promise<ExactLipschitz> {
  const glpk = await GLPK();
  const n = net.inputSize, m = net.outputSize;
  const free = Array.from({ length: n }, (_, i) => i).filter((i) => lo[i] < hi[i]);
  const scale = Math.max(...free.map((i) => hi[i] - lo[i]), 1e-300);
  const rng = new Rng(7);
  const queue: Pattern[] = [];
  const seen = new Set<string>();
  const push = (p: Pattern) => { const k = keyOf(p); if (!seen.has(k)) { seen.add(k); queue.push(p); } };
  for (let s = 0; s < seedPoints; s++) {
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = lo[i] + (hi[i] - lo[i]) * rng.next();
    push(patternOf(net, x));
  }
  let best = 0, regions = 0;
  let argmax = Float64Array.from(lo);
  const q: Norm = norm === 'inf' ? '1' : norm === '1' ? 'inf' : '2';
  while (queue.length > 0) {
    const p = queue.pop()!;
    // Affine coefficients of every pre-activation and of the output under the pattern.
    const pts = new Float64Array((n + 1) * n);
    for (let i = 0; i < n; i++) pts[(i + 1) * n + i] = 1;
    const { pre, out } = forcedForward(net, pts, n + 1, p);
    const subjectTo: any[] = [];
    const elems: { k: number; j: number }[] = [];
    for (const [k, z] of pre) {
      const size = z.length / (n + 1);
      const side = p.get(k)!;
      for (let j = 0; j < size; j++) {
        const c = z[j];
        const a = free.map((i) => z[(i + 1) * size + j] - c);
        const fixedPart = Array.from({ length: n }, (_, i) => i).filter((i) => !(lo[i] < hi[i])).reduce((s, i) => s + (z[(i + 1) * size + j] - c) * lo[i], 0);
        const an = Math.sqrt(a.reduce((s, v) => s + v * v, 0));
        const sg = side[j] ? 1 : -1;
        if (an === 0) continue;
        elems.push({ k, j });
        // sg·(a·x + c + fixed) ≥ t·‖a‖  ⇔  sg·a·x − ‖a‖·t ≥ −sg·(c + fixed)
        subjectTo.push({ name: `r${k}_${j}`, vars: [...free.map((i, t) => ({ name: `x${i}`, coef: sg * a[t] })), { name: 't', coef: -an }], bnds: { type: glpk.GLP_LO, lb: -sg * (c + fixedPart), ub: 0 } });
      }
    }
    for (const i of free) {
      subjectTo.push({ name: `l${i}`, vars: [{ name: `x${i}`, coef: 1 }, { name: 't', coef: -1 }], bnds: { type: glpk.GLP_LO, lb: lo[i], ub: 0 } });
      subjectTo.push({ name: `h${i}`, vars: [{ name: `x${i}`, coef: 1 }, { name: 't', coef: 1 }], bnds: { type: glpk.GLP_UP, lb: 0, ub: hi[i] } });
    }
    const bounds = [...free.map((i) => ({ name: `x${i}`, type: glpk.GLP_FR, lb: 0, ub: 0 })), { name: 't', type: glpk.GLP_DB, lb: 0, ub: scale }];
    const res = glpk.solve({ name: 'region', objective: { direction: glpk.GLP_MAX, name: 'obj', vars: [{ name: 't', coef: 1 }] }, subjectTo, bounds }, { msglev: glpk.GLP_MSG_OFF });
    const t = res.result.status === glpk.GLP_OPT ? res.result.z : 0;
    if (!(t > 1e-9 * scale)) continue;
    regions++;
    // Gradient of row·y under the pattern.
    const grad = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let o = 0; o < m; o++) v += row[o] * (out[(i + 1) * m + o] - out[o]);
      grad[i] = v;
    }
    let g = 0;
    for (const i of free) {
      const a = Math.abs(grad[i]);
      if (q === 'inf') g = Math.max(g, a); else if (q === '1') g += a; else g += a * a;
    }
    if (q === '2') g = Math.sqrt(g);
    if (g > best) {
      best = g;
      argmax = Float64Array.from(lo);
      for (const i of free) argmax[i] = res.result.vars[`x${i}`];
    }
    for (const { k, j } of elems) {
      const flipped: Pattern = new Map([...p].map(([kk, a]) => [kk, kk === k ? Uint8Array.from(a) : a]));
      flipped.get(k)![j] ^= 1;
      push(flipped);
    }
  }
  return { value: best, regions, argmax };
}
