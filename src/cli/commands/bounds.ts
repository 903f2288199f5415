/**
 * `lipcert bounds MODEL [REGION] [--method m]`: certified lower and upper bounds of every output
 * over an input region, given as exactly one of (src/cli/region_args.ts)
 *   REGION                                    a box file (.json) or a VNN-LIB property (.vnnlib)
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
import { BOUND_METHODS, type BoundMethod, type Norm } from '../../bounds/types.js';
import { readModel } from '../../net/io.js';
import { InputError } from '../../net/op.js';
import type { GlobalArgs } from '../main.js';
import { fmt, printJson } from '../output.js';
import { readRegions, regionKind, type RegionArgs } from '../region_args.js';

export interface BoundsArgs extends GlobalArgs, RegionArgs {
  model: string;
  simplify: boolean;
  norm?: string;
  method?: string;
}

/** The bounds of one region: each of length = number of outputs. */
interface OneBounds {
  lower: Float64Array;
  upper: Float64Array;
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
  const kind = regionKind(a, true)!;
  if (kind !== 'ball' && a.norm !== undefined) throw new InputError('--norm applies only to a ball (--center ... --radius r)');
  const method = parseMethod(a.method);
  const net = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: a.simplify });
  const { regions: batches, what } = await readRegions(a, kind, net, (a.norm ?? 'inf') as Norm);

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
