/**
 * `lipcert lipschitz MODEL [REGION] [--norm inf|2|1] [--output j | --objective "c0,c1,…"]
 *   [--eps 0.01] [--timeout 30] [--wrt input|params] [--of output|loss|loss-grad]
 *   [--loss mse|ce] [--target "t0,…" | --label c] [--param-radius ρ] [--plot out.svg] [--json]`
 *
 * A certified interval [lower, upper] of the Lipschitz constant of the objective g = c·y:
 * `upper` is a proof, `lower` the slope of a re-evaluated secant pair (the witness). With a
 * region (REGION as a .json box or .vnnlib file, or --box/--vnnlib/--center --radius), the local
 * constant over it, closed to --eps by splitting the region; without one, the global bound.
 * A VNN-LIB union gives one constant per box ("boxes": [...]): pairs across boxes are not
 * covered by any box's constant. With --wrt params, the constant with respect to all weights
 * and biases jointly (Euclidean norm) over the input box × the ball of radius ρ around the
 * current parameters (see src/lipschitz/params.ts).
 *
 * --json: {"lower","upper","norm","witness":[x, x′],"time_s", "certified","global","local",
 * "splits","eps"} — or, for a union, {"norm","boxes":[{…per box…}],"time_s"}. Non-finite → null.
 */
import type { Norm } from '../../bounds/types.js';
import type { Network } from '../../net/network.js';
import { readModel } from '../../net/io.js';
import { InputError } from '../../net/op.js';
import { parseNorm } from '../../spec/region.js';
import { parseIndexList, parseVector } from '../argv.js';
import type { GlobalArgs } from '../main.js';
import { fmt, printJson } from '../output.js';
import { readRegions, regionKind, type RegionArgs } from '../region_args.js';
import type { LipschitzInterval } from '../../lipschitz/constant.js';

export interface LipschitzArgs extends GlobalArgs, RegionArgs {
  model: string;
  simplify: boolean;
  norm?: string;
  output?: string;
  objective?: string;
  eps?: string;
  timeout?: string;
  wrt?: string;
  of?: string;
  loss?: string;
  target?: string;
  label?: string;
  'param-radius'?: string;
  plot?: string;
}

/** A positive finite number from an option (one-line InputError otherwise). */
function positive(v: string | undefined, name: string, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || (allowZero ? x < 0 : x <= 0)) throw new InputError(`${name} ${v}: must be a finite number ${allowZero ? '≥' : '>'} 0`);
  return x;
}

/** The objective row c over the outputs: --output j, --objective "c…", or output 0 of a one-output network. */
function objectiveRow(a: LipschitzArgs, net: Network): { row: Float64Array; what: string } {
  const m = net.outputSize;
  if (a.output !== undefined && a.objective !== undefined) throw new InputError('give --output or --objective, not both');
  if (a.objective !== undefined) {
    const row = parseVector(a.objective, '--objective');
    if (row.length !== m) throw new InputError(`--objective has ${row.length} values; the network has ${m} outputs`);
    return { row, what: `c·y with c = [${Array.from(row).join(', ')}]` };
  }
  let j = 0;
  if (a.output !== undefined) j = parseIndexList(a.output, '--output', m)[0];
  else if (m > 1) throw new InputError(`the network has ${m} outputs: choose one with --output j or give --objective "c0,…"`);
  const row = new Float64Array(m);
  row[j] = 1;
  return { row, what: `output ${j}` };
}

const jsonVec = (v: Float64Array | null | undefined) => (v ? Array.from(v, (x) => (Number.isFinite(x) ? x : null)) : null);
const num = (x: number | null | undefined) => (x !== null && x !== undefined && Number.isFinite(x) ? x : null);

export async function runLipschitz(a: LipschitzArgs): Promise<void> {
  // Option checks that need no model come first.
  const norm: Norm = a.norm === undefined ? 'inf' : parseNorm(a.norm);
  const eps = positive(a.eps, '--eps', 0.01);
  const timeout = positive(a.timeout, '--timeout', 30);
  const wrt = a.wrt ?? 'input';
  if (wrt !== 'input' && wrt !== 'params') throw new InputError(`--wrt '${wrt}': use input or params`);
  const of = a.of ?? 'output';
  if (!['output', 'loss', 'loss-grad'].includes(of)) throw new InputError(`--of '${of}': use output, loss or loss-grad`);
  if (wrt === 'input') {
    for (const opt of ['of', 'loss', 'target', 'label', 'param-radius'] as const) {
      if (a[opt] !== undefined) throw new InputError(`--${opt} applies only with --wrt params`);
    }
  } else {
    // The parameter-space constant is computed in one pass: no closing loop to plot or stop.
    for (const opt of ['plot', 'eps', 'timeout'] as const) {
      if (a[opt] !== undefined) throw new InputError(`--${opt} applies only with --wrt input`);
    }
  }
  if (a.plot !== undefined && !/\.svg$/i.test(a.plot)) throw new InputError(`${a.plot}: plots are written as SVG (the file name must end in .svg)`);
  const kind = regionKind(a, wrt === 'params');
  const net = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: a.simplify });
  const { regions, what } = kind ? await readRegions(a, kind, net, norm) : { regions: [], what: 'all inputs' };

  if (wrt === 'params') {
    return runParamsMode(a, net, regions, what, of as 'output' | 'loss' | 'loss-grad');
  }

  const { row, what: objWhat } = objectiveRow(a, net);
  const { lipschitzInterval } = await import('../../lipschitz/constant.js');
  const t0 = performance.now();
  const progress = !a.quiet && !a.json;
  const settings = { norm, eps, timeout: regions.length > 1 ? timeout / regions.length : timeout, seed: a.seed };
  const results: LipschitzInterval[] = [];
  if (regions.length === 0) results.push(await lipschitzInterval(net, null, row, settings));
  for (const [k, r] of regions.entries()) {
    let last = 0;
    results.push(await lipschitzInterval(net, { lo: r.lo, hi: r.hi }, row, settings, (p) => {
      if (progress && p.t - last >= 1) {
        last = p.t;
        process.stderr.write(`lipschitz${regions.length > 1 ? ` box ${k + 1}/${regions.length}` : ''}: ${p.t.toFixed(1)} s  [${fmt(p.lower)}, ${fmt(p.upper)}]\n`);
      }
    }));
  }
  const timeS = (performance.now() - t0) / 1000;

  if (a.plot !== undefined) {
    const values = results.flatMap((r, k) => r.trace.flatMap((p) => [
      { t: p.t, bound: `${results.length > 1 ? `box ${k + 1} ` : ''}lower`, value: p.lower },
      { t: p.t, bound: `${results.length > 1 ? `box ${k + 1} ` : ''}upper`, value: p.upper },
    ]));
    const { writePlot } = await import('../plot.js');
    await writePlot(a.plot, {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: `Lipschitz constant of ${objWhat} (ℓ${norm} norm): certified interval over time`,
      width: 480, height: 280,
      data: { values: values.filter((v) => Number.isFinite(v.value)) },
      mark: { type: 'line', point: true, interpolate: 'step-after' },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'time (s)' },
        y: { field: 'value', type: 'quantitative', title: 'Lipschitz bound', scale: { zero: false } },
        color: { field: 'bound', type: 'nominal', title: null },
      },
    });
  }

  const one = (r: LipschitzInterval) => ({
    lower: num(r.lower), upper: num(r.upper),
    witness: r.witness ? [jsonVec(r.witness[0]), jsonVec(r.witness[1])] : null,
    certified: r.certified, local: num(r.local), splits: r.boxes,
  });
  if (a.json) {
    if (results.length > 1) return printJson({ norm, eps, boxes: results.map(one), global: num(results[0].global), time_s: Number(timeS.toFixed(6)) });
    const r = results[0];
    return printJson({ ...one(r), norm, eps, global: num(r.global), time_s: Number(timeS.toFixed(6)) });
  }
  const lines = [`Lipschitz constant of ${objWhat} of ${a.model} over ${what}, ℓ${norm} norm on the input (${timeS.toFixed(3)} s)`];
  results.forEach((r, k) => {
    const head = results.length > 1 ? `box ${k + 1}: ` : '';
    const status = r.certified ? `closed to eps ${eps}` : regions.length === 0 ? 'global bound (no region: not closed)' : `gap not closed to eps ${eps} at the timeout`;
    lines.push(`${head}[${fmt(r.lower)}, ${fmt(r.upper)}]  (${status}; global bound ${fmt(r.global)}${r.local !== null ? `, local bound before splitting ${fmt(r.local)}` : ''}, ${r.boxes} boxes)`);
    if (r.witness && net.inputSize <= 16) lines.push(`${' '.repeat(head.length)}witness pair: x = [${Array.from(r.witness[0], fmt).join(', ')}], x′ = [${Array.from(r.witness[1], fmt).join(', ')}]`);
    else if (r.witness) lines.push(`${' '.repeat(head.length)}witness pair: ${net.inputSize} values each (printed with --json)`);
  });
  if (a.plot !== undefined) lines.push(`plot written to ${a.plot}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** --wrt params: one interval per box of the region (see src/lipschitz/params.ts). */
async function runParamsMode(a: LipschitzArgs, net: Network, regions: { lo: Float64Array; hi: Float64Array }[], what: string, of: 'output' | 'loss' | 'loss-grad'): Promise<void> {
  const rho = positive(a['param-radius'], '--param-radius', 0.01);
  const { paramLipschitz } = await import('../../lipschitz/params.js');
  type Obj = import('../../lipschitz/params.js').ParamObjective;
  let obj: Obj;
  let objWhat: string;
  if (of === 'output') {
    for (const opt of ['loss', 'target', 'label'] as const) if (a[opt] !== undefined) throw new InputError(`--${opt} applies only with --of loss or loss-grad`);
    const o = objectiveRow(a, net);
    obj = { of, row: o.row };
    objWhat = o.what;
  } else {
    if (a.output !== undefined || a.objective !== undefined) throw new InputError(`--output/--objective do not apply with --of ${of} (the loss is over every output)`);
    const loss = a.loss ?? 'mse';
    if (loss === 'mse') {
      if (a.label !== undefined) throw new InputError('--label applies to --loss ce; mse takes --target');
      if (a.target === undefined) throw new InputError('--loss mse needs --target "t0,…"');
      const target = parseVector(a.target, '--target');
      if (target.length !== net.outputSize) throw new InputError(`--target has ${target.length} values; the network has ${net.outputSize} outputs`);
      obj = { of, loss, target };
      objWhat = `the mse loss${of === 'loss-grad' ? ' gradient' : ''}`;
    } else if (loss === 'ce') {
      if (a.target !== undefined) throw new InputError('--target applies to --loss mse; ce takes --label');
      if (a.label === undefined) throw new InputError('--loss ce needs --label c');
      obj = { of, loss, label: parseIndexList(a.label, '--label', net.outputSize)[0] };
      objWhat = `the cross-entropy loss${of === 'loss-grad' ? ' gradient' : ''}`;
    } else throw new InputError(`--loss '${loss}': use mse or ce`);
  }
  const t0 = performance.now();
  const results = regions.map((r) => paramLipschitz(net, r.lo, r.hi, obj, rho, { seed: a.seed }));
  const timeS = (performance.now() - t0) / 1000;
  const one = (r: (typeof results)[number]) => ({
    lower: num(r.lower), upper: num(r.upper),
    witness: r.witness ? { x: jsonVec(r.witness.x), theta0: jsonVec(r.witness.theta0), theta1: jsonVec(r.witness.theta1) } : null,
    parameters: r.parameters,
  });
  if (a.json) {
    const base = { wrt: 'params', of, norm: '2', param_radius: rho };
    if (results.length > 1) return printJson({ ...base, boxes: results.map(one), time_s: Number(timeS.toFixed(6)) });
    return printJson({ ...one(results[0]), ...base, time_s: Number(timeS.toFixed(6)) });
  }
  const lines = [`Lipschitz constant of ${objWhat} of ${a.model} w.r.t. its ${results[0].parameters} parameters (ℓ2), over ${what} × the parameter ball of radius ${rho} (${timeS.toFixed(3)} s)`];
  results.forEach((r, k) => lines.push(`${results.length > 1 ? `box ${k + 1}: ` : ''}[${fmt(r.lower)}, ${fmt(r.upper)}]`));
  process.stdout.write(`${lines.join('\n')}\n`);
}
