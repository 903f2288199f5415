/**
 * `lipcert radius MODEL POINT [options]`: the maximum safe radius at a point as a certified
 * interval [lower, upper] — lower proved, upper the distance of a re-checked adversarial example.
 *
 *   POINT: --point "v1,..." | --input x.json | --csv FILE --row k [--scale 255]
 *   --label c            the class to keep (default: the prediction at the point)
 *   --norm inf|2|1       default inf
 *   --domain lo:hi       the admissible box, e.g. 0:1 for images (default: none)
 *   --features SPEC      also each feature's interval: saliency[:K] | grid:HxW | FILE.json
 *   --eps e              stop when upper − lower ≤ e (absolute, default 1e-3)
 *   --timeout s          seconds for the point's radius (anytime); with --features, the
 *                        features share a second budget of the same length
 *   --plot out.svg       image inputs: x0, the adversarial example and their difference;
 *                        otherwise the interval closing over time
 *
 * --json prints one object:
 *   {"label", "lower", "upper", "adversarial": [...] | null, "norm", "certified", "time_s",
 *    "crown_lower", "note"?, "features"?: [{"feature", "indices", "lower", "upper"}]}
 * `upper` is null when no adversarial example is known (with certified true: the whole domain
 * is proved). A CSV row is `label,v1,...,vn` (ERAN's mnist_test.csv) or `v1,...,vn`; rows count
 * from 0.
 */
import { readFileSync } from 'node:fs';
import { readModel } from '../../net/io.js';
import type { Network } from '../../net/network.js';
import { InputError } from '../../net/op.js';
import { parseNorm } from '../../spec/region.js';
import { parseVector, readVectorFile } from '../argv.js';
import type { GlobalArgs } from '../main.js';
import { printJson } from '../output.js';

export interface RadiusArgs extends GlobalArgs {
  model: string;
  simplify: boolean;
  point?: string;
  input?: string;
  csv?: string;
  row?: number;
  scale?: number;
  label?: number;
  norm?: string;
  domain?: string;
  features?: string;
  eps?: number;
  timeout?: number;
  plot?: string;
}

/** Row k (from 0) of a CSV file: its numbers, and the label when the row has n + 1 values. */
export function readCsvRow(path: string, row: number, n: number, scale: number): { x: Float64Array; label?: number } {
  if (!Number.isInteger(row) || row < 0) throw new InputError(`--row ${row}: expected a row number ≥ 0`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`${path}: cannot read the CSV file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (row >= lines.length) throw new InputError(`${path}: there is no row ${row} (the file has ${lines.length} rows, 0..${lines.length - 1})`);
  const vals = lines[row].split(',').map((s) => Number(s.trim()));
  const bad = vals.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`${path}: row ${row}, column ${bad} is not a number`);
  if (vals.length !== n && vals.length !== n + 1) throw new InputError(`${path}: row ${row} has ${vals.length} values; the network takes ${n} inputs (optionally after a label)`);
  const withLabel = vals.length === n + 1;
  const x = Float64Array.from(vals.slice(withLabel ? 1 : 0), (v) => v / scale);
  return withLabel ? { x, label: vals[0] } : { x };
}

function readPoint(a: RadiusArgs, n: number): { x: Float64Array; csvLabel?: number } {
  const given = ['point', 'input', 'csv'].filter((k) => a[k as 'point'] !== undefined);
  if (given.length === 0) throw new InputError('give the point: --point "v1,...", --input x.json, or --csv FILE --row k');
  if (given.length > 1) throw new InputError(`give only one point (${given.map((g) => `--${g}`).join(' and ')} were given)`);
  if (a.scale !== undefined && a.csv === undefined) throw new InputError('--scale applies only to --csv');
  if (a.row !== undefined && a.csv === undefined) throw new InputError('--row needs --csv');
  if (a.point !== undefined) return { x: parseVector(a.point, '--point') };
  if (a.input !== undefined) return { x: readVectorFile(a.input) };
  if (a.row === undefined) throw new InputError('--csv needs --row k');
  const scale = a.scale ?? 1;
  if (!(typeof scale === 'number' && Number.isFinite(scale) && scale > 0)) throw new InputError(`--scale ${a.scale}: expected a positive number`);
  const r = readCsvRow(a.csv!, a.row, n, scale);
  return { x: r.x, csvLabel: r.label };
}

const fmtR = (v: number) => (Number.isFinite(v) ? v.toPrecision(6) : '∞');
const jnum = (v: number) => (Number.isFinite(v) ? v : null);

/** The image plot: x0, the adversarial example and their difference as heatmaps side by side. */
function imagePlot(x0: Float64Array, adv: Float64Array | null, img: { height: number; width: number; channels: number; order: 'chw' | 'hwc' }, index: (r: number, c: number, ch: number) => number, title: string) {
  const panels: { name: string; v: (i: number) => number }[] = [{ name: 'x0', v: (i) => x0[i] }];
  if (adv) panels.push({ name: 'adversarial', v: (i) => adv[i] }, { name: 'difference', v: (i) => adv[i] - x0[i] });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    hconcat: panels.map((p) => ({
      title: p.name,
      width: 180, height: 180,
      data: { values: Array.from({ length: img.height * img.width }, (_, k) => { const r = Math.floor(k / img.width), c = k % img.width; return { r, c, v: p.v(index(r, c, 0)) }; }) },
      mark: 'rect',
      encoding: {
        x: { field: 'c', type: 'ordinal', axis: null },
        y: { field: 'r', type: 'ordinal', axis: null },
        color: { field: 'v', type: 'quantitative', scale: p.name === 'difference' ? { scheme: 'redblue', domainMid: 0 } : { scheme: 'greys' } },
      },
    })),
    resolve: { scale: { color: 'independent' } },
  };
}

/** The interval over time: lower and upper after each step. */
function tracePlot(trace: { time_s: number; lower: number; upper: number }[], title: string) {
  const values = trace.flatMap((p) => [
    { t: p.time_s, bound: 'lower (proved)', v: p.lower },
    ...(Number.isFinite(p.upper) ? [{ t: p.time_s, bound: 'upper (adversarial)', v: p.upper }] : []),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title, width: 480, height: 260,
    data: { values },
    mark: { type: 'line', point: true, interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time (s)' },
      y: { field: 'v', type: 'quantitative', title: 'radius' },
      color: { field: 'bound', type: 'nominal' },
    },
  };
}

export async function runRadius(a: RadiusArgs): Promise<void> {
  // Option checks that need no model first.
  const norm = parseNorm(a.norm ?? 'inf');
  if (a.eps !== undefined && !(typeof a.eps === 'number' && Number.isFinite(a.eps) && a.eps > 0)) throw new InputError(`--eps ${a.eps}: expected a positive number`);
  if (a.timeout !== undefined && !(typeof a.timeout === 'number' && Number.isFinite(a.timeout) && a.timeout > 0)) throw new InputError(`--timeout ${a.timeout}: expected a positive number of seconds`);
  if (a.label !== undefined && !(typeof a.label === 'number' && Number.isInteger(a.label) && a.label >= 0)) throw new InputError(`--label ${a.label}: expected a class index (a whole number ≥ 0)`);
  if (a.plot !== undefined && !/\.svg$/i.test(a.plot)) throw new InputError(`${a.plot}: plots are written as SVG (the file name must end in .svg)`);
  const net: Network = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: a.simplify });
  const checkNet = a.simplify ? readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: false }) : net;
  const { x, csvLabel } = readPoint(a, net.inputSize);
  if (x.length !== net.inputSize) throw new InputError(`the point has ${x.length} values; the network takes ${net.inputSize} inputs`);
  if (a.label !== undefined && a.label >= net.outputSize) throw new InputError(`--label ${a.label} is out of range (the network has ${net.outputSize} outputs: 0..${net.outputSize - 1})`);

  const { radius } = await import('../../search/radius.js');
  const progress = !a.quiet && !a.json;
  const log = (s: string) => { if (progress) process.stderr.write(`${s}\n`); };
  const opts = { label: a.label, norm, domain: a.domain, eps: a.eps ?? 1e-3, timeout: a.timeout, checkNet };
  let lastShown = 0;
  const res = await radius(net, x, {
    ...opts,
    onProgress: (p) => {
      if (p.time_s - lastShown < 0.5 && p.step !== 'attack: linear regions') return;
      lastShown = p.time_s;
      log(`  ${p.time_s.toFixed(1)} s  [${fmtR(p.lower)}, ${fmtR(p.upper)}]  ${p.step}`);
    },
  });

  let features: { feature: string; indices: number[]; lower: number; upper: number }[] | undefined;
  if (a.features !== undefined && !res.note) {
    const { featureRobustness, parseFeatures } = await import('../../search/features.js');
    const dom = a.domain !== undefined ? (await import('../../spec/region.js')).parseDomain(a.domain, net.inputSize) : undefined;
    const list = parseFeatures(a.features, net, x, res.label, dom);
    log(`features: ${list.length} (${a.features})`);
    const fr = await featureRobustness(net, x, list, { ...opts, label: res.label, timeout: a.timeout });
    features = fr.map((f) => ({ feature: f.feature, indices: f.indices, lower: f.lower, upper: f.upper }));
  }

  if (a.plot !== undefined) {
    const { writePlot } = await import('../plot.js');
    const { imageShape, pixelIndex } = await import('../../search/features.js');
    const img = imageShape(net);
    const title = `${a.model}: L${norm} radius in [${fmtR(res.lower)}, ${fmtR(res.upper)}], label ${res.label}`;
    await writePlot(a.plot, img ? imagePlot(x, res.adversarial?.input ?? null, img, (r, c, ch) => pixelIndex(img, r, c, ch), title) : tracePlot(res.trace, title));
  }

  if (a.json) {
    const out: Record<string, unknown> = {
      label: res.label, lower: res.lower, upper: jnum(res.upper),
      adversarial: res.adversarial ? Array.from(res.adversarial.input) : null,
      norm, certified: res.certified, time_s: Number(res.time_s.toFixed(3)),
      crown_lower: res.crownLower,
    };
    if (res.note) out.note = res.note;
    if (csvLabel !== undefined) out.csv_label = csvLabel;
    if (features) out.features = features.map((f) => ({ ...f, upper: jnum(f.upper) }));
    return printJson(out);
  }
  const lines = [
    `maximum safe radius of ${a.model} at the point (L${norm}${a.domain ? `, domain [${a.domain.replace(':', ', ')}]` : ''}), label ${res.label}${csvLabel !== undefined && csvLabel !== res.label ? ` (the CSV says ${csvLabel})` : ''}:`,
    `  lower ${fmtR(res.lower)}  (proved: no input within this distance changes the label)`,
    res.certified
      ? '  upper none: the whole domain is proved to keep the label'
      : `  upper ${fmtR(res.upper)}  (${res.adversarial ? `an adversarial example at this distance scores class ${res.adversarial.cls}, re-checked` : 'no adversarial example found'})`,
    `  gap ${fmtR(res.gap)}; CROWN alone proves ${fmtR(res.crownLower)}; ${res.time_s.toFixed(2)} s`,
  ];
  if (res.note) lines.push(`  note: ${res.note}`);
  if (features) {
    lines.push('', 'features, most fragile first:', '  feature           inputs  lower       upper');
    for (const f of features) lines.push(`  ${f.feature.padEnd(16)}  ${String(f.indices.length).padStart(6)}  ${fmtR(f.lower).padEnd(10)}  ${fmtR(f.upper)}`);
  }
  if (a.plot) lines.push(`plot written to ${a.plot}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
