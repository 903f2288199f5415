import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crown } from '../../bounds/crown.js';
import { forward } from '../../net/forward.js';
import { readModel } from '../../net/io.js';
import type { Network } from '../../net/network.js';
import type { GlobalArgs } from '../main.js';
import { printJson } from '../output.js';

/** The bundled example files (same relative place from src/ and dist/). */
export const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** The L∞ radii tried, smallest first. */
export const DEMO_RADII = [0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05];

/**
 * Whether CROWN proves that every image within L∞ distance r of x (clipped to [0,1]) keeps the
 * label: lower bounds of y_label − y_j > 0 for every j ≠ label. A proof, never an estimate.
 */
export function certifiesLabel(net: Network, x: Float64Array, label: number, r: number): boolean {
  const m = net.outputSize;
  const lo = x.map((v) => Math.max(0, v - r)), hi = x.map((v) => Math.min(1, v + r));
  const C = new Float64Array((m - 1) * m);
  let row = 0;
  for (let j = 0; j < m; j++) {
    if (j === label) continue;
    C[row * m + label] = 1;
    C[row * m + j] = -1;
    row++;
  }
  const res = crown({ net, region: { batch: 1, lo, hi }, C });
  return res.lower.every((v) => v > 0);
}

export async function runDemo(a: GlobalArgs): Promise<void> {
  const model = `${EXAMPLES}mnist-relu-64-32.onnx`;
  const net = readModel(model);
  const digits = JSON.parse(readFileSync(`${EXAMPLES}mnist-test-digits.json`, 'utf8')) as { labels: number[]; images: number[][] };
  const start = performance.now();
  const rows = [];
  for (let k = 0; k < 10; k++) {
    const x = Float64Array.from(digits.images[k]);
    const y = forward(net, x);
    let pred = 0;
    for (let j = 1; j < y.length; j++) if (y[j] > y[pred]) pred = j;
    // The largest radius of the grid at which the prediction is certified (radii are tried in
    // increasing order and the search stops at the first failure: certification is monotone).
    let certified = 0;
    if (pred === digits.labels[k]) {
      for (const r of DEMO_RADII) {
        if (!certifiesLabel(net, x, pred, r)) break;
        certified = r;
      }
    }
    rows.push({ index: k, label: digits.labels[k], prediction: pred, certified_radius: certified });
  }
  const time_s = (performance.now() - start) / 1000;
  if (a.json) return printJson({ model, method: 'crown', norm: 'inf', radii: DEMO_RADII, digits: rows, time_s });
  const out = [
    `lipcert demo — ${model}`,
    'For 10 test digits: the prediction, and the largest L∞ radius (from the grid',
    `${DEMO_RADII.join(', ')}) at which CROWN proves the label for every image in the ball, clipped to [0, 1].`,
    '',
    'digit  label  prediction  certified L∞ radius',
    ...rows.map((r) => `${String(r.index).padStart(5)}  ${String(r.label).padStart(5)}  ${String(r.prediction).padStart(10)}  ${r.prediction !== r.label ? 'misclassified' : r.certified_radius === 0 ? '< ' + DEMO_RADII[0] : '≥ ' + r.certified_radius}`),
    '',
    `${time_s.toFixed(2)} s. Every radius shown is proved (sound bounds, floating-point rounding included).`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
