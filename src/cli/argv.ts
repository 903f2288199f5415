/**
 * Command-line values as users type them. yargs reads a token that starts with a minus sign as
 * flags, so `--input -0.3,0.2` used to fail with "Unknown argument: 0". Before parsing, every
 * token that starts with a minus followed by a digit, a dot or "inf" is protected: a lone
 * number is written canonically (yargs takes those as values and positionals), anything else
 * (a vector) gets its minus replaced by U+2212, which yargs leaves alone; a middleware turns it
 * back into '-' in every parsed string. So a vector works as `--opt -1,2`, `--opt=-1,2` and as a
 * positional, for every option, including those added later.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../net/op.js';

const PROTECTED_MINUS = '\u2212';
const NEGATIVE_LEAD = /^-(?:\d|\.\d|inf)/i;

/** Rewrite argv so that values starting with a minus sign reach yargs as values (see the module doc). */
export function protectNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const t of argv) {
    if (rest || !NEGATIVE_LEAD.test(t)) {
      if (t === '--') rest = true;
      out.push(t);
      continue;
    }
    const v = Number(t);
    out.push(Number.isFinite(v) && t.trim() === t ? String(v) : PROTECTED_MINUS + t.slice(1));
  }
  return out;
}

/** Undo {@link protectNegativeValues} in a parsed value (strings, arrays of them; other values as they are). */
export function restoreNegativeValues<T>(v: T): T {
  if (typeof v === 'string') return (v.startsWith(PROTECTED_MINUS) ? `-${v.slice(1)}` : v) as T;
  if (Array.isArray(v)) return v.map(restoreNegativeValues) as T;
  return v;
}

/** Apply {@link restoreNegativeValues} to every key of a yargs argv object (a yargs middleware). */
export function restoreNegativeArgs(args: Record<string, unknown>): void {
  for (const k of Object.keys(args)) args[k] = restoreNegativeValues(args[k]);
}

/** Parse "v1,v2,..." (commas or spaces) into numbers; every entry must be a finite number. */
export function parseVector(text: string, what: string): Float64Array {
  const parts = restoreNegativeValues(String(text)).split(/[\s,]+/).filter((s) => s !== '');
  if (parts.length === 0) throw new InputError(`${what} is empty`);
  return Float64Array.from(parts, (s, i) => {
    const v = Number(s);
    if (!Number.isFinite(v)) throw new InputError(`${what}: entry ${i} ('${s}') is not a finite number`);
    return v;
  });
}

/** Parse a list of non-negative integer indices "3,7,12" (e.g. `--free`, `--output`), each < `limit`. */
export function parseIndexList(text: string, what: string, limit: number): number[] {
  const parts = String(text).split(/[\s,]+/).filter((s) => s !== '');
  if (parts.length === 0) throw new InputError(`${what} is empty`);
  return parts.map((s) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 0) throw new InputError(`${what}: '${s}' is not an index (a whole number ≥ 0)`);
    if (v >= limit) throw new InputError(`${what}: index ${v} is out of range (0..${limit - 1})`);
    return v;
  });
}

/** Read an input vector from JSON: an array (nested arrays are flattened in C order) or {"input": [...]}. */
export function readVectorFile(path: string): Float64Array {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${path}: cannot read a JSON input (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  if (j && typeof j === 'object' && !Array.isArray(j) && 'input' in j) j = (j as { input: unknown }).input;
  if (!Array.isArray(j)) throw new InputError(`${path}: expected a JSON array of numbers or {"input": [...]}`);
  const flat = (j as unknown[]).flat(Infinity as 1);
  return Float64Array.from(flat, (v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${path}: entry ${i} (${JSON.stringify(v)}) is not a finite number`);
    return v;
  });
}
