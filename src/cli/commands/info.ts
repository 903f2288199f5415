import { readModel } from '../../net/io.js';
import { summarize } from '../../net/summary.js';
import type { GlobalArgs } from '../main.js';
import { printJson } from '../output.js';

export async function runInfo(a: GlobalArgs & { model: string; simplify: boolean }): Promise<void> {
  const net = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: a.simplify });
  const s = summarize(net);
  if (a.json) return printJson(s);
  const lines = [
    `model       ${s.file}${s.producer ? ` (producer: ${s.producer})` : ''}, opset ${s.opset}`,
    ...s.inputs.map((i) => `input       ${i.name} [${i.shape.join(', ')}] ${i.dtype} (${s.input_size} values)`),
    ...s.outputs.map((o) => `output      ${o.name} [${o.shape.join(', ')}] (${s.output_size} values)`),
    `nodes       ${s.nodes}: ${Object.entries(s.ops).map(([k, v]) => `${k}×${v}`).join(', ')}`,
    `parameters  ${s.parameters}`,
    `ReLUs       ${s.relus}`,
    'layers',
    ...s.layers.map((l) => `  ${l.op.padEnd(20)} ${l.name.padEnd(28)} [${l.shape.join(', ')}]`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
