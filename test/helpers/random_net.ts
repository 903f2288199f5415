/**
 * Seeded generators of small random networks, for the network IR tests and (later) the
 * bound-propagation soundness tests.
 *
 * Every generator returns a {@link GraphSpec} (the file-level graph: inputs, initialisers,
 * nodes), so a test can build it ({@link buildFromSpec}), write it to ONNX/JSON, or hand it to
 * onnxruntime. The same options (including `seed`) always give the same network.
 *
 * Conventions
 * - Batch-1 ONNX shapes: a dense net takes `[1, inputs]`, a conv net `[1, C, H, W]`.
 * - Weights are float32-exact by default (`float32: true`), and the input is declared float32,
 *   so `encodeOnnx` writes a float32 model that onnxruntime runs with the very same weights.
 *   Pass `float32: false` for arbitrary float64 weights (the model is then written as double).
 * - Weights are scaled like He/Glorot initialisation (std ≈ gain/√fanIn), biases are small,
 *   so activations stay of order 1 for inputs of order 1.
 * - Node and value names are unique and readable (`fc1`, `fc1.out`, `relu1`, ...).
 */
import type { GraphSpec } from '../../src/net/graph.js';
import { buildNetwork, type Network } from '../../src/net/network.js';
import type { Attrs, ConstTensor, SpecNode } from '../../src/net/op.js';
import { simplify } from '../../src/net/simplify.js';
import { Rng } from '../../src/util/rng.js';

/** The elementwise activations the generators can place after a hidden layer. */
export type Activation = 'Relu' | 'Sigmoid' | 'Tanh' | 'LeakyRelu';

/** Options shared by every generator. */
export interface CommonOptions {
  /** Seed of the {@link Rng} that draws every weight. */
  seed: number;
  /** Round every weight to float32 (default true); see the module comment. */
  float32?: boolean;
  /** Multiplies the standard deviation of every weight (default 1). */
  weightScale?: number;
  /** Slope for negative inputs when `act` is 'LeakyRelu' (default 0.1; rounded to float32 with the weights). */
  leakyAlpha?: number;
  /** Name recorded as the graph's source (appears in error messages). Default 'random:<kind>:<seed>'. */
  source?: string;
}

/**
 * A small incremental graph builder: adds initialisers and nodes with unique names. Exported so
 * tests can assemble hand-made graphs with the same conventions as the generators.
 */
export class GraphBuilder {
  readonly initializers: GraphSpec['initializers'] = [];
  readonly nodes: SpecNode[] = [];
  private readonly names = new Set<string>();
  readonly rng: Rng;

  constructor(
    readonly opts: CommonOptions,
    readonly input: { name: string; shape: number[]; dtype?: 'float32' | 'float64' },
  ) {
    this.rng = new Rng(opts.seed);
    this.names.add(input.name);
  }

  private unique(name: string): string {
    let n = name;
    for (let k = 1; this.names.has(n); k++) n = `${name}_${k}`;
    this.names.add(n);
    return n;
  }

  /** Round to float32 when the options ask for it. */
  round(v: number): number {
    return this.opts.float32 === false ? v : Math.fround(v);
  }

  /** Register a constant; returns its (unique) name. */
  constant(name: string, shape: number[], data: ArrayLike<number>, dtype?: ConstTensor['dtype']): string {
    const n = this.unique(name);
    const t: ConstTensor = { shape: shape.slice(), data: Float64Array.from(data), ...(dtype ? { dtype } : {}) };
    this.initializers.push({ name: n, tensor: t });
    return n;
  }

  /** A constant of normal deviates times `std` (rounded per the options). */
  randomConstant(name: string, shape: number[], std: number, mean = 0): string {
    let size = 1;
    for (const d of shape) size *= d;
    const data = new Float64Array(size);
    const s = std * (this.opts.weightScale ?? 1);
    for (let i = 0; i < size; i++) data[i] = this.round(mean + s * this.rng.normal());
    return this.constant(name, shape, data);
  }

  /** A constant of uniform deviates in [lo, hi) (rounded per the options). */
  uniformConstant(name: string, shape: number[], lo: number, hi: number): string {
    let size = 1;
    for (const d of shape) size *= d;
    const data = new Float64Array(size);
    for (let i = 0; i < size; i++) data[i] = this.round(this.rng.uniform(lo, hi));
    return this.constant(name, shape, data);
  }

  /** Add a node with one output; returns the output's name (`<name>.out` unless given). */
  node(op: string, name: string, inputs: string[], attrs: Attrs = {}, output?: string): string {
    const n = this.unique(name);
    const out = output ?? this.unique(`${n}.out`);
    if (output) this.names.add(output);
    this.nodes.push({ name: n, op, inputs, outputs: [out], attrs });
    return out;
  }

  /** Dense layer y = x·Wᵀ + b as Gemm(transB=1) with He-scaled weights. */
  gemm(name: string, x: string, inSize: number, outSize: number, gain = Math.SQRT2): string {
    const w = this.randomConstant(`${name}.weight`, [outSize, inSize], gain / Math.sqrt(inSize));
    const b = this.randomConstant(`${name}.bias`, [outSize], 0.1);
    return this.node('Gemm', name, [x, w, b], { transB: 1 });
  }

  /**
   * An activation node. LeakyRelu gets the options' alpha, rounded to float32 like the weights
   * (an ONNX float attribute is a float32, so only then does the ONNX file hold it exactly).
   */
  activation(act: Activation, name: string, x: string): string {
    const attrs: Attrs = act === 'LeakyRelu' ? { alpha: this.round(this.opts.leakyAlpha ?? 0.1) } : {};
    return this.node(act, name, [x], attrs);
  }

  /** The finished graph with `output` as its single output. */
  finish(output: string, kind: string): GraphSpec {
    return {
      inputs: [{ name: this.input.name, shape: this.input.shape.slice(), dtype: this.input.dtype ?? 'float32' }],
      outputs: [output],
      initializers: this.initializers,
      nodes: this.nodes,
      opset: 13,
      source: this.opts.source ?? `random:${kind}:${this.opts.seed}`,
      producer: 'lipcert-tests',
    };
  }
}

/** Gain that keeps activations of order 1 through an activation. */
function gainFor(act: Activation): number {
  return act === 'Relu' || act === 'LeakyRelu' ? Math.SQRT2 : 1;
}

// ---------------------------------------------------------------------------------------------

export interface DenseOptions extends CommonOptions {
  /** Input size n (input shape [1, n]). */
  inputs: number;
  /** Hidden layer widths; each hidden layer is Gemm then `act`. */
  widths: number[];
  /** Output size (the last Gemm has no activation). */
  outputs: number;
  act: Activation;
}

/** A fully connected net: input [1, inputs] → (Gemm → act) per width → Gemm → [1, outputs]. */
export function randomDense(o: DenseOptions): GraphSpec {
  const g = new GraphBuilder(o, { name: 'input', shape: [1, o.inputs] });
  let cur = 'input';
  let size = o.inputs;
  o.widths.forEach((w, l) => {
    cur = g.gemm(`fc${l + 1}`, cur, size, w, l === 0 ? 1 : gainFor(o.act));
    cur = g.activation(o.act, `act${l + 1}`, cur);
    size = w;
  });
  cur = g.gemm(`fc${o.widths.length + 1}`, cur, size, o.outputs, o.widths.length ? gainFor(o.act) : 1);
  return g.finish(cur, 'dense');
}

// ---------------------------------------------------------------------------------------------

export interface ResidualOptions extends CommonOptions {
  inputs: number;
  /** Width of the residual stream. */
  width: number;
  /** Number of residual blocks (default 2). */
  blocks?: number;
  outputs: number;
  /** Activation inside the blocks and after each join (default 'Relu'). */
  act?: Activation;
}

/**
 * A residual net. Input [1, inputs] → Gemm to `width` → act, then per block
 * h ↦ act(h + Gemm(act(Gemm(h)))) — the Add joins two data-dependent branches of the same
 * width — then a final Gemm to `outputs`. The branch weights are scaled down (0.5) so the
 * residual stream does not blow up.
 */
export function randomResidual(o: ResidualOptions): GraphSpec {
  const act = o.act ?? 'Relu';
  const g = new GraphBuilder(o, { name: 'input', shape: [1, o.inputs] });
  let h = g.gemm('stem', 'input', o.inputs, o.width, 1);
  h = g.activation(act, 'stem_act', h);
  const blocks = o.blocks ?? 2;
  for (let b = 1; b <= blocks; b++) {
    let t = g.gemm(`block${b}.fc1`, h, o.width, o.width, gainFor(act));
    t = g.activation(act, `block${b}.act`, t);
    t = g.gemm(`block${b}.fc2`, t, o.width, o.width, 0.5 * gainFor(act));
    const sum = g.node('Add', `block${b}.add`, [h, t]);
    h = g.activation(act, `block${b}.out`, sum);
  }
  const out = g.gemm('head', h, o.width, o.outputs, gainFor(act));
  return g.finish(out, 'residual');
}

// ---------------------------------------------------------------------------------------------

/** One convolution layer of {@link randomConvNet}. */
export interface ConvLayer {
  /** Output channels (must be divisible by `group`). */
  channels: number;
  /** Square kernel size (default 3). */
  kernel?: number;
  /** [top, left, bottom, right] (default 0s). */
  pads?: [number, number, number, number];
  strides?: [number, number];
  dilations?: [number, number];
  /** Groups (input and output channels must be divisible by it; default 1). */
  group?: number;
  /** Put a BatchNormalization (random inference statistics) after the convolution. */
  batchNorm?: boolean;
}

export interface ConvOptions extends CommonOptions {
  /** Input [1, channels, height, width]. */
  channels: number;
  height: number;
  width: number;
  convs: ConvLayer[];
  outputs: number;
  /** Activation after each convolution (default 'Relu'). */
  act?: Activation;
}

/** Output size of one spatial axis of a convolution (ONNX NOTSET padding). */
export function convOutSize(inSize: number, k: number, s: number, d: number, p0: number, p1: number): number {
  return Math.floor((inSize + p0 + p1 - ((k - 1) * d + 1)) / s) + 1;
}

/**
 * A small conv net: input [1, C, H, W] → per layer Conv(pads, strides, dilations, group)
 * [→ BatchNormalization] → act, then Flatten → Gemm to `outputs`.
 */
export function randomConvNet(o: ConvOptions): GraphSpec {
  const act = o.act ?? 'Relu';
  const g = new GraphBuilder(o, { name: 'input', shape: [1, o.channels, o.height, o.width] });
  let cur = 'input';
  let [C, H, W] = [o.channels, o.height, o.width];
  o.convs.forEach((c, l) => {
    const k = c.kernel ?? 3;
    const pads = c.pads ?? [0, 0, 0, 0];
    const strides = c.strides ?? [1, 1];
    const dil = c.dilations ?? [1, 1];
    const group = c.group ?? 1;
    if (C % group !== 0 || c.channels % group !== 0) throw new Error(`randomConvNet: group ${group} does not divide ${C} and ${c.channels}`);
    const fanIn = (C / group) * k * k;
    const name = `conv${l + 1}`;
    const w = g.randomConstant(`${name}.weight`, [c.channels, C / group, k, k], (l === 0 ? 1 : gainFor(act)) / Math.sqrt(fanIn));
    const b = g.randomConstant(`${name}.bias`, [c.channels], 0.1);
    cur = g.node('Conv', name, [cur, w, b], { kernel_shape: [k, k], pads, strides, dilations: dil, group });
    if (c.batchNorm) cur = batchNorm(g, `bn${l + 1}`, cur, c.channels);
    cur = g.activation(act, `act${l + 1}`, cur);
    H = convOutSize(H, k, strides[0], dil[0], pads[0], pads[2]);
    W = convOutSize(W, k, strides[1], dil[1], pads[1], pads[3]);
    C = c.channels;
    if (H < 1 || W < 1) throw new Error('randomConvNet: a convolution leaves no output');
  });
  cur = g.node('Flatten', 'flatten', [cur], { axis: 1 });
  cur = g.gemm('fc', cur, C * H * W, o.outputs, gainFor(act));
  return g.finish(cur, 'conv');
}

/** A BatchNormalization over `channels` with random inference statistics. */
function batchNorm(g: GraphBuilder, name: string, x: string, channels: number): string {
  const scale = g.uniformConstant(`${name}.scale`, [channels], 0.5, 1.5);
  const bias = g.uniformConstant(`${name}.bias`, [channels], -0.2, 0.2);
  const mean = g.uniformConstant(`${name}.mean`, [channels], -0.2, 0.2);
  const variance = g.uniformConstant(`${name}.var`, [channels], 0.5, 2);
  return g.node('BatchNormalization', name, [x, scale, bias, mean, variance], { epsilon: g.round(1e-5) });
}

// ---------------------------------------------------------------------------------------------

export interface NormalizedOptions extends CommonOptions {
  /** Input [1, channels, height, width] (an image-like input; default 1×4×4). */
  channels?: number;
  height?: number;
  width?: number;
  /** Hidden widths of the dense part (default [16, 12]). */
  widths?: number[];
  outputs: number;
  act?: Activation;
}

/**
 * A net exercising every fold of the simplifier:
 * input [1, C, H, W] → Sub(mean per channel) → Div(std per channel) → BatchNormalization →
 * Flatten → Gemm → BatchNormalization → act → Mul(constant) → Add(constant) → Gemm → act ...
 * → Gemm → Mul(constant) → Add(constant) (output de-normalisation).
 * The Sub/Div/BatchNormalization before Flatten fold into the first Gemm (into its input side,
 * through the Flatten), the BatchNormalization after a Gemm folds into it, the Mul/Add after an
 * activation fold into the next Gemm, and the final Mul/Add into the last Gemm.
 */
export function randomNormalized(o: NormalizedOptions): GraphSpec {
  const act = o.act ?? 'Relu';
  const C = o.channels ?? 1, H = o.height ?? 4, W = o.width ?? 4;
  const g = new GraphBuilder(o, { name: 'input', shape: [1, C, H, W] });
  const mean = g.uniformConstant('norm.mean', [1, C, 1, 1], 0.1, 0.5);
  const std = g.uniformConstant('norm.std', [1, C, 1, 1], 0.2, 0.5);
  let cur = g.node('Sub', 'norm.sub', ['input', mean]);
  cur = g.node('Div', 'norm.div', [cur, std]);
  cur = batchNorm(g, 'bn_in', cur, C);
  cur = g.node('Flatten', 'flatten', [cur], { axis: 1 });
  let size = C * H * W;
  const widths = o.widths ?? [16, 12];
  widths.forEach((w, l) => {
    cur = g.gemm(`fc${l + 1}`, cur, size, w, l === 0 ? 0.5 : gainFor(act));
    cur = batchNorm(g, `bn${l + 1}`, cur, w);
    cur = g.activation(act, `act${l + 1}`, cur);
    const s = g.uniformConstant(`scale${l + 1}`, [w], 0.5, 1.5);
    cur = g.node('Mul', `mul${l + 1}`, [cur, s]);
    const t = g.uniformConstant(`shift${l + 1}`, [w], -0.1, 0.1);
    cur = g.node('Add', `add${l + 1}`, [cur, t]);
    size = w;
  });
  cur = g.gemm(`fc${widths.length + 1}`, cur, size, o.outputs, gainFor(act));
  const range = g.constant('out.range', [], [g.round(3)]);
  const outMean = g.constant('out.mean', [], [g.round(0.25)]);
  cur = g.node('Mul', 'denorm.mul', [cur, range]);
  cur = g.node('Add', 'denorm.add', [cur, outMean]);
  return g.finish(cur, 'normalized');
}

// ---------------------------------------------------------------------------------------------

/** Build a graph into the IR; simplified (constant affine ops folded) only when asked. */
export function buildFromSpec(spec: GraphSpec, opts: { simplify?: boolean } = {}): Network {
  const net = buildNetwork(spec);
  return opts.simplify ? simplify(net).net : net;
}

/** Output shapes of a graph's outputs, as `encodeOnnx` wants them (taken from the built IR). */
export function outputShapes(spec: GraphSpec): Map<string, number[]> {
  const net = buildNetwork(spec);
  return new Map(net.outputIds.map((i) => [net.values[i].name, net.values[i].shape.slice()]));
}

/**
 * `count` random points of size `n` with coordinates uniform in [lo, hi), back to back
 * (count × n). Rounded to float32 unless `float32` is false, so the same values can be fed to
 * onnxruntime (float32) and to lipcert (float64) exactly.
 */
export function randomInputs(rng: Rng, n: number, count: number, lo: number | ArrayLike<number>, hi: number | ArrayLike<number>, float32 = true): Float64Array {
  const x = new Float64Array(n * count);
  for (let s = 0; s < count; s++) {
    for (let i = 0; i < n; i++) {
      const a = typeof lo === 'number' ? lo : lo[i];
      const b = typeof hi === 'number' ? hi : hi[i];
      const v = rng.uniform(a, b);
      x[s * n + i] = float32 ? Math.fround(v) : v;
    }
  }
  return x;
}

export { Rng };
