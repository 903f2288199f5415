/**
 * The demo's reach line (called by `lipcert demo`, i.e. `npm start`): the certified range of the
 * predicted logit of the first bundled test digit when 3 pixels of its stroke vary freely over
 * [0, 1] and every other pixel keeps its value (DeepGO's setting). Both ends of the range are
 * intervals of width ≤ 1e-3: the minimum's lower end and the maximum's upper end are proved,
 * the other ends are re-evaluated witness images. Takes well under a second (3 s at most).
 *
 * This module exports a single function (the demo looks it up by type).
 */
import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { packageRoot } from '../../util/package_root.js';
import type { GlobalArgs } from '../main.js';

/** Text lines for the demo's output and a JSON object for `demo --json`. */
export async function demoReach(a: GlobalArgs): Promise<{ text: string; lines: string[]; json: Record<string, unknown> }> {
  const examples = join(packageRoot(), 'examples') + sep;
  const { readModel } = await import('../../net/io.js');
  const { forward } = await import('../../net/forward.js');
  const { reach } = await import('../../reach/reach.js');
  const { outputObjective } = await import('../../reach/objective.js');
  const net = readModel(`${examples}mnist-relu-64-32.onnx`);
  const digits = JSON.parse(readFileSync(`${examples}mnist-test-digits.json`, 'utf8')) as { labels: number[]; images: number[][] };
  const image = Float64Array.from(digits.images[0]);
  const y = forward(net, image);
  let pred = 0;
  for (let j = 1; j < y.length; j++) if (y[j] > y[pred]) pred = j;
  // Three stroke pixels nearest the middle row (bright pixels: the digit itself).
  const stroke = Array.from({ length: image.length }, (_, i) => i).filter((i) => image[i] > 0.5);
  stroke.sort((p, q) => Math.abs(Math.floor(p / 28) - 14) - Math.abs(Math.floor(q / 28) - 14) || p - q);
  const free = stroke.slice(0, 3).sort((p, q) => p - q);
  const lo = Float64Array.from(image), hi = Float64Array.from(image);
  for (const i of free) { lo[i] = 0; hi[i] = 1; }
  const eps = 1e-3;
  const res = await reach(net, [{ kind: 'box', lo, hi }], outputObjective(net.outputSize, pred), { eps, timeout: 3, free, at: image, seed: a.seed });
  const r = res.results[0];
  const f = (v: number) => v.toFixed(4);
  const lines = [
    `Certified reach: logit ${pred} (the prediction) of digit 0 when pixels ${free.join(', ')} (row, col ${free.map((i) => `${Math.floor(i / 28)},${i % 28}`).join('; ')}) vary over [0, 1]:`,
    `  min ∈ [${f(r.min.lower)}, ${f(r.min.upper)}]   max ∈ [${f(r.max.lower)}, ${f(r.max.upper)}]   (proved ends: min's lower, max's upper; eps ${eps}, ${res.method}, ${res.time_s.toFixed(2)} s${res.certified ? '' : ', gap not closed in time'})`,
    `  at the image itself the logit is ${f(y[pred])}; \`lipcert reach\` does this for any model, region and objective.`,
  ];
  const json = {
    model: `${examples}mnist-relu-64-32.onnx`, digit: 0, output: pred, free, eps, method: res.method, certified: res.certified,
    min: { lower: r.min.lower, upper: r.min.upper }, max: { lower: r.max.lower, upper: r.max.upper }, time_s: Number(res.time_s.toFixed(3)),
  };
  return { text: lines.join('\n'), lines, json };
}
