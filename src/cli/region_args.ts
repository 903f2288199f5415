/**
 * Region options shared by the commands that take an input region (as `lipcert bounds` does):
 *   REGION positional: a box file (.json) or a VNN-LIB property (.vnnlib, .vnnlib.gz)
 *   --box FILE.json                           {"lo": [...], "hi": [...]}
 *   --vnnlib FILE                             the input box of each disjunct of a VNN-LIB property
 *   --center "c1,c2,..." --radius r           the ball ‖x − c‖_norm ≤ r
 *       [--domain lo:hi]                      (intersected with the box [lo, hi]ⁿ)
 * Exactly one region (or none, when the command allows it). Every fault is an InputError.
 */
import type { Network } from '../net/network.js';
import { InputError } from '../net/op.js';
import { ballRegion, readBoxFile, regionToBatch, vnnlibRegions, type Region } from '../spec/region.js';
import type { BatchRegion, Norm } from '../bounds/types.js';
import { parseVector } from './argv.js';

export interface RegionArgs {
  region?: string;
  box?: string;
  vnnlib?: string;
  center?: string;
  radius?: number;
  domain?: string;
}

export type RegionKind = 'box' | 'vnnlib' | 'ball';

/** Which region the options give (null for none); checks that at most one is given and the ball options pair up. */
export function regionKind(a: RegionArgs, required: boolean): RegionKind | null {
  const given: [string, RegionKind][] = [];
  if (a.region !== undefined) given.push([a.region, /\.vnnlib(\.gz)?$/i.test(a.region) ? 'vnnlib' : 'box']);
  if (a.box !== undefined) given.push(['--box', 'box']);
  if (a.vnnlib !== undefined) given.push(['--vnnlib', 'vnnlib']);
  if (a.center !== undefined) given.push(['--center', 'ball']);
  if (given.length === 0) {
    if (a.radius !== undefined) throw new InputError('--radius needs --center');
    if (a.domain !== undefined) throw new InputError('--domain applies only to a ball (--center ... --radius r)');
    if (required) throw new InputError('give an input region: REGION (a .json box or .vnnlib file), --box FILE.json, --vnnlib FILE, or --center "..." --radius r');
    return null;
  }
  if (given.length > 1) throw new InputError(`give only one input region (${given.map((g) => g[0]).join(' and ')} were given)`);
  const [name, kind] = given[0];
  if (kind === 'ball') {
    if (a.radius === undefined) throw new InputError('--center needs --radius');
    return 'ball';
  }
  for (const opt of ['radius', 'domain'] as const) {
    if (a[opt] !== undefined) throw new InputError(`--${opt} applies only to a ball (--center ... --radius r), not to ${name}`);
  }
  return kind;
}

/**
 * The region(s) the options give, as batch-1 BatchRegions for the network (several for a VNN-LIB
 * union), with a phrase describing them. `ballNorm` is the norm of a --center/--radius ball.
 */
export async function readRegions(a: RegionArgs, kind: RegionKind, net: Network, ballNorm: Norm = 'inf'): Promise<{ regions: BatchRegion[]; what: string }> {
  let regions: Region[];
  let what: string;
  if (kind === 'ball') {
    const center = parseVector(a.center!, '--center');
    regions = [ballRegion(center, a.radius!, ballNorm, a.domain)];
    what = `the L${ballNorm} ball of radius ${a.radius}${a.domain !== undefined ? ` within [${a.domain.replace(':', ', ')}]` : ''}`;
  } else if (kind === 'box') {
    const path = a.box ?? a.region!;
    regions = [readBoxFile(path)];
    what = `the box ${path}`;
  } else {
    const path = a.vnnlib ?? a.region!;
    const { readVnnlibFile } = await import('../spec/vnnlib.js');
    const prop = readVnnlibFile(path, { numInputs: net.inputSize, numOutputs: net.outputSize });
    regions = vnnlibRegions(prop).map((r) => r.region);
    if (regions.length === 0) throw new InputError(`${path}: the property's input region is empty (every disjunct has an empty box)`);
    what = `${regions.length === 1 ? 'the input box' : `the ${regions.length} input boxes`} of ${path}`;
  }
  return { regions: regions.map((r) => regionToBatch(r, net.inputSize)), what };
}
