import { readModel, writeModel } from '../../net/io.js';
import type { GlobalArgs } from '../main.js';
import { printJson } from '../output.js';

export async function runConvert(a: GlobalArgs & { model: string; out: string; simplify: boolean }): Promise<void> {
  const net = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: a.simplify });
  writeModel(net, a.out);
  if (a.json) return printJson({ written: a.out, nodes: net.nodes.length });
  process.stdout.write(`wrote ${a.out} (${net.nodes.length} nodes)\n`);
}
