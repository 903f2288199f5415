/**
 * `lipcert relu MODEL [REGION] [--method ibp|crown|lp|milp] [--milp-time s] [--solver glpk|highs]
 *   [--lp-budget s] [--tighten-refuted alpha|lp|none] [--prune OUT.onnx|OUT.json] [--json]`
 *
 * Which ReLUs are stable over the region (REGION as a .json box or .vnnlib file, or --box,
 * --vnnlib, --center --radius [--norm] [--domain]) and which tier proved it; with --prune, the
 * equivalent smaller network written atomically (see src/relu/prune.ts). A VNN-LIB union is
 * analysed over the box hull of its disjuncts' boxes (a ReLU stable there is stable on each).
 *
 * --json: {"layers":[{"node","active":[i…],"inactive":[…],"unstable":[…],"decided_by":{"ibp":n,
 * "crown":n,"lp":n,"milp":n},"milp_timeouts":n}], "method", "relus_before", "relus_after",
 * "units_removed", "max_abs_difference_bound", "max_abs_difference_sampled", "time_s"} — one
 * layer per ReLU node in topological order, indices into its flattened input. Without --prune,
 * relus_after counts the unstable ReLUs (what pruning would keep) and the difference fields are null.
 *
 * The lp tier's settings (RELU_DEFAULTS): --lp-budget s caps the whole lp tier (its witness
 * searches, α-CROWN steps and LP solves; sides left open stay undecided, never wrongly decided;
 * default none), and
 * --tighten-refuted says how the sides a witness refutes are tightened before later layers use them
 * (lp: also by their LPs, the default: the triangle relaxation's per-neuron optimum over LP-all
 * intermediate bounds; alpha: in the α-CROWN step only, cheaper; none: CROWN's bounds).
 */
import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BatchRegion, Norm } from '../../bounds/types.js';
import { readModel, writeModel } from '../../net/io.js';
import { InputError } from '../../net/op.js';
import { parseNorm } from '../../spec/region.js';
import type { GlobalArgs } from '../main.js';
import { printJson } from '../output.js';
import { readRegions, regionKind, type RegionArgs } from '../region_args.js';

export interface ReluArgs extends GlobalArgs, RegionArgs {
  model: string;
  simplify: boolean;
  norm?: string;
  method?: string;
  'milp-time'?: string;
  solver?: string;
  'lp-budget'?: string;
  'tighten-refuted'?: string;
  prune?: string;
}

/** The hull of several batch-1 boxes (a VNN-LIB union). */
function hull(regions: BatchRegion[]): BatchRegion {
  if (regions.length === 1) return regions[0];
  const lo = Float64Array.from(regions[0].lo), hi = Float64Array.from(regions[0].hi);
  for (const r of regions) for (let i = 0; i < lo.length; i++) { if (r.lo[i] < lo[i]) lo[i] = r.lo[i]; if (r.hi[i] > hi[i]) hi[i] = r.hi[i]; }
  return { batch: 1, lo, hi };
}

export async function runRelu(a: ReluArgs): Promise<void> {
  const { RELU_DEFAULTS, RELU_TIERS, reluStability, decidedBy } = await import('../../relu/stability.js');
  const method = (a.method ?? 'milp') as (typeof RELU_TIERS)[number];
  if (!RELU_TIERS.includes(method)) throw new InputError(`--method '${a.method}': use ${RELU_TIERS.join(', ')}`);
  let milpTime = 20;
  if (a['milp-time'] !== undefined) {
    milpTime = Number(a['milp-time']);
    if (!Number.isFinite(milpTime) || milpTime <= 0) throw new InputError(`--milp-time ${a['milp-time']}: must be a finite number of seconds > 0`);
  }
  const solver = (a.solver ?? 'glpk') as 'glpk' | 'highs';
  if (solver !== 'glpk' && solver !== 'highs') throw new InputError(`--solver '${a.solver}': use glpk or highs`);
  let lpBudget = Infinity;
  if (a['lp-budget'] !== undefined) {
    lpBudget = Number(a['lp-budget']);
    if (Number.isNaN(lpBudget) || lpBudget <= 0) throw new InputError(`--lp-budget ${a['lp-budget']}: must be a number of seconds > 0`);
  }
  const tightenRefuted = (a['tighten-refuted'] ?? RELU_DEFAULTS.tightenRefuted) as 'alpha' | 'lp' | 'none';
  if (!['alpha', 'lp', 'none'].includes(tightenRefuted)) throw new InputError(`--tighten-refuted '${a['tighten-refuted']}': use alpha, lp or none`);
  if (a.prune !== undefined) {
    if (!/\.(onnx|json)$/i.test(a.prune)) throw new InputError(`--prune ${a.prune}: cannot tell the output format (use a .onnx or .json name)`);
    // Fail before the analysis when the file cannot be written (it is written atomically at the end).
    try {
      accessSync(dirname(resolve(a.prune)), constants.W_OK);
    } catch (e) {
      throw new InputError(`${a.prune}: cannot write the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const norm: Norm = a.norm === undefined ? 'inf' : parseNorm(a.norm);
  const kind = regionKind(a, true)!;
  const net = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: a.simplify });
  const { regions, what } = await readRegions(a, kind, net, norm);
  const region = hull(regions);
  const quiet = a.quiet || a.json;
  const t0 = performance.now();
  const stab = await reluStability(net, region, {
    method, milpTime, solver, lpBudget, tightenRefuted, seed: a.seed,
    onProgress: quiet ? undefined : (d, t) => process.stderr.write(`relu: ${method}: node ${d} of ${t} done (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`),
  });
  let relusAfter = 0, relusBefore = 0, unitsRemoved: number | null = null, bound: number | null = null, sampled: number | null = null;
  for (const L of stab.layers) { relusBefore += L.size; for (let j = 0; j < L.size; j++) if (L.status[j] === 0) relusAfter++; }
  if (a.prune !== undefined) {
    const { pruneNetwork, sampledDifference } = await import('../../relu/prune.js');
    const pr = pruneNetwork(net, stab);
    relusAfter = pr.reluAfter;
    unitsRemoved = pr.unitsRemoved;
    bound = pr.roundingBound;
    sampled = sampledDifference(net, pr.net, stab, 10000, a.seed);
    writeModel(pr.net, a.prune);
  }
  const timeS = (performance.now() - t0) / 1000;
  const layers = stab.layers.map((L) => {
    const active: number[] = [], inactive: number[] = [], unstable: number[] = [];
    for (let j = 0; j < L.size; j++) (L.status[j] === 1 ? active : L.status[j] === -1 ? inactive : unstable).push(j);
    return { node: L.node, active, inactive, unstable, decided_by: decidedBy(L), milp_timeouts: L.milpTimeouts };
  });
  if (a.json) {
    return printJson({
      layers, method, relus_before: relusBefore, relus_after: relusAfter, units_removed: unitsRemoved,
      max_abs_difference_bound: bound, max_abs_difference_sampled: sampled, time_s: Number(timeS.toFixed(6)),
    });
  }
  const lines = [`ReLU stability of ${a.model} over ${what} by ${method} (${timeS.toFixed(3)} s)`];
  lines.push(`${'node'.padEnd(24)} ${'active'.padStart(7)} ${'inactive'.padStart(8)} ${'unstable'.padStart(8)}  decided by (ibp/crown/lp/milp)  milp timeouts`);
  for (const L of layers) {
    const d = L.decided_by;
    lines.push(`${L.node.padEnd(24)} ${String(L.active.length).padStart(7)} ${String(L.inactive.length).padStart(8)} ${String(L.unstable.length).padStart(8)}  ${`${d.ibp}/${d.crown}/${d.lp}/${d.milp}`.padEnd(30)}  ${L.milp_timeouts}`);
  }
  lines.push(`ReLUs: ${relusBefore} → ${relusAfter} (${relusBefore - relusAfter} stable)`);
  if (a.prune !== undefined) {
    lines.push(`pruned network written to ${a.prune}: ${unitsRemoved} units removed; |f − f′| ≤ ${bound!.toExponential(3)} on the region (sound: 0 by the proofs + rounding of the refolded weights), ${sampled!.toExponential(3)} max on 10,000 samples`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
