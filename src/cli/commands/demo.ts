/**
 * `lipcert demo` (what `npm start` runs): the bundled MNIST classifier on test digits, each with
 * its maximum safe L∞ radius (pixels in [0, 1]) as a certified interval [lower, upper]: lower
 * is proved (no image within that distance changes the prediction), upper is the distance of
 * a re-checked adversarial image. A small time budget per digit keeps the demo to seconds.
 *
 * --json prints one object:
 *   {"model", "norm": "inf", "domain": [0, 1], "eps", "digits": [{"index", "label",
 *    "prediction", "lower", "upper", "certified", "crown_lower", "time_s"}], "time_s"}
 * (upper null when no adversarial image is known; lower = upper = 0 for a misclassified digit),
 * plus "reach": the reach line's JSON (src/cli/commands/demo_reach.ts).
 */
import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { packageRoot } from '../../util/package_root.js';
import { readModel } from '../../net/io.js';
import type { GlobalArgs } from '../main.js';
import { printJson } from '../output.js';

/** The bundled example files (same relative place from src/ and dist/). */
export const EXAMPLES = join(packageRoot(), 'examples') + sep;

/** Digits shown, tolerance and time per digit: the demo stays within a few seconds. */
export const DEMO_DIGITS = 5;
export const DEMO_EPS = 1e-3;
export const DEMO_SECONDS_PER_DIGIT = 2;

/** Cheaper attacks and provers than `radius`'s defaults (the demo favours speed). */
const DEMO_SETTINGS = {
  methods: ['crown' as const, 'alpha' as const],
  lipschitzRadii: 0,
  pgdOnFailure: 10,
  attack: { fabSteps: 15, fabRestarts: 1, pgdSteps: 15, pgdRadii: 6, lineSteps: 30 },
};

const r4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '∞');

export async function runDemo(a: GlobalArgs): Promise<void> {
  const model = `${EXAMPLES}mnist-relu-64-32.onnx`;
  const net = readModel(model);
  const digits = JSON.parse(readFileSync(`${EXAMPLES}mnist-test-digits.json`, 'utf8')) as { labels: number[]; images: number[][] };
  const { radius } = await import('../../search/radius.js');
  const { forward } = await import('../../net/forward.js');
  const start = performance.now();
  const rows = [];
  for (let k = 0; k < DEMO_DIGITS; k++) {
    const x = Float64Array.from(digits.images[k]);
    const y = forward(net, x);
    let pred = 0;
    for (let j = 1; j < y.length; j++) if (y[j] > y[pred]) pred = j;
    // The radius of the digit's true label: a misclassified digit gets [0, 0] (it is its own witness).
    const res = await radius(net, x, { label: digits.labels[k], norm: 'inf', domain: '0:1', eps: DEMO_EPS, timeout: DEMO_SECONDS_PER_DIGIT, settings: DEMO_SETTINGS });
    rows.push({ index: k, label: digits.labels[k], prediction: pred, lower: res.lower, upper: Number.isFinite(res.upper) ? res.upper : null, certified: res.certified, crown_lower: res.crownLower, time_s: Number(res.time_s.toFixed(3)) });
  }
  const reach = await reachLine(a);
  const time_s = Number(((performance.now() - start) / 1000).toFixed(3));
  if (a.json) return printJson({ model, norm: 'inf', domain: [0, 1], eps: DEMO_EPS, digits: rows, ...(reach?.json ? { reach: reach.json } : {}), time_s });
  const out = [
    `lipcert demo — ${model}`,
    `For ${DEMO_DIGITS} test digits: the prediction and the maximum safe L∞ radius (pixels in [0, 1]) as an`,
    'interval: no image closer than "lower" changes the label (proved, rounding included); an image at',
    'distance "upper" does (an adversarial example, re-checked). CROWN alone proves the last column.',
    '',
    'digit  label  prediction  radius [lower, upper]   gap      CROWN alone',
    ...rows.map((r) => `${String(r.index).padStart(5)}  ${String(r.label).padStart(5)}  ${String(r.prediction).padStart(10)}  ${r.prediction !== r.label ? 'misclassified          ' : `[${r4(r.lower)}, ${r4(r.upper ?? Infinity)}]`}  ${r.prediction !== r.label ? '       ' : r4((r.upper ?? Infinity) - r.lower).padEnd(7)}  ${r4(r.crown_lower)}`),
    ...(reach ? ['', reach.text] : []),
    '',
    `${time_s.toFixed(2)} s (at most ${DEMO_SECONDS_PER_DIGIT} s per digit; \`lipcert radius\` closes the intervals further).`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

/** The reach line of the demo (src/cli/commands/demo_reach.ts, the reach helper's). */
async function reachLine(a: GlobalArgs): Promise<{ text: string; json?: unknown } | null> {
  const { demoReach } = await import('./demo_reach.js');
  const r = await demoReach(a);
  return { text: r.text, json: r.json };
}
