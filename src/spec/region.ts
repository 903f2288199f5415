/**
 * User-facing input regions: a box (lo ≤ x ≤ hi), or a norm ball ‖x − c‖_p ≤ r optionally
 * intersected with a domain box (e.g. pixel values in [0, 1]). They become the
 * {@link BatchRegion} that the bounding methods take.
 *
 * Soundness: user numbers are doubles already and are used as they are; the only value this
 * module COMPUTES is the ball's box hull c ± r, which is rounded outward (the double below
 * c − r, the double above c + r whenever the sum is not exact), so the hull always contains the
 * real-number ball. Every fault is an {@link InputError} with a one-line message.
 */
import { readFileSync } from 'node:fs';
import type { BatchRegion, Norm } from '../bounds/types.js';
import { InputError } from '../net/op.js';
import { addDown, addUp } from '../util/float.js';
import type { OutputPolytope, Property } from './property.js';

export type Region =
  | { kind: 'box'; lo: Float64Array; hi: Float64Array }
  | { kind: 'ball'; center: Float64Array; radius: number; norm: Norm; domain?: { lo: Float64Array; hi: Float64Array } };

export const NORMS: readonly Norm[] = ['inf', '2', '1'];

/** The number of input values a region describes. */
export function regionSize(region: Region): number {
  return region.kind === 'box' ? region.lo.length : region.center.length;
}

function describeValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Flatten a JSON value (a number or nested arrays of numbers, C order) into finite doubles. */
function flattenNumbers(v: unknown, where: string): Float64Array {
  const flat = Array.isArray(v) ? (v as unknown[]).flat(Infinity as 1) : [v];
  const out = new Float64Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const x = flat[i];
    if (typeof x !== 'number') throw new InputError(`${where}: entry ${i} (${describeValue(x)}) is not a number`);
    if (!Number.isFinite(x)) throw new InputError(`${where}: entry ${i} (${x}) is not a finite number`);
    out[i] = x;
  }
  return out;
}

/** Check a box: equal lengths, no NaN, lo ≤ hi everywhere. `where` prefixes messages. */
function checkBox(lo: Float64Array, hi: Float64Array, where: string): void {
  if (lo.length !== hi.length) throw new InputError(`${where}: "lo" has ${lo.length} values but "hi" has ${hi.length}`);
  if (lo.length === 0) throw new InputError(`${where}: the box has no values`);
  for (let i = 0; i < lo.length; i++) {
    if (Number.isNaN(lo[i]) || Number.isNaN(hi[i])) throw new InputError(`${where}: entry ${i} is NaN`);
    if (!(lo[i] <= hi[i])) throw new InputError(`${where}: lo > hi at entry ${i} (${lo[i]} > ${hi[i]})`);
  }
}

/**
 * Read a box from a JSON file `{"lo": [...], "hi": [...]}` (nested arrays are flattened in C
 * order). Every entry must be a finite number, the lengths must agree and lo ≤ hi.
 */
export function readBoxFile(path: string): Region {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`${path}: cannot read the box file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: the box file is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new InputError(`${path}: expected a JSON object {"lo": [...], "hi": [...]}`);
  const o = j as Record<string, unknown>;
  for (const key of ['lo', 'hi']) {
    if (!(key in o)) throw new InputError(`${path}: the box has no "${key}" array (expected {"lo": [...], "hi": [...]})`);
    if (!Array.isArray(o[key])) throw new InputError(`${path}: "${key}" must be an array of numbers`);
  }
  const lo = flattenNumbers(o.lo, `${path}: "lo"`);
  const hi = flattenNumbers(o.hi, `${path}: "hi"`);
  checkBox(lo, hi, path);
  return { kind: 'box', lo, hi };
}

/** A box region from arrays (validated like a box file). */
export function boxRegion(lo: ArrayLike<number>, hi: ArrayLike<number>): Region {
  const l = Float64Array.from(lo), h = Float64Array.from(hi);
  checkBox(l, h, 'the box');
  return { kind: 'box', lo: l, hi: h };
}

/** Parse a norm name: inf (also ∞/linf/Infinity), 2 (l2), 1 (l1). */
export function parseNorm(text: string | number): Norm {
  const t = String(text).trim().toLowerCase();
  if (t === 'inf' || t === 'linf' || t === 'infinity' || t === '∞') return 'inf';
  if (t === '2' || t === 'l2') return '2';
  if (t === '1' || t === 'l1') return '1';
  throw new InputError(`unknown norm '${text}' (use inf, 2 or 1)`);
}

/** Parse a domain "lo:hi" (two finite numbers, lo ≤ hi) into a box of n copies. */
export function parseDomain(text: string, n: number): { lo: Float64Array; hi: Float64Array } {
  const parts = text.split(':');
  if (parts.length !== 2 || parts[0].trim() === '' || parts[1].trim() === '') throw new InputError(`--domain '${text}': expected lo:hi, e.g. 0:1`);
  const [a, b] = parts.map((s) => Number(s.trim()));
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new InputError(`--domain '${text}': lo and hi must be finite numbers`);
  if (!(a <= b)) throw new InputError(`--domain '${text}': lo > hi`);
  return { lo: new Float64Array(n).fill(a), hi: new Float64Array(n).fill(b) };
}

/**
 * A ball region ‖x − center‖_norm ≤ radius, optionally intersected with a domain box (given as
 * "lo:hi" for every coordinate, or as arrays). Validates: center finite, radius finite ≥ 0,
 * the norm, the domain.
 */
export function ballRegion(
  center: ArrayLike<number>,
  radius: number,
  norm: string | number = 'inf',
  domain?: string | { lo: ArrayLike<number>; hi: ArrayLike<number> },
): Region {
  const c = Float64Array.from(center);
  if (c.length === 0) throw new InputError('the ball centre is empty');
  for (let i = 0; i < c.length; i++) if (!Number.isFinite(c[i])) throw new InputError(`the ball centre: entry ${i} (${c[i]}) is not a finite number`);
  if (typeof radius !== 'number' || !Number.isFinite(radius)) throw new InputError(`the radius (${radius}) is not a finite number`);
  if (radius < 0) throw new InputError(`the radius (${radius}) is negative`);
  const p = parseNorm(norm);
  const region: Region = { kind: 'ball', center: c, radius: radius === 0 ? 0 : radius, norm: p };
  if (domain !== undefined) {
    const d = typeof domain === 'string' ? parseDomain(domain, c.length) : { lo: Float64Array.from(domain.lo), hi: Float64Array.from(domain.hi) };
    checkBox(d.lo, d.hi, 'the domain');
    if (d.lo.length !== c.length) throw new InputError(`the domain has ${d.lo.length} values; the centre has ${c.length}`);
    region.domain = d;
  }
  return region;
}

/**
 * The region as a batch-1 {@link BatchRegion} for a network with `numInputs` inputs. A box is
 * itself; a ball becomes its L∞ box hull [c − r, c + r] (valid for every norm, rounded
 * outward), intersected with its domain, with `ball` set. Throws InputError on a dimension
 * mismatch, on NaN or lo > hi, and when the ball misses the domain.
 */
export function regionToBatch(region: Region, numInputs: number): BatchRegion {
  const n = regionSize(region);
  if (n !== numInputs) throw new InputError(`the region has ${n} values; the network takes ${numInputs} inputs`);
  if (region.kind === 'box') {
    checkBox(region.lo, region.hi, 'the box');
    return { batch: 1, lo: Float64Array.from(region.lo), hi: Float64Array.from(region.hi) };
  }
  const { center, radius, norm, domain } = region;
  if (!Number.isFinite(radius) || radius < 0) throw new InputError(`the radius (${radius}) must be a finite number ≥ 0`);
  const lo = new Float64Array(n), hi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = center[i];
    if (!Number.isFinite(c)) throw new InputError(`the ball centre: entry ${i} (${c}) is not a finite number`);
    lo[i] = addDown(c, -radius);
    hi[i] = addUp(c, radius);
  }
  if (domain) {
    if (domain.lo.length !== n || domain.hi.length !== n) throw new InputError(`the domain has ${domain.lo.length} values; the centre has ${n}`);
    for (let i = 0; i < n; i++) {
      const dl = domain.lo[i], dh = domain.hi[i];
      if (Number.isNaN(dl) || Number.isNaN(dh)) throw new InputError(`the domain: entry ${i} is NaN`);
      if (dl > lo[i]) lo[i] = dl;
      if (dh < hi[i]) hi[i] = dh;
      if (!(lo[i] <= hi[i])) {
        throw new InputError(`the ball (radius ${radius}) does not meet the domain at entry ${i}: centre ${center[i]}, domain [${dl}, ${dh}]`);
      }
    }
  }
  return { batch: 1, lo, hi, ball: { center: Float64Array.from(center), radius, norm } };
}

/** Each disjunct of a VNN-LIB property as a box region together with its output polytopes. */
export function vnnlibRegions(prop: Property): { region: Region; polytopes: OutputPolytope[] }[] {
  return prop.disjuncts.map((dj) => ({
    region: { kind: 'box', lo: Float64Array.from(dj.box.lo), hi: Float64Array.from(dj.box.hi) },
    polytopes: dj.outputs,
  }));
}
