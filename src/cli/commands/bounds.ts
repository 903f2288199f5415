/**
 * `lipcert bounds MODEL REGION [--method m]`: certified lower and upper bounds of every output
 * over an input region, given as exactly one of
 *   --box FILE.json                           {"lo": [...], "hi": [...]}
 *   --vnnlib FILE                             the input box of each disjunct of a VNN-LIB property
 *   --center "c1,c2,..." --radius r           the ball ‖x − c‖_norm ≤ r
 *       [--norm inf|2|1] [--domain lo:hi]     (default inf; intersected with the box [lo, hi]ⁿ)
 *
 * With several VNN-LIB disjuncts, the bounds of each disjunct are reported, and the top-level
 * lower/upper are their elementwise min/max: bounds over the union of the disjuncts' boxes.
 *
 * --json prints one object:
 *   {"method": m, "lower": [...], "upper": [...], "time_s": t}
 *   plus "disjuncts": [{"lower": [...], "upper": [...]}, ...] when the VNN-LIB file has several.
 * A bound that is not finite (an unbounded output) is written as null (JSON has no infinities).
 * time_s is the wall time of the bounding itself (not of loading the model or the region).
 */
import { readVnnlibFile } from '../../spec/vnnlib.js';
import { BOUND_METHODS, type BoundMethod } from '../../bounds/types.js';
import { readModel } from '../../net/io.js';
import { InputError } from '../../net/op.js';
import { ballRegion, readBoxFile, regionToBatch, vnnlibRegions, type Region } from '../../spec/region.js';
import type { GlobalArgs } from '../main.js';
import { fmt, printJson } from '../output.js';
import { parseVector } from '../argv.js';

export interface BoundsArgs extends GlobalArgs {
  model: string;
  simplify: boolean;
  box?: string;
  vnnlib?: string;
  center?: string;
  radius?: number;
  norm?: string;
  domain?: string;
  method?: string;
}

/** The bounds of one region: each of length = number of outputs. */
interface OneBounds {
  lower: Float64Array;
  upper: Float64Array;
}

/** Check the region options: exactly one kind, and the ball options only with a ball. */
function regionKind(a: BoundsArgs): 'box' | 'vnnlib' | 'ball' {
  const given: string[] = [];
  if (a.box !== undefined) given.push('--box');
  if (a.vnnlib !== undefined) given.push('--vnnlib');
  if (a.center !== undefined) given.push('--center');
  if (given.length === 0) {
    if (a.radius !== undefined) throw new InputError('--radius needs --center');
    throw new InputError('give an input region: --box FILE.json, --vnnlib FILE, or --center "..." --radius r');
  }
  if (given.length > 1) throw new InputError(`give only one input region (${given.join(' and ')} were given)`);
  if (given[0] === '--center') {
    if (a.radius === undefined) throw new InputError('--center needs --radius');
    return 'ball';
  }
  for (const opt of ['radius', 'norm', 'domain'] as const) {
    if (a[opt] !== undefined) throw new InputError(`--${opt} applies only to a ball (--center ... --radius r), not to ${given[0]}`);
  }
  return given[0] === '--box' ? 'box' : 'vnnlib';
}

function parseMethod(m: string | undefined): BoundMethod {
  const method = (m ?? 'crown') as BoundMethod;
  if (!BOUND_METHODS.includes(method)) throw new InputError(`unknown method '${m}' (use ${BOUND_METHODS.join(', ')})`);
  return method;
}

/** Numbers for JSON: finite values as they are, anything else as null. */
function jsonList(v: Float64Array): (number | null)[] {
  return Array.from(v, (x) => (Number.isFinite(x) ? x : null));
}

function table(b: OneBounds, indent = ''): string {
  const lo = Array.from(b.lower, fmt), hi = Array.from(b.upper, fmt);
  const w = Math.max(22, ...lo.map((s) => s.length));
  const iw = Math.max(6, String(lo.length - 1).length);
  const lines = [`${indent}${'output'.padStart(iw)}  ${'lower'.padEnd(w)}  upper`];
  for (let i = 0; i < lo.length; i++) lines.push(`${indent}${String(i).padStart(iw)}  ${lo[i].padEnd(w)}  ${hi[i]}`);
  return lines.join('\n');
}

export async function runBounds(a: BoundsArgs): Promise<void> {
  // Check everything that needs no model first, so option errors come before slow loading.
  const kind = regionKind(a);
  const method = parseMethod(a.method);
  let regions: Region[] = [];
  let what = '';
  if (kind === 'box') {
    regions = [readBoxFile(a.box!)];
    what = `the box ${a.box}`;
  } else if (kind === 'ball') {
    const center = parseVector(a.center!, '--center');
    regions = [ballRegion(center, a.radius!, a.norm ?? 'inf', a.domain)];
    what = `the L${a.norm ?? 'inf'} ball of radius ${a.radius}${a.domain !== undefined ? ` within [${a.domain.replace(':', ', ')}]` : ''}`;
  }

  const net = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: a.simplify });

  if (kind === 'vnnlib') {
    const path = a.vnnlib!;
    const prop = readVnnlibFile(path, { numInputs: net.inputSize, numOutputs: net.outputSize });
    regions = vnnlibRegions(prop).map((r) => r.region);
    if (regions.length === 0) throw new InputError(`${path}: the property's input region is empty (every disjunct has an empty box): nothing to bound`);
    what = `${regions.length === 1 ? 'the input box' : `the ${regions.length} input boxes`} of ${path}`;
  }
  const batches = regions.map((r) => regionToBatch(r, net.inputSize));

  // Loaded here, after every input check: option errors are reported without loading the bounds code.
  const { computeBounds } = await import('../../bounds/index.js');
  const results: OneBounds[] = [];
  const t0 = performance.now();
  for (const region of batches) {
    const r = await computeBounds({ net, region }, method);
    results.push({ lower: r.lower.slice(0, net.outputSize), upper: r.upper.slice(0, net.outputSize) });
  }
  const timeS = (performance.now() - t0) / 1000;

  const m = net.outputSize;
  const all: OneBounds = { lower: new Float64Array(m).fill(Infinity), upper: new Float64Array(m).fill(-Infinity) };
  for (const r of results) {
    for (let j = 0; j < m; j++) {
      all.lower[j] = Math.min(all.lower[j], r.lower[j]);
      all.upper[j] = Math.max(all.upper[j], r.upper[j]);
    }
  }

  if (a.json) {
    const out: Record<string, unknown> = { method, lower: jsonList(all.lower), upper: jsonList(all.upper), time_s: Number(timeS.toFixed(6)) };
    if (results.length > 1) out.disjuncts = results.map((r) => ({ lower: jsonList(r.lower), upper: jsonList(r.upper) }));
    return printJson(out);
  }
  const parts = [`bounds of ${a.model} over ${what} by ${method} (${timeS.toFixed(3)} s)`];
  if (results.length > 1) {
    results.forEach((r, k) => parts.push(`disjunct ${k + 1} of ${results.length}`, table(r, '  ')));
    parts.push('over all disjuncts (elementwise min of lower, max of upper)');
  }
  parts.push(table(all));
  process.stdout.write(`${parts.join('\n')}\n`);
}
