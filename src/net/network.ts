import type { GraphSpec } from './graph.js';
import { InputError, sizeOf, type Attrs, type BuildInput, type ConstTensor, type OpKind, type SpecNode } from './op.js';
import { opKind } from './registry.js';

/** A value flowing through the network (batch-1 shape). */
export interface ValueInfo {
  name: string;
  shape: number[];
  size: number;
}

/** A built node: its op module, prepared params, dynamic input value ids and output value id. */
export interface NetNode {
  name: string;
  kind: OpKind;
  params: unknown;
  inputs: number[];
  output: number;
}

/** Metadata carried from the file. */
export interface NetworkMeta {
  source: string;
  producer?: string;
  doc?: string;
  opset: number;
  /** Element type of the model's input tensor in the file (a counterexample is rounded to it). */
  inputDtype: 'float32' | 'float64';
  /** Input ranges stated by the file (.nnet with normalisation), if any. */
  inputRanges?: { lo: Float64Array; hi: Float64Array };
}

/**
 * The network IR: a DAG of built nodes in topological order over dynamic values, float64
 * inside. Constants are folded into the nodes' params. Immutable after construction.
 */
export class Network {
  constructor(
    readonly values: ValueInfo[],
    readonly nodes: NetNode[],
    readonly inputIds: number[],
    readonly outputIds: number[],
    readonly meta: NetworkMeta,
  ) {}

  /** The single input's value (analyses take one input tensor). */
  get input(): ValueInfo {
    return this.values[this.inputIds[0]];
  }
  /** The single output's value. */
  get output(): ValueInfo {
    return this.values[this.outputIds[0]];
  }
  get inputSize(): number {
    return this.input.size;
  }
  get outputSize(): number {
    return this.output.size;
  }
}

/** Format a node reference for error messages. */
function where(spec: GraphSpec, node: SpecNode): string {
  return `node '${node.name}' (${node.op}) in ${spec.source}`;
}

/**
 * Build the IR from a graph: resolve every op, infer shapes, fold every node whose inputs are
 * all constant (this covers Shape→Gather→Concat→Reshape chains), and keep the dynamic rest.
 * Throws InputError naming the op, the node and the file for anything unsupported or malformed.
 */
export function buildNetwork(spec: GraphSpec, meta: Partial<NetworkMeta> = {}): Network {
  if (spec.inputs.length === 0) throw new InputError(`${spec.source}: the graph has no (non-initialiser) input`);
  if (spec.outputs.length === 0) throw new InputError(`${spec.source}: the graph has no output`);
  const consts = new Map<string, ConstTensor>();
  for (const init of spec.initializers) {
    const t = init.tensor;
    if (t.data.length !== sizeOf(t.shape)) {
      throw new InputError(`${spec.source}: initialiser '${init.name}' has ${t.data.length} values for shape [${t.shape}]`);
    }
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) {
        throw new InputError(`${spec.source}: initialiser '${init.name}' holds a non-finite value (${t.data[i]}) at index ${i}`);
      }
    }
    consts.set(init.name, t);
  }
  const values: ValueInfo[] = [];
  const valueId = new Map<string, number>();
  const addValue = (name: string, shape: number[]): number => {
    const id = values.length;
    values.push({ name, shape, size: sizeOf(shape) });
    valueId.set(name, id);
    return id;
  };
  const inputIds: number[] = [];
  for (const inp of spec.inputs) {
    if (consts.has(inp.name)) continue; // an initialiser also listed in graph.input
    for (const d of inp.shape) {
      if (!Number.isInteger(d) || d <= 0) throw new InputError(`${spec.source}: input '${inp.name}' has a bad shape [${inp.shape}]`);
    }
    inputIds.push(addValue(inp.name, inp.shape.slice()));
  }
  if (inputIds.length === 0) throw new InputError(`${spec.source}: every graph input is an initialiser; nothing to analyse`);

  const nodes: NetNode[] = [];
  const pending = spec.nodes.slice();
  // Nodes in files are topologically sorted by the ONNX rules; accept any order anyway.
  let progress = true;
  while (pending.length > 0 && progress) {
    progress = false;
    for (let k = 0; k < pending.length; k++) {
      const node = pending[k];
      const ready = node.inputs.every((n) => n === '' || consts.has(n) || valueId.has(n));
      if (!ready) continue;
      pending.splice(k--, 1);
      progress = true;
      buildOne(node);
    }
  }
  if (pending.length > 0) {
    const node = pending[0];
    const missing = node.inputs.find((n) => n !== '' && !consts.has(n) && !valueId.has(n));
    throw new InputError(`${spec.source}: ${where(spec, node)} reads '${missing}', which no node, input or initialiser produces (or the graph has a cycle)`);
  }

  function buildOne(node: SpecNode): void {
    const kind = opKind(node.op);
    if (!kind) throw new InputError(`${spec.source}: unsupported op ${node.op} (node '${node.name}')`);
    if (node.outputs.length < 1 || node.outputs[0] === '') throw new InputError(`${spec.source}: ${where(spec, node)} has no output`);
    const inputs: (BuildInput | undefined)[] = node.inputs.map((n) => {
      if (n === '') return undefined;
      const c = consts.get(n);
      if (c) return { name: n, shape: c.shape, value: c };
      const v = values[valueId.get(n)!];
      return { name: n, shape: v.shape };
    });
    let built;
    try {
      built = kind.build({ node: node.name, op: node.op, inputs, attrs: node.attrs, opset: spec.opset });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new InputError(`${where(spec, node)}: ${msg}`);
    }
    const outName = node.outputs[0];
    if (built.constant) {
      consts.set(outName, built.constant);
      return;
    }
    if (inputs.every((i) => !i || i.value)) {
      // Every input is constant: evaluate now (constant folding).
      const out = new Float64Array(sizeOf(built.shape));
      kind.eval(built.params, built.dynamic.map((i) => inputs[i]!.value!.data), out, 1);
      consts.set(outName, { shape: built.shape, data: out });
      return;
    }
    const dynIds = built.dynamic.map((i) => valueId.get(node.inputs[i])!);
    const out = addValue(outName, built.shape);
    nodes.push({ name: node.name, kind, params: built.params, inputs: dynIds, output: out });
  }

  const outputIds = spec.outputs.map((o) => {
    const id = valueId.get(o);
    if (id === undefined) {
      if (consts.has(o)) throw new InputError(`${spec.source}: output '${o}' is a constant (it does not depend on the input)`);
      throw new InputError(`${spec.source}: output '${o}' is produced by no node`);
    }
    return id;
  });
  const dtype = spec.inputs.find((i) => !consts.has(i.name))?.dtype ?? 'float32';
  return new Network(values, nodes, inputIds, outputIds, {
    source: spec.source,
    producer: spec.producer,
    doc: spec.doc,
    opset: spec.opset,
    inputDtype: dtype,
    ...meta,
  });
}

/** The opset lipcert writes: every op's `toSpec` emits nodes valid under it. */
export const EXPORT_OPSET = 13;

/** Turn a network back into a graph (initialisers + nodes) for the writers. Exact: params are written as float64 unless the file said float32 and the values are float32-exact. */
export function networkToSpec(net: Network): GraphSpec {
  const initializers: GraphSpec['initializers'] = [];
  const nodes: SpecNode[] = [];
  const used = new Set<string>(net.values.map((v) => v.name));
  for (const n of net.nodes) {
    const inputs = n.inputs.map((i) => net.values[i].name);
    const outV = net.values[n.output];
    const specNodes = n.kind.toSpec(n.params, {
      name: n.name,
      inputs,
      output: outV.name,
      inputShapes: n.inputs.map((i) => net.values[i].shape),
      outputShape: outV.shape,
      addConst(suffix: string, t: ConstTensor): string {
        let name = `${n.name}.${suffix}`;
        for (let k = 1; used.has(name); k++) name = `${n.name}.${suffix}_${k}`;
        used.add(name);
        initializers.push({ name, tensor: t });
        return name;
      },
    });
    nodes.push(...specNodes);
  }
  return {
    inputs: net.inputIds.map((i) => ({ name: net.values[i].name, shape: net.values[i].shape.slice(), dtype: net.meta.inputDtype })),
    outputs: net.outputIds.map((i) => net.values[i].name),
    initializers,
    nodes,
    opset: EXPORT_OPSET,
    source: net.meta.source,
    producer: net.meta.producer,
    doc: net.meta.doc,
  };
}

/** Read an attribute as an integer, with a default; throws on a wrong type. */
export function attrInt(attrs: Attrs, key: string, dflt?: number): number {
  const v = attrs[key];
  if (v === undefined) {
    if (dflt === undefined) throw new Error(`missing attribute ${key}`);
    return dflt;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`attribute ${key} must be an integer`);
  return v;
}

/** Read an attribute as a float, with a default. */
export function attrFloat(attrs: Attrs, key: string, dflt: number): number {
  const v = attrs[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`attribute ${key} must be a finite number`);
  return v;
}

/** Read an attribute as a list of integers. */
export function attrInts(attrs: Attrs, key: string, dflt?: number[]): number[] | undefined {
  const v = attrs[key];
  if (v === undefined) return dflt;
  if (typeof v === 'number') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x))) throw new Error(`attribute ${key} must be a list of integers`);
  return v as number[];
}

/** Reject attributes an op does not understand (an unsupported attribute must be an error, not ignored). */
export function checkAttrs(attrs: Attrs, allowed: readonly string[]): void {
  for (const k of Object.keys(attrs)) {
    if (!allowed.includes(k)) throw new Error(`unsupported attribute '${k}'`);
  }
}
