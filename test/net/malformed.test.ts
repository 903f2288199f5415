/**
 * Malformed and unsupported model files: each must make readModel throw an InputError whose
 * message is one line, names the file and (where there is one) the op, node or value at fault.
 * Every file is generated here, in a temporary directory. The CLI must answer each with exit
 * code 2 and one line (dist/ is built by test/global-setup.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { readModel } from '../../src/net/io.js';
import { InputError } from '../../src/net/op.js';
import { bench, haveBenchmarks, REPO_ROOT } from '../helpers/benchmarks.js';
import { Rng } from '../helpers/random_net.js';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IValueInfo = onnxProto.onnx.IValueInfoProto;
type IAttr = onnxProto.onnx.IAttributeProto;

const DIR = mkdtempSync(join(tmpdir(), 'lipcert-malformed-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const AT = onnx.AttributeProto.AttributeType;

// ---- A small, flexible ONNX builder ---------------------------------------------------------

function f32(name: string, dims: number[], data: number[], raw = true): ITensor {
  if (!raw) return { name, dims, dataType: FLOAT, floatData: data };
  const bytes = new Uint8Array(4 * data.length);
  const dv = new DataView(bytes.buffer);
  data.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  return { name, dims, dataType: FLOAT, rawData: bytes };
}
function i64(name: string, data: number[]): ITensor {
  return { name, dims: [data.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: data };
}
function vi(name: string, shape: number[], elemType = FLOAT): IValueInfo {
  return { name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}
function node(opType: string, name: string, input: string[], output: string[], attribute: IAttr[] = [], domain?: string): INode {
  return { opType, name, input, output, attribute, ...(domain ? { domain } : {}) };
}
const intAttr = (name: string, i: number): IAttr => ({ name, type: AT.INT, i });
const intsAttr = (name: string, ints: number[]): IAttr => ({ name, type: AT.INTS, ints });
const strAttr = (name: string, s: string): IAttr => ({ name, type: AT.STRING, s: new TextEncoder().encode(s) });

interface Parts {
  opset: number;
  nodes: INode[];
  inits: ITensor[];
  inputs: IValueInfo[];
  outputs: IValueInfo[];
}

/** A valid model: x[1,3] → Gemm(W[2,3], b[2], transB) → Relu → y[1,2]. Modify the parts to break it. */
function validParts(): Parts {
  return {
    opset: 13,
    nodes: [node('Gemm', 'fc', ['x', 'W', 'b'], ['h'], [intAttr('transB', 1)]), node('Relu', 'relu', ['h'], ['y'])],
    inits: [f32('W', [2, 3], [0.5, -1, 2, 1, 0.25, -0.5]), f32('b', [2], [0.1, -0.2])],
    inputs: [vi('x', [1, 3])],
    outputs: [vi('y', [1, 2])],
  };
}

function encode(p: Parts): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'lipcert-tests',
    opsetImport: [{ domain: '', version: p.opset }],
    graph: { name: 'g', node: p.nodes, initializer: p.inits, input: p.inputs, output: p.outputs },
  })).finish();
}

function modelWith(change: (p: Parts) => void): Uint8Array {
  const p = validParts();
  change(p);
  return encode(p);
}

// ---- The cases ------------------------------------------------------------------------------

interface Case {
  name: string;
  file: string;
  content: Uint8Array | string;
  /** What the message must mention besides the file (the op, node, value or fault). */
  mentions?: (string | RegExp)[];
}

let counter = 0;
const CASES: Case[] = [];
function add(name: string, ext: string, content: Uint8Array | string, mentions: (string | RegExp)[] = []): void {
  CASES.push({ name, file: join(DIR, `case${counter++}_${name.replace(/[^A-Za-z0-9]+/g, '_').slice(0, 40)}.${ext}`), content, mentions });
}

// Truncated ONNX: a generated model and (when present) an ACAS Xu network, cut at several lengths.
const generated = encode(validParts());
for (const n of [1, 2, 5, 20, Math.floor(generated.length / 2), generated.length - 1]) add(`generated ONNX truncated to ${n} bytes`, 'onnx', generated.subarray(0, n));
const ACAS = bench('acasxu', 'onnx', 'ACASXU_run2a_1_1_batch_2000.onnx');
if (haveBenchmarks() && existsSync(ACAS)) {
  const acas = readFileSync(ACAS);
  for (const n of [3, 100, 1000, 30000, acas.length - 1]) add(`ACAS Xu ONNX truncated to ${n} bytes`, 'onnx', acas.subarray(0, n));
}
// Random bytes (fixed seeds), with and without the ONNX extension.
for (const seed of [1, 2, 3]) {
  const rng = new Rng(seed);
  const bytes = new Uint8Array(300 + 100 * seed);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  add(`random bytes (seed ${seed})`, seed === 3 ? 'bin' : 'onnx', bytes);
}
add('empty file', 'onnx', new Uint8Array(0), ['empty']);
add('empty .nnet file', 'nnet', '', ['empty']);
add('ONNX without nodes', 'onnx', modelWith((p) => { p.nodes = []; }), ['no nodes']);

add('unsupported op Softmax', 'onnx', modelWith((p) => {
  p.nodes.push(node('Softmax', 'soft', ['y'], ['z'], [intAttr('axis', 1)]));
  p.outputs = [vi('z', [1, 2])];
}), ['Softmax', "'soft'"]);
add('unsupported op LSTM', 'onnx', modelWith((p) => {
  p.nodes = [node('LSTM', 'lstm1', ['x', 'W', 'R'], ['y'], [intAttr('hidden_size', 2)])];
}), ['LSTM', "'lstm1'"]);
add('op from another domain', 'onnx', modelWith((p) => {
  p.nodes[1] = node('FusedGemm', 'fused', ['h'], ['y'], [], 'com.microsoft');
}), ['com.microsoft.FusedGemm', "'fused'"]);
add('unsupported attribute on Relu', 'onnx', modelWith((p) => {
  p.nodes[1].attribute = [intAttr('foo', 1)];
}), ["'foo'", "'relu'", 'Relu']);
add('unsupported attribute value (Conv auto_pad)', 'onnx', modelWith((p) => {
  p.inputs = [vi('x', [1, 1, 3, 3])];
  p.inits = [f32('K', [1, 1, 2, 2], [1, 2, 3, 4])];
  p.nodes = [node('Conv', 'conv', ['x', 'K'], ['y'], [strAttr('auto_pad', 'BOGUS')])];
  p.outputs = [vi('y', [1, 1, 2, 2])];
}), ['BOGUS', "'conv'"]);
add('BatchNormalization in training mode', 'onnx', modelWith((p) => {
  p.inits.push(f32('s', [2], [1, 1]), f32('m', [2], [0, 0]), f32('v', [2], [1, 1]));
  p.nodes.push(node('BatchNormalization', 'bn', ['y', 's', 'b', 'm', 'v'], ['z'], [intAttr('training_mode', 1)]));
  p.outputs = [vi('z', [1, 2])];
}), ['training_mode', "'bn'"]);
add('opset 3', 'onnx', modelWith((p) => { p.opset = 3; }), ['opset 3']);
add('opset 30', 'onnx', modelWith((p) => { p.opset = 30; }), ['opset 30']);
add('Gemm inner dimensions differ', 'onnx', modelWith((p) => {
  p.inits[0] = f32('W', [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
}), ['inner dimensions', "'fc'", 'Gemm']);
add('Add of shapes that do not broadcast', 'onnx', modelWith((p) => {
  p.inits.push(f32('c', [3], [1, 2, 3]));
  p.nodes.push(node('Add', 'add_bad', ['y', 'c'], ['z']));
  p.outputs = [vi('z', [1, 3])];
}), ['broadcast', "'add_bad'"]);
add('MatMul of two data-dependent tensors', 'onnx', modelWith((p) => {
  p.nodes.push(node('MatMul', 'mm', ['y', 'y'], ['z']));
  p.outputs = [vi('z', [1, 2])];
}), ["'mm'", 'MatMul']);
add('Reshape with a data-dependent shape', 'onnx', modelWith((p) => {
  p.nodes.push(node('Reshape', 'rs', ['y', 'y'], ['z']));
  p.outputs = [vi('z', [2])];
}), ["'rs'", 'Reshape']);
add('NaN weight (ONNX raw_data)', 'onnx', modelWith((p) => {
  p.inits[0] = f32('W', [2, 3], [0.5, NaN, 2, 1, 0.25, -0.5]);
}), ["'W'", 'NaN']);
add('Infinity bias (ONNX float_data)', 'onnx', modelWith((p) => {
  p.inits[1] = f32('b', [2], [0.1, -Infinity], false);
}), ["'b'", 'Infinity']);
add('NaN in a Constant node', 'onnx', modelWith((p) => {
  p.inits.pop();
  p.nodes.unshift(node('Constant', 'cst', [], ['b'], [{ name: 'value', type: AT.TENSOR, t: f32('', [2], [NaN, 1]) }]));
}), ["'cst'", 'NaN']);
add('tensor attribute without a tensor', 'onnx', modelWith((p) => {
  p.inits.pop();
  p.nodes.unshift(node('Constant', 'cst', [], ['b'], [{ name: 'value', type: AT.TENSOR }]));
}), ["'cst'", "'value'"]);
add('raw_data length mismatch', 'onnx', modelWith((p) => {
  const t = f32('W', [2, 3], [0.5, -1, 2, 1, 0.25, -0.5]);
  t.rawData = (t.rawData as Uint8Array).subarray(0, 22);
  p.inits[0] = t;
}), ["'W'", '22 bytes']);
add('float_data count mismatch', 'onnx', modelWith((p) => {
  p.inits[1] = f32('b', [2], [0.1, 0.2, 0.3], false);
}), ["'b'", '3 values']);
add('float16 initialiser', 'onnx', modelWith((p) => {
  p.inits[1] = { name: 'b', dims: [2], dataType: onnx.TensorProto.DataType.FLOAT16, rawData: new Uint8Array(4) };
}), ["'b'", 'float16']);
add('external tensor data', 'onnx', modelWith((p) => {
  p.inits[0] = { name: 'W', dims: [2, 3], dataType: FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] };
}), ["'W'", 'external']);
add('unknown input of a node', 'onnx', modelWith((p) => {
  p.nodes[1].input = ['nope'];
}), ["'nope'", "'relu'"]);
add('graph output produced by no node', 'onnx', modelWith((p) => {
  p.outputs = [vi('zzz', [1, 2])];
}), ["'zzz'"]);
add('graph without outputs', 'onnx', modelWith((p) => { p.outputs = []; }), ['no output']);
add('graph output that is a constant', 'onnx', modelWith((p) => { p.outputs = [vi('W', [2, 3])]; }), ["'W'", 'constant']);
add('integer (int64) model input', 'onnx', modelWith((p) => {
  p.inputs = [vi('x', [1, 3], onnx.TensorProto.DataType.INT64)];
}), ["'x'", 'element type 7']);
add('non-tensor model input', 'onnx', modelWith((p) => {
  p.inputs = [{ name: 'x', type: { sequenceType: { elemType: { tensorType: { elemType: FLOAT } } } } }];
}), ["'x'", 'not a tensor']);
add('unknown non-batch input dimension', 'onnx', modelWith((p) => {
  p.inputs = [{ name: 'x', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: 1 }, {}] } } } }];
}), ["'x'", 'dimension 1']);
add('graph without inputs', 'onnx', modelWith((p) => {
  p.inputs = [];
  p.nodes[0].input = ['W', 'W', 'b'];
}), ['no (non-initialiser) input']);
add('division by a constant zero', 'onnx', modelWith((p) => {
  p.inits.push(f32('z', [2], [1, 0]));
  p.nodes.push(node('Div', 'div0', ['y', 'z'], ['q']));
  p.outputs = [vi('q', [1, 2])];
}), ["'div0'", 'zero']);
add('Conv weight of the wrong rank', 'onnx', modelWith((p) => {
  p.inputs = [vi('x', [1, 1, 3, 3])];
  p.inits = [f32('K', [1, 4], [1, 2, 3, 4])];
  p.nodes = [node('Conv', 'conv', ['x', 'K'], ['y'], [intsAttr('pads', [0, 0, 0, 0])])];
}), ["'conv'", 'Conv']);

// .nnet files (based on a valid 2-3-1 network).
const NNET = [
  '// tiny', '2,2,1,3,', '2,3,1,', '0,', '-1,-2,', '1,2,', '0,0,0,', '1,1,1,',
  '1,0,', '-1,1,', '0.5,0.5,', '0.1,', '-0.2,', '0.3,', '1,-1,2,', '0.25,', '',
];
const nnetWith = (line: number, text: string | null) => NNET.flatMap((l, k) => (k === line ? (text === null ? [] : [text]) : [l])).join('\n');
add('.nnet with a bad number', 'nnet', nnetWith(9, '-1,abc,'), ["'abc'", ':10:']);
add('.nnet with a NaN weight', 'nnet', nnetWith(10, 'NaN,0.5,'), ["'NaN'"]);
add('.nnet with too few rows', 'nnet', NNET.slice(0, 12).join('\n'), ['end of file']);
add('.nnet with a short weight row', 'nnet', nnetWith(8, '1,'), ['expected 2 values']);
add('.nnet whose layer sizes disagree with the header', 'nnet', nnetWith(2, '3,3,1,'), ['layer sizes']);
add('.nnet with too few layer sizes', 'nnet', nnetWith(2, '2,3,'), ['layer sizes']);
add('.nnet with a bad layer count', 'nnet', nnetWith(1, '0,2,1,3,'), ['layer count']);

// JSON models (based on a valid one).
const JSON_OK = {
  format: 'lipcert-model', version: 1, opset: 13,
  inputs: [{ name: 'x', shape: [1, 2], dtype: 'float64' }], outputs: ['y'],
  initializers: [{ name: 'W', shape: [1, 2], data: [1, -1] }, { name: 'b', shape: [1], data: [0.5] }],
  nodes: [{ name: 'fc', op: 'Gemm', inputs: ['x', 'W', 'b'], outputs: ['y'], attrs: { transB: 1 } }],
};
const jsonWith = (change: (j: any) => void): string => {
  const j = structuredClone(JSON_OK) as any;
  change(j);
  return JSON.stringify(j, null, 2);
};
add('JSON with the wrong format field', 'json', jsonWith((j) => { j.format = 'onnx-json'; }), ['"format"']);
add('JSON with an unsupported version', 'json', jsonWith((j) => { j.version = 2; }), ['version 2']);
add('JSON without nodes', 'json', jsonWith((j) => { delete j.nodes; }), ['"nodes"']);
add('JSON whose initializers is not an array', 'json', jsonWith((j) => { j.initializers = { W: [1, -1] }; }), ['"initializers"']);
add('JSON node without op', 'json', jsonWith((j) => { delete j.nodes[0].op; }), ['nodes[0]']);
add('JSON initialiser whose data does not fit its shape', 'json', jsonWith((j) => { j.initializers[0].shape = [2, 2]; }), ["'W'", '2 values']);
add('JSON initialiser with a bad dimension', 'json', jsonWith((j) => { j.initializers[0].shape = [1, -2]; }), ["'W'", 'dimension']);
add('JSON initialiser holding a string', 'json', jsonWith((j) => { j.initializers[1].data = ['x']; }), ["'b'", 'non-number']);
add('JSON input with a zero dimension', 'json', jsonWith((j) => { j.inputs[0].shape = [1, 0]; }), ['inputs[0]']);
add('JSON input with a non-float dtype', 'json', jsonWith((j) => { j.inputs[0].dtype = 'int64'; }), ['inputs[0]', 'int64']);
add('JSON with an infinite weight (1e999)', 'json', jsonWith((j) => { j.initializers[0].data = [1, 0]; }).replace('"data": [\n        1,', '"data": [\n        1e999,'), ["'W'", 'Infinity']);
add('JSON with a NaN literal', 'json', jsonWith(() => {}).replace('"data": [\n        0.5', '"data": [\n        NaN'), ['not valid JSON']);
add('JSON cut in the middle', 'json', jsonWith(() => {}).slice(0, 150), ['not valid JSON']);
add('JSON Gemm with mismatched shapes', 'json', jsonWith((j) => { j.initializers[0] = { name: 'W', shape: [1, 3], data: [1, 2, 3] }; }), ["'fc'", 'inner dimensions']);
add('JSON with an unsupported op', 'json', jsonWith((j) => { j.nodes.push({ name: 'sm', op: 'Softmax', inputs: ['y'], outputs: ['z'] }); j.outputs = ['z']; }), ['Softmax', "'sm'"]);
add('JSON attribute of an unsupported kind', 'json', jsonWith((j) => { j.nodes[0].attrs.transB = true; }), ["'fc'", 'transB']);

// ---- The tests ------------------------------------------------------------------------------

describe('malformed model files', () => {
  it(`there are at least 20 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  it('the CLI answers every case with exit code 2, one line on stderr and nothing on stdout', async () => {
    const cli = join(REPO_ROOT, 'dist', 'cli', 'main.js');
    const run = (file: string) => new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(process.execPath, [cli, 'info', file], (e, out, err) => resolve({ code: e ? (e as { code?: number }).code ?? -1 : 0, out, err }));
    });
    for (let i = 0; i < CASES.length; i += 6) {
      const batch = CASES.slice(i, i + 6);
      for (const c of batch) writeFileSync(c.file, c.content);
      const results = await Promise.all(batch.map((c) => run(c.file)));
      results.forEach((r, k) => {
        const what = batch[k].name;
        expect(r.code, what).toBe(2);
        expect(r.out, what).toBe('');
        expect(r.err, what).toMatch(/^lipcert: error: [^\n]*\n$/);
      });
    }
  });

  for (const c of CASES) {
    it(c.name, () => {
      writeFileSync(c.file, c.content);
      let err: unknown;
      try {
        readModel(c.file);
      } catch (e) {
        err = e;
      }
      expect(err, 'readModel should throw').toBeDefined();
      if (!(err instanceof InputError)) throw new Error(`expected an InputError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
      const msg = err.message;
      expect(msg, 'one line').not.toMatch(/[\r\n]/);
      expect(msg, 'names the file').toContain(c.file);
      for (const m of c.mentions ?? []) {
        if (typeof m === 'string') expect(msg).toContain(m);
        else expect(msg).toMatch(m);
      }
    });
  }

  // Names from the file go into messages; InputError escapes control characters so a name with
  // a line break (a corrupt or hostile file) still gives one line.
  it('a name with a line break still gives a one-line message', () => {
    const file = join(DIR, 'newline-name.onnx');
    writeFileSync(file, modelWith((p) => { p.nodes[1].input = ['no\nsuch']; }));
    expect(() => readModel(file)).toThrow(InputError);
    expect(() => readModel(file)).not.toThrow(/[\r\n]/);
  });

  it('random corruptions of a valid ONNX or JSON model load or throw an InputError, nothing else', () => {
    const rng = new Rng(42);
    const onnxBytes = encode(validParts());
    const file = join(DIR, 'fuzz.onnx');
    const check = (path: string) => {
      try {
        readModel(path);
      } catch (e) {
        if (!(e instanceof InputError)) throw new Error(`${(e as Error).name}: ${(e as Error).message}`);
      }
    };
    for (let t = 0; t < 300; t++) {
      const b = Uint8Array.from(onnxBytes);
      for (let k = 1 + rng.int(3); k > 0; k--) b[rng.int(b.length)] = rng.int(256);
      writeFileSync(file, b);
      check(file);
    }
    const values = [null, 0, -1, 'x', [], {}, 1.5, true, [1, 2], ['a'], { shape: [1], data: [1] }];
    const jfile = join(DIR, 'fuzz.json');
    for (let t = 0; t < 300; t++) {
      const j = structuredClone(JSON_OK) as any;
      // Walk to a random member and replace or delete it.
      let o = j;
      for (;;) {
        const keys = Object.keys(o);
        const k = keys[rng.int(keys.length)];
        const v = o[k];
        if (v && typeof v === 'object' && Object.keys(v).length > 0 && rng.next() < 0.6) { o = v; continue; }
        if (rng.next() < 0.2) delete o[k];
        else o[k] = structuredClone(values[rng.int(values.length)]);
        break;
      }
      writeFileSync(jfile, JSON.stringify(j));
      check(jfile);
    }
  });

  it('a missing file', () => {
    const p = join(DIR, 'does-not-exist.onnx');
    expect(() => readModel(p)).toThrow(InputError);
    expect(() => readModel(p)).toThrow(/does-not-exist\.onnx.*ENOENT/);
  });

  it('the valid base models load (the cases above each break one thing)', () => {
    const p = join(DIR, 'valid.onnx');
    writeFileSync(p, encode(validParts()));
    expect(readModel(p).outputSize).toBe(2);
    const q = join(DIR, 'valid.nnet');
    writeFileSync(q, NNET.join('\n'));
    expect(readModel(q).outputSize).toBe(1);
    const r = join(DIR, 'valid.json');
    writeFileSync(r, JSON.stringify(JSON_OK));
    expect(readModel(r).outputSize).toBe(1);
  });
});
