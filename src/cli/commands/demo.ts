import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { forward } from '../../net/forward.js';
import { readModel } from '../../net/io.js';
import type { GlobalArgs } from '../main.js';
import { printJson } from '../output.js';

/** The bundled example files (same relative place from src/ and dist/). */
export const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

export async function runDemo(a: GlobalArgs): Promise<void> {
  const model = `${EXAMPLES}mnist-relu-64-32.onnx`;
  const net = readModel(model);
  const digits = JSON.parse(readFileSync(`${EXAMPLES}mnist-test-digits.json`, 'utf8')) as { labels: number[]; images: number[][] };
  const n = 10;
  const rows = [];
  for (let k = 0; k < n; k++) {
    const y = forward(net, Float64Array.from(digits.images[k]));
    let best = 0;
    for (let j = 1; j < y.length; j++) if (y[j] > y[best]) best = j;
    let second = -Infinity;
    for (let j = 0; j < y.length; j++) if (j !== best) second = Math.max(second, y[j]);
    rows.push({ index: k, label: digits.labels[k], prediction: best, margin: y[best] - second });
  }
  if (a.json) return printJson({ model, digits: rows });
  process.stdout.write(`lipcert demo: ${model}\n`);
  process.stdout.write('digit  label  prediction  logit margin\n');
  for (const r of rows) process.stdout.write(`${String(r.index).padStart(5)}  ${String(r.label).padStart(5)}  ${String(r.prediction).padStart(10)}  ${r.margin.toFixed(4).padStart(12)}\n`);
}
