/**
 * Exact maximum safe radii for the radius tests:
 * - linear classifiers y = W·x + c: the distance from x0 to the nearest decision hyperplane
 *   (y_j = y_label) inside the domain box, by HiGHS (an LP for L∞ and L1, a convex QP for L2);
 * - small ReLU networks: the L∞ MSR by one MILP per class (big-M, glpk.js), exact up to the
 *   solver's tolerances.
 */
import GLPK from 'glpk.js/node';
import loadHighs from 'highs';
import type { GraphSpec } from '../../src/net/graph.js';
import type { Norm } from '../../src/bounds/types.js';
import { Rng } from '../../src/util/rng.js';

/** A dense ReLU net given by its layers (weights row-major out × in, float32-exact). */
export interface DenseLayers {
  W: Float64Array[];
  b: Float64Array[];
  sizes: number[];
}

/** Random layers (He-scaled, float32-exact); no hidden layer = a linear classifier. */
export function randomLayers(seed: number, sizes: number[]): DenseLayers {
  const rng = new Rng(seed);
  const W: Float64Array[] = [], b: Float64Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [i, o] = [sizes[l], sizes[l + 1]];
    W.push(Float64Array.from({ length: o * i }, () => Math.fround(rng.normal() * Math.sqrt(2 / i))));
    b.push(Float64Array.from({ length: o }, () => Math.fround(0.1 * rng.normal())));
  }
  return { W, b, sizes };
}

/** The layers as a graph: Gemm (transB) and Relu between them. */
export function layersToSpec(L: DenseLayers, source = 'radius-test'): GraphSpec {
  const initializers: GraphSpec['initializers'] = [];
  const nodes: GraphSpec['nodes'] = [];
  let cur = 'input';
  for (let l = 0; l < L.W.length; l++) {
    const [i, o] = [L.sizes[l], L.sizes[l + 1]];
    initializers.push({ name: `W${l}`, tensor: { shape: [o, i], data: L.W[l] } });
    initializers.push({ name: `b${l}`, tensor: { shape: [o], data: L.b[l] } });
    nodes.push({ name: `fc${l}`, op: 'Gemm', inputs: [cur, `W${l}`, `b${l}`], outputs: [`z${l}`], attrs: { transB: 1 } });
    cur = `z${l}`;
    if (l + 1 < L.W.length) {
      nodes.push({ name: `relu${l}`, op: 'Relu', inputs: [cur], outputs: [`a${l}`], attrs: {} });
      cur = `a${l}`;
    }
  }
  return { inputs: [{ name: 'input', shape: [1, L.sizes[0]], dtype: 'float32' }], outputs: [cur], initializers, nodes, opset: 13, source };
}

const num = (v: number) => (Object.is(v, -0) ? '0' : String(v));
function lin(terms: [number, string][]): string {
  return terms.filter(([c]) => c !== 0).map(([c, v]) => `${c < 0 ? '-' : '+'} ${num(Math.abs(c))} ${v}`).join(' ') || '0 x0';
}

/**
 * The exact MSR of a linear classifier y = W·x + c at x0 for `label`, inside the domain box
 * (optional): min over j ≠ label of the distance to {x in domain : y_j ≥ y_label}, solved by
 * HiGHS (Infinity when no such x exists).
 */
export async function exactLinearMsr(W: Float64Array, c: Float64Array, x0: Float64Array, label: number, norm: Norm, domain?: { lo: number; hi: number }): Promise<number> {
  const highs = await loadHighs();
  const n = x0.length, m = c.length;
  let best = Infinity;
  for (let j = 0; j < m; j++) {
    if (j === label) continue;
    // Variables d_i = x_i − x0_i.
    const g = Array.from({ length: n }, (_, i) => W[j * n + i] - W[label * n + i]);
    let rhs = -(c[j] - c[label]);
    for (let i = 0; i < n; i++) rhs -= g[i] * x0[i];
    const dv = (i: number) => `d${i}`;
    const lines: string[] = [];
    const bounds: string[] = [];
    for (let i = 0; i < n; i++) {
      const lo = domain ? domain.lo - x0[i] : -Infinity, hi = domain ? domain.hi - x0[i] : Infinity;
      bounds.push(`${Number.isFinite(lo) ? num(lo) : '-inf'} <= ${dv(i)} <= ${Number.isFinite(hi) ? num(hi) : '+inf'}`);
    }
    lines.push(`margin: ${lin(g.map((gi, i) => [gi, dv(i)]))} >= ${num(rhs)}`);
    let obj: string;
    if (norm === '2') obj = `[ ${Array.from({ length: n }, (_, i) => `2 ${dv(i)}^2`).join(' + ')} ]/2`;
    else if (norm === 'inf') {
      obj = 't';
      for (let i = 0; i < n; i++) { lines.push(`p${i}: t - ${dv(i)} >= 0`); lines.push(`q${i}: t + ${dv(i)} >= 0`); }
      bounds.push('t >= 0');
    } else {
      obj = Array.from({ length: n }, (_, i) => `s${i}`).join(' + ');
      for (let i = 0; i < n; i++) { lines.push(`p${i}: s${i} - ${dv(i)} >= 0`); lines.push(`q${i}: s${i} + ${dv(i)} >= 0`); bounds.push(`s${i} >= 0`); }
    }
    const text = `Minimize\n obj: ${obj}\nSubject To\n ${lines.join('\n ')}\nBounds\n ${bounds.join('\n ')}\nEnd\n`;
    const res = highs.solve(text, { primal_feasibility_tolerance: 1e-10, dual_feasibility_tolerance: 1e-10 } as any);
    if (res.Status === 'Infeasible') continue;
    if (res.Status !== 'Optimal') throw new Error(`HiGHS: ${res.Status}`);
    const v = norm === '2' ? Math.sqrt(Math.max(0, res.ObjectiveValue)) : res.ObjectiveValue;
    best = Math.min(best, v);
  }
  return best;
}

/** Interval bounds of every layer's pre-activation over the box x0 ± T. */
function preBounds(L: DenseLayers, lo: Float64Array, hi: Float64Array): { lo: Float64Array; hi: Float64Array }[] {
  const out: { lo: Float64Array; hi: Float64Array }[] = [];
  let l0 = lo, h0 = hi;
  for (let l = 0; l < L.W.length; l++) {
    const [i, o] = [L.sizes[l], L.sizes[l + 1]];
    const zl = new Float64Array(o), zh = new Float64Array(o);
    for (let k = 0; k < o; k++) {
      let a = L.b[l][k], b = L.b[l][k];
      for (let t = 0; t < i; t++) { const w = L.W[l][k * i + t]; a += w > 0 ? w * l0[t] : w * h0[t]; b += w > 0 ? w * h0[t] : w * l0[t]; }
      zl[k] = a - 1e-9 * (1 + Math.abs(a)); zh[k] = b + 1e-9 * (1 + Math.abs(b));
    }
    out.push({ lo: zl, hi: zh });
    l0 = zl.map((v) => Math.max(0, v)); h0 = zh.map((v) => Math.max(0, v));
  }
  return out;
}

/**
 * The exact L∞ MSR of a ReLU net at x0 for `label`, capped at T (returns Infinity when no
 * adversarial input lies within T): one big-M MILP per class j, min t s.t. |x − x0| ≤ t,
 * y_j ≥ y_label.
 */
export async function exactReluLinfMsr(L: DenseLayers, x0: Float64Array, label: number, T: number): Promise<number> {
  const glpk = await GLPK();
  const n = L.sizes[0];
  const lo = x0.map((v) => v - T), hi = x0.map((v) => v + T);
  const pb = preBounds(L, lo, hi);
  let best = Infinity;
  const m = L.sizes[L.sizes.length - 1];
  for (let j = 0; j < m; j++) {
    if (j === label) continue;
    const subjectTo: any[] = [], bounds: any[] = [], binaries: string[] = [];
    for (let i = 0; i < n; i++) {
      bounds.push({ name: `x${i}`, type: glpk.GLP_DB, lb: lo[i], ub: hi[i] });
      subjectTo.push({ name: `p${i}`, vars: [{ name: 't', coef: 1 }, { name: `x${i}`, coef: -1 }], bnds: { type: glpk.GLP_LO, lb: -x0[i], ub: 0 } });
      subjectTo.push({ name: `q${i}`, vars: [{ name: 't', coef: 1 }, { name: `x${i}`, coef: 1 }], bnds: { type: glpk.GLP_LO, lb: x0[i], ub: 0 } });
    }
    bounds.push({ name: 't', type: glpk.GLP_DB, lb: 0, ub: T });
    let prev = Array.from({ length: n }, (_, i) => `x${i}`);
    for (let l = 0; l < L.W.length; l++) {
      const [ni, no] = [L.sizes[l], L.sizes[l + 1]];
      const last = l + 1 === L.W.length;
      const cur: string[] = [];
      for (let k = 0; k < no; k++) {
        const z = `z${l}_${k}`;
        subjectTo.push({ name: `def${l}_${k}`, vars: [{ name: z, coef: 1 }, ...prev.map((p, t) => ({ name: p, coef: -L.W[l][k * ni + t] }))], bnds: { type: glpk.GLP_FX, lb: L.b[l][k], ub: L.b[l][k] } });
        bounds.push({ name: z, type: glpk.GLP_FR, lb: 0, ub: 0 });
        if (last) { cur.push(z); continue; }
        const a = `a${l}_${k}`, s = `s${l}_${k}`;
        const zl = pb[l].lo[k], zh = pb[l].hi[k];
        if (zl >= 0) { subjectTo.push({ name: `eq${a}`, vars: [{ name: a, coef: 1 }, { name: z, coef: -1 }], bnds: { type: glpk.GLP_FX, lb: 0, ub: 0 } }); bounds.push({ name: a, type: glpk.GLP_FR, lb: 0, ub: 0 }); }
        else if (zh <= 0) { bounds.push({ name: a, type: glpk.GLP_FX, lb: 0, ub: 0 }); }
        else {
          bounds.push({ name: a, type: glpk.GLP_LO, lb: 0, ub: 0 });
          binaries.push(s);
          subjectTo.push({ name: `ge${a}`, vars: [{ name: a, coef: 1 }, { name: z, coef: -1 }], bnds: { type: glpk.GLP_LO, lb: 0, ub: 0 } });
          // a ≤ z − zl(1 − s)  ⇔  a − z − zl·s ≤ −zl
          subjectTo.push({ name: `le1${a}`, vars: [{ name: a, coef: 1 }, { name: z, coef: -1 }, { name: s, coef: -zl }], bnds: { type: glpk.GLP_UP, lb: 0, ub: -zl } });
          // a ≤ zh·s
          subjectTo.push({ name: `le2${a}`, vars: [{ name: a, coef: 1 }, { name: s, coef: -zh }], bnds: { type: glpk.GLP_UP, lb: 0, ub: 0 } });
        }
        cur.push(a);
      }
      prev = cur;
    }
    subjectTo.push({ name: 'adv', vars: [{ name: prev[j], coef: 1 }, { name: prev[label], coef: -1 }], bnds: { type: glpk.GLP_LO, lb: 0, ub: 0 } });
    const res = glpk.solve({ name: 'msr', objective: { direction: glpk.GLP_MIN, name: 'obj', vars: [{ name: 't', coef: 1 }] }, subjectTo, bounds, binaries }, { msglev: glpk.GLP_MSG_OFF, mipgap: 0, presol: true });
    if (res.result.status === glpk.GLP_OPT) best = Math.min(best, res.result.z);
    else if (res.result.status !== glpk.GLP_NOFEAS) throw new Error(`glpk status ${res.result.status}`);
  }
  return best;
}
