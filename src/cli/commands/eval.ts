import { forward } from '../../net/forward.js';
import { readModel } from '../../net/io.js';
import { InputError } from '../../net/op.js';
import type { GlobalArgs } from '../main.js';
import { fmt, printJson } from '../output.js';
import { parseVector, readVectorFile } from '../argv.js';

export async function runEval(a: GlobalArgs & { model: string; simplify: boolean; input?: string; 'input-file'?: string }): Promise<void> {
  if ((a.input === undefined) === (a['input-file'] === undefined)) throw new InputError('give exactly one of --input and --input-file');
  const x = a.input !== undefined ? parseVector(a.input, '--input') : readVectorFile(a['input-file']!);
  const net = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: a.simplify });
  if (x.length !== net.inputSize) throw new InputError(`the input has ${x.length} values; ${a.model} takes ${net.inputSize} (shape [${net.input.shape}])`);
  const y = forward(net, x, 1);
  if (a.json) return printJson({ output: Array.from(y) });
  process.stdout.write(`${Array.from(y, fmt).join(' ')}\n`);
}
