/**
 * An independent LP over the full triangle relaxation of a ReLU network, for checking that the
 * `lp` tier of src/relu/stability.ts is as tight as that relaxation allows. Nothing of the tier's
 * LP machinery is shared: the affine maps are read with each op's own transpose (`backward` on
 * one-hot rows, as test/helpers/exact.ts does), the LP is written here, and it is solved with
 * glpk.js (the tier uses HiGHS through src/bounds/lp.ts). Float64 and a solver's tolerances:
 * a check, never a proof.
 *
 * The relaxation: one column per element of every value the target depends on; the input box as
 * column bounds; every affine node as equality rows; every ReLU element with pre-activation
 * bounds [l, u]: y = z when l ≥ 0, y = 0 when u ≤ 0, else y ≥ 0, y ≥ z, y ≤ u·(z − l)/(u − l) and
 * l ≤ z ≤ u (Ehlers' triangle, the LP that "the lp tier" names).
 */
import GLPK from 'glpk.js/node';
import type { Network } from '../../src/net/network.js';

type Glpk = Awaited<ReturnType<typeof GLPK>>;
let glpkPromise: Promise<Glpk> | undefined;
export function glpk(): Promise<Glpk> {
  glpkPromise ??= GLPK();
  return glpkPromise;
}

/** Sparse linear part and offset of one affine node: out[o] = off[o] + Σ coef·in_slot[i]. */
interface AffineMap { rows: { slot: number; i: number; coef: number }[][]; off: Float64Array }

function affineMap(net: Network, k: number): AffineMap {
  const node = net.nodes[k];
  const outSize = net.values[node.output].size;
  const inSizes = node.inputs.map((v) => net.values[v].size);
  const off = new Float64Array(outSize);
  node.kind.eval(node.params, inSizes.map((s) => new Float64Array(s)), off, 1);
  const rows: AffineMap['rows'] = [];
  const g = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    g.fill(0);
    g[o] = 1;
    const gIns = inSizes.map((s) => new Float64Array(s));
    node.kind.backward(node.params, inSizes.map((s) => new Float64Array(s)), new Float64Array(outSize), g, gIns, 1);
    const row: AffineMap['rows'][number] = [];
    gIns.forEach((gi, slot) => { for (let i = 0; i < gi.length; i++) if (gi[i] !== 0) row.push({ slot, i, coef: gi[i] }); });
    rows.push(row);
  }
  return { rows, off };
}

/** Pre-activation bounds of each ReLU node, by the value id of its input. */
export type ReluBounds = Map<number, { lo: Float64Array; hi: Float64Array }>;

/**
 * The triangle-relaxation LP of everything `target` depends on (see the module comment), with
 * the ReLU inputs' bounds from `bounds`; returns min and max of each requested element of
 * `target` (NaN where glpk did not report an optimum).
 */
export class TriangleLP {
  private readonly maps = new Map<number, AffineMap>();
  constructor(private readonly net: Network, private readonly inLo: Float64Array, private readonly inHi: Float64Array) {
    net.nodes.forEach((node, k) => { if (node.kind.isAffine?.(node.params)) this.maps.set(k, affineMap(net, k)); });
  }

  async extremes(target: number, elems: number[], bounds: ReluBounds): Promise<{ min: number[]; max: number[] }> {
    const g = await glpk();
    const net = this.net;
    const producer = net.nodes.findIndex((n) => n.output === target);
    const name = (v: number, j: number) => `v${v}_${j}`;
    const bnd = (lo: number, hi: number) => {
      if (Number.isFinite(lo) && Number.isFinite(hi)) return lo === hi ? { type: g.GLP_FX, lb: lo, ub: hi } : { type: g.GLP_DB, lb: lo, ub: hi };
      if (Number.isFinite(lo)) return { type: g.GLP_LO, lb: lo, ub: 0 };
      if (Number.isFinite(hi)) return { type: g.GLP_UP, lb: 0, ub: hi };
      return { type: g.GLP_FR, lb: 0, ub: 0 };
    };
    const subjectTo: { name: string; vars: { name: string; coef: number }[]; bnds: ReturnType<typeof bnd> }[] = [];
    const colBounds = new Map<string, [number, number]>();
    const input = net.inputIds[0];
    for (let j = 0; j < this.inLo.length; j++) colBounds.set(name(input, j), [this.inLo[j], this.inHi[j]]);
    for (let k = 0; k <= producer; k++) {
      const node = net.nodes[k];
      const out = node.output, size = net.values[out].size;
      const map = this.maps.get(k);
      if (map) {
        for (let o = 0; o < size; o++) {
          const vars = [{ name: name(out, o), coef: 1 }];
          for (const t of map.rows[o]) vars.push({ name: name(node.inputs[t.slot], t.i), coef: -t.coef });
          subjectTo.push({ name: `a${k}_${o}`, vars, bnds: bnd(map.off[o], map.off[o]) });
          if (!colBounds.has(name(out, o))) colBounds.set(name(out, o), [-Infinity, Infinity]);
        }
      } else if (node.kind.onnx === 'Relu') {
        const z = node.inputs[0];
        const b = bounds.get(z);
        if (!b) throw new Error(`triangle LP: no bounds for the input of '${node.name}'`);
        for (let j = 0; j < size; j++) {
          const l = b.lo[j], u = b.hi[j], zn = name(z, j), yn = name(out, j);
          const cur = colBounds.get(zn) ?? [-Infinity, Infinity];
          colBounds.set(zn, [Math.max(cur[0], l), Math.min(cur[1], u)]);
          if (l >= 0) {
            colBounds.set(yn, [-Infinity, Infinity]);
            subjectTo.push({ name: `r${k}_${j}`, vars: [{ name: yn, coef: 1 }, { name: zn, coef: -1 }], bnds: bnd(0, 0) });
          } else if (u <= 0) {
            colBounds.set(yn, [0, 0]);
          } else {
            colBounds.set(yn, [0, Infinity]);
            subjectTo.push({ name: `l${k}_${j}`, vars: [{ name: yn, coef: 1 }, { name: zn, coef: -1 }], bnds: bnd(0, Infinity) });
            // y ≤ u(z − l)/(u − l)  ⇔  (u − l)·y − u·z ≤ −u·l
            subjectTo.push({ name: `u${k}_${j}`, vars: [{ name: yn, coef: u - l }, { name: zn, coef: -u }], bnds: bnd(-Infinity, -u * l) });
          }
        }
      } else {
        throw new Error(`triangle LP: op ${node.kind.onnx} is neither affine nor Relu`);
      }
    }
    const bounds_ = [...colBounds].map(([n, [lo, hi]]) => ({ name: n, ...bnd(lo, hi) }));
    const min: number[] = [], max: number[] = [];
    for (const j of elems) {
      for (const dir of [g.GLP_MIN, g.GLP_MAX]) {
        const res = g.solve({ name: 'tri', objective: { direction: dir, name: 'obj', vars: [{ name: name(target, j), coef: 1 }] }, subjectTo, bounds: bounds_ }, { msglev: g.GLP_MSG_OFF, presol: true });
        const v = res.result.status === g.GLP_OPT ? res.result.z : NaN;
        (dir === g.GLP_MIN ? min : max).push(v);
      }
    }
    return { min, max };
  }
}
