/**
 * Pruning a ReLU network into an equivalent smaller one over a region (Kumar, Serra,
 * Ramalingam; LEO), from a stability result (src/relu/stability.ts):
 *
 * - the network is first read as an "affine form": every ReLU node's input and the output are
 *   affine maps of the sources (the network input and the ReLU nodes' outputs), composed
 *   through any chain of affine ops (Gemm, MatMul, Add of two branches, Flatten, …) — so dense
 *   and residual networks are handled alike;
 * - stably inactive units are dropped from every consumer (their output is 0 on the region);
 * - a node whose units are all stable collapses: its active units are substituted into every
 *   consumer (their output equals their affine input on the region);
 * - a node that keeps unstable units keeps them as ReLUs and its active units as a linear
 *   bypass (a removed ReLU, not a removed unit — LEO's rank folding is not done).
 *
 * The pruned network is written as standard ONNX ops (Reshape, Concat, Gemm, Relu) with the
 * input's name and shape. Equivalence on the region: 0 in real arithmetic by the stability
 * proofs, plus `roundingBound`, a sound bound of what the refolded (composed) weights' float64
 * rounding changes (γ terms × interval bounds of their inputs, propagated through the later
 * layers by |W|); weights that are copied, not composed, add nothing.
 */
import type { GraphSpec } from '../net/graph.js';
import { buildNetwork, type Network } from '../net/network.js';
import { InputError, type ConstTensor, type SpecNode } from '../net/op.js';
import { gamma } from '../bounds/fp.js';
import { prepare } from '../bounds/prepare.js';
import { addUp } from '../util/float.js';
import { forward } from '../net/forward.js';
import { Rng } from '../util/rng.js';
import { samplePoints, witnessRegion, type StabilityResult } from './stability.js';

/** An affine map over sources: Σ_s W_s·src_s + bias, each W_s rows × size(src_s); `err` bounds each row's rounding (absolute, over the region). */
interface Affine {
  rows: number;
  terms: Map<number, Float64Array>;
  bias: Float64Array;
  err: Float64Array;
}

/** Dense Jacobians of an affine node, one per dynamic input (read from the op's own transpose). */
function jacobians(net: Network, k: number): Float64Array[] {
  const node = net.nodes[k];
  const outSize = net.values[node.output].size;
  const inSizes = node.inputs.map((v) => net.values[v].size);
  const gOut = new Float64Array(outSize * outSize);
  for (let j = 0; j < outSize; j++) gOut[j * outSize + j] = 1;
  const gIns = inSizes.map((s) => new Float64Array(outSize * s));
  node.kind.backward(node.params, [], gOut, gOut, gIns, outSize);
  return gIns; // row j of gIns[i] = ∂out_j/∂in_i
}

/** Upward-rounded |A|·m for a rows × cols matrix (a γ-inflated float sum). */
function absTimes(A: Float64Array, rows: number, cols: number, m: Float64Array, out: Float64Array): void {
  const g = 1 + gamma(cols + 2);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) { const a = A[i * cols + j]; if (a !== 0) s += Math.abs(a) * m[j]; }
    out[i] = addUp(out[i], s * g);
  }
}

/** C += A·B (A r×k, B k×c), returning per row of C the upward bound γ_{k+2}·Σ|A||B|·m (m per column of B). */
function mulAdd(A: Float64Array, B: Float64Array, C: Float64Array, r: number, k: number, c: number, m: Float64Array, err: Float64Array): void {
  const absB = new Float64Array(k);
  for (let q = 0; q < k; q++) { let s = 0; for (let j = 0; j < c; j++) s += Math.abs(B[q * c + j]) * m[j]; absB[q] = s; }
  const g = gamma(k + 3);
  for (let i = 0; i < r; i++) {
    let e = 0;
    for (let q = 0; q < k; q++) {
      const a = A[i * k + q];
      if (a === 0) continue;
      e += Math.abs(a) * absB[q];
      const row = q * c, out = i * c;
      for (let j = 0; j < c; j++) C[out + j] += a * B[row + j];
    }
    err[i] = addUp(err[i], e * g * (1 + 1e-12));
  }
}

/** The per-element pieces of a ReLU-like node: y = 0 below the kink and y = x above it (else null: the node is kept whole). */
function isPlainRelu(net: Network, k: number): boolean {
  const node = net.nodes[k];
  if (!node.kind.relax) return false;
  const sl = new Float64Array(2), bl = new Float64Array(2), su = new Float64Array(2), bu = new Float64Array(2);
  node.kind.relax(node.params, Float64Array.of(-1, 1), Float64Array.of(-1, 1), null, sl, bl, su, bu);
  return sl[0] === 0 && bl[0] === 0 && su[0] === 0 && bu[0] === 0 && sl[1] === 1 && bl[1] === 0 && su[1] === 1 && bu[1] === 0;
}

/** What pruning did and the pruned network. */
export interface PruneResult {
  net: Network;
  reluBefore: number;
  reluAfter: number;
  /** Units removed in LEO's sense: inactive units, the active units of collapsed nodes, and active units beyond the rank (folded). */
  unitsRemoved: number;
  /** Per ReLU node: how its units were treated. */
  nodes: { node: string; kept: number; bypass: number; folded: number; dropped: number; collapsed: boolean }[];
  /** Sound bound of max |f(x) − f′(x)| over the region in real arithmetic (0 by the proofs + the refolded weights' rounding). */
  roundingBound: number;
}

/**
 * Prune `net` using the stability proofs of `stab` (see the module comment). The pruned network
 * computes the same function on the region up to `roundingBound` (sound) in real arithmetic.
 * Supports networks of affine ops and ReLU-like ops whose inactive piece is 0 (Relu); any other
 * op is an InputError.
 */
export function pruneNetwork(net: Network, stab: StabilityResult): PruneResult {
  const prep = prepare(net);
  const n = net.inputSize;
  const layerOf = new Map<number, number>(); // node index → layer index in stab.layers
  stab.layers.forEach((L, i) => layerOf.set(L.nodeIndex, i));
  // Old sources: 0 = the input, then one per ReLU node's output.
  const srcOfValue = new Map<number, number>();
  srcOfValue.set(net.inputIds[0], 0);
  const srcSize: number[] = [n];
  const srcMag: Float64Array[] = [];
  {
    const m = new Float64Array(n);
    for (let i = 0; i < n; i++) m[i] = Math.max(Math.abs(stab.region.lo[i]), Math.abs(stab.region.hi[i]));
    srcMag.push(m);
  }
  const exprOf = new Map<number, Affine>();
  // Identity forms (a source read as it is): composing J with them is J itself, exactly.
  const identities = new WeakSet<Affine>();
  const identity = (size: number, src: number): Affine => {
    const W = new Float64Array(size * size);
    for (let i = 0; i < size; i++) W[i * size + i] = 1;
    const a: Affine = { rows: size, terms: new Map([[src, W]]), bias: new Float64Array(size), err: new Float64Array(size) };
    identities.add(a);
    return a;
  };
  exprOf.set(net.inputIds[0], identity(n, 0));
  const reluInputExpr = new Map<number, Affine>(); // layer index → affine form of its input (old sources)
  net.nodes.forEach((node, k) => {
    const size = net.values[node.output].size;
    if (layerOf.has(k)) {
      const li = layerOf.get(k)!;
      if (!isPlainRelu(net, k)) throw new InputError(`pruning: node '${node.name}' (${node.kind.onnx}) is not a plain ReLU (its inactive piece is not 0)`);
      reluInputExpr.set(li, exprOf.get(node.inputs[0])!);
      const src = srcSize.length;
      srcSize.push(size);
      // The output's magnitude bound: max(0, hi of the input).
      srcMag.push(Float64Array.from(stab.layers[li].hi, (h) => Math.max(0, h)));
      srcOfValue.set(node.output, src);
      exprOf.set(node.output, identity(size, src));
      return;
    }
    if (prep.kind[k] !== 'affine') throw new InputError(`pruning: node '${node.name}' (${node.kind.onnx}) is neither affine nor a ReLU`);
    const Js = jacobians(net, k);
    const off = prep.offset[k]!;
    const out: Affine = { rows: size, terms: new Map(), bias: Float64Array.from(off), err: new Float64Array(size) };
    node.inputs.forEach((v, i) => {
      const e = exprOf.get(v)!;
      const inSize = net.values[v].size;
      const J = Js[i];
      if (identities.has(e)) {
        const [src] = e.terms.keys();
        let acc = out.terms.get(src);
        const fresh = !acc;
        if (!acc) { acc = new Float64Array(size * srcSize[src]); out.terms.set(src, acc); }
        for (let q = 0; q < J.length; q++) acc[q] += J[q];
        if (!fresh) {
          // Adding into earlier terms rounds once per entry: charge u·|sum|·magnitude.
          const cols = srcSize[src], m = srcMag[src];
          for (let r = 0; r < size; r++) {
            let t = 0;
            for (let q = 0; q < cols; q++) t += Math.abs(acc[r * cols + q]) * m[q];
            out.err[r] = addUp(out.err[r], t * 2 ** -52);
          }
        }
        return;
      }
      // Rounding already in the input's form, carried through J.
      absTimes(J, size, inSize, e.err, out.err);
      // Bias: J·b.
      const mOne = Float64Array.of(1);
      mulAdd(J, e.bias, out.bias, size, inSize, 1, mOne, out.err);
      for (const [src, W] of e.terms) {
        let acc = out.terms.get(src);
        if (!acc) { acc = new Float64Array(size * srcSize[src]); out.terms.set(src, acc); }
        mulAdd(J, W, acc, size, inSize, srcSize[src], srcMag[src], out.err);
      }
    });
    exprOf.set(node.output, out);
  });
  const outExpr = exprOf.get(net.outputIds[0])!;
  // A value produced by a single exact copy/Gemm has err = 0 only when mulAdd's products were exact; the
  // γ terms above are charged regardless (they cover identity compositions too).

  // ---- the pruned form ----
  interface NewSrc { name: string; size: number; kind: 'input' | 'relu' | 'linear'; expr?: Affine; mag: Float64Array; delta: Float64Array }
  const newSrcs: NewSrc[] = [{ name: 'x', size: n, kind: 'input', mag: srcMag[0], delta: new Float64Array(n) }];
  // For each old source element: [new source, element] or a substituted affine row, or dropped.
  type Repl = { kind: 'src'; src: number; map: Int32Array } | { kind: 'expr'; expr: Affine; sel: Int32Array } ;
  const repl: Repl[][] = [[{ kind: 'src', src: 0, map: Int32Array.from({ length: n }, (_, i) => i) }]];
  // Δ (bound of |new − original|) per old source element, for the error propagation.
  const oldDelta: Float64Array[] = [new Float64Array(n)];
  const report: PruneResult['nodes'] = [];
  let reluAfter = 0, reluBefore = 0, unitsRemoved = 0;

  /** An old-form affine map rewritten over the new sources. */
  const rewrite = (e: Affine): Affine => {
    const out: Affine = { rows: e.rows, terms: new Map(), bias: Float64Array.from(e.bias), err: Float64Array.from(e.err) };
    for (const [src, W] of e.terms) {
      const size = srcSize[src];
      // Charge the original-form rounding and Δ of this source through |W|.
      absTimes(W, e.rows, size, oldDelta[src], out.err);
      for (const r of repl[src]) {
        if (r.kind === 'src') {
          const ns = newSrcs[r.src];
          let acc = out.terms.get(r.src);
          if (!acc) { acc = new Float64Array(e.rows * ns.size); out.terms.set(r.src, acc); }
          for (let i = 0; i < e.rows; i++) for (let j = 0; j < size; j++) {
            const t = r.map[j];
            if (t >= 0) acc[i * ns.size + t] += W[i * size + j];
          }
        } else {
          // Substitute: W[:, sel] · expr(sel rows).
          const sel = r.sel, k = sel.length;
          const Wsel = new Float64Array(e.rows * k);
          for (let i = 0; i < e.rows; i++) for (let q = 0; q < k; q++) Wsel[i * k + q] = W[i * size + sel[q]];
          const sub = r.expr;
          const rowsOf = (A: Float64Array, cols: number) => {
            const R = new Float64Array(k * cols);
            for (let q = 0; q < k; q++) R.set(A.subarray(sel[q] * cols, (sel[q] + 1) * cols), q * cols);
            return R;
          };
          mulAdd(Wsel, rowsOf(sub.bias, 1), out.bias, e.rows, k, 1, Float64Array.of(1), out.err);
          const subErr = new Float64Array(k);
          for (let q = 0; q < k; q++) subErr[q] = sub.err[sel[q]];
          absTimes(Wsel, e.rows, k, subErr, out.err);
          for (const [ns, A] of sub.terms) {
            const cols = newSrcs[ns].size;
            let acc = out.terms.get(ns);
            if (!acc) { acc = new Float64Array(e.rows * cols); out.terms.set(ns, acc); }
            const mag = new Float64Array(cols);
            for (let j = 0; j < cols; j++) mag[j] = newSrcs[ns].mag[j] + newSrcs[ns].delta[j];
            mulAdd(Wsel, rowsOf(A, cols), acc, e.rows, k, cols, mag, out.err);
          }
        }
      }
    }
    return out;
  };

  stab.layers.forEach((L, li) => {
    const e = rewrite(reluInputExpr.get(li)!);
    const U: number[] = [], A: number[] = [], I: number[] = [];
    for (let j = 0; j < L.size; j++) (L.status[j] === 1 ? A : L.status[j] === -1 ? I : U).push(j);
    reluBefore += L.size;
    reluAfter += U.length;
    const rs: Repl[] = [];
    let folded = 0;
    const pick = (idx: number[]): Affine => {
      const out: Affine = { rows: idx.length, terms: new Map(), bias: Float64Array.from(idx, (j) => e.bias[j]), err: Float64Array.from(idx, (j) => e.err[j]) };
      for (const [s, W] of e.terms) {
        const c = newSrcs[s].size;
        const P = new Float64Array(idx.length * c);
        idx.forEach((j, q) => P.set(W.subarray(j * c, (j + 1) * c), q * c));
        out.terms.set(s, P);
      }
      return out;
    };
    const mapOf = (idx: number[]) => { const m = new Int32Array(L.size).fill(-1); idx.forEach((j, q) => { m[j] = q; }); return m; };
    // Δ of a new source: its form's rounding plus the Δ of the new sources it reads, through |W′|.
    const deltaOf = (a: Affine): Float64Array => {
      const d = Float64Array.from(a.err);
      for (const [t, W] of a.terms) absTimes(W, a.rows, newSrcs[t].size, newSrcs[t].delta, d);
      return d;
    };
    const magOf = (idx: number[], relu: boolean) => Float64Array.from(idx, (j) => (relu ? Math.max(0, L.hi[j]) : Math.max(Math.abs(L.lo[j]), Math.abs(L.hi[j]))));
    if (U.length > 0) {
      const ns = newSrcs.length;
      const eu = pick(U);
      newSrcs.push({ name: `${L.node}`, size: U.length, kind: 'relu', expr: eu, mag: magOf(U, true), delta: deltaOf(eu) });
      rs.push({ kind: 'src', src: ns, map: mapOf(U) });
      if (A.length > 0) {
        const nb = newSrcs.length;
        const ea = pick(A);
        const magA = magOf(A, false), deltaA = deltaOf(ea);
        const fold = rankFold(ea, newSrcs);
        if (!fold) {
          newSrcs.push({ name: `${L.node}.bypass`, size: A.length, kind: 'linear', expr: ea, mag: magA, delta: deltaA });
          rs.push({ kind: 'src', src: nb, map: mapOf(A) });
        } else {
          // LEO's rank folding: only the r independent rows stay as linear units; each dependent
          // unit d is Σ_k C_dk·z_k + β_d of them (exact in real arithmetic up to `err`, see rankFold).
          const keep = fold.keep.map((q) => A[q]);
          const ek = pick(keep);
          newSrcs.push({ name: `${L.node}.bypass`, size: keep.length, kind: 'linear', expr: ek, mag: Float64Array.from(fold.keep, (q) => magA[q]), delta: Float64Array.from(fold.keep, (q) => deltaA[q]) });
          rs.push({ kind: 'src', src: nb, map: mapOf(keep) });
          const r = keep.length;
          const sub: Affine = { rows: L.size, terms: new Map([[nb, new Float64Array(L.size * r)]]), bias: new Float64Array(L.size), err: new Float64Array(L.size) };
          const Cs = sub.terms.get(nb)!;
          fold.dep.forEach((q, i) => {
            const j = A[q];
            Cs.set(fold.C.subarray(i * r, (i + 1) * r), j * r);
            sub.bias[j] = fold.beta[i];
            // |C·o_K + β − o_d| ≤ (the relation's own error) + δ_d + Σ_k |C_dk|·δ_k, δ = |pruned − original| of the rows.
            let e = addUp(fold.err[i], deltaA[q]);
            for (let k = 0; k < r; k++) e = addUp(e, Math.abs(fold.C[i * r + k]) * deltaA[fold.keep[k]] * (1 + 2 ** -50));
            sub.err[j] = e;
          });
          rs.push({ kind: 'expr', expr: sub, sel: Int32Array.from(fold.dep, (q) => A[q]) });
          folded = fold.dep.length;
          unitsRemoved += folded;
        }
      }
    } else if (A.length > 0) {
      rs.push({ kind: 'expr', expr: e, sel: Int32Array.from(A) });
      unitsRemoved += A.length;
    }
    unitsRemoved += I.length;
    repl.push(rs);
    oldDelta.push(new Float64Array(L.size)); // Δ of these sources enters through rewrite's err (delta of new sources / substituted err)
    report.push({ node: L.node, kept: U.length, bypass: U.length > 0 ? A.length - folded : 0, folded, dropped: I.length, collapsed: U.length === 0 });
  });
  const finalExpr = rewrite(outExpr);
  // Δ of the output: its own rounding plus the new sources' Δ through |W′| (ReLU is 1-Lipschitz).
  const deltaOut = Float64Array.from(finalExpr.err);
  for (const [s, W] of finalExpr.terms) absTimes(W, finalExpr.rows, newSrcs[s].size, newSrcs[s].delta, deltaOut);
  let roundingBound = 0;
  for (const d of deltaOut) roundingBound = Math.max(roundingBound, d);

  const pruned = exportPruned(net, newSrcs, finalExpr);
  return { net: pruned, reluBefore, reluAfter, unitsRemoved, nodes: report, roundingBound };
}

/** p = 2^61 − 1 (prime): ranks mod p are lower bounds of ranks over ℚ. */
const PRIME = (1n << 61n) - 1n;
const INV2 = (PRIME + 1n) / 2n;

/** A finite float64 as its residue mod PRIME (exact: f = m·2^e with m an integer). */
function residue(f: number): bigint {
  if (f === 0) return 0n;
  let m = f, e = 0;
  while (!Number.isInteger(m)) { m *= 2; e++; } // exact doublings; at most 1074 + 52
  let r = BigInt(m) % PRIME;
  if (r < 0n) r += PRIME;
  for (let q = 0; q < e; q++) r = (r * INV2) % PRIME;
  return r;
}

/** Rank mod PRIME of a dense rows × cols float64 matrix (exact modular Gaussian elimination). */
function rankModP(M: Float64Array, rows: number, cols: number): number {
  const R: bigint[][] = [];
  for (let i = 0; i < rows; i++) { const row: bigint[] = []; for (let j = 0; j < cols; j++) row.push(residue(M[i * cols + j])); R.push(row); }
  let rank = 0;
  for (let c = 0; c < cols && rank < rows; c++) {
    let piv = -1;
    for (let i = rank; i < rows; i++) if (R[i][c] !== 0n) { piv = i; break; }
    if (piv < 0) continue;
    [R[rank], R[piv]] = [R[piv], R[rank]];
    // Inverse by Fermat: a^(p−2).
    let inv = 1n, b = R[rank][c], ex = PRIME - 2n;
    while (ex > 0n) { if (ex & 1n) inv = (inv * b) % PRIME; b = (b * b) % PRIME; ex >>= 1n; }
    for (let i = rank + 1; i < rows; i++) {
      const f = (R[i][c] * inv) % PRIME;
      if (f === 0n) continue;
      for (let j = c; j < cols; j++) R[i][j] = ((R[i][j] - f * R[rank][j]) % PRIME + PRIME) % PRIME;
    }
    rank++;
  }
  return rank;
}

/**
 * LEO's rank folding of a layer's active (linear) units, given their affine form over the new
 * sources: when the rows span exactly as many dimensions as there are columns the rows use (K),
 * K independent rows are kept and every other row d is written as w_d = Σ_k C_dk·w_k (over ℚ this
 * dependence is exact: K independent rows of a K-column matrix span ℚ^K — their independence is
 * proved by their rank mod a prime, a lower bound of the rank over ℚ). The float C is checked
 * after the fact: z_d = Σ_k C_dk·z_k + β_d + ρ_d·h with ρ_d = w_d − Σ_k C_dk·w_k, so `err`
 * bounds |ρ_d|·|h| (ρ re-computed with its rounding charged) plus the rounding of β_d.
 * Returns null when there is nothing to fold (rank = row count, or the rows' rank is below K).
 */
function rankFold(e: Affine, srcs: { size: number; mag: Float64Array; delta: Float64Array }[]): { keep: number[]; dep: number[]; C: Float64Array; beta: Float64Array; err: Float64Array } | null {
  const rows = e.rows;
  // Dense rows over the columns the form uses (all-zero columns dropped).
  const colsUsed: { src: number; j: number }[] = [];
  for (const [t, W] of e.terms) {
    const c = srcs[t].size;
    for (let j = 0; j < c; j++) { let nz = false; for (let i = 0; i < rows && !nz; i++) nz = W[i * c + j] !== 0; if (nz) colsUsed.push({ src: t, j }); }
  }
  const K = colsUsed.length;
  if (rows <= K) return null; // full row rank is possible: nothing folds for sure
  const M = new Float64Array(rows * K), hMag = new Float64Array(K);
  colsUsed.forEach(({ src, j }, q) => {
    const W = e.terms.get(src)!, c = srcs[src].size;
    for (let i = 0; i < rows; i++) M[i * K + q] = W[i * c + j];
    hMag[q] = addUp(srcs[src].mag[j], srcs[src].delta[j]);
  });
  // Greedy independent rows (modified Gram–Schmidt in float) …
  const basis: Float64Array[] = [], keep: number[] = [];
  for (let i = 0; i < rows && keep.length < K; i++) {
    const v = Float64Array.from(M.subarray(i * K, (i + 1) * K));
    let n0 = 0;
    for (const x of v) n0 += x * x;
    for (const b of basis) { let d = 0; for (let q = 0; q < K; q++) d += v[q] * b[q]; for (let q = 0; q < K; q++) v[q] -= d * b[q]; }
    let n1 = 0;
    for (const x of v) n1 += x * x;
    if (!(n1 > 1e-16 * n0) || n1 === 0) continue;
    const s = 1 / Math.sqrt(n1);
    for (let q = 0; q < K; q++) v[q] *= s;
    basis.push(v);
    keep.push(i);
  }
  if (keep.length < K) return null; // the rows may not span ℚ^K: folding would need an exact rank test
  const B = new Float64Array(K * K);
  keep.forEach((i, k) => B.set(M.subarray(i * K, (i + 1) * K), k * K));
  // … proved independent: rank mod p = K ⇒ rank over ℚ = K, so the kept rows span ℚ^K exactly.
  if (rankModP(B, K, K) < K) return null;
  const dep: number[] = [];
  const isKept = new Uint8Array(rows);
  for (const i of keep) isKept[i] = 1;
  for (let i = 0; i < rows; i++) if (!isKept[i]) dep.push(i);
  // C_d solves Bᵀ·c = w_d: LU of Bᵀ with partial pivoting.
  const LU = new Float64Array(K * K);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) LU[a * K + b] = B[b * K + a];
  const perm = Int32Array.from({ length: K }, (_, q) => q);
  for (let c = 0; c < K; c++) {
    let p = c;
    for (let i = c + 1; i < K; i++) if (Math.abs(LU[i * K + c]) > Math.abs(LU[p * K + c])) p = i;
    if (LU[p * K + c] === 0) return null;
    if (p !== c) { for (let q = 0; q < K; q++) { const t = LU[c * K + q]; LU[c * K + q] = LU[p * K + q]; LU[p * K + q] = t; } const t = perm[c]; perm[c] = perm[p]; perm[p] = t; }
    for (let i = c + 1; i < K; i++) {
      const f = (LU[i * K + c] /= LU[c * K + c]);
      if (f !== 0) for (let q = c + 1; q < K; q++) LU[i * K + q] -= f * LU[c * K + q];
    }
  }
  const D = dep.length;
  const C = new Float64Array(D * K), beta = new Float64Array(D), err = new Float64Array(D);
  const g = gamma(K + 3) * (1 + 1e-12);
  const y = new Float64Array(K);
  dep.forEach((i, di) => {
    for (let q = 0; q < K; q++) y[q] = M[i * K + perm[q]];
    for (let a = 0; a < K; a++) for (let b = 0; b < a; b++) y[a] -= LU[a * K + b] * y[b];
    for (let a = K - 1; a >= 0; a--) { for (let b = a + 1; b < K; b++) y[a] -= LU[a * K + b] * y[b]; y[a] /= LU[a * K + a]; }
    C.set(y, di * K);
    // ρ = w_d − Σ_k C_dk·w_k per column, its rounding charged: |ρ_true| ≤ |fl(ρ)| + γ·(|w_d| + Σ|C||w_k|).
    let rho = 0;
    for (let q = 0; q < K; q++) {
      let r = M[i * K + q], a = Math.abs(r);
      for (let k = 0; k < K; k++) { const t = y[k] * B[k * K + q]; r -= t; a += Math.abs(t); }
      rho += (Math.abs(r) + g * a) * hMag[q];
    }
    // β_d = b_d − Σ_k C_dk·b_k, rounded: γ·(|b_d| + Σ|C||b_k|).
    let bsum = e.bias[i], babs = Math.abs(bsum);
    for (let k = 0; k < K; k++) { const t = y[k] * e.bias[keep[k]]; bsum -= t; babs += Math.abs(t); }
    beta[di] = bsum;
    err[di] = addUp(rho * (1 + g), g * babs);
  });
  return { keep, dep, C, beta, err };
}

/** Build the pruned network as standard ops: Reshape → per source Concat → Gemm (→ Relu) → … → Gemm → Reshape. */
function exportPruned(net: Network, srcs: { name: string; size: number; kind: 'input' | 'relu' | 'linear'; expr?: Affine }[], out: Affine): Network {
  const input = net.input;
  const outVal = net.output;
  const dtype = net.meta.inputDtype;
  const initializers: GraphSpec['initializers'] = [];
  const nodes: SpecNode[] = [];
  const names = new Set<string>([input.name, outVal.name]);
  const uniq = (base: string) => { let s = base.replace(/[^A-Za-z0-9_.]/g, '_'); for (let i = 1; names.has(s); i++) s = `${base}_${i}`; names.add(s); return s; };
  const constant = (base: string, t: ConstTensor) => { const name = uniq(base); initializers.push({ name, tensor: t }); return name; };
  const i64 = (v: number[]) => ({ shape: [v.length], data: Float64Array.from(v), dtype: 'int64' as const });
  const n = input.size;
  let x0 = input.name;
  if (!(input.shape.length === 2 && input.shape[0] === 1)) {
    x0 = uniq('input_flat');
    nodes.push({ name: uniq('flatten_input'), op: 'Reshape', inputs: [input.name, constant('flat_shape', i64([1, n]))], outputs: [x0], attrs: {} });
  }
  const valueOf: string[] = [x0];
  const layer = (e: Affine, base: string, relu: boolean, finalName?: string): string => {
    const used = [...e.terms.keys()].sort((a, b) => a - b);
    let inName: string;
    let K = 0;
    if (used.length === 0) {
      // A constant layer: Gemm of the input with zero weights.
      used.push(0);
      e.terms.set(0, new Float64Array(e.rows * n));
    }
    for (const s of used) K += srcs[s].size;
    if (used.length === 1) inName = valueOf[used[0]];
    else {
      inName = uniq(`${base}.in`);
      nodes.push({ name: uniq(`${base}.concat`), op: 'Concat', inputs: used.map((s) => valueOf[s]), outputs: [inName], attrs: { axis: 1 } });
    }
    const W = new Float64Array(e.rows * K);
    let off = 0;
    for (const s of used) {
      const A = e.terms.get(s)!, c = srcs[s].size;
      for (let i = 0; i < e.rows; i++) W.set(A.subarray(i * c, (i + 1) * c), i * K + off);
      off += c;
    }
    const pre = relu || finalName ? uniq(`${base}.pre`) : uniq(base);
    nodes.push({ name: uniq(`${base}.gemm`), op: 'Gemm', inputs: [inName, constant(`${base}.weight`, { shape: [e.rows, K], data: W }), constant(`${base}.bias`, { shape: [e.rows], data: e.bias })], outputs: [pre], attrs: { transB: 1 } });
    if (relu) {
      const o = uniq(base);
      nodes.push({ name: uniq(`${base}.relu`), op: 'Relu', inputs: [pre], outputs: [o], attrs: {} });
      return o;
    }
    return pre;
  };
  for (let s = 1; s < srcs.length; s++) valueOf.push(layer(srcs[s].expr!, srcs[s].name, srcs[s].kind === 'relu'));
  const last = layer(out, 'output', false, outVal.name);
  nodes.push({ name: uniq('output.reshape'), op: 'Reshape', inputs: [last, constant('output_shape', i64(outVal.shape))], outputs: [outVal.name], attrs: {} });
  const spec: GraphSpec = { inputs: [{ name: input.name, shape: input.shape.slice(), dtype }], outputs: [outVal.name], initializers, nodes, opset: 13, source: `${net.meta.source} (pruned)`, producer: 'lipcert relu --prune' };
  return buildNetwork(spec, { source: spec.source, inputDtype: dtype, opset: 13 });
}

/**
 * The largest |f(x) − f′(x)| (float64 forward passes of both networks) over `count` random
 * inputs of the analysed region (an estimate, not a bound: the sound bound is `roundingBound`).
 */
export function sampledDifference(a: Network, b: Network, stab: StabilityResult, count: number, seed = 0): number {
  const w = witnessRegion(stab.region, a.inputSize);
  const pts = samplePoints(w, count, new Rng(seed + 1));
  const n = a.inputSize;
  let worst = 0;
  const CH = 256;
  for (let p0 = 0; p0 < pts.length; p0 += CH) {
    const B = Math.min(CH, pts.length - p0);
    const x = new Float64Array(B * n);
    for (let q = 0; q < B; q++) x.set(pts[p0 + q], q * n);
    const ya = forward(a, x, B), yb = forward(b, x, B);
    for (let i = 0; i < ya.length; i++) {
      const d = Math.abs(ya[i] - yb[i]);
      if (!(d <= worst)) worst = d; // NaN propagates as the worst
    }
  }
  return worst;
}
