/**
 * The VNN-COMP (2022 and later) result file.
 *
 *   line 1: `sat`, `unsat`, `timeout`, `unknown` or `error`
 *   after `sat`: the counterexample, one outer pair of parentheses around one `(X_i v)` per
 *   input, then one `(Y_j v)` per output, each on its own line:
 *
 *     sat
 *     ((X_0 0.5)
 *      (X_1 -0.25)
 *      (Y_0 1.0))
 *
 * The competition's checker (`SCORING/counterexamples.py`) joins the lines, drops the outer
 * parentheses, splits at `)` and reads each entry as `(NAME VALUE)` split at one space, the value
 * with Python's `float()`; X must come in order 0, 1, ... and so must Y. So every entry here has
 * exactly one space and no other whitespace. Values are written with the shortest digits that
 * read back as the same double (JavaScript's `String(v)`); an integral value gets `.0` (`1.0`,
 * not `1`) and zero of either sign is `0.0` (never `-0`). Non-finite values (which a validated
 * counterexample does not have) are written `Infinity`, `-Infinity`, `NaN`, which both Python's
 * `float()` and {@link parseResult} accept.
 */
import { writeFileAtomic } from '../net/io.js';

/** First line of a result file. */
export type VnncompResult = 'sat' | 'unsat' | 'timeout' | 'unknown' | 'error';

export const VNNCOMP_RESULTS: readonly VnncompResult[] = ['sat', 'unsat', 'timeout', 'unknown', 'error'];

/** What a result file says: the answer and, for `sat`, the counterexample. */
export interface ParsedResult {
  result: VnncompResult;
  counterexample: { input: Float64Array; output: Float64Array } | null;
}

/** What {@link formatResult} needs (a {@link Verdict} has it; `error` has no verdict). */
export interface ResultLike {
  result: VnncompResult;
  counterexample?: { input: ArrayLike<number>; output: ArrayLike<number> } | null;
}

/** One value as written in a result file: round-trip digits, `.0` on integers, no `-0`. */
export function formatValue(v: number): string {
  if (v === 0) return '0.0';
  if (!Number.isFinite(v)) return String(v);
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * The text of a result file (ends with a newline). A `sat` verdict must carry its
 * counterexample (input and recomputed output); it is an error otherwise.
 */
export function formatResult(verdict: ResultLike): string {
  if (!VNNCOMP_RESULTS.includes(verdict.result)) throw new Error(`not a VNN-COMP result: ${JSON.stringify(verdict.result)}`);
  if (verdict.result !== 'sat') return `${verdict.result}\n`;
  const cex = verdict.counterexample;
  if (!cex) throw new Error('a sat result needs its counterexample');
  const entries: string[] = [];
  for (let i = 0; i < cex.input.length; i++) entries.push(`(X_${i} ${formatValue(cex.input[i])})`);
  for (let j = 0; j < cex.output.length; j++) entries.push(`(Y_${j} ${formatValue(cex.output[j])})`);
  if (entries.length === 0) return 'sat\n()\n';
  return `sat\n(${entries.join('\n ')})\n`;
}

/** A malformed result file. */
export class ResultFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultFormatError';
  }
}

/** Python `float()` syntax for the values we accept: decimal numbers, inf/infinity/nan (any case). */
function parseFloatLike(text: string, where: string): number {
  const t = text.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (m) {
    if (m[2].toLowerCase() === 'nan') return NaN;
    return m[1] === '-' ? -Infinity : Infinity;
  }
  throw new ResultFormatError(`${where}: '${text}' is not a number`);
}

/**
 * Read a result file's text. The first non-blank line is the answer (surrounding whitespace and
 * case are ignored, as VNN-COMP does; `holds` / `violated` of 2021 are read as `unsat` / `sat`).
 * After `sat`, a counterexample is parsed as the VNN-COMP checker reads it (X_0, X_1, ... then
 * Y_0, Y_1, ..., each in order); a `sat` without one has `counterexample: null`.
 */
export function parseResult(text: string): ParsedResult {
  const lines = text.split(/\r?\n/);
  let k = 0;
  while (k < lines.length && lines[k].trim() === '') k++;
  if (k === lines.length) throw new ResultFormatError('empty result file');
  let word = lines[k].trim().toLowerCase();
  if (word === 'holds') word = 'unsat';
  if (word === 'violated') word = 'sat';
  if (!VNNCOMP_RESULTS.includes(word as VnncompResult)) throw new ResultFormatError(`unknown result '${lines[k].trim()}' on the first line`);
  const result = word as VnncompResult;
  const rest = lines.slice(k + 1).join(' ').trim();
  if (result !== 'sat') {
    if (rest !== '') throw new ResultFormatError(`unexpected text after '${result}'`);
    return { result, counterexample: null };
  }
  if (rest.length < 2) return { result, counterexample: null };
  if (rest[0] !== '(' || rest[rest.length - 1] !== ')') throw new ResultFormatError('the counterexample must be enclosed in one pair of parentheses');
  let depth = 0;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (depth > 2 || depth < 0 || (depth === 0 && i < rest.length - 1)) throw new ResultFormatError(`unbalanced parentheses at character ${i + 1} of the counterexample`);
  }
  if (depth !== 0) throw new ResultFormatError('unbalanced parentheses in the counterexample');
  const xs: number[] = [], ys: number[] = [];
  for (const raw of rest.slice(1, -1).split(')')) {
    const part = raw.trim();
    if (part === '') continue;
    if (part[0] !== '(') throw new ResultFormatError(`expected '(' at '${part.slice(0, 30)}'`);
    const fields = part.slice(1).trim().split(/\s+/);
    if (fields.length !== 2) throw new ResultFormatError(`expected (NAME VALUE), got '(${part.slice(1)})'`);
    const [name, num] = fields;
    const m = /^([XY])_(\d+)$/.exec(name);
    if (!m) throw new ResultFormatError(`expected X_i or Y_j, got '${name}'`);
    const list = m[1] === 'X' ? xs : ys;
    if (Number(m[2]) !== list.length) throw new ResultFormatError(`${name} is out of order (expected ${m[1]}_${list.length})`);
    list.push(parseFloatLike(num, name));
  }
  return { result, counterexample: { input: Float64Array.from(xs), output: Float64Array.from(ys) } };
}

/** Write a result file atomically (a temporary file beside it, renamed): never half-written. */
export function writeResultFile(path: string, text: string): void {
  writeFileAtomic(path, text);
}
