import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { GraphSpec } from './graph.js';
import { parseJsonModel, stringifyJsonModel } from './json.js';
import { buildNetwork, networkToSpec, type Network } from './network.js';
import { nnetToGraph, parseNnetText } from './nnet.js';
import { encodeOnnx, parseOnnx } from './onnx.js';
import { InputError } from './op.js';
import { simplify } from './simplify.js';

export type ModelFormat = 'onnx' | 'nnet' | 'json';

export interface ReadModelOptions {
  /** .nnet only: wrap the file's input normalisation and output de-normalisation as ops. */
  nnetNormalize?: boolean;
  /** Fold constant affine ops into their neighbours (default true). */
  simplify?: boolean;
  /** Force a format instead of guessing it from the extension and the first bytes. */
  format?: ModelFormat;
}

/** The format of a model file: by extension, else by content. */
export function detectFormat(path: string, bytes: Uint8Array): ModelFormat {
  const p = path.toLowerCase();
  if (p.endsWith('.onnx')) return 'onnx';
  if (p.endsWith('.nnet')) return 'nnet';
  if (p.endsWith('.json')) return 'json';
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x7b) return 'json';
  if (bytes[i] === 0x2f && bytes[i + 1] === 0x2f) return 'nnet';
  return 'onnx';
}

/** Parse a model file's bytes into a graph (no ops resolved yet). */
export function parseModelBytes(bytes: Uint8Array, path: string, opts: ReadModelOptions = {}): GraphSpec {
  const format = opts.format ?? detectFormat(path, bytes);
  if (format === 'onnx') return parseOnnx(bytes, path);
  const text = new TextDecoder().decode(bytes);
  if (format === 'json') return parseJsonModel(text, path);
  return nnetToGraph(parseNnetText(text, path), path, opts.nnetNormalize ?? false);
}

/**
 * Load a model (ONNX, .nnet or lipcert JSON) into the IR, simplified unless told otherwise.
 * Throws InputError (one line, naming the file and the fault) for any bad or unsupported input.
 */
export function readModel(path: string, opts: ReadModelOptions = {}): Network {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read the model file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.length === 0) throw new InputError(`${path}: the model file is empty`);
  const spec = parseModelBytes(bytes, path, opts);
  let meta = {};
  if ((opts.format ?? detectFormat(path, bytes)) === 'nnet' && opts.nnetNormalize) {
    const n = parseNnetText(new TextDecoder().decode(bytes), path);
    meta = { inputRanges: { lo: n.inputMin, hi: n.inputMax } };
  }
  const net = buildNetwork(spec, meta);
  return opts.simplify === false ? net : simplify(net).net;
}

/** Encode a network in a format: ONNX bytes or JSON text. load → write → load computes the same outputs. */
export function encodeModel(net: Network, format: 'onnx' | 'json'): Uint8Array {
  const spec = networkToSpec(net);
  if (format === 'json') return new TextEncoder().encode(stringifyJsonModel(spec));
  const shapes = new Map(net.outputIds.map((i) => [net.values[i].name, net.values[i].shape]));
  return encodeOnnx(spec, shapes);
}

/**
 * Write a network to `path` (.onnx or .json by extension). The file appears whole or not at
 * all: it is written to a temporary name beside it and renamed.
 */
export function writeModel(net: Network, path: string): void {
  const lower = path.toLowerCase();
  const format = lower.endsWith('.onnx') ? 'onnx' : lower.endsWith('.json') ? 'json' : null;
  if (!format) throw new InputError(`${path}: cannot tell the output format (use a .onnx or .json name)`);
  writeFileAtomic(path, encodeModel(net, format));
}

/** Write a file atomically (temporary file + rename), so no half-written output is ever left. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try { rmSync(tmp, { force: true }); } catch { /* the temporary file may not exist */ }
    throw new InputError(`${path}: cannot write the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
