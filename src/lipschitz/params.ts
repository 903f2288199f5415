import { initialBounds, nodeInterval } from '../bounds/ibp.js';
import type { NodeBounds } from '../bounds/types.js';
import { Network, type NetNode } from '../net/network.js';
import { InputError } from '../net/op.js';
import { sumUp } from '../net/ops/lipschitz_impl.js';
import { addDown, addUp, divDown, mulUp, nextDown, nextUp } from '../util/float.js';
import { Rng } from '../util/rng.js';
import { intervalTransposeProduct, timesInto } from './interval_jacobian.js';

/**
 * Lipschitz constants with respect to the parameters θ (every weight and bias of the dense ops,
 * jointly, in the Euclidean norm), uniformly over an input box X and the ball ‖θ − θ₀‖₂ ≤ ρ,
 * for a sequential network (each op reads the previous op's output) of dense layers, elementwise
 * activations, reshapes and elementwise affine ops (input normalisation, BatchNormalization:
 * taken as constants, not parameters):
 * - `output`: sup ‖∇_θ g‖₂ of g = c·y;  `loss`: sup ‖∇_θ ℓ‖₂ of ℓ = ½‖y − t‖² (mse) or
 *   −log softmax(y)_c (ce);  `loss-grad`: a Lipschitz constant of θ ↦ ∇_θ ℓ (the smoothness
 *   constant: SGD is stable with steps up to 1/L).
 * Upper bounds (proofs): interval propagation over X × ball — a dense layer's output moves by at
 * most ρ·‖(a, 1)‖₂ per element when its weights move within the ball — then backward intervals
 * of δ = ∂·/∂z (the transposed weights move by at most ρ·‖δ‖₂ per element), and
 * ‖∇_θ‖² ≤ Σ_layers ‖δ_l‖²·‖(a_{l−1}, 1)‖² (the bias term only when the op has a bias). The
 * smoothness constant chains the θ-Lipschitz constants of every activation and every δ
 * (products of ‖W₀‖₂ + ρ with certified ℓ2 operator norms, f′ and f″ ranges; softmax's
 * Jacobian has norm ≤ ½). It exists only when every op is twice differentiable on the reachable
 * set: a ReLU whose input can change sign over X × ball is reported (InputError, exit 2).
 * Lower bounds (witnesses): re-evaluated secant pairs θ₀, θ₁ = θ₀ + h·u in the ball at inputs of
 * X: |g(θ₁) − g(θ₀)| / ‖θ₁ − θ₀‖ for output and loss, ‖∇ℓ(θ₁) − ∇ℓ(θ₀)‖ / ‖θ₁ − θ₀‖ for the
 * loss gradient, every value and gradient enclosed by the same interval passes at a point.
 */

export type ParamObjective =
  | { of: 'output'; row: Float64Array }
  | { of: 'loss' | 'loss-grad'; loss: 'mse'; target: Float64Array }
  | { of: 'loss' | 'loss-grad'; loss: 'ce'; label: number };

export interface ParamLipschitz {
  lower: number;
  upper: number;
  /** Number of parameters (weights and biases of the dense ops). */
  parameters: number;
  /** The witness: input x and the two parameter vectors (flattened: each dense op's W then b). */
  witness: { x: Float64Array; theta0: Float64Array; theta1: Float64Array } | null;
  time_s: number;
}

interface Layer {
  k: number;
  node: NetNode;
  dense: { W: Float64Array; bias: Float64Array | null; N: number; K: number } | null;
}

/** The sequential chain of the network, or an InputError naming the first op that breaks it. */
function chainOf(net: Network): Layer[] {
  let prev = net.inputIds[0];
  const layers: Layer[] = [];
  net.nodes.forEach((node, k) => {
    if (node.inputs.length !== 1 || node.inputs[0] !== prev) throw new InputError(`--wrt params needs a sequential network: node '${node.name}' (${node.kind.onnx}) does not read just the previous op's output`);
    const lip = node.kind.lipschitz;
    const dense = lip?.parameters?.(node.params) ?? null;
    // Fixed affine ops are allowed only when elementwise (input normalisation, BatchNormalization,
    // taken as constants); any other affine op (Conv, a Gemm of another form) has weights that
    // this mode would silently leave out of θ.
    const fixedAffine = !dense && !node.kind.reshapeOnly && node.kind.isAffine?.(node.params);
    if (fixedAffine && !(lip?.jacobian && node.kind.elementwiseAffine?.(node.params, net.values[node.inputs[0]].size))) {
      throw new InputError(`--wrt params supports dense layers (Gemm/MatMul with a constant weight), elementwise ops and reshapes; node '${node.name}' (${node.kind.onnx}) is not one of them`);
    }
    if (!dense && !node.kind.reshapeOnly && !fixedAffine && !lip?.derivativeRange) {
      throw new InputError(`--wrt params: op ${node.kind.onnx} (node '${node.name}') has no Lipschitz semantics`);
    }
    layers.push({ k, node, dense });
    prev = node.output;
  });
  if (prev !== net.outputIds[0]) throw new InputError('--wrt params needs a sequential network ending in the output');
  if (!layers.some((l) => l.dense)) throw new InputError('--wrt params: the network has no dense (Gemm/MatMul) weights');
  return layers;
}

/** ‖(max |a_i| over the box of a, then 1 if bias)‖₂ rounded up. */
function magnitudeNorm(lo: Float64Array, hi: Float64Array, withOne: boolean): number {
  let s = withOne ? 1 : 0;
  for (let i = 0; i < lo.length; i++) { const m = Math.max(Math.abs(lo[i]), Math.abs(hi[i])); s += m * m; }
  return nextUp(Math.sqrt(sumUp(s, lo.length + 1)));
}

function magnitudes(lo: Float64Array, hi: Float64Array): Float64Array {
  const m = new Float64Array(lo.length);
  for (let i = 0; i < lo.length; i++) m[i] = Math.max(Math.abs(lo[i]), Math.abs(hi[i]));
  return m;
}

const REL = 1e-14;
/** Widen a computed value from exp/log by a relative and absolute margin. */
const down = (v: number) => nextDown(v - REL * (Math.abs(v) + 1e-300));
const up = (v: number) => nextUp(v + REL * (Math.abs(v) + 1e-300));

/** Intervals of ∂ℓ/∂y (and of ℓ or g itself) from intervals of y. */
function outputCotangent(obj: ParamObjective, ylo: Float64Array, yhi: Float64Array): { lo: Float64Array; hi: Float64Array; vlo: number; vhi: number } {
  const m = ylo.length;
  const lo = new Float64Array(m), hi = new Float64Array(m);
  if (obj.of === 'output') {
    lo.set(obj.row); hi.set(obj.row);
    let vl = 0, vh = 0, mag = 0;
    for (let j = 0; j < m; j++) {
      const c = obj.row[j];
      if (c === 0) continue;
      vl += c > 0 ? c * ylo[j] : c * yhi[j];
      vh += c > 0 ? c * yhi[j] : c * ylo[j];
      mag += Math.abs(c) * Math.max(Math.abs(ylo[j]), Math.abs(yhi[j]));
    }
    const e = 4 * (m + 2) * 2 ** -53 * mag;
    return { lo, hi, vlo: nextDown(vl - e), vhi: nextUp(vh + e) };
  }
  if (obj.loss === 'mse') {
    let vl = 0, vh = 0, n = 0;
    for (let j = 0; j < m; j++) {
      const a = addDown(ylo[j], -obj.target[j]), b = addUp(yhi[j], -obj.target[j]);
      lo[j] = a; hi[j] = b;
      const sqHi = Math.max(mulUp(a, a), mulUp(b, b));
      const sqLo = a > 0 ? a * a : b < 0 ? b * b : 0;
      vh += sqHi; vl += sqLo; n++;
    }
    return { lo, hi, vlo: Math.max(0, nextDown(0.5 * vl * (1 - 4 * (n + 2) * 2 ** -53))), vhi: 0.5 * sumUp(vh, n) };
  }
  // Cross-entropy: p_j = 1/(1 + Σ_{k≠j} e^{y_k − y_j}) is decreasing in y_k and increasing in y_j.
  const c = obj.label;
  for (let j = 0; j < m; j++) {
    let sHi = 0, sLo = 0;
    for (let k = 0; k < m; k++) {
      if (k === j) continue;
      sHi += Math.exp(yhi[k] - ylo[j]);
      sLo += Math.exp(ylo[k] - yhi[j]);
    }
    const pLo = Math.max(0, down(1 / (1 + up(sHi)))), pHi = Math.min(1, up(1 / (1 + down(sLo))) + 1e-300);
    lo[j] = j === c ? addDown(pLo, -1) : pLo;
    hi[j] = j === c ? addUp(pHi, -1) : pHi;
  }
  // ℓ = log Σ_k e^{y_k − y_c}, increasing in y_k (k ≠ c) and decreasing in y_c.
  let sLo = 1, sHi = 1;
  for (let k = 0; k < m; k++) {
    if (k === c) continue;
    sLo += Math.exp(ylo[k] - yhi[c]);
    sHi += Math.exp(yhi[k] - ylo[c]);
  }
  return { lo, hi, vlo: Math.max(0, down(Math.log(down(sLo)))), vhi: up(Math.log(up(sHi))) };
}

interface Pass {
  nodes: NodeBounds;
  /** Per layer index: bounds of δ = ∂(objective)/∂(the layer's output), and of its input. */
  dOut: { lo: Float64Array; hi: Float64Array }[];
  value: { lo: number; hi: number };
}

/**
 * Interval forward over X × ball and backward of δ, for the layers' current parameters
 * (`net` may be a copy with other parameters). Sound in real arithmetic.
 */
function intervalPass(net: Network, layers: Layer[], lo: Float64Array, hi: Float64Array, rho: number, obj: ParamObjective): Pass {
  const nodes = initialBounds(net, { batch: 1, lo, hi });
  for (const L of layers) {
    nodeInterval(net, L.k, nodes, 1);
    if (L.dense && rho > 0) {
      const v = L.node.inputs[0];
      const widen = mulUp(rho, magnitudeNorm(nodes.lo[v]!, nodes.hi[v]!, L.dense.bias !== null));
      const ol = nodes.lo[L.node.output]!, oh = nodes.hi[L.node.output]!;
      for (let j = 0; j < ol.length; j++) { ol[j] = addDown(ol[j], -widen); oh[j] = addUp(oh[j], widen); }
    }
  }
  const out = net.outputIds[0];
  const cot = outputCotangent(obj, nodes.lo[out]!, nodes.hi[out]!);
  const dOut: Pass['dOut'] = new Array(layers.length);
  let gl = cot.lo, gh = cot.hi;
  for (let li = layers.length - 1; li >= 0; li--) {
    const { node, dense } = layers[li];
    dOut[li] = { lo: gl, hi: gh };
    const v = node.inputs[0];
    const inSize = net.values[v].size, outSize = net.values[node.output].size;
    const nl = new Float64Array(inSize), nh = new Float64Array(inSize);
    if (node.kind.reshapeOnly) { nl.set(gl); nh.set(gh); } else if (dense) {
      intervalTransposeProduct(dense.W, dense.N, dense.K, gl, gh, 1, nl, nh);
      if (rho > 0) {
        const widen = mulUp(rho, magnitudeNorm(gl, gh, false));
        for (let i = 0; i < inSize; i++) { nl[i] = addDown(nl[i], -widen); nh[i] = addUp(nh[i], widen); }
      }
    } else if (node.kind.lipschitz?.jacobian && node.kind.isAffine?.(node.params)) {
      const J = node.kind.lipschitz.jacobian(node.params, 0, [inSize], outSize);
      if (!J) throw new InputError(`--wrt params: the Jacobian of node '${node.name}' is too large to hold`);
      intervalTransposeProduct(J, outSize, inSize, gl, gh, 1, nl, nh);
    } else {
      const dlo = new Float64Array(inSize), dhi = new Float64Array(inSize);
      node.kind.lipschitz!.derivativeRange!(node.params, nodes.lo[v]!, nodes.hi[v]!, dlo, dhi);
      for (let i = 0; i < inSize; i++) timesInto(gl[i], gh[i], dlo[i], dhi[i], nl, nh, i);
    }
    gl = nl; gh = nh;
  }
  return { nodes, dOut, value: { lo: cot.vlo, hi: cot.vhi } };
}

/** Upper bound of sup ‖∇_θ(objective)‖₂ from a pass. */
function gradientNormUpper(net: Network, layers: Layer[], pass: Pass): number {
  let s = 0;
  layers.forEach((L, li) => {
    if (!L.dense) return;
    const v = L.node.inputs[0];
    const a = magnitudeNorm(pass.nodes.lo[v]!, pass.nodes.hi[v]!, L.dense.bias !== null);
    const d = magnitudeNorm(pass.dOut[li].lo, pass.dOut[li].hi, false);
    const t = mulUp(a, d);
    s = addUp(s, mulUp(t, t));
  });
  return nextUp(Math.sqrt(s));
}

/** Upper bound of the Lipschitz constant of θ ↦ ∇_θ ℓ over X × ball (see the module comment). */
function smoothnessUpper(net: Network, layers: Layer[], pass: Pass, rho: number, obj: ParamObjective): number {
  const nl = layers.length;
  // θ-Lipschitz constants of each layer's output value (La) and, backwards, of δ at its output (Ld).
  const La = new Float64Array(nl);
  const slope = new Float64Array(nl), curv = new Float64Array(nl), opNorm = new Float64Array(nl);
  let prevLa = 0;
  layers.forEach((L, li) => {
    const { node, dense } = L;
    const v = node.inputs[0];
    const inSize = net.values[v].size, outSize = net.values[node.output].size;
    const lip = node.kind.lipschitz;
    if (node.kind.reshapeOnly) { La[li] = prevLa; opNorm[li] = 1; } else if (dense || (lip?.jacobian && node.kind.isAffine?.(node.params))) {
      const w = lip!.operatorNorm!(node.params, 0, '2', [inSize], outSize);
      opNorm[li] = dense ? addUp(w, rho) : w;
      const A = dense ? magnitudeNorm(pass.nodes.lo[v]!, pass.nodes.hi[v]!, dense.bias !== null) : 0;
      La[li] = addUp(mulUp(opNorm[li], prevLa), A);
    } else {
      const lo = pass.nodes.lo[v]!, hi = pass.nodes.hi[v]!;
      if (node.kind.breakpoints) {
        for (let j = 0; j < inSize; j++) {
          if (lo[j] < 0 && hi[j] > 0) throw new InputError(`--of loss-grad: the smoothness constant does not exist: ${node.kind.onnx} '${node.name}' element ${j} can change state over the box × ball (its input ranges over [${lo[j]}, ${hi[j]}])`);
        }
      }
      const dlo = new Float64Array(inSize), dhi = new Float64Array(inSize);
      lip!.derivativeRange!(node.params, lo, hi, dlo, dhi);
      let s = 0;
      for (let j = 0; j < inSize; j++) s = Math.max(s, Math.abs(dlo[j]), Math.abs(dhi[j]));
      slope[li] = s;
      const c = lip!.maxCurvature?.(node.params);
      if (c === undefined) throw new InputError(`--of loss-grad: op ${node.kind.onnx} (node '${node.name}') has no curvature bound`);
      curv[li] = c;
      La[li] = mulUp(s, prevLa);
    }
    prevLa = La[li];
  });
  const Ly = La[nl - 1];
  let Ld = obj.of === 'output' ? 0 : obj.loss === 'mse' ? Ly : mulUp(0.5, Ly);
  let total = 0;
  for (let li = nl - 1; li >= 0; li--) {
    const { node, dense } = layers[li];
    const v = node.inputs[0];
    const dMag = magnitudeNorm(pass.dOut[li].lo, pass.dOut[li].hi, false);
    const LaIn = li > 0 ? La[li - 1] : 0;
    if (dense) {
      const A = magnitudeNorm(pass.nodes.lo[v]!, pass.nodes.hi[v]!, dense.bias !== null);
      total = addUp(total, addUp(mulUp(Ld, A), mulUp(dMag, LaIn)));
      Ld = addUp(mulUp(opNorm[li], Ld), dMag);
    } else if (node.kind.reshapeOnly) {
      // δ passes unchanged.
    } else if (opNorm[li] > 0) {
      Ld = mulUp(opNorm[li], Ld);
    } else {
      const dInf = Math.max(...magnitudes(pass.dOut[li].lo, pass.dOut[li].hi), 0);
      Ld = addUp(mulUp(mulUp(curv[li], LaIn), dInf), mulUp(slope[li], Ld));
    }
  }
  return total;
}

/** The parameter vector θ (each dense op's W then b, in network order). */
function flatten(layers: Layer[]): Float64Array {
  const parts: Float64Array[] = [];
  for (const L of layers) if (L.dense) { parts.push(L.dense.W); if (L.dense.bias) parts.push(L.dense.bias); }
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** A copy of the network with the dense ops' parameters taken from θ. */
function withTheta(net: Network, layers: Layer[], theta: Float64Array): { net: Network; layers: Layer[] } {
  let o = 0;
  const nodes = net.nodes.slice();
  const out: Layer[] = layers.map((L) => {
    if (!L.dense) return L;
    const { N, K } = L.dense;
    const W = theta.slice(o, o + N * K); o += N * K;
    let bias: Float64Array | null = null;
    if (L.dense.bias) { bias = theta.slice(o, o + N); o += N; }
    const params = L.node.kind.lipschitz!.withParameters!(L.node.params, W, bias);
    const node = { ...L.node, params };
    nodes[L.k] = node;
    return { k: L.k, node, dense: { W, bias, N, K } };
  });
  return { net: new Network(net.values, nodes, net.inputIds, net.outputIds, net.meta), layers: out };
}

/** Gradient intervals w.r.t. θ at the point x (flattened like θ). */
function gradientIntervals(layers: Layer[], pass: Pass, P: number): { lo: Float64Array; hi: Float64Array } {
  const lo = new Float64Array(P), hi = new Float64Array(P);
  let o = 0;
  layers.forEach((L, li) => {
    if (!L.dense) return;
    const { N, K } = L.dense;
    const v = L.node.inputs[0];
    const al = pass.nodes.lo[v]!, ah = pass.nodes.hi[v]!;
    const d = pass.dOut[li];
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        // [δ_n]·[a_k]: both intervals; bound via the four products rounded outward.
        const c1 = Math.min(d.lo[n] * al[k], d.lo[n] * ah[k], d.hi[n] * al[k], d.hi[n] * ah[k]);
        const c2 = Math.max(d.lo[n] * al[k], d.lo[n] * ah[k], d.hi[n] * al[k], d.hi[n] * ah[k]);
        lo[o + n * K + k] = nextDown(c1); hi[o + n * K + k] = nextUp(c2);
      }
    }
    o += N * K;
    if (L.dense.bias) { lo.set(d.lo, o); hi.set(d.hi, o); o += N; }
  });
  return { lo, hi };
}

/**
 * Certified interval of the parameter-space Lipschitz constant of `obj` over the box [lo, hi] of
 * inputs × the ball of radius rho > 0 around the network's parameters. Sound (see the module comment).
 */
export function paramLipschitz(net: Network, lo: Float64Array, hi: Float64Array, obj: ParamObjective, rho: number, opts: { seed?: number; samples?: number } = {}): ParamLipschitz {
  const start = performance.now();
  if (!(rho > 0) || !Number.isFinite(rho)) throw new InputError(`--param-radius ${rho}: must be a finite number > 0`);
  const n = net.inputSize, m = net.outputSize;
  if (lo.length !== n || hi.length !== n) throw new InputError(`the region has ${lo.length} values; the network takes ${n} inputs`);
  for (let i = 0; i < n; i++) if (!(lo[i] <= hi[i])) throw new InputError(`the region is empty or NaN at input ${i}`);
  if (obj.of === 'output' && obj.row.length !== m) throw new InputError(`the objective has ${obj.row.length} values; the network has ${m} outputs`);
  if (obj.of !== 'output' && obj.loss === 'mse' && obj.target.length !== m) throw new InputError(`--target has ${obj.target.length} values; the network has ${m} outputs`);
  if (obj.of !== 'output' && obj.loss === 'ce' && !(Number.isInteger(obj.label) && obj.label >= 0 && obj.label < m)) throw new InputError(`--label ${obj.label} is out of range (0..${m - 1})`);
  const layers = chainOf(net);
  const pass = intervalPass(net, layers, lo, hi, rho, obj);
  const upper = obj.of === 'loss-grad' ? smoothnessUpper(net, layers, pass, rho, obj) : gradientNormUpper(net, layers, pass);

  // Lower bounds: secant pairs θ₀, θ₀ + h·u at a few inputs.
  const theta0 = flatten(layers);
  const P = theta0.length;
  const rng = new Rng(opts.seed ?? 0);
  const xs: Float64Array[] = [];
  xs.push(Float64Array.from(lo, (l, i) => (Math.abs(l) >= Math.abs(hi[i]) ? l : hi[i])));
  xs.push(Float64Array.from(lo, (l, i) => 0.5 * l + 0.5 * hi[i]));
  for (let s = 0; s < (opts.samples ?? 6); s++) xs.push(Float64Array.from(lo, (l, i) => Math.min(hi[i], l + (hi[i] - l) * rng.next())));
  let best: ParamLipschitz['witness'] = null;
  let lower = 0;
  for (const x of xs) {
    const p0 = intervalPass(net, layers, x, x, 0, obj);
    const g0 = gradientIntervals(layers, p0, P);
    let gn = 0;
    const u = new Float64Array(P);
    for (let i = 0; i < P; i++) { u[i] = 0.5 * g0.lo[i] + 0.5 * g0.hi[i]; gn += u[i] * u[i]; }
    gn = Math.sqrt(gn);
    if (!(gn > 0)) continue;
    for (const f of [1, 0.25]) {
      const h = rho * f * (1 - 1e-9) / gn;
      const theta1 = new Float64Array(P);
      for (let i = 0; i < P; i++) theta1[i] = theta0[i] + h * u[i];
      // ‖θ₁ − θ₀‖ from the actual floats, rounded up: the pair must lie in the ball.
      let d2 = 0;
      for (let i = 0; i < P; i++) { const d = Math.max(Math.abs(addUp(theta1[i], -theta0[i])), Math.abs(addDown(theta1[i], -theta0[i]))); d2 += d * d; }
      const dist = nextUp(Math.sqrt(sumUp(d2, P)));
      if (!(dist > 0) || dist > rho) continue;
      const c = withTheta(net, layers, theta1);
      const p1 = intervalPass(c.net, c.layers, x, x, 0, obj);
      let num: number;
      if (obj.of === 'loss-grad') {
        const g1 = gradientIntervals(c.layers, p1, P);
        let s = 0;
        for (let i = 0; i < P; i++) {
          const gap = Math.max(0, addDown(g1.lo[i], -g0.hi[i]), addDown(g0.lo[i], -g1.hi[i]));
          s += gap * gap;
        }
        num = Math.sqrt(s * (1 - 4 * (P + 2) * 2 ** -53)) * (1 - 4 * 2 ** -53);
      } else {
        num = Math.max(addDown(p1.value.lo, -p0.value.hi), addDown(p0.value.lo, -p1.value.hi));
      }
      if (!(num > 0)) continue;
      const slope = divDown(num, dist);
      if (slope > lower) { lower = slope; best = { x, theta0, theta1 }; }
    }
  }
  return { lower: Math.min(lower, upper), upper, parameters: P, witness: best, time_s: (performance.now() - start) / 1000 };
}
