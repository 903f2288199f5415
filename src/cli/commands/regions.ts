/**
 * `lipcert regions MODEL [REGION] [--at "x0,x1,…"] [--enumerate | --sample N] [--plot out.svg] [--json]`
 *
 * Activation regions (src/relu/regions.ts):
 * - --at x: the activation pattern at x, the affine map y = W·x + b valid on its region and the
 *   region's inequalities A·x + c ≥ 0 (no REGION needed);
 * - --enumerate (2-input networks): every linear region meeting the box, with its polygon,
 *   area and affine map; --plot draws them (plain SVG, written atomically);
 * - --sample N (default 1000 without --at/--enumerate): a proved lower bound on the number of
 *   regions meeting the region (distinct patterns at points whose signs are proved strict) and a
 *   Chao1 estimate (labelled as such).
 *
 * --json: {"at": {"x","pattern":[[0|1…]…],"W","b","A","c"}} | {"regions":[{"pattern","polygon","area","W","b","proved"}],
 * "count","area_sum","box_area"} | {"samples","proved_lower_bound","chao1_estimate","degenerate"}, plus "time_s".
 */
import { readModel, writeFileAtomic } from '../../net/io.js';
import { InputError } from '../../net/op.js';
import { parseVector } from '../argv.js';
import type { GlobalArgs } from '../main.js';
import { printJson } from '../output.js';
import { readRegions, regionKind, type RegionArgs } from '../region_args.js';

export interface RegionsArgs extends GlobalArgs, RegionArgs {
  model: string;
  simplify: boolean;
  at?: string;
  enumerate?: boolean;
  sample?: string;
  plot?: string;
}

const arr = (v: ArrayLike<number>) => Array.from(v, (x) => (Number.isFinite(x) ? x : null));

export async function runRegions(a: RegionsArgs): Promise<void> {
  if (a.enumerate && a.sample !== undefined) throw new InputError('give --enumerate or --sample N, not both');
  let samples = 1000;
  if (a.sample !== undefined) {
    samples = Number(a.sample);
    if (!Number.isInteger(samples) || samples <= 0) throw new InputError(`--sample ${a.sample}: must be a positive integer`);
  }
  if (a.plot !== undefined && !a.plot.toLowerCase().endsWith('.svg')) throw new InputError(`--plot ${a.plot}: the plot is written as SVG (use a .svg name)`);
  const kind = regionKind(a, a.at === undefined);
  const net = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: a.simplify });
  const R = await import('../../relu/regions.js');
  const t0 = performance.now();
  const out: Record<string, unknown> = {};
  const lines: string[] = [];
  if (a.at !== undefined) {
    const x = parseVector(a.at, '--at');
    if (x.length !== net.inputSize) throw new InputError(`--at has ${x.length} values; the network takes ${net.inputSize} inputs`);
    const r = R.activationRegion(net, x);
    out.at = { x: arr(x), pattern: r.pattern.map((p) => Array.from(p)), W: arr(r.W), b: arr(r.b), A: arr(r.A), c: arr(r.c) };
    const active = r.pattern.reduce((s, p) => s + p.reduce((q, v) => q + v, 0), 0);
    const total = r.pattern.reduce((s, p) => s + p.length, 0);
    lines.push(`activation pattern at the point: ${active} of ${total} ReLUs active (${r.pattern.map((p) => Array.from(p).join('')).join(' | ')})`);
    lines.push(`affine map on its region (outputs × inputs): W = [${Array.from(r.W, (v) => v.toPrecision(6)).join(', ')}], b = [${Array.from(r.b, (v) => v.toPrecision(6)).join(', ')}]`);
    lines.push(`region: ${total} inequalities A·x + c ≥ 0 (in --json)`);
  }
  if (kind !== null) {
    const { regions, what } = await readRegions(a, kind, net, 'inf');
    const reg = regions[0];
    if (a.enumerate || a.plot !== undefined) {
      const list = R.enumerateRegions2D(net, reg.lo, reg.hi);
      const boxArea = (reg.hi[0] - reg.lo[0]) * (reg.hi[1] - reg.lo[1]);
      const areaSum = list.reduce((s, r) => s + r.area, 0);
      if (a.plot !== undefined) writeFileAtomic(a.plot, R.regionsSvg(list, reg.lo, reg.hi, `linear regions of ${a.model.split('/').pop()}`));
      out.regions = list.map((r) => ({ pattern: r.pattern.map((p) => Array.from(p)), polygon: r.polygon, area: r.area, W: arr(r.W), b: arr(r.b), proved: r.proved }));
      out.count = list.length;
      out.area_sum = areaSum;
      out.box_area = boxArea;
      lines.push(`${list.length} linear regions meet ${what} (${list.filter((r) => r.proved).length} with a proved interior point); areas sum to ${areaSum} of the box's ${boxArea}`);
      if (a.plot !== undefined) lines.push(`plot written to ${a.plot}`);
    } else if (a.at === undefined || a.sample !== undefined) {
      const { witnessRegion } = await import('../../relu/stability.js');
      const c = R.countRegionsBySampling(net, witnessRegion(reg, net.inputSize), samples, a.seed);
      Object.assign(out, { samples: c.samples, proved_lower_bound: c.provedLowerBound, chao1_estimate: c.chao1Estimate, degenerate: c.degenerate });
      lines.push(`${c.samples} samples of ${what}: at least ${c.provedLowerBound} linear regions (proved: distinct patterns at points with every sign proved strict); Chao1 estimate ${c.chao1Estimate.toFixed(1)} (an estimate, not a bound)`);
    }
  }
  out.time_s = Number(((performance.now() - t0) / 1000).toFixed(6));
  if (a.json) return printJson(out);
  process.stdout.write(`${lines.join('\n')}\n`);
}
