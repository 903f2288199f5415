/**
 * `lipcert reach MODEL REGION [--output j,… | --objective "c0,…" | --margin c] [--free i,j,… --at "…"]
 *   [--eps 1e-3] [--method auto|nested|bnb] [--timeout s] [--plot out.svg] [--json]`
 *
 * Certified min and max of objectives over an input region (REGION as a .json box or .vnnlib
 * file, or --box/--vnnlib/--center --radius [--norm] [--domain]): for each objective, the
 * minimum and the maximum each as an interval of width ≤ eps (absolute, in output units) unless
 * the timeout came first. min.lower and max.upper are proofs; min.upper and max.lower are the
 * re-evaluated values of the witnesses (inputs of the region, printed with --json). With no
 * objective option: every output. A VNN-LIB union: min of the minima, max of the maxima (its
 * output constraints are ignored, with a note on stderr).
 *
 * --json prints one object:
 *   {"results": [{"objective", "min": {"lower","upper","witness","certified"}, "max": {…}}],
 *    "eps", "certified", "method", "lipschitz", "free_inputs", "time_s"}
 * and, with a single objective, that result's "objective", "min" and "max" at the top level too.
 * Non-finite numbers are null. Progress goes to stderr (quiet with --quiet or --json).
 */
import type { Norm } from '../../bounds/types.js';
import { readModel } from '../../net/io.js';
import { InputError } from '../../net/op.js';
import { parseNorm, type Region } from '../../spec/region.js';
import { parseIndexList, parseVector } from '../argv.js';
import type { GlobalArgs } from '../main.js';
import { fmt, printJson } from '../output.js';
import { readRegions, regionKind, type RegionArgs } from '../region_args.js';
import type { ReachInterval, ReachResult } from '../../reach/reach.js';
import type { ReachObjective } from '../../reach/objective.js';

export interface ReachArgs extends GlobalArgs, RegionArgs {
  model: string;
  simplify: boolean;
  norm?: string;
  output?: string;
  objective?: string;
  margin?: string;
  free?: string;
  at?: string;
  eps?: string;
  method?: string;
  timeout?: string;
  plot?: string;
}

function positive(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) throw new InputError(`${name} ${v}: must be a finite number > 0`);
  return x;
}

const num = (x: number) => (Number.isFinite(x) ? x : null);
const vec = (v: Float64Array | null) => (v ? Array.from(v, (x) => (Number.isFinite(x) ? x : null)) : null);

function jsonInterval(iv: ReachInterval) {
  return { lower: num(iv.lower), upper: num(iv.upper), witness: vec(iv.witness), certified: iv.certified, boxes: iv.iterations, decided: iv.decided, time_s: Number(iv.time_s.toFixed(6)) };
}

/** The plot: lower and upper bound against time, for the min and the max of each objective. */
export function reachPlotSpec(res: ReachResult, title: string): Record<string, unknown> {
  const values: { t: number; value: number; series: string; objective: string }[] = [];
  const many = res.results.length > 1;
  for (const r of res.results) {
    const label = many ? `${r.objective.label}: ` : '';
    for (const [name, iv, proof] of [['min', r.min, 'lower'], ['max', r.max, 'upper']] as const) {
      for (const p of iv.trace) {
        for (const end of ['lower', 'upper'] as const) {
          const v = p[end];
          if (!Number.isFinite(v)) continue;
          values.push({ t: p.t, value: v, series: `${label}${name} ${end}${end === proof ? ' (proof)' : ' (witness)'}`, objective: r.objective.label });
        }
      }
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title, width: 520, height: 300,
    data: { values },
    mark: { type: 'line', point: values.length < 400, interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time (s)' },
      y: { field: 'value', type: 'quantitative', title: 'objective bound', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

export async function runReach(a: ReachArgs): Promise<void> {
  // Option checks that need no model come first (bad input exits 2 before any work or file).
  const eps = positive(a.eps, '--eps', 1e-3);
  const timeout = positive(a.timeout, '--timeout', 60);
  const method = a.method ?? 'auto';
  if (!['auto', 'nested', 'bnb'].includes(method)) throw new InputError(`--method '${method}': use auto, nested or bnb`);
  const norm: Norm = a.norm === undefined ? 'inf' : parseNorm(a.norm);
  if (a.plot !== undefined && !/\.svg$/i.test(a.plot)) throw new InputError(`${a.plot}: plots are written as SVG (the file name must end in .svg)`);
  const given = (['output', 'objective', 'margin'] as const).filter((k) => a[k] !== undefined);
  if (given.length > 1) throw new InputError(`give one of --output, --objective, --margin (${given.map((g) => `--${g}`).join(' and ')} were given)`);
  if (a.at !== undefined && a.free === undefined) throw new InputError('--at needs --free (the inputs that vary)');
  const kind = regionKind(a, true)!;
  const net = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: a.simplify });
  const m = net.outputSize, n = net.inputSize;
  const { regions: batches, what } = await readRegions(a, kind, net, norm);
  if (kind === 'vnnlib' && !a.quiet && !a.json) process.stderr.write('reach: note: the VNN-LIB output constraints are ignored (only its input boxes are used)\n');
  const free = a.free !== undefined ? parseIndexList(a.free, '--free', n) : undefined;
  const at = a.at !== undefined ? parseVector(a.at, '--at') : undefined;
  if (at && at.length !== n) throw new InputError(`--at has ${at.length} values; the network takes ${n} inputs`);

  const { outputObjective, linearObjective, marginObjective } = await import('../../reach/objective.js');
  let objectives: ReachObjective[];
  if (a.objective !== undefined) {
    const c = parseVector(a.objective, '--objective');
    if (c.length !== m) throw new InputError(`--objective has ${c.length} values; the network has ${m} outputs`);
    objectives = [linearObjective(m, c)];
  } else if (a.margin !== undefined) {
    objectives = [marginObjective(m, parseIndexList(a.margin, '--margin', m)[0])];
    if (parseIndexList(a.margin, '--margin', m).length > 1) throw new InputError('--margin takes one class');
  } else if (a.output !== undefined) {
    objectives = parseIndexList(a.output, '--output', m).map((j) => outputObjective(m, j));
  } else objectives = Array.from({ length: m }, (_, j) => outputObjective(m, j));

  // Back to user regions: a ball keeps its centre (the default of --at) and its clipped hull.
  const regions: Region[] = batches.map((b) => (b.ball
    ? { kind: 'ball', center: b.ball.center, radius: b.ball.radius, norm: b.ball.norm, domain: { lo: b.lo, hi: b.hi } }
    : { kind: 'box', lo: b.lo, hi: b.hi }));
  const { reach } = await import('../../reach/reach.js');
  const progress = !a.quiet && !a.json;
  let last = -1;
  const res = await reach(net, regions, objectives, {
    eps, timeout, method: method as 'auto', free, at, seed: a.seed,
    onProgress: progress ? (p) => {
      if (p.elapsed - last < 1) return;
      last = p.elapsed;
      process.stderr.write(`reach: ${p.elapsed.toFixed(1)} s  ${objectives[p.objective].label} ${p.sense} ∈ [${fmt(p.lower)}, ${fmt(p.upper)}]\n`);
    } : undefined,
  });

  const objWhat = objectives.length === 1 ? objectives[0].label : `${objectives.length} objectives`;
  if (a.plot !== undefined) {
    const { writePlot } = await import('../plot.js');
    await writePlot(a.plot, reachPlotSpec(res, `reach: ${objWhat}, certified min and max over time (eps ${eps})`));
  }
  if (a.json) {
    const results = res.results.map((r) => ({ objective: r.objective.label, min: jsonInterval(r.min), max: jsonInterval(r.max) }));
    const top: Record<string, unknown> = { results, eps, certified: res.certified, method: res.method, lipschitz: res.lipschitz, free_inputs: res.freeInputs, time_s: Number(res.time_s.toFixed(6)) };
    if (results.length === 1 && (a.output !== undefined || a.objective !== undefined || a.margin !== undefined)) Object.assign(top, results[0]);
    return printJson(top);
  }
  const lines = [
    `reach of ${a.model} over ${what}${free ? ` with inputs ${free.join(',')} free` : ''}: ${res.method}, eps ${eps} (${res.time_s.toFixed(3)} s)`,
    'min: [proved lower, witness value]   max: [witness value, proved upper]',
  ];
  const w = Math.max(...res.results.map((r) => r.objective.label.length), 9);
  for (const r of res.results) {
    const gap = (iv: ReachInterval) => (iv.certified ? '' : ` (gap ${fmt(iv.upper - iv.lower)} > eps)`);
    lines.push(`${r.objective.label.padEnd(w)}  min ∈ [${fmt(r.min.lower)}, ${fmt(r.min.upper)}]${gap(r.min)}   max ∈ [${fmt(r.max.lower)}, ${fmt(r.max.upper)}]${gap(r.max)}`);
  }
  lines.push(res.certified ? `every gap ≤ ${eps}` : `not every gap reached ${eps} within ${timeout} s (the intervals are still valid)`);
  if (a.plot !== undefined) lines.push(`plot written to ${a.plot}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
