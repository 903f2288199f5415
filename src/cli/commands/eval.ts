import { readFileSync } from 'node:fs';
import { forward } from '../../net/forward.js';
import { readModel } from '../../net/io.js';
import { InputError } from '../../net/op.js';
import type { GlobalArgs } from '../main.js';
import { fmt, printJson } from '../output.js';

/** Parse "v1,v2,..." into numbers; every entry must be a finite number. */
export function parseVector(text: string, what: string): Float64Array {
  const parts = text.split(/[\s,]+/).filter((s) => s !== '');
  if (parts.length === 0) throw new InputError(`${what} is empty`);
  return Float64Array.from(parts, (s, i) => {
    const v = Number(s);
    if (!Number.isFinite(v)) throw new InputError(`${what}: entry ${i} ('${s}') is not a finite number`);
    return v;
  });
}

/** Read an input vector from JSON: an array (nested arrays are flattened in C order) or {"input": [...]}. */
export function readVectorFile(path: string): Float64Array {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${path}: cannot read a JSON input (${oneMsg(e)})`);
  }
  if (j && typeof j === 'object' && !Array.isArray(j) && 'input' in j) j = (j as { input: unknown }).input;
  if (!Array.isArray(j)) throw new InputError(`${path}: expected a JSON array of numbers or {"input": [...]}`);
  const flat = (j as unknown[]).flat(Infinity as 1);
  return Float64Array.from(flat, (v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${path}: entry ${i} (${JSON.stringify(v)}) is not a finite number`);
    return v;
  });
}

function oneMsg(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

export async function runEval(a: GlobalArgs & { model: string; simplify: boolean; input?: string; 'input-file'?: string }): Promise<void> {
  if ((a.input === undefined) === (a['input-file'] === undefined)) throw new InputError('give exactly one of --input and --input-file');
  const x = a.input !== undefined ? parseVector(a.input, '--input') : readVectorFile(a['input-file']!);
  const net = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: a.simplify });
  if (x.length !== net.inputSize) throw new InputError(`the input has ${x.length} values; ${a.model} takes ${net.inputSize} (shape [${net.input.shape}])`);
  const y = forward(net, x, 1);
  if (a.json) return printJson({ output: Array.from(y) });
  process.stdout.write(`${Array.from(y, fmt).join(' ')}\n`);
}
