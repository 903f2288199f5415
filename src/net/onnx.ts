import onnxProto from 'onnx-proto';
import type { GraphSpec } from './graph.js';
import { InputError, type AttrValue, type Attrs, type ConstTensor, type SpecNode } from './op.js';

const { onnx } = onnxProto;

/** ONNX TensorProto.DataType codes. */
const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT16: 5, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;
const DT_NAME: Record<number, ConstTensor['dtype']> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64' };

/** The opsets whose semantics the ops implement (attributes that became inputs in 13 are handled). */
export const MIN_OPSET = 7;
export const MAX_OPSET = 18;

type LongLike = number | { toNumber(): number } | null | undefined;
function num(v: LongLike): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** Decode one TensorProto into float64 data (raw_data is read unaligned, little-endian). */
function readTensor(t: onnxProto.onnx.ITensorProto, file: string): ConstTensor {
  const name = t.name ?? '';
  const shape = (t.dims ?? []).map((d) => num(d as LongLike));
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new InputError(`${file}: tensor '${name}' has a bad dimension ${d}`);
    size *= d;
  }
  const dt = t.dataType ?? 0;
  const dtype = DT_NAME[dt];
  if (!dtype) throw new InputError(`${file}: tensor '${name}' has unsupported element type ${dt}${dt === DT.FLOAT16 ? ' (float16)' : ''}`);
  if (t.dataLocation === 1) throw new InputError(`${file}: tensor '${name}' keeps its data in an external file, which is not supported`);
  const data = new Float64Array(size);
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const width = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 11: 8 }[dt as 1 | 2 | 3 | 6 | 7 | 9 | 11];
    if (raw.length !== size * width) throw new InputError(`${file}: tensor '${name}' has ${raw.length} bytes of raw data for shape [${shape}] (${size * width} expected)`);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < size; i++) {
      switch (dt) {
        case DT.FLOAT: data[i] = dv.getFloat32(4 * i, true); break;
        case DT.DOUBLE: data[i] = dv.getFloat64(8 * i, true); break;
        case DT.INT64: data[i] = Number(dv.getBigInt64(8 * i, true)); break;
        case DT.INT32: data[i] = dv.getInt32(4 * i, true); break;
        case DT.INT8: data[i] = dv.getInt8(i); break;
        default: data[i] = dv.getUint8(i);
      }
    }
  } else {
    let src: ArrayLike<LongLike> = [];
    if (dt === DT.FLOAT) src = t.floatData ?? [];
    else if (dt === DT.DOUBLE) src = t.doubleData ?? [];
    else if (dt === DT.INT64) src = (t.int64Data ?? []) as LongLike[];
    else src = t.int32Data ?? [];
    if (src.length !== size) throw new InputError(`${file}: tensor '${name}' has ${src.length} values for shape [${shape}] (${size} expected)`);
    for (let i = 0; i < size; i++) data[i] = num(src[i]);
  }
  return { shape, data, dtype };
}

function readAttr(a: onnxProto.onnx.IAttributeProto, file: string, node: string): AttrValue {
  const T = onnx.AttributeProto.AttributeType;
  const dec = (s: Uint8Array | null | undefined) => new TextDecoder().decode(s ?? new Uint8Array());
  switch (a.type) {
    case T.FLOAT: return a.f ?? 0;
    case T.INT: return num(a.i as LongLike);
    case T.STRING: return dec(a.s);
    case T.TENSOR:
      if (!a.t) throw new InputError(`${file}: node '${node}' has tensor attribute '${a.name}' without a tensor`);
      return readTensor(a.t, file);
    case T.FLOATS: return (a.floats ?? []).slice();
    case T.INTS: return (a.ints ?? []).map((v) => num(v as LongLike));
    case T.STRINGS: return (a.strings ?? []).map(dec);
    default: throw new InputError(`${file}: node '${node}' has attribute '${a.name}' of unsupported type ${a.type}`);
  }
}

/** Parse ONNX protobuf bytes into a graph. Throws InputError naming the file and the fault. */
export function parseOnnx(bytes: Uint8Array, file: string): GraphSpec {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new InputError(`${file}: not a valid ONNX model (${(e as Error).message.split('\n')[0]})`);
  }
  const g = model.graph;
  if (!g || (g.node ?? []).length === 0) throw new InputError(`${file}: not a valid ONNX model (no graph or no nodes)`);
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = opsetEntry ? num(opsetEntry.version as LongLike) : 0;
  if (opset < MIN_OPSET || opset > MAX_OPSET) throw new InputError(`${file}: ONNX opset ${opset} is not supported (lipcert reads opsets ${MIN_OPSET} to ${MAX_OPSET})`);
  const initializers = (g.initializer ?? []).map((t) => ({ name: t.name ?? '', tensor: readTensor(t, file) }));
  const initNames = new Set(initializers.map((i) => i.name));
  const inputs: GraphSpec['inputs'] = [];
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (initNames.has(name)) continue;
    const tt = vi.type?.tensorType;
    if (!tt) throw new InputError(`${file}: input '${name}' is not a tensor`);
    const elem = tt.elemType ?? 0;
    if (elem !== DT.FLOAT && elem !== DT.DOUBLE) throw new InputError(`${file}: input '${name}' has element type ${elem}; only float and double inputs are supported`);
    const dims = tt.shape?.dim ?? [];
    const shape = dims.map((d, i) => {
      if (d.dimParam) return 1; // symbolic (batch) dimension: analysed at size 1
      const v = num(d.dimValue as LongLike);
      if (v <= 0) {
        if (i === 0) return 1;
        throw new InputError(`${file}: input '${name}' has an unknown dimension ${i}`);
      }
      return v;
    });
    inputs.push({ name, shape, dtype: elem === DT.DOUBLE ? 'float64' : 'float32' });
  }
  const nodes: SpecNode[] = (g.node ?? []).map((n, k) => {
    const name = n.name || `${n.opType}_${k}`;
    if (n.domain && n.domain !== 'ai.onnx') throw new InputError(`${file}: unsupported op ${n.domain}.${n.opType} (node '${name}')`);
    const attrs: Attrs = {};
    for (const a of n.attribute ?? []) attrs[a.name ?? ''] = readAttr(a, file, name);
    return { name, op: n.opType ?? '', inputs: (n.input ?? []).slice(), outputs: (n.output ?? []).slice(), attrs };
  });
  return {
    inputs,
    outputs: (g.output ?? []).map((o) => o.name ?? ''),
    initializers,
    nodes,
    opset,
    source: file,
    producer: model.producerName || undefined,
    doc: model.docString || g.docString || undefined,
  };
}

function isFloat32Exact(d: Float64Array): boolean {
  for (let i = 0; i < d.length; i++) if (Math.fround(d[i]) !== d[i]) return false;
  return true;
}

function writeTensor(name: string, t: ConstTensor, floatType: number): onnxProto.onnx.ITensorProto {
  const size = t.data.length;
  let raw: Uint8Array;
  let dataType: number;
  if (t.dtype === 'int64' || t.dtype === 'int32' || t.dtype === 'bool' || t.dtype === 'uint8' || t.dtype === 'int8') {
    dataType = DT.INT64;
    raw = new Uint8Array(8 * size);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < size; i++) dv.setBigInt64(8 * i, BigInt(Math.trunc(t.data[i])), true);
  } else if (floatType === DT.FLOAT) {
    dataType = DT.FLOAT;
    raw = new Uint8Array(4 * size);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < size; i++) dv.setFloat32(4 * i, t.data[i], true);
  } else {
    dataType = DT.DOUBLE;
    raw = new Uint8Array(8 * size);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < size; i++) dv.setFloat64(8 * i, t.data[i], true);
  }
  return { name, dims: t.shape, dataType, rawData: raw };
}

const FLOAT_ATTRS = ['alpha', 'beta', 'epsilon', 'ratio', 'momentum'];

function writeAttr(name: string, v: AttrValue, floatType: number): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number' && FLOAT_ATTRS.includes(name) && Math.fround(v) !== v) {
    throw new InputError(`attribute ${name} = ${v} is not a float32 value, and ONNX stores float attributes as float32: write this model as .json to keep it exact`);
  }
  if (typeof v === 'number') return Number.isInteger(v) && !FLOAT_ATTRS.includes(name) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    return { name, type: T.INTS, ints: v as number[] };
  }
  return { name, type: T.TENSOR, t: writeTensor('', v, floatType) };
}

/**
 * Encode a graph as ONNX bytes (opset from the graph). Float initialisers are written as
 * float32 when the input is float32 and every float constant is float32-exact, so the file is
 * exact; otherwise the whole model is written in double precision (inputs and outputs too).
 */
export function encodeOnnx(spec: GraphSpec, outputShapes: Map<string, number[]>): Uint8Array {
  const floats = spec.initializers.filter((i) => !['int64', 'int32', 'bool', 'uint8', 'int8'].includes(i.tensor.dtype ?? 'float64'));
  const f32 = spec.inputs.every((i) => i.dtype === 'float32') && floats.every((i) => isFloat32Exact(i.tensor.data));
  const floatType = f32 ? DT.FLOAT : DT.DOUBLE;
  const valueInfo = (name: string, shape: number[]): onnxProto.onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: floatType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  });
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: 'lipcert',
    producerVersion: '0.1.0',
    docString: spec.doc ?? '',
    opsetImport: [{ domain: '', version: spec.opset }],
    graph: {
      name: 'lipcert',
      node: spec.nodes.map((n) => ({
        name: n.name,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, v]) => writeAttr(k, v, floatType)),
      })),
      initializer: spec.initializers.map((i) => writeTensor(i.name, i.tensor, floatType)),
      input: spec.inputs.map((i) => valueInfo(i.name, i.shape)),
      output: spec.outputs.map((o) => valueInfo(o, outputShapes.get(o) ?? [])),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
