import type { GraphSpec } from './graph.js';
import { InputError, type SpecNode } from './op.js';

/** The parsed contents of a .nnet file (Kyle Julian's format used by ACAS Xu). */
export interface NnetFile {
  layerSizes: number[];
  inputMin: Float64Array;
  inputMax: Float64Array;
  /** Means and ranges for the inputs, then one more entry for the outputs. */
  means: Float64Array;
  ranges: Float64Array;
  weights: Float64Array[];
  biases: Float64Array[];
}

/** Parse .nnet text. Throws InputError with the line number of the fault. */
export function parseNnetText(text: string, file: string): NnetFile {
  const lines = text.split(/\r?\n/);
  let ln = 0;
  while (ln < lines.length && lines[ln].trimStart().startsWith('//')) ln++;
  const row = (what: string): number[] => {
    while (ln < lines.length && lines[ln].trim() === '') ln++;
    if (ln >= lines.length) throw new InputError(`${file}: unexpected end of file while reading ${what}`);
    const parts = lines[ln].split(',').map((s) => s.trim()).filter((s) => s !== '');
    const vals = parts.map(Number);
    const bad = vals.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0 || vals.length === 0) throw new InputError(`${file}:${ln + 1}: bad number '${parts[bad] ?? ''}' in ${what}`);
    ln++;
    return vals;
  };
  const [numLayers, numInputs, numOutputs] = row('the header');
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new InputError(`${file}:${ln}: bad layer count ${numLayers}`);
  const layerSizes = row('the layer sizes');
  if (layerSizes.length < numLayers + 1) throw new InputError(`${file}:${ln}: expected ${numLayers + 1} layer sizes, got ${layerSizes.length}`);
  layerSizes.length = numLayers + 1;
  if (layerSizes[0] !== numInputs || layerSizes[numLayers] !== numOutputs) throw new InputError(`${file}:${ln}: layer sizes [${layerSizes}] disagree with ${numInputs} inputs and ${numOutputs} outputs`);
  row('the symmetric flag (unused)');
  const fixed = (what: string, n: number) => {
    const v = row(what);
    if (v.length < n) throw new InputError(`${file}:${ln}: expected ${n} values in ${what}, got ${v.length}`);
    return Float64Array.from(v.slice(0, n));
  };
  const inputMin = fixed('the input minimums', numInputs);
  const inputMax = fixed('the input maximums', numInputs);
  const means = fixed('the means', numInputs + 1);
  const ranges = fixed('the ranges', numInputs + 1);
  const weights: Float64Array[] = [], biases: Float64Array[] = [];
  for (let l = 0; l < numLayers; l++) {
    const nIn = layerSizes[l], nOut = layerSizes[l + 1];
    const W = new Float64Array(nOut * nIn);
    for (let r = 0; r < nOut; r++) W.set(fixed(`row ${r} of the weights of layer ${l + 1}`, nIn), r * nIn);
    const b = new Float64Array(nOut);
    for (let r = 0; r < nOut; r++) b[r] = fixed(`bias ${r} of layer ${l + 1}`, 1)[0];
    weights.push(W);
    biases.push(b);
  }
  return { layerSizes, inputMin, inputMax, means, ranges, weights, biases };
}

/**
 * A .nnet file as a graph. Default: the bare network (normalised inputs, raw outputs), the
 * same function as the VNN-COMP ACAS Xu ONNX files. With `normalize`, the file's input
 * normalisation ((x − mean)/range) and output de-normalisation (y·range + mean) become
 * explicit Sub/Div and Mul/Add ops, so raw sensor values go in and come out.
 */
export function nnetToGraph(n: NnetFile, file: string, normalize = false): GraphSpec {
  const L = n.weights.length;
  const nIn = n.layerSizes[0], nOut = n.layerSizes[L];
  const initializers: GraphSpec['initializers'] = [];
  const nodes: SpecNode[] = [];
  let cur = 'input';
  if (normalize) {
    initializers.push({ name: 'input_mean', tensor: { shape: [1, nIn], data: n.means.slice(0, nIn) } });
    initializers.push({ name: 'input_range', tensor: { shape: [1, nIn], data: n.ranges.slice(0, nIn) } });
    nodes.push({ name: 'normalize_sub', op: 'Sub', inputs: [cur, 'input_mean'], outputs: ['input_centered'], attrs: {} });
    nodes.push({ name: 'normalize_div', op: 'Div', inputs: ['input_centered', 'input_range'], outputs: ['input_normalized'], attrs: {} });
    cur = 'input_normalized';
  }
  for (let l = 0; l < L; l++) {
    const w = `layer${l + 1}.weight`, b = `layer${l + 1}.bias`;
    initializers.push({ name: w, tensor: { shape: [n.layerSizes[l + 1], n.layerSizes[l]], data: n.weights[l] } });
    initializers.push({ name: b, tensor: { shape: [n.layerSizes[l + 1]], data: n.biases[l] } });
    const out = l === L - 1 && !normalize ? 'output' : `layer${l + 1}.out`;
    nodes.push({ name: `layer${l + 1}`, op: 'Gemm', inputs: [cur, w, b], outputs: [out], attrs: { transB: 1 } });
    cur = out;
    if (l < L - 1) {
      nodes.push({ name: `relu${l + 1}`, op: 'Relu', inputs: [cur], outputs: [`relu${l + 1}.out`], attrs: {} });
      cur = `relu${l + 1}.out`;
    }
  }
  if (normalize) {
    initializers.push({ name: 'output_range', tensor: { shape: [], data: Float64Array.of(n.ranges[nIn]) } });
    initializers.push({ name: 'output_mean', tensor: { shape: [], data: Float64Array.of(n.means[nIn]) } });
    nodes.push({ name: 'denormalize_mul', op: 'Mul', inputs: [cur, 'output_range'], outputs: ['output_scaled'], attrs: {} });
    nodes.push({ name: 'denormalize_add', op: 'Add', inputs: ['output_scaled', 'output_mean'], outputs: ['output'], attrs: {} });
  }
  return {
    inputs: [{ name: 'input', shape: [1, nIn], dtype: 'float64' }],
    outputs: ['output'],
    initializers, nodes, opset: 13, source: file,
    doc: normalize ? 'ACAS Xu .nnet with explicit input normalisation and output de-normalisation' : 'ACAS Xu .nnet (normalised inputs, raw outputs)',
  };
}
