import { existsSync } from 'node:fs';
/**
 * Writers and op coverage.
 * - load → write → load computes the same outputs (ONNX and JSON; random nets and the benchmark
 *   networks; simplified or not), and a written float32 model runs in onnxruntime-node too;
 * - every supported op, in the forms files use (opset 11 and 13), agrees with onnxruntime-node
 *   on a graph encoded by an independent minimal ModelProto builder (below, straight on
 *   `onnx-proto`, tensors in float_data/int64_data rather than raw_data).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { forward } from '../../src/net/forward.js';
import type { GraphSpec } from '../../src/net/graph.js';
import { encodeModel, parseModelBytes, readModel, writeModel } from '../../src/net/io.js';
import { stringifyJsonModel } from '../../src/net/json.js';
import { encodeOnnx } from '../../src/net/onnx.js';
import { networkToSpec, type Network } from '../../src/net/network.js';
import type { ConstTensor } from '../../src/net/op.js';
import { simplify } from '../../src/net/simplify.js';
import { bench, haveBenchmarks, REPO_ROOT } from '../helpers/benchmarks.js';
import {
  buildFromSpec, GraphBuilder, outputShapes, randomConvNet, randomDense, randomInputs, randomNormalized, randomResidual, Rng,
} from '../helpers/random_net.js';

const { onnx } = onnxProto;
const HAVE = haveBenchmarks();
const DIR = mkdtempSync(join(tmpdir(), 'lipcert-roundtrip-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

let fileCounter = 0;
function tmpFile(stem: string, ext: string): string {
  return join(DIR, `${stem.replace(/[^A-Za-z0-9_.-]+/g, '_')}_${fileCounter++}.${ext}`);
}

function expectNear(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const tol = rel * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`${what}, entry ${i}: lipcert ${actual[i]}, reference ${expected[i]} (|diff| ${Math.abs(actual[i] - expected[i])} > ${tol})`);
    }
  }
}

function expectSame(actual: Float64Array, expected: Float64Array, what: string): void {
  expect(Array.from(actual), what).toEqual(Array.from(expected));
}

/** Run `count` inputs one at a time through onnxruntime; returns count × outSize and the output dims. */
async function ortForward(model: string | Uint8Array, xs: Float64Array, shape: number[], count: number, dtype: 'float32' | 'float64' = 'float32'): Promise<{ y: Float64Array; dims: number[] }> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const n = xs.length / count;
    const parts: number[] = [];
    let dims: number[] = [];
    for (let s = 0; s < count; s++) {
      const x = xs.subarray(s * n, (s + 1) * n);
      const t = dtype === 'float32' ? new ort.Tensor('float32', Float32Array.from(x), shape) : new ort.Tensor('float64', Float64Array.from(x), shape);
      const out = (await session.run({ [session.inputNames[0]]: t }))[session.outputNames[0]];
      dims = out.dims.slice();
      parts.push(...Array.from(out.data as Float32Array | Float64Array, Number));
    }
    return { y: Float64Array.from(parts), dims };
  } finally {
    await session.release();
  }
}

// ---- An independent, minimal ONNX encoder ---------------------------------------------------

const FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon', 'momentum', 'value_float']);
const INT_DTYPES = new Set(['int64', 'int32', 'bool', 'uint8', 'int8']);

function protoTensor(name: string, t: ConstTensor): onnxProto.onnx.ITensorProto {
  if (INT_DTYPES.has(t.dtype ?? '')) return { name, dims: t.shape, dataType: onnx.TensorProto.DataType.INT64, int64Data: Array.from(t.data) };
  for (const v of t.data) if (Math.fround(v) !== v) throw new Error(`protoTensor: '${name}' is not float32-exact`);
  return { name, dims: t.shape, dataType: onnx.TensorProto.DataType.FLOAT, floatData: Array.from(t.data) };
}

/** A float32 ModelProto for a graph, built by hand (no code from src/net/onnx.ts). */
function handEncode(spec: GraphSpec, outShapes: Map<string, number[]>): Uint8Array {
  const T = onnx.AttributeProto.AttributeType;
  const vi = (name: string, shape: number[]): onnxProto.onnx.IValueInfoProto => ({
    name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  });
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 7,
    producerName: 'lipcert-tests',
    opsetImport: [{ domain: '', version: spec.opset }],
    graph: {
      name: 'test',
      node: spec.nodes.map((n) => ({
        name: n.name, opType: n.op, input: n.inputs, output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, v]): onnxProto.onnx.IAttributeProto => {
          if (typeof v === 'number') return FLOAT_ATTRS.has(k) ? { name: k, type: T.FLOAT, f: v } : { name: k, type: T.INT, i: v };
          if (typeof v === 'string') return { name: k, type: T.STRING, s: new TextEncoder().encode(v) };
          if (Array.isArray(v)) return k === 'value_floats' ? { name: k, type: T.FLOATS, floats: v as number[] } : { name: k, type: T.INTS, ints: v as number[] };
          return { name: k, type: T.TENSOR, t: protoTensor('', v) };
        }),
      })),
      initializer: spec.initializers.map((i) => protoTensor(i.name, i.tensor)),
      input: spec.inputs.map((i) => vi(i.name, i.shape)),
      output: spec.outputs.map((o) => vi(o, outShapes.get(o)!)),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

// ---- Op coverage ----------------------------------------------------------------------------

interface OpCase {
  name: string;
  spec: GraphSpec;
  /** Ops that must have been folded away when the network is built (constant subgraphs). */
  foldedAway?: string[];
  lo?: number;
  hi?: number;
}

const i64 = (data: number[], shape = [data.length]): ConstTensor => ({ shape, data: Float64Array.from(data), dtype: 'int64' });

function opCase(name: string, inputShape: number[], opset: number, body: (g: GraphBuilder) => string, extra: Partial<OpCase> = {}): OpCase {
  const g = new GraphBuilder({ seed: name.length * 7919 + opset, source: `op case ${name}` }, { name: 'x', shape: inputShape });
  const out = body(g);
  const spec = g.finish(out, name);
  spec.opset = opset;
  return { name, spec, ...extra };
}

const OP_CASES: OpCase[] = [
  opCase('Gemm transB alpha beta + Relu', [1, 5], 13, (g) => {
    const w = g.randomConstant('w', [4, 5], 0.5), c = g.randomConstant('c', [4], 0.5);
    const y = g.node('Gemm', 'gemm', ['x', w, c], { transB: 1, alpha: 0.5, beta: 2 });
    return g.node('Relu', 'relu', [y]);
  }),
  opCase('Gemm transA, bias broadcast over rows', [5, 3], 13, (g) => {
    const w = g.randomConstant('w', [5, 4], 0.5), c = g.randomConstant('c', [1, 4], 0.5);
    return g.node('Gemm', 'gemm', ['x', w, c], { transA: 1, alpha: 1.5 });
  }),
  opCase('Gemm two rows, no bias, opset 11', [2, 5], 11, (g) => {
    const w = g.randomConstant('w', [5, 3], 0.5);
    return g.node('Gemm', 'gemm', ['x', w], {});
  }),
  opCase('MatMul constant right 2-D + Add bias', [1, 5], 13, (g) => {
    const w = g.randomConstant('w', [5, 4], 0.5), b = g.randomConstant('b', [4], 0.5);
    const y = g.node('MatMul', 'mm', ['x', w]);
    return g.node('Add', 'add', [y, b]);
  }),
  opCase('MatMul constant right 1-D', [1, 5], 13, (g) => {
    const w = g.randomConstant('w', [5], 0.5);
    return g.node('MatMul', 'mm', ['x', w]);
  }),
  opCase('MatMul constant left on [1,784,1]', [1, 784, 1], 13, (g) => {
    const w = g.randomConstant('w', [6, 784], 0.05);
    const y = g.node('MatMul', 'mm', [w, 'x']);
    const f = g.node('Flatten', 'flatten', [y], { axis: 1 });
    return g.node('Relu', 'relu', [f]);
  }, { lo: 0, hi: 1 }),
  opCase('mnistfc-style [1,784,1]: Flatten, Gemm, Relu', [1, 784, 1], 9, (g) => {
    let y = g.node('Flatten', 'flatten', ['x'], { axis: 1 });
    y = g.gemm('fc1', y, 784, 16);
    y = g.node('Relu', 'relu', [y]);
    return g.gemm('fc2', y, 16, 10);
  }, { lo: 0, hi: 1 }),
  opCase('Add residual of two dynamic tensors with broadcasting', [1, 4, 3], 13, (g) => {
    const a = g.node('Relu', 'relu', ['x']);
    const wl = g.randomConstant('wl', [1, 4], 0.5);
    const b = g.node('MatMul', 'mm_left', [wl, 'x']); // [1,1,3]
    const s = g.node('Add', 'add_dyn', [a, b]); // [1,4,3] + [1,1,3]
    const c = g.randomConstant('c', [3], 0.5);
    const t = g.node('Add', 'add_const', [c, s]); // constant first, broadcast
    return g.node('Sub', 'sub_dyn', [t, b]);
  }),
  opCase('Sub, Mul, Div with constants on either side and broadcasting', [1, 6], 13, (g) => {
    const c1 = g.randomConstant('c1', [6], 0.5);
    let y = g.node('Sub', 'sub', ['x', c1]);
    const c2 = g.uniformConstant('c2', [1, 6], 0.5, 2);
    y = g.node('Mul', 'mul', [c2, y]);
    const c3 = g.constant('c3', [], [Math.fround(1.7)]);
    y = g.node('Div', 'div', [y, c3]);
    const c4 = g.randomConstant('c4', [6], 0.5);
    y = g.node('Sub', 'rsub', [c4, y]);
    const sq = g.node('Mul', 'square', [y, y]);
    const c5 = g.uniformConstant('c5', [2, 1, 1], 0.5, 2);
    return g.node('Div', 'div_bcast', [sq, c5]); // [2,1,6]
  }),
  opCase('LeakyRelu, Sigmoid, Tanh, Identity', [1, 8], 13, (g) => {
    let y = g.node('LeakyRelu', 'leaky', ['x'], { alpha: Math.fround(0.2) });
    y = g.gemm('fc1', y, 8, 6);
    y = g.node('Sigmoid', 'sigmoid', [y]);
    y = g.gemm('fc2', y, 6, 5);
    y = g.node('Tanh', 'tanh', [y]);
    y = g.node('LeakyRelu', 'leaky_default', [y]);
    return g.node('Identity', 'identity', [y]);
  }, { lo: -3, hi: 3 }),
  opCase('Flatten (axis 2) and Reshape with 0 and -1', [1, 2, 3, 4], 13, (g) => {
    let y = g.node('Flatten', 'flatten', ['x'], { axis: 2 }); // [6,4]
    y = g.node('Relu', 'relu', [y]);
    const s1 = g.constant('s1', [3], [0, -1, 2], 'int64');
    y = g.node('Reshape', 'reshape1', [y, s1]); // [6,2,2]
    const s2 = g.constant('s2', [2], [1, -1], 'int64');
    y = g.node('Reshape', 'reshape2', [y, s2]); // [1,24]
    return g.gemm('fc', y, 24, 3);
  }),
  opCase('Constant nodes (value, value_float, value_ints) feeding Add, Mul, Reshape', [1, 2, 5], 13, (g) => {
    const cv = g.node('Constant', 'const_tensor', [], { value: { shape: [5], data: Float64Array.from([0.5, -1, 0.25, 2, -0.75]) } });
    let y = g.node('Add', 'add', ['x', cv]);
    const cf = g.node('Constant', 'const_float', [], { value_float: 1.5 });
    y = g.node('Mul', 'mul', [y, cf]);
    const shape = g.node('Constant', 'const_shape', [], { value: i64([1, 10]) });
    y = g.node('Reshape', 'reshape', [y, shape]);
    const cs = g.node('Constant', 'const_ints', [], { value_ints: [1, 5, 2] });
    y = g.node('Reshape', 'reshape2', [y, cs]);
    return g.node('Relu', 'relu', [y]);
  }, { foldedAway: ['Constant'] }),
  opCase('BatchNormalization on [1,3,4,4]', [1, 3, 4, 4], 13, (g) => {
    const sc = g.uniformConstant('scale', [3], 0.5, 1.5), b = g.uniformConstant('bias', [3], -0.5, 0.5);
    const m = g.uniformConstant('mean', [3], -0.5, 0.5), v = g.uniformConstant('var', [3], 0.5, 2);
    let y = g.node('BatchNormalization', 'bn', ['x', sc, b, m, v], { epsilon: Math.fround(1e-3) });
    y = g.node('Relu', 'relu', [y]);
    y = g.node('Flatten', 'flatten', [y], { axis: 1 });
    return g.gemm('fc', y, 48, 4);
  }),
  opCase('Conv pads, strides, dilations, groups', [1, 4, 7, 6], 13, (g) => {
    const w1 = g.randomConstant('w1', [6, 2, 3, 2], 0.4), b1 = g.randomConstant('b1', [6], 0.2);
    let y = g.node('Conv', 'conv1', ['x', w1, b1], { pads: [1, 0, 2, 1], strides: [2, 1], dilations: [1, 2], group: 2, kernel_shape: [3, 2] });
    // H: (7+3-3)/2+1 = 4; W: (6+1-3)/1+1 = 5
    y = g.node('Relu', 'relu1', [y]);
    const w2 = g.randomConstant('w2', [3, 6, 1, 1], 0.4);
    y = g.node('Conv', 'conv2', [y, w2], {});
    y = g.node('Flatten', 'flatten', [y], { axis: 1 });
    return g.gemm('fc', y, 3 * 4 * 5, 2);
  }),
  opCase('Conv auto_pad SAME_UPPER, depthwise', [1, 3, 5, 5], 13, (g) => {
    const w = g.randomConstant('w', [3, 1, 3, 3], 0.4), b = g.randomConstant('b', [3], 0.2);
    const y = g.node('Conv', 'conv', ['x', w, b], { auto_pad: 'SAME_UPPER', strides: [2, 2], group: 3 });
    return g.node('Relu', 'relu', [y]);
  }),
];

for (const opset of [11, 13]) {
  OP_CASES.push(opCase(`Shape→Gather→Unsqueeze→Concat→Reshape chain on [1,1,1,5], opset ${opset}`, [1, 1, 1, 5], opset, (g) => {
    const shape = g.node('Shape', 'shape', ['x']);
    const idx = g.constant('idx', [], [0], 'int64');
    const first = g.node('Gather', 'gather', [shape, idx], { axis: 0 }); // scalar
    const unsq = opset >= 13
      ? g.node('Unsqueeze', 'unsqueeze', [first, g.constant('axes', [1], [0], 'int64')])
      : g.node('Unsqueeze', 'unsqueeze', [first], { axes: [0] });
    const rest = g.constant('rest', [1], [-1], 'int64');
    const target = g.node('Concat', 'concat', [unsq, rest], { axis: 0 });
    let y = g.node('Reshape', 'reshape', ['x', target]); // [1,5]
    y = g.gemm('fc1', y, 5, 8);
    y = g.node('Relu', 'relu', [y]);
    return g.gemm('fc2', y, 8, 5);
  }, { foldedAway: ['Shape', 'Gather', 'Unsqueeze', 'Concat'] }));
  OP_CASES.push(opCase(`Squeeze and Unsqueeze on [1,784,1], opset ${opset}`, [1, 784, 1], opset, (g) => {
    let y = opset >= 13
      ? g.node('Squeeze', 'squeeze', ['x', g.constant('sq_axes', [1], [2], 'int64')])
      : g.node('Squeeze', 'squeeze', ['x'], { axes: [2] }); // [1,784]
    y = g.gemm('fc', y, 784, 6);
    y = opset >= 13
      ? g.node('Unsqueeze', 'unsqueeze', [y, g.constant('un_axes', [2], [0, -1], 'int64')])
      : g.node('Unsqueeze', 'unsqueeze', [y], { axes: [0, -1] }); // [1,1,6,1]
    return g.node('Relu', 'relu', [y]);
  }, { lo: 0, hi: 1 }));
}

describe('op coverage against onnxruntime (hand-encoded ModelProto)', () => {
  for (const c of OP_CASES) {
    it(c.name, async () => {
      const shapes = outputShapes(c.spec);
      const file = tmpFile(c.name, 'onnx');
      writeFileSync(file, handEncode(c.spec, shapes));
      const net = readModel(file, { simplify: false });
      const simp = readModel(file);
      for (const op of c.foldedAway ?? []) {
        expect(net.nodes.map((n) => n.kind.onnx), `${op} should be folded at load`).not.toContain(op);
      }
      const count = 4;
      const xs = randomInputs(new Rng(c.name.length), net.inputSize, count, c.lo ?? -1, c.hi ?? 1);
      const ref = await ortForward(file, xs, net.input.shape, count);
      expect(ref.dims, 'output shape').toEqual(net.output.shape);
      expectNear(forward(net, xs, count), ref.y, 1e-5, `${c.name} vs onnxruntime`);
      expectNear(forward(simp, xs, count), ref.y, 1e-5, `${c.name} (simplified) vs onnxruntime`);

      // The graph as lipcert's own encoder writes it reads back to the same network.
      const viaEncodeOnnx = tmpFile(c.name, 'onnx');
      writeFileSync(viaEncodeOnnx, encodeOnnx(c.spec, shapes));
      expectSame(forward(readModel(viaEncodeOnnx, { simplify: false }), xs, count), forward(net, xs, count), `${c.name}: lipcert-encoded ONNX`);

      // Round trips, and the lipcert-written ONNX file in onnxruntime.
      for (const n of [net, simp]) {
        await checkRoundTrip(n, xs, count, c.name);
      }
    });
  }
});

/** load → write → load (ONNX and JSON) gives the same outputs; a written ONNX also runs in onnxruntime. */
async function checkRoundTrip(net: Network, xs: Float64Array, count: number, what: string, runOrt = true): Promise<void> {
  const y = forward(net, xs, count);
  for (const ext of ['onnx', 'json'] as const) {
    const file = tmpFile(what, ext);
    writeModel(net, file);
    const back = readModel(file, { simplify: false });
    expectSame(forward(back, xs, count), y, `${what}: ${ext} round trip`);
    expect(back.input.shape).toEqual(net.input.shape);
    expect(back.output.shape).toEqual(net.output.shape);
    expectNear(forward(readModel(file), xs, count), y, 1e-12, `${what}: ${ext} round trip, simplified on reload`);
    if (ext === 'onnx' && runOrt) {
      // float32 when the weights are float32-exact, else a double model (written inputs too).
      const ref = await ortForward(file, xs, back.input.shape, count, back.meta.inputDtype).catch((e: Error) => {
        // onnxruntime's CPU provider has no double kernel for some ops (Conv): nothing to compare then.
        if (/NOT_IMPLEMENTED|Could not find an implementation/.test(e.message) && back.meta.inputDtype === 'float64') return null;
        throw e;
      });
      if (ref) expectNear(y, ref.y, back.meta.inputDtype === 'float64' ? 1e-12 : 1e-5, `${what}: written ONNX (${back.meta.inputDtype}) vs onnxruntime`);
    }
  }
}

// ---- Random networks --------------------------------------------------------------------------

const RANDOM: { name: string; spec: GraphSpec }[] = [
  { name: 'dense Relu', spec: randomDense({ inputs: 7, widths: [16, 12], outputs: 4, act: 'Relu', seed: 1 }) },
  { name: 'dense LeakyRelu', spec: randomDense({ inputs: 5, widths: [8], outputs: 3, act: 'LeakyRelu', seed: 2 }) },
  { name: 'dense Sigmoid', spec: randomDense({ inputs: 5, widths: [10, 10], outputs: 3, act: 'Sigmoid', seed: 3 }) },
  { name: 'dense Tanh float64', spec: randomDense({ inputs: 5, widths: [10], outputs: 3, act: 'Tanh', seed: 4, float32: false }) },
  { name: 'residual', spec: randomResidual({ inputs: 6, width: 10, blocks: 2, outputs: 3, seed: 5 }) },
  {
    name: 'conv + BatchNorm',
    spec: randomConvNet({
      channels: 2, height: 8, width: 7, outputs: 4, seed: 6,
      convs: [{ channels: 4, kernel: 3, pads: [1, 1, 1, 1], strides: [2, 2], group: 2, batchNorm: true }, { channels: 3, kernel: 2, dilations: [2, 1] }],
    }),
  },
  { name: 'normalisation + BatchNorm', spec: randomNormalized({ channels: 2, height: 3, width: 4, outputs: 3, seed: 7 }) },
];

describe('random networks: load → write → load', () => {
  for (const { name, spec } of RANDOM) {
    for (const simplified of [false, true]) {
      it(`${name}${simplified ? ' (simplified)' : ''}`, async () => {
        const net = buildFromSpec(spec, { simplify: simplified });
        const count = 5;
        const xs = randomInputs(new Rng(3), net.inputSize, count, -1, 1);
        await checkRoundTrip(net, xs, count, `${name}${simplified ? ' simplified' : ''}`);
        if (simplified) {
          // The simplifier's folds change the function only by rounding.
          expectNear(forward(net, xs, count), forward(buildFromSpec(spec), xs, count), 1e-9, `${name}: simplified vs unsimplified`);
        } else {
          // The generator's graph itself, encoded by lipcert (float32 weights stay float32), run by onnxruntime.
          const f32 = spec.initializers.every((i) => i.tensor.data.every((v) => Math.fround(v) === v));
          const file = tmpFile(name, 'onnx');
          writeFileSync(file, encodeOnnx(spec, outputShapes(spec)));
          const loaded = readModel(file, { simplify: false });
          expect(loaded.meta.inputDtype).toBe(f32 ? 'float32' : 'float64');
          expectSame(forward(loaded, xs, count), forward(net, xs, count), `${name}: generator graph through encodeOnnx`);
          const ref = await ortForward(file, xs, net.input.shape, count, loaded.meta.inputDtype);
          expectNear(forward(net, xs, count), ref.y, f32 ? 1e-5 : 1e-12, `${name} vs onnxruntime`);
        }
      });
    }
  }
});

describe('the generators exercise the simplifier', () => {
  it('Sub/Div/BatchNormalization/Mul/Add fold into the Gemms; a BatchNormalization after a Conv folds into it', () => {
    const norm = simplify(buildFromSpec(RANDOM.find((r) => r.name.startsWith('normalisation'))!.spec));
    expect(norm.net.nodes.map((n) => n.kind.onnx)).toEqual(['Flatten', 'Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm']);
    expect(norm.report.foldedIntoPrevious + norm.report.foldedIntoNext).toBe(11);
    const conv = simplify(buildFromSpec(RANDOM.find((r) => r.name.startsWith('conv'))!.spec));
    expect(conv.net.nodes.map((n) => n.kind.onnx)).not.toContain('BatchNormalization');
    expect(conv.report.foldedIntoPrevious).toBe(1);
  });
});

describe('the JSON writer', () => {
  it('writes text that re-parses to the same graph', () => {
    for (const { spec } of RANDOM) {
      const net = buildFromSpec(spec);
      const text = new TextDecoder().decode(encodeModel(net, 'json'));
      expect(() => JSON.parse(text)).not.toThrow();
      const written = networkToSpec(net);
      expect(text).toBe(stringifyJsonModel(written));
      const back = parseModelBytes(new TextEncoder().encode(text), 'x.json');
      expect(back.inputs).toEqual(written.inputs);
      expect(back.outputs).toEqual(written.outputs);
      expect(back.opset).toBe(written.opset);
      expect(back.nodes).toEqual(written.nodes);
      expect(back.initializers.map((i) => [i.name, i.tensor.shape, Array.from(i.tensor.data)])).toEqual(
        written.initializers.map((i) => [i.name, i.tensor.shape, Array.from(i.tensor.data)]),
      );
    }
  });
});

// ---- Benchmark networks -----------------------------------------------------------------------

const BENCH: { name: string; path: string; lo: number; hi: number }[] = [];
for (let i = 1; i <= 5; i++) {
  for (let j = 1; j <= 9; j++) BENCH.push({ name: `acasxu ${i}_${j}`, path: bench('acasxu', 'onnx', `ACASXU_run2a_${i}_${j}_batch_2000.onnx`), lo: -0.5, hi: 0.5 });
}
for (const s of ['256x2', '256x4', '256x6']) BENCH.push({ name: `mnistfc ${s}`, path: bench('mnistfc', 'onnx', `mnist-net_${s}.onnx`), lo: 0, hi: 1 });
BENCH.push({ name: 'eran mnist_relu_9_200', path: bench('eran', 'nets', 'mnist_relu_9_200.onnx'), lo: 0, hi: 1 });
BENCH.push({ name: 'eran ffnnSIGMOID__Point_6x200', path: bench('eran', 'nets', 'ffnnSIGMOID__Point_6x200.onnx'), lo: 0, hi: 1 });

describe.skipIf(!HAVE)('benchmark networks: load → write → load', () => {
  for (const [k, b] of BENCH.entries()) {
    it(b.name, async () => {
      for (const simplified of [false, true]) {
        const net = readModel(b.path, { simplify: simplified });
        const count = 3;
        const xs = randomInputs(new Rng(k), net.inputSize, count, b.lo, b.hi);
        // onnxruntime on the written file: every ACAS Xu net is cheap; for the others once.
        await checkRoundTrip(net, xs, count, `${b.name}${simplified ? ' simplified' : ''}`, !simplified || !b.name.startsWith('acasxu') || k % 9 === 0);
      }
    });
  }
});

describe('example JSON model', () => {
  const path = join(REPO_ROOT, 'examples', 'mnist-relu-64-32.json');
  it('examples/mnist-relu-64-32.json: load → write → load', async () => {
    let net: Network;
    try {
      net = readModel(path);
    } catch (e) {
      if ((e as Error).message.includes('cannot read')) {
        console.warn(`[lipcert tests] ${path} is absent: skipping`);
        return;
      }
      throw e;
    }
    const xs = randomInputs(new Rng(9), net.inputSize, 3, 0, 1);
    await checkRoundTrip(net, xs, 3, 'example json');
  });
});

describe('ONNX float attributes', () => {
  // An ONNX float attribute is a float32: a LeakyRelu whose alpha is not float32-exact cannot be
  // written to ONNX exactly, so the writer refuses with a one-line error (JSON keeps it exact).
  it('a LeakyRelu with a float64 alpha is refused by the ONNX writer, not silently changed', () => {
    const net = buildFromSpec(randomDense({ inputs: 4, widths: [6], outputs: 2, act: 'LeakyRelu', leakyAlpha: 0.1, seed: 8, float32: false }));
    const file = tmpFile('leaky-alpha', 'onnx');
    expect(() => writeModel(net, file)).toThrow(/alpha = 0\.1 is not a float32 value/);
    expect(existsSync(file)).toBe(false);
  });
  it('a LeakyRelu with a float64 alpha survives a JSON round trip exactly', () => {
    const net = buildFromSpec(randomDense({ inputs: 4, widths: [6], outputs: 2, act: 'LeakyRelu', leakyAlpha: 0.1, seed: 8, float32: false }));
    const xs = randomInputs(new Rng(8), 4, 5, -1, 1);
    const file = tmpFile('leaky-alpha', 'json');
    writeModel(net, file);
    expectSame(forward(readModel(file, { simplify: false }), xs, 5), forward(net, xs, 5), 'LeakyRelu alpha 0.1 through JSON');
  });
});
