import type { GraphSpec } from './graph.js';
import { InputError, type AttrValue, type Attrs, type ConstTensor } from './op.js';

/** The JSON model format's identifier (see the README, "JSON model format"). */
export const JSON_FORMAT = 'lipcert-model';

interface JsonTensor { name?: string; shape: number[]; data: number[]; dtype?: string }

function tensorFromJson(t: JsonTensor, file: string, what: string): ConstTensor {
  if (!t || !Array.isArray(t.shape) || !Array.isArray(t.data)) throw new InputError(`${file}: ${what} needs "shape" and "data" arrays`);
  let size = 1;
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 0) throw new InputError(`${file}: ${what} has a bad dimension ${JSON.stringify(d)}`);
    size *= d;
  }
  if (t.data.length !== size) throw new InputError(`${file}: ${what} has ${t.data.length} values for shape [${t.shape}] (${size} expected)`);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const v = t.data[i];
    if (typeof v !== 'number') throw new InputError(`${file}: ${what} holds a non-number (${JSON.stringify(v)}) at index ${i}`);
    data[i] = v;
  }
  const dtype = (t.dtype ?? 'float64') as ConstTensor['dtype'];
  return { shape: t.shape.slice(), data, dtype };
}

function attrFromJson(v: unknown, file: string, what: string): AttrValue {
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  if (v && typeof v === 'object') return tensorFromJson(v as JsonTensor, file, what);
  throw new InputError(`${file}: ${what} has an unsupported value ${JSON.stringify(v)}`);
}

/** Parse the project's JSON model format into a graph. Throws InputError naming the file and field. */
export function parseJsonModel(text: string, file: string): GraphSpec {
  let j: any;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
  }
  if (!j || typeof j !== 'object' || j.format !== JSON_FORMAT) throw new InputError(`${file}: not a lipcert JSON model ("format" must be "${JSON_FORMAT}")`);
  if (j.version !== 1) throw new InputError(`${file}: unsupported JSON model version ${JSON.stringify(j.version)} (lipcert reads version 1)`);
  if (!Array.isArray(j.inputs) || !Array.isArray(j.outputs) || !Array.isArray(j.nodes)) throw new InputError(`${file}: "inputs", "outputs" and "nodes" must be arrays`);
  if (j.initializers != null && !Array.isArray(j.initializers)) throw new InputError(`${file}: "initializers" must be an array`);
  const inputs = j.inputs.map((i: any, k: number) => {
    if (!i || typeof i.name !== 'string' || !Array.isArray(i.shape) || i.shape.some((d: unknown) => !Number.isInteger(d) || (d as number) <= 0)) {
      throw new InputError(`${file}: inputs[${k}] needs a "name" and a "shape" of positive integers`);
    }
    const dtype = i.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new InputError(`${file}: inputs[${k}] has dtype ${JSON.stringify(dtype)} (float32 or float64)`);
    return { name: i.name, shape: i.shape.slice(), dtype };
  });
  const initializers = (j.initializers ?? []).map((t: JsonTensor, k: number) => {
    if (typeof t?.name !== 'string') throw new InputError(`${file}: initializers[${k}] needs a "name"`);
    return { name: t.name, tensor: tensorFromJson(t, file, `initializer '${t.name}'`) };
  });
  const nodes = j.nodes.map((n: any, k: number) => {
    if (!n || typeof n.op !== 'string' || !Array.isArray(n.inputs) || !Array.isArray(n.outputs)) throw new InputError(`${file}: nodes[${k}] needs "op", "inputs" and "outputs"`);
    const name = typeof n.name === 'string' ? n.name : `${n.op}_${k}`;
    const attrs: Attrs = {};
    for (const [key, v] of Object.entries(n.attrs ?? {})) attrs[key] = attrFromJson(v, file, `node '${name}' attribute '${key}'`);
    return { name, op: n.op, inputs: n.inputs.map(String), outputs: n.outputs.map(String), attrs };
  });
  if (!j.outputs.every((o: unknown) => typeof o === 'string')) throw new InputError(`${file}: "outputs" must be a list of value names`);
  return {
    inputs, outputs: j.outputs.slice(), initializers, nodes,
    opset: Number.isInteger(j.opset) ? j.opset : 13,
    source: file, producer: j.producer, doc: j.doc,
  };
}

function tensorToJson(t: ConstTensor): JsonTensor {
  const out: JsonTensor = { shape: t.shape, data: Array.from(t.data) };
  if (t.dtype && t.dtype !== 'float64' && t.dtype !== 'float32') out.dtype = t.dtype;
  return out;
}

/** Serialise a graph in the JSON model format (numbers in shortest round-trip form: exact). */
export function stringifyJsonModel(spec: GraphSpec): string {
  const nodes = spec.nodes.map((n) => {
    const attrs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n.attrs)) attrs[k] = typeof v === 'object' && !Array.isArray(v) ? tensorToJson(v) : v;
    return JSON.stringify({ name: n.name, op: n.op, inputs: n.inputs, outputs: n.outputs, ...(Object.keys(attrs).length ? { attrs } : {}) });
  });
  const inits = spec.initializers.map((i) => JSON.stringify({ name: i.name, ...tensorToJson(i.tensor) }));
  const head = {
    format: JSON_FORMAT, version: 1, opset: spec.opset,
    producer: spec.producer ?? 'lipcert', ...(spec.doc ? { doc: spec.doc } : {}),
    inputs: spec.inputs, outputs: spec.outputs,
  };
  const headText = JSON.stringify(head, null, 2).slice(0, -2);
  return `${headText},\n  "initializers": [\n    ${inits.join(',\n    ')}\n  ],\n  "nodes": [\n    ${nodes.join(',\n    ')}\n  ]\n}\n`;
}
