/**
 * Exact (reference) minima and maxima for the reach tests:
 * - {@link milpExtreme}: min or max of c·y + d over a box for a dense ReLU network (Gemm/Relu
 *   chain from a GraphSpec), by a big-M MILP solved with HiGHS (tolerance ~1e-7 absolute).
 * - {@link gridExtreme}: for smooth networks, the min/max over a dense grid of a 1–3-D box
 *   together with a margin L·h (a crude but sound global Lipschitz bound times the grid's
 *   half-spacing), so the exact extreme lies in [grid − margin, grid] (min) and
 *   [grid, grid + margin] (max), up to float rounding.
 */
import type { GraphSpec } from '../../src/net/graph.js';
import type { Network } from '../../src/net/network.js';
import { forward } from '../../src/net/forward.js';
import { getHighs } from '../../src/bounds/lp.js';

interface DenseLayer { W: Float64Array; b: Float64Array; inSize: number; outSize: number; relu: boolean }

/** The Gemm(transB=1)/activation chain of a randomDense spec. */
export function denseLayers(spec: GraphSpec): { layers: DenseLayer[]; act: string } {
  const init = new Map(spec.initializers.map((i) => [i.name, i.tensor]));
  const layers: DenseLayer[] = [];
  let act = 'Identity';
  for (const nd of spec.nodes) {
    if (nd.op === 'Gemm') {
      const W = init.get(nd.inputs[1])!, b = init.get(nd.inputs[2])!;
      layers.push({ W: W.data, b: b.data, outSize: W.shape[0], inSize: W.shape[1], relu: false });
    } else {
      layers[layers.length - 1].relu = true;
      act = nd.op;
    }
  }
  return { layers, act };
}

const num = (v: number) => (Object.is(v, -0) ? '0' : v.toPrecision(17).replace('e+', 'e'));

/** Exact-ish min (sense 'min') or max of c·y + d over [lo, hi] for a dense ReLU net, by MILP. */
export async function milpExtreme(spec: GraphSpec, lo: Float64Array, hi: Float64Array, c: Float64Array, d: number, sense: 'min' | 'max'): Promise<number> {
  const { layers } = denseLayers(spec);
  const cons: string[] = [];
  const bounds: string[] = [];
  const bins: string[] = [];
  let cur = Array.from(lo, (_, i) => `x${i}`);
  let cl = Array.from(lo), cu = Array.from(hi);
  lo.forEach((l, i) => bounds.push(` ${num(l)} <= x${i} <= ${num(hi[i])}`));
  let k = 0;
  for (const L of layers) {
    const next: string[] = [], nl: number[] = [], nu: number[] = [];
    for (let o = 0; o < L.outSize; o++) {
      const z = `z${k}_${o}`;
      let terms = '';
      let zl = L.b[o], zu = L.b[o];
      for (let i = 0; i < L.inSize; i++) {
        const w = L.W[o * L.inSize + i];
        if (w === 0) continue;
        terms += ` ${w >= 0 ? '+' : '-'} ${num(Math.abs(w))} ${cur[i]}`;
        zl += w >= 0 ? w * cl[i] : w * cu[i];
        zu += w >= 0 ? w * cu[i] : w * cl[i];
      }
      // Generous widening: only the big-M constants use these, and they must be valid.
      const pad = 1e-6 * (1 + Math.abs(zl) + Math.abs(zu));
      zl -= pad; zu += pad;
      cons.push(` c${z}: ${z}${terms.replace(/([+-]) /g, (m, s) => (s === '+' ? '- ' : '+ '))} = ${num(L.b[o])}`);
      bounds.push(` ${z} free`);
      if (!L.relu) { next.push(z); nl.push(zl); nu.push(zu); continue; }
      const a = `a${k}_${o}`;
      if (zu <= 0) { bounds.push(` ${a} = 0`); next.push(a); nl.push(0); nu.push(0); continue; }
      if (zl >= 0) { cons.push(` e${a}: ${a} - ${z} = 0`); bounds.push(` ${a} free`); next.push(a); nl.push(zl); nu.push(zu); continue; }
      const dlt = `d${k}_${o}`;
      bins.push(` ${dlt}`);
      bounds.push(` 0 <= ${a} <= ${num(zu)}`);
      cons.push(` g${a}: ${a} - ${z} >= 0`);
      cons.push(` u${a}: ${a} - ${num(zu)} ${dlt} <= 0`);
      cons.push(` v${a}: ${a} - ${z} - ${num(zl)} ${dlt} <= ${num(-zl)}`);
      next.push(a); nl.push(0); nu.push(zu);
    }
    cur = next; cl = nl; cu = nu; k++;
  }
  let obj = '';
  c.forEach((v, j) => { if (v !== 0) obj += ` ${v >= 0 ? '+' : '-'} ${num(Math.abs(v))} ${cur[j]}`; });
  const lp = `${sense === 'min' ? 'Minimize' : 'Maximize'}\n obj:${obj || ' 0 x0'}\nSubject To\n${cons.join('\n')}\nBounds\n${bounds.join('\n')}\n${bins.length ? `Binary\n${bins.join('\n')}\n` : ''}End\n`;
  const highs = await getHighs();
  const res = highs.solve(lp, { mip_rel_gap: 0, mip_abs_gap: 1e-9, primal_feasibility_tolerance: 1e-9 } as any);
  if (res.Status !== 'Optimal') throw new Error(`MILP status ${res.Status}`);
  return res.ObjectiveValue + d;
}

/**
 * Grid extremes of c·y + d over a 1–3-D box (`points` per axis) and a Lipschitz margin from
 * the product of the layers' ∞→∞ operator norms times the activation's slope bound (1 for
 * ReLU/tanh, 1/4 for sigmoid) times the grid's half-spacing (L∞ distance to the nearest point).
 */
export function gridExtreme(net: Network, spec: GraphSpec, lo: Float64Array, hi: Float64Array, free: number[], c: Float64Array, d: number, points: number): { min: number; max: number; margin: number } {
  const { layers, act } = denseLayers(spec);
  const slope = act === 'Sigmoid' ? 0.25 : 1;
  // ‖·‖∞ Lipschitz constant of c·y w.r.t. the free inputs (in the L∞ norm: ‖row‖₁ products).
  let Lin = Infinity;
  {
    // Bound |∂(c·y)/∂x|₁ by |c|·|W_L|·s·…·|W_1| restricted to the free columns.
    let v = Float64Array.from(c, Math.abs);
    for (let l = layers.length - 1; l >= 0; l--) {
      const L = layers[l];
      const u = new Float64Array(L.inSize);
      for (let o = 0; o < L.outSize; o++) for (let i = 0; i < L.inSize; i++) u[i] += v[o] * Math.abs(L.W[o * L.inSize + i]);
      v = u;
      if (l > 0) for (let i = 0; i < v.length; i++) v[i] *= slope;
    }
    Lin = free.reduce((s, i) => s + v[i], 0) * (1 + 1e-9);
  }
  const K = free.length;
  const total = points ** K;
  const n = lo.length;
  const X = new Float64Array(total * n);
  for (let p = 0; p < total; p++) {
    let q = p;
    for (let i = 0; i < n; i++) X[p * n + i] = lo[i];
    for (const i of free) {
      const g = q % points; q = Math.floor(q / points);
      X[p * n + i] = lo[i] + ((hi[i] - lo[i]) * g) / (points - 1);
    }
  }
  const y = forward(net, X, total);
  const m = c.length;
  let mn = Infinity, mx = -Infinity;
  for (let p = 0; p < total; p++) {
    let s = d;
    for (let j = 0; j < m; j++) s += c[j] * y[p * m + j];
    mn = Math.min(mn, s); mx = Math.max(mx, s);
  }
  let h = 0;
  for (const i of free) h = Math.max(h, (hi[i] - lo[i]) / (points - 1) / 2);
  return { min: mn, max: mx, margin: Lin * h };
}
