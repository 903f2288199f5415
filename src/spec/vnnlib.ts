/**
 * VNN-LIB parser (the SMT-LIB subset used by VNN-COMP).
 *
 * Supported input:
 *  - `(declare-const X_i Real)` / `(declare-const Y_j Real)` (also `(declare-fun X_i () Real)`).
 *    Indices flatten the ONNX input/output tensors in C order and must be contiguous from 0.
 *  - any number of `(assert F)`; the property is the conjunction of all of them.
 *  - formulas: `and`, `or` (nested arbitrarily), `not`, `=>`, `true`, `false`, and comparisons
 *    `<=`, `>=`, `<`, `>`, `=` between linear terms (chains like `(<= 0 X_0 1)` are allowed).
 *  - linear terms: numbers (`12`, `-0.5`, `+.5`, `1.5e-3`, `-2E+4`), variables, `(+ ...)`,
 *    `(- a)`, `(- a b ...)`, `(* ...)` with at most one non-constant factor, `(/ t c)` with a
 *    constant divisor.
 *  - comments `;` to end of line; `set-logic`, `set-info`, `set-option`, `check-sat`,
 *    `get-model`, `get-value`, `exit` commands are accepted and ignored.
 *
 * Semantics (all choices OVER-approximate the unsafe region, which is the sound direction
 * for proving a property unsat):
 *  - Strict comparisons `<`, `>` are treated as their closures `<=`, `>=`.
 *  - The formula is converted to DNF. Each DNF term must bound every input by a box (atoms over a
 *    single X variable); atoms over Y variables only become rows Σ c_j y_j <= d. Terms with equal
 *    boxes are grouped into one {@link PropertyDisjunct} (first-appearance order).
 *  - Number literals are read as the nearest double. Literals that are exactly representable
 *    (e.g. `0.5`, `0.0`, `3`) are used as-is; any other literal is replaced by the interval
 *    [nextDown(v), nextUp(v)], which contains the real number written in the file. All constant
 *    arithmetic is done in interval arithmetic with directed rounding. Consequently input bounds
 *    are widened outward by (at least) one ulp and row right-hand sides upward by one ulp whenever
 *    the file's real number is not exactly a double, so the analysed region always contains the
 *    real-number region of the file. Coefficients of output variables must be exact doubles
 *    (e.g. ±1, 2, 0.5); otherwise the row could not be represented soundly and an error is raised.
 *  - Atoms over constants only are decided: definitely false -> the DNF term is dropped; true or
 *    undecidable within rounding -> the atom is dropped (kept as "true").
 *  - A term whose box is empty (lo > hi for some input) is dropped. If all terms are dropped the
 *    property has 0 disjuncts (the unsafe region is empty, i.e. the property trivially holds).
 *    Every remaining term must give every X_i both a lower and an upper bound, otherwise an error
 *    is raised at the declaration of that X_i.
 *  - Terms that have no output constraint get one polytope with 0 rows (every output is unsafe).
 *  - Limits: at most `maxDisjuncts` DNF terms (default 10,000) and 1,000 levels of parentheses.
 *  - `(not (= a b))` is the closure of a != b, i.e. `true`.
 */

import { readFileSync } from 'node:fs';
import { InputError } from '../net/op.js';
import { gunzipSync } from 'node:zlib';
import type { Box, OutputPolytope, Property, PropertyDisjunct } from './property.js';
import { addDown, addUp, divDown, divUp, mulDown, mulUp, nextDown, nextUp } from '../util/float.js';

/** A parse or semantic error in a VNN-LIB file, with a 1-based source position. */
export class VnnlibError extends Error {
  file?: string;
  line: number;
  column: number;
  /** The bare description, without the "file:line:col: " prefix. */
  reason: string;
  constructor(reason: string, line: number, column: number, file?: string) {
    super(`${file ?? '<input>'}:${line}:${column}: ${reason}`);
    this.name = 'VnnlibError';
    this.reason = reason;
    this.line = line;
    this.column = column;
    if (file !== undefined) this.file = file;
  }
}

/** Options of {@link parseVnnlib}. */
export interface VnnlibOptions {
  /** File name used in error messages and stored as `Property.source`. */
  file?: string;
  /** Expected number of network inputs; a different declared count is an error. */
  numInputs?: number;
  /** Expected number of network outputs; a different declared count is an error. */
  numOutputs?: number;
  /** Maximum number of DNF terms (default 10,000); more is an error. */
  maxDisjuncts?: number;
}

// ---------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------

const T_LP = 0;
const T_RP = 1;
const T_SYM = 2;
const T_NUM = 3;
const T_STR = 4;

interface Tokens {
  n: number;
  kind: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  /** Value of number tokens (nearest double). */
  num: Float64Array;
  /** 1 if the number token's decimal value is exactly num[i]. */
  exact: Uint8Array;
}

/** Offset -> 1-based line/column (only used when reporting errors). */
function lineCol(text: string, off: number): [number, number] {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(off, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return [line, end - lineStart + 1];
}

function errAt(text: string, file: string | undefined, off: number, msg: string): VnnlibError {
  const [l, c] = lineCol(text, off);
  return new VnnlibError(msg, l, c, file);
}

function show(text: string, s: number, e: number): string {
  return e - s > 40 ? text.slice(s, s + 37) + '...' : text.slice(s, e);
}

const POW5: number[] = [1];
for (let k = 1; k <= 22; k++) POW5.push(POW5[k - 1]! * 5);
const TWO53 = 2 ** 53;

// Results of scanNumber (module-level scratch to avoid allocation).
let scanValue = 0;
let scanExact = false;

/**
 * Validates the number syntax [+-] digits [. digits] [(e|E) [+-] digits] (at least one mantissa
 * digit) in text[s, e) and sets scanValue / scanExact. Returns false on a syntax error.
 */
function scanNumber(text: string, s: number, e: number): boolean {
  let p = s;
  let c = text.charCodeAt(p);
  if (c === 43 || c === 45) p++;
  let M = 0; // significant digits (without leading zeros and pending trailing zeros)
  let sig = 0; // number of significant digits absorbed into M
  let pending = 0; // zeros seen after the last nonzero digit, not yet absorbed
  let digits = 0;
  let fracDigits = 0;
  let inFrac = false;
  for (; p < e; p++) {
    c = text.charCodeAt(p);
    if (c >= 48 && c <= 57) {
      digits++;
      if (inFrac) fracDigits++;
      if (c === 48) {
        if (sig > 0) pending++;
      } else {
        if (sig + pending + 1 <= 15) {
          for (; pending > 0; pending--) M *= 10;
          M = M * 10 + (c - 48);
        }
        sig += pending + 1;
        pending = 0;
      }
    } else if (c === 46 && !inFrac) {
      inFrac = true;
    } else break;
  }
  if (digits === 0) return false;
  let exp = 0;
  if (p < e) {
    c = text.charCodeAt(p);
    if (c !== 101 && c !== 69) return false;
    p++;
    let eneg = false;
    if (p < e) {
      c = text.charCodeAt(p);
      if (c === 43 || c === 45) {
        eneg = c === 45;
        p++;
      }
    }
    if (p >= e) return false;
    for (; p < e; p++) {
      c = text.charCodeAt(p);
      if (c < 48 || c > 57) return false;
      if (exp < 100000) exp = exp * 10 + (c - 48);
    }
    if (eneg) exp = -exp;
  }
  let v = Number(text.slice(s, e));
  if (v === 0) v = 0; // normalise -0
  scanValue = v;
  if (sig === 0) {
    scanExact = true; // the literal is zero
  } else if (sig > 15) {
    scanExact = false; // conservatively: too many digits to decide cheaply
  } else {
    // value = M * 10^E
    let E = exp - fracDigits + pending;
    if (E >= 0) {
      let x = M;
      while (E > 0 && x <= TWO53) {
        x *= 10;
        E--;
      }
      scanExact = x <= TWO53;
    } else {
      const k = -E;
      // M / 10^k = (M / 5^k) / 2^k is a double iff 5^k divides M (M < 2^53, k <= 22).
      scanExact = k <= 22 && M % POW5[k]! === 0;
    }
  }
  return true;
}

/** Maximum nesting of parentheses (keeps the recursive-descent parser far from the stack limit). */
const MAX_DEPTH = 1000;

function tokenize(text: string, file: string | undefined): Tokens {
  const len = text.length;
  let cap = Math.max(64, len >> 2);
  let kind = new Uint8Array(cap);
  let start = new Int32Array(cap);
  let end = new Int32Array(cap);
  let num = new Float64Array(cap);
  let exact = new Uint8Array(cap);
  let n = 0;
  const grow = (): void => {
    cap *= 2;
    const k2 = new Uint8Array(cap);
    k2.set(kind);
    kind = k2;
    const s2 = new Int32Array(cap);
    s2.set(start);
    start = s2;
    const e2 = new Int32Array(cap);
    e2.set(end);
    end = e2;
    const n2 = new Float64Array(cap);
    n2.set(num);
    num = n2;
    const x2 = new Uint8Array(cap);
    x2.set(exact);
    exact = x2;
  };
  let openStack = new Int32Array(64);
  let depth = 0;
  let i = len > 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0; // skip a byte-order mark
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9 || c === 12 || c === 11) {
      i++;
      continue;
    }
    if (c === 59) {
      // ';' comment to end of line
      i++;
      while (i < len && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (n === cap) grow();
    if (c === 40) {
      if (depth === MAX_DEPTH) throw errAt(text, file, i, `parentheses nested too deeply (more than ${MAX_DEPTH} levels)`);
      if (depth === openStack.length) {
        const s2 = new Int32Array(depth * 2);
        s2.set(openStack);
        openStack = s2;
      }
      openStack[depth++] = i;
      kind[n] = T_LP;
      start[n] = i;
      end[n++] = i + 1;
      i++;
      continue;
    }
    if (c === 41) {
      if (depth === 0) throw errAt(text, file, i, "unbalanced parentheses: unexpected ')'");
      depth--;
      kind[n] = T_RP;
      start[n] = i;
      end[n++] = i + 1;
      i++;
      continue;
    }
    if (c === 34) {
      // string literal "..." with "" as escaped quote
      let j = i + 1;
      for (;;) {
        if (j >= len) throw errAt(text, file, i, 'unterminated string literal');
        if (text.charCodeAt(j) === 34) {
          if (j + 1 < len && text.charCodeAt(j + 1) === 34) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      kind[n] = T_STR;
      start[n] = i;
      end[n++] = j + 1;
      i = j + 1;
      continue;
    }
    if (c === 124) {
      // quoted symbol |...|
      let j = i + 1;
      while (j < len && text.charCodeAt(j) !== 124) j++;
      if (j >= len) throw errAt(text, file, i, "unterminated quoted symbol '|'");
      kind[n] = T_SYM;
      start[n] = i + 1;
      end[n++] = j;
      i = j + 1;
      continue;
    }
    const s = i;
    while (i < len) {
      const d = text.charCodeAt(i);
      if (d <= 32 || d === 40 || d === 41 || d === 59 || d === 34 || d === 124) break;
      i++;
    }
    let isNum = (c >= 48 && c <= 57) || c === 46;
    if (!isNum && (c === 43 || c === 45) && i > s + 1) {
      const d = text.charCodeAt(s + 1);
      isNum = (d >= 48 && d <= 57) || d === 46;
    }
    if (isNum) {
      if (!scanNumber(text, s, i)) throw errAt(text, file, s, `bad number '${show(text, s, i)}'`);
      if (!Number.isFinite(scanValue)) {
        throw errAt(text, file, s, `number out of range '${show(text, s, i)}'`);
      }
      kind[n] = T_NUM;
      num[n] = scanValue;
      exact[n] = scanExact ? 1 : 0;
    } else {
      kind[n] = T_SYM;
    }
    start[n] = s;
    end[n++] = i;
  }
  if (depth > 0) {
    throw errAt(text, file, openStack[depth - 1]!, "unbalanced parentheses: '(' is never closed");
  }
  return { n, kind, start, end, num, exact };
}

// ---------------------------------------------------------------------------
// Linear expressions with interval coefficients
// ---------------------------------------------------------------------------

/** Σ [lo_k, hi_k]·v_{ids_k} + [klo, khi]; variable id = 2i for X_i, 2j+1 for Y_j. */
class Lin {
  ids: number[] = [];
  lo: number[] = [];
  hi: number[] = [];
  klo = 0;
  khi = 0;
  index: Map<number, number> | null = null;

  find(id: number): number {
    if (this.index !== null) return this.index.get(id) ?? -1;
    const ids = this.ids;
    for (let k = 0; k < ids.length; k++) if (ids[k] === id) return k;
    return -1;
  }

  push(id: number, lo: number, hi: number): void {
    this.ids.push(id);
    this.lo.push(lo);
    this.hi.push(hi);
    if (this.index !== null) this.index.set(id, this.ids.length - 1);
    else if (this.ids.length > 16) {
      this.index = new Map();
      for (let k = 0; k < this.ids.length; k++) this.index.set(this.ids[k]!, k);
    }
  }

  /** this += sign * b (sign = ±1, exact negation). */
  addScaled(b: Lin, sign: 1 | -1): void {
    for (let k = 0; k < b.ids.length; k++) {
      const blo = sign > 0 ? b.lo[k]! : -b.hi[k]!;
      const bhi = sign > 0 ? b.hi[k]! : -b.lo[k]!;
      const at = this.find(b.ids[k]!);
      if (at < 0) this.push(b.ids[k]!, blo, bhi);
      else {
        this.lo[at] = addDown(this.lo[at]!, blo);
        this.hi[at] = addUp(this.hi[at]!, bhi);
      }
    }
    const klo = sign > 0 ? b.klo : -b.khi;
    const khi = sign > 0 ? b.khi : -b.klo;
    this.klo = addDown(this.klo, klo);
    this.khi = addUp(this.khi, khi);
  }

  negate(): void {
    for (let k = 0; k < this.ids.length; k++) {
      const l = this.lo[k]!;
      this.lo[k] = -this.hi[k]!;
      this.hi[k] = -l;
    }
    const l = this.klo;
    this.klo = -this.khi;
    this.khi = -l;
  }

  /** this *= [clo, chi] (interval product, outward rounded). */
  scale(clo: number, chi: number): void {
    for (let k = 0; k < this.ids.length; k++) {
      imul(this.lo[k]!, this.hi[k]!, clo, chi);
      this.lo[k] = rLo;
      this.hi[k] = rHi;
    }
    imul(this.klo, this.khi, clo, chi);
    this.klo = rLo;
    this.khi = rHi;
  }

  /** this /= [clo, chi] (interval quotient, outward rounded; 0 must not be in [clo, chi]). */
  divide(clo: number, chi: number): void {
    for (let k = 0; k < this.ids.length; k++) {
      idiv(this.lo[k]!, this.hi[k]!, clo, chi);
      this.lo[k] = rLo;
      this.hi[k] = rHi;
    }
    idiv(this.klo, this.khi, clo, chi);
    this.klo = rLo;
    this.khi = rHi;
  }
}

// Interval results (module-level scratch).
let rLo = 0;
let rHi = 0;

function imul(alo: number, ahi: number, blo: number, bhi: number): void {
  if (alo === ahi && blo === bhi) {
    rLo = mulDown(alo, blo);
    rHi = mulUp(alo, blo);
    return;
  }
  rLo = Math.min(mulDown(alo, blo), mulDown(alo, bhi), mulDown(ahi, blo), mulDown(ahi, bhi));
  rHi = Math.max(mulUp(alo, blo), mulUp(alo, bhi), mulUp(ahi, blo), mulUp(ahi, bhi));
}

function idiv(alo: number, ahi: number, blo: number, bhi: number): void {
  if (alo === ahi && blo === bhi) {
    rLo = divDown(alo, blo);
    rHi = divUp(alo, blo);
    return;
  }
  rLo = Math.min(divDown(alo, blo), divDown(alo, bhi), divDown(ahi, blo), divDown(ahi, bhi));
  rHi = Math.max(divUp(alo, blo), divUp(alo, bhi), divUp(ahi, blo), divUp(ahi, bhi));
}

// ---------------------------------------------------------------------------
// DNF terms
// ---------------------------------------------------------------------------

/** Input bound x_idx <= v (upper) or x_idx >= v (lower). */
interface BoundRec {
  k: 0;
  idx: number;
  upper: boolean;
  v: number;
}
/** Output row Σ c_j y_{ids_j} <= d. */
interface RowRec {
  k: 1;
  ids: Int32Array;
  c: Float64Array;
  d: number;
}
type Rec = BoundRec | RowRec;
/** One DNF term: a conjunction of records. Terms are owned by exactly one list (mutable). */
interface Term {
  recs: Rec[];
}

const OP_LE = 0;
const OP_GE = 1;
const OP_EQ = 2;

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

class Parser {
  private p = 0;
  private readonly xDecl: number[] = []; // token index of the declaration of X_i, or undefined
  private readonly yDecl: number[] = [];
  private xCount = 0;
  private yCount = 0;
  private firstDecl = -1;

  constructor(
    private readonly text: string,
    private readonly file: string | undefined,
    private readonly t: Tokens,
    private readonly maxTerms: number,
  ) {}

  private fail(tok: number, msg: string): never {
    const off = tok < this.t.n ? this.t.start[tok]! : this.text.length;
    throw errAt(this.text, this.file, off, msg);
  }

  private tokText(tok: number): string {
    if (tok >= this.t.n) return 'end of file';
    return show(this.text, this.t.start[tok]!, this.t.end[tok]!);
  }

  private describe(tok: number): string {
    if (tok >= this.t.n) return 'end of file';
    return `'${this.tokText(tok)}'`;
  }

  private symIs(tok: number, s: string): boolean {
    const t = this.t;
    if (t.kind[tok] !== T_SYM) return false;
    const a = t.start[tok]!;
    if (t.end[tok]! - a !== s.length) return false;
    return this.text.startsWith(s, a);
  }

  private expectRP(what: string): void {
    if (this.p >= this.t.n || this.t.kind[this.p] !== T_RP) {
      this.fail(this.p, `expected ')' ${what}, found ${this.describe(this.p)}`);
    }
    this.p++;
  }

  /** Parses a variable name X_<i> / Y_<j> at token tok: returns 2i / 2j+1, or -1. */
  private varName(tok: number): number {
    const t = this.t;
    if (t.kind[tok] !== T_SYM) return -1;
    const s = t.start[tok]!;
    const e = t.end[tok]!;
    if (e - s < 3 || this.text.charCodeAt(s + 1) !== 95) return -1;
    const c0 = this.text.charCodeAt(s);
    if (c0 !== 88 && c0 !== 89) return -1;
    if (e - s > 3 && this.text.charCodeAt(s + 2) === 48) return -1; // leading zero
    if (e - s > 11) return -1;
    let v = 0;
    for (let i = s + 2; i < e; i++) {
      const c = this.text.charCodeAt(i);
      if (c < 48 || c > 57) return -1;
      v = v * 10 + (c - 48);
    }
    return c0 === 88 ? 2 * v : 2 * v + 1;
  }

  private static varLabel(id: number): string {
    return (id & 1) === 0 ? `X_${id >> 1}` : `Y_${id >> 1}`;
  }

  parse(): { terms: Term[]; numInputs: number; numOutputs: number } {
    const t = this.t;
    if (t.n === 0) throw errAt(this.text, this.file, 0, 'empty file: no declarations or assertions');
    let top: Term[] = [{ recs: [] }];
    while (this.p < t.n) {
      const open = this.p;
      if (t.kind[open] !== T_LP) this.fail(open, `expected '(' to start a command, found ${this.describe(open)}`);
      const head = open + 1;
      if (t.kind[head] !== T_SYM) this.fail(head, `expected a command name after '(', found ${this.describe(head)}`);
      this.p = head + 1;
      if (this.symIs(head, 'assert')) {
        if (t.kind[this.p] === T_RP) this.fail(this.p, "'assert' needs a formula");
        const dnf = this.formula(false);
        this.expectRP("to close 'assert' (it takes exactly one formula)");
        top = this.product(top, dnf, open);
      } else if (this.symIs(head, 'declare-const')) {
        this.declare(head, false);
      } else if (this.symIs(head, 'declare-fun')) {
        this.declare(head, true);
      } else if (
        this.symIs(head, 'set-logic') ||
        this.symIs(head, 'set-info') ||
        this.symIs(head, 'set-option') ||
        this.symIs(head, 'check-sat') ||
        this.symIs(head, 'get-model') ||
        this.symIs(head, 'get-value') ||
        this.symIs(head, 'exit')
      ) {
        this.skipTo(open);
      } else {
        this.fail(head, `unknown command '${this.tokText(head)}'`);
      }
    }
    const nx = this.checkDecls(this.xDecl, this.xCount, 'X', 'input');
    const ny = this.checkDecls(this.yDecl, this.yCount, 'Y', 'output');
    return { terms: top, numInputs: nx, numOutputs: ny };
  }

  /** Skips to just after the ')' matching the '(' at token `open` (parentheses are balanced). */
  private skipTo(open: number): void {
    const t = this.t;
    let depth = 0;
    let i = open;
    for (; i < t.n; i++) {
      const k = t.kind[i];
      if (k === T_LP) depth++;
      else if (k === T_RP && --depth === 0) break;
    }
    this.p = i + 1;
  }

  private declare(head: number, isFun: boolean): void {
    const t = this.t;
    const nameTok = this.p;
    if (t.kind[nameTok] !== T_SYM) this.fail(nameTok, `expected a variable name, found ${this.describe(nameTok)}`);
    const id = this.varName(nameTok);
    if (id < 0) {
      this.fail(nameTok, `unsupported variable name '${this.tokText(nameTok)}' (expected X_<i> or Y_<j>)`);
    }
    this.p++;
    if (isFun) {
      if (t.kind[this.p] !== T_LP || t.kind[this.p + 1] !== T_RP) {
        this.fail(this.p, `'declare-fun' must have an empty argument list '()', found ${this.describe(this.p)}`);
      }
      this.p += 2;
    }
    const sortTok = this.p;
    if (sortTok >= t.n || t.kind[sortTok] === T_RP) this.fail(sortTok, `missing sort for ${Parser.varLabel(id)}`);
    if (!this.symIs(sortTok, 'Real')) {
      this.fail(sortTok, `non-Real sort '${this.tokText(sortTok)}' for ${Parser.varLabel(id)} (only Real is supported)`);
    }
    this.p++;
    this.expectRP(`to close '${isFun ? 'declare-fun' : 'declare-const'}'`);
    const arr = (id & 1) === 0 ? this.xDecl : this.yDecl;
    const idx = id >> 1;
    if (arr[idx] !== undefined) {
      const [l, c] = lineCol(this.text, t.start[arr[idx]!]!);
      this.fail(nameTok, `${Parser.varLabel(id)} is declared twice (first at line ${l}, column ${c})`);
    }
    arr[idx] = nameTok;
    if ((id & 1) === 0) this.xCount++;
    else this.yCount++;
    if (this.firstDecl < 0) this.firstDecl = head - 1;
  }

  private checkDecls(arr: number[], count: number, letter: string, what: string): number {
    if (count === 0) {
      if (this.firstDecl < 0) this.fail(0, `no declarations: expected (declare-const ${letter}_0 Real) ...`);
      this.fail(this.firstDecl, `no ${what} variables declared (expected (declare-const ${letter}_0 Real) ...)`);
    }
    const n = arr.length;
    if (count !== n) {
      let missing = 0;
      while (arr[missing] !== undefined) missing++;
      this.fail(
        arr[n - 1]!,
        `${what}s must be declared contiguously as ${letter}_0..${letter}_${n - 1}: ${letter}_${missing} is missing`,
      );
    }
    return n;
  }

  /** Token index of the declaration of X_i / Y_j (for error positions). */
  declTok(isX: boolean, idx: number): number {
    return (isX ? this.xDecl : this.yDecl)[idx] ?? 0;
  }

  // ----- DNF algebra -----

  private tooMany(count: number, tok: number): never {
    this.fail(
      tok,
      `too many disjuncts: the assertions expand to ${count} DNF terms (limit ${this.maxTerms}; raise maxDisjuncts)`,
    );
  }

  /** Conjunction of two DNFs (consumes both). */
  private product(a: Term[], b: Term[], tok: number): Term[] {
    if (a.length === 0 || b.length === 0) return [];
    if (a.length === 1 && a[0]!.recs.length === 0) return b;
    if (b.length === 1 && b[0]!.recs.length === 0) return a;
    const count = a.length * b.length;
    if (count > this.maxTerms) this.tooMany(count, tok);
    if (b.length === 1) {
      const br = b[0]!.recs;
      for (const ta of a) for (let k = 0; k < br.length; k++) ta.recs.push(br[k]!);
      return a;
    }
    const out: Term[] = [];
    for (const ta of a) for (const tb of b) out.push({ recs: ta.recs.concat(tb.recs) });
    return out;
  }

  /** Disjunction of two DNFs (consumes both). */
  private union(a: Term[], b: Term[], tok: number): Term[] {
    const count = a.length + b.length;
    if (count > this.maxTerms) this.tooMany(count, tok);
    for (const tb of b) a.push(tb);
    return a;
  }

  /** Parses a formula; returns the DNF of the formula (negated when neg). */
  private formula(neg: boolean): Term[] {
    const t = this.t;
    const tok = this.p;
    const k = tok < t.n ? t.kind[tok] : -1;
    if (k === T_SYM) {
      if (this.symIs(tok, 'true') || this.symIs(tok, 'false')) {
        this.p++;
        return this.symIs(tok, 'true') !== neg ? [{ recs: [] }] : [];
      }
      this.fail(tok, `expected a formula (a comparison, 'and', 'or'), found ${this.describe(tok)}`);
    }
    if (k !== T_LP) {
      this.fail(tok, `expected a formula (a comparison, 'and', 'or'), found ${this.describe(tok)}`);
    }
    const head = tok + 1;
    if (t.kind[head] !== T_SYM) this.fail(head, `expected an operator after '(', found ${this.describe(head)}`);
    this.p = head + 1;
    if (this.symIs(head, 'and') || this.symIs(head, 'or')) {
      const isAnd = this.symIs(head, 'and') !== neg; // De Morgan under negation
      let acc: Term[] = isAnd ? [{ recs: [] }] : [];
      while (t.kind[this.p] !== T_RP) {
        const d = this.formula(neg);
        acc = isAnd ? this.product(acc, d, tok) : this.union(acc, d, tok);
      }
      this.p++;
      return acc;
    }
    if (this.symIs(head, 'not')) {
      if (t.kind[this.p] === T_RP) this.fail(this.p, "'not' needs exactly one argument");
      const d = this.formula(!neg);
      this.expectRP("to close 'not' (it takes exactly one argument)");
      return d;
    }
    if (this.symIs(head, '=>')) {
      // (=> a b) == (or (not a) b); chains (=> a b c) == (=> a (=> b c))
      const starts: number[] = [];
      while (t.kind[this.p] !== T_RP) {
        starts.push(this.p);
        this.skipFormula(); // parsed below, once we know which argument is the conclusion
      }
      if (starts.length < 2) this.fail(this.p, "'=>' needs at least two arguments");
      const after = this.p + 1;
      let acc: Term[] | null = null;
      for (let i = 0; i < starts.length; i++) {
        this.p = starts[i]!;
        const last = i === starts.length - 1;
        // positive: or(not a1, ..., not a_{k-1}, a_k); negated: and(a1, ..., a_{k-1}, not a_k)
        const d = this.formula(last ? neg : !neg);
        if (acc === null) acc = d;
        else acc = neg ? this.product(acc, d, tok) : this.union(acc, d, tok);
      }
      this.p = after;
      return acc!;
    }
    if (this.isComparison(head)) return this.comparison(tok, head, neg);
    if (this.symIs(head, '+') || this.symIs(head, '-') || this.symIs(head, '*') || this.symIs(head, '/')) {
      this.fail(head, `expected a formula, found the term operator '${this.tokText(head)}'`);
    }
    this.fail(head, `unknown operator '${this.tokText(head)}'`);
  }

  /** Advances over one formula or term without interpreting it (balanced parentheses). */
  private skipFormula(): void {
    if (this.t.kind[this.p] === T_LP) this.skipTo(this.p);
    else this.p++;
  }

  /** Comparison opcode of the symbol at tok: OP_LE ('<=' or '<'), OP_GE ('>=' or '>'), OP_EQ ('='), or -1. */
  private comparisonOp(tok: number): number {
    const t = this.t;
    if (t.kind[tok] !== T_SYM) return -1;
    const s = t.start[tok]!;
    const len = t.end[tok]! - s;
    const c0 = this.text.charCodeAt(s);
    if (len === 1) {
      if (c0 === 60) return OP_LE;
      if (c0 === 62) return OP_GE;
      if (c0 === 61) return OP_EQ;
      return -1;
    }
    if (len === 2 && this.text.charCodeAt(s + 1) === 61) {
      if (c0 === 60) return OP_LE;
      if (c0 === 62) return OP_GE;
    }
    return -1;
  }

  private isComparison(tok: number): boolean {
    return this.comparisonOp(tok) >= 0;
  }

  private comparison(open: number, head: number, neg: boolean): Term[] {
    const t = this.t;
    const op = this.comparisonOp(head);
    const args: Lin[] = [];
    while (t.kind[this.p] !== T_RP) args.push(this.term());
    this.p++;
    if (args.length < 2) this.fail(head, `'${this.tokText(head)}' needs at least two arguments, found ${args.length}`);
    // With exactly two arguments the operands are not reused, so a - b may be formed in place.
    const two = args.length === 2;
    if (!neg) {
      // conjunction over adjacent pairs
      const term: Term = { recs: [] };
      for (let i = 0; i + 1 < args.length; i++) {
        const a = args[i]!;
        const b = args[i + 1]!;
        if (op === OP_LE) {
          if (!this.atom(diff(a, b, two), open, term)) return [];
        } else if (op === OP_GE) {
          if (!this.atom(diff(b, a, two), open, term)) return [];
        } else {
          if (!this.atom(diff(a, b, false), open, term)) return [];
          if (!this.atom(diff(b, a, two), open, term)) return [];
        }
      }
      return [term];
    }
    // negation: disjunction over adjacent pairs of the negated (closed) comparisons
    if (op === OP_EQ) return [{ recs: [] }]; // closure of a != b is everything
    let acc: Term[] = [];
    for (let i = 0; i + 1 < args.length; i++) {
      const a = args[i]!;
      const b = args[i + 1]!;
      const term: Term = { recs: [] };
      // not(a <= b) = a > b ~ b <= a ; not(a >= b) = a < b ~ a <= b
      const ok = op === OP_LE ? this.atom(diff(b, a, two), open, term) : this.atom(diff(a, b, two), open, term);
      if (ok) acc = this.union(acc, [term], open);
    }
    return acc;
  }

  /**
   * Adds the atom e <= 0 to term. Returns false if the atom is definitely false.
   */
  private atom(e: Lin, open: number, term: Term): boolean {
    let nx = 0;
    let ny = 0;
    let xk = -1;
    let firstY = -1;
    for (let k = 0; k < e.ids.length; k++) {
      const lo = e.lo[k]!;
      const hi = e.hi[k]!;
      if (lo === 0 && hi === 0) continue;
      const id = e.ids[k]!;
      if (lo <= 0 && hi >= 0) {
        this.fail(open, `the coefficient of ${Parser.varLabel(id)} cannot be determined exactly (it may be zero)`);
      }
      if ((id & 1) === 0) {
        if (nx === 0) xk = k;
        else if (nx === 1) {
          this.fail(
            open,
            `linear constraints over several inputs are not supported (${Parser.varLabel(e.ids[xk]!)} and ${Parser.varLabel(id)} in one comparison); inputs must be bounded by a box`,
          );
        }
        nx++;
      } else {
        if (ny === 0) firstY = k;
        ny++;
      }
    }
    if (nx > 0 && ny > 0) {
      this.fail(
        open,
        `a comparison mixing inputs and outputs (${Parser.varLabel(e.ids[xk]!)} and ${Parser.varLabel(e.ids[firstY]!)}) is not supported`,
      );
    }
    // -K = [nlo, nhi]
    const nlo = -e.khi;
    const nhi = -e.klo;
    if (nx === 1) {
      const alo = e.lo[xk]!;
      const ahi = e.hi[xk]!;
      const upper = alo > 0;
      let v: number;
      if (alo === 1 && ahi === 1) v = nhi; // x <= n
      else if (alo === -1 && ahi === -1) v = -nhi; // -x <= n  ->  x >= -n
      else {
        idiv(nlo, nhi, alo, ahi); // a x <= n  ->  x <= n/a (a > 0) or x >= n/a (a < 0)
        v = upper ? rHi : rLo;
      }
      if (v !== v) v = upper ? Infinity : -Infinity;
      term.recs.push({ k: 0, idx: e.ids[xk]! >> 1, upper, v: v + 0 });
      return true;
    }
    if (ny > 0) {
      const ids = new Int32Array(ny);
      const c = new Float64Array(ny);
      let r = 0;
      for (let k = 0; k < e.ids.length; k++) {
        const lo = e.lo[k]!;
        const hi = e.hi[k]!;
        if (lo === 0 && hi === 0) continue;
        if (lo !== hi) {
          this.fail(
            open,
            `the coefficient of ${Parser.varLabel(e.ids[k]!)} is not exactly representable as a double, so the output constraint cannot be represented soundly`,
          );
        }
        ids[r] = e.ids[k]! >> 1;
        c[r++] = lo;
      }
      term.recs.push({ k: 1, ids, c, d: nhi + 0 });
      return true;
    }
    // constants only: e <= 0 is definitely false iff klo > 0
    return !(e.klo > 0);
  }

  /** Parses a linear term. */
  private term(): Lin {
    const t = this.t;
    const tok = this.p;
    const k = tok < t.n ? t.kind[tok] : -1;
    if (k === T_NUM) {
      this.p++;
      const l = new Lin();
      const v = t.num[tok]!;
      if (t.exact[tok] === 1) {
        l.klo = v;
        l.khi = v;
      } else {
        l.klo = nextDown(v);
        l.khi = nextUp(v);
      }
      return l;
    }
    if (k === T_SYM) {
      const id = this.varName(tok);
      const declared = id >= 0 && ((id & 1) === 0 ? this.xDecl : this.yDecl)[id >> 1] !== undefined;
      if (!declared) this.fail(tok, `undeclared variable '${this.tokText(tok)}'`);
      this.p++;
      const l = new Lin();
      l.push(id, 1, 1);
      return l;
    }
    if (k !== T_LP) this.fail(tok, `expected a term (number, variable or '(' op ...)'), found ${this.describe(tok)}`);
    const head = tok + 1;
    if (t.kind[head] !== T_SYM) this.fail(head, `expected an operator after '(', found ${this.describe(head)}`);
    this.p = head + 1;
    const plus = this.symIs(head, '+');
    const minus = this.symIs(head, '-');
    const times = this.symIs(head, '*');
    const slash = this.symIs(head, '/');
    if (!(plus || minus || times || slash)) {
      const name = this.tokText(head);
      if (this.isComparison(head) || name === 'and' || name === 'or' || name === 'not') {
        this.fail(head, `expected a term, found the formula operator '${name}'`);
      }
      this.fail(head, `unknown operator '${name}' in a term (expected +, -, * or /)`);
    }
    const args: Lin[] = [];
    const argToks: number[] = [];
    while (t.kind[this.p] !== T_RP) {
      argToks.push(this.p);
      args.push(this.term());
    }
    this.p++;
    const opName = this.tokText(head);
    if (args.length === 0) this.fail(head, `'${opName}' needs at least one argument`);
    if (slash && args.length < 2) this.fail(head, "'/' needs at least two arguments");
    const acc = args[0]!;
    if (minus && args.length === 1) {
      acc.negate();
      return acc;
    }
    if (plus || minus) {
      for (let i = 1; i < args.length; i++) acc.addScaled(args[i]!, plus ? 1 : -1);
      return acc;
    }
    if (times) {
      let lin: Lin | null = null;
      let linTok = -1;
      let clo = 1;
      let chi = 1;
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        if (a.ids.length > 0) {
          if (lin !== null) {
            this.fail(
              tok,
              `nonlinear term: product of '${this.tokText(linTok)}' and '${this.tokText(argToks[i]!)}' (at most one factor may contain variables)`,
            );
          }
          lin = a;
          linTok = argToks[i]!;
        } else {
          imul(clo, chi, a.klo, a.khi);
          clo = rLo;
          chi = rHi;
        }
      }
      if (lin === null) {
        const l = new Lin();
        l.klo = clo;
        l.khi = chi;
        return l;
      }
      if (!(clo === 1 && chi === 1)) lin.scale(clo, chi);
      return lin;
    }
    // division by constants
    for (let i = 1; i < args.length; i++) {
      const b = args[i]!;
      if (b.ids.length > 0) this.fail(argToks[i]!, 'nonlinear term: division by a term containing variables');
      if (b.klo <= 0 && b.khi >= 0) this.fail(argToks[i]!, 'division by zero');
      acc.divide(b.klo, b.khi);
    }
    return acc;
  }
}

/** a - b; when inPlace, a is overwritten and returned, otherwise a fresh expression. */
function diff(a: Lin, b: Lin, inPlace: boolean): Lin {
  if (inPlace) {
    a.addScaled(b, -1);
    return a;
  }
  const r = new Lin();
  r.addScaled(a, 1);
  r.addScaled(b, -1);
  return r;
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

function hashBox(lo: Float64Array, hi: Float64Array): number {
  const a = new Uint32Array(lo.buffer, lo.byteOffset, lo.length * 2);
  const b = new Uint32Array(hi.buffer, hi.byteOffset, hi.length * 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a[i]!, 0x01000193);
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

function sameArray(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Parses VNN-LIB text into a {@link Property} (the unsafe region, VNN-COMP convention).
 *
 * Guarantees: either returns a property whose region (union over disjuncts of
 * box × polytope) CONTAINS the real-number region described by the file (strict comparisons are
 * closed, inexact decimal constants are widened outward by one ulp, constant arithmetic is
 * rounded outward), or throws {@link VnnlibError} with a 1-based line/column and a one-line
 * message. Runs in time linear in the file size plus the size of the DNF (at most
 * `maxDisjuncts` terms, default 10,000). Every disjunct's box has finite-or-explicit bounds for
 * every input; disjuncts are in first-appearance order of their boxes.
 */
export function parseVnnlib(text: string, opts: VnnlibOptions = {}): Property {
  const file = opts.file;
  const maxTerms = opts.maxDisjuncts ?? 10000;
  const tokens = tokenize(text, file);
  const parser = new Parser(text, file, tokens, maxTerms);
  const { terms, numInputs: n, numOutputs: m } = parser.parse();

  const failDecl = (isX: boolean, idx: number, msg: string): never => {
    const tok = parser.declTok(isX, idx);
    throw errAt(text, file, tokens.start[tok] ?? 0, msg);
  };
  if (opts.numInputs !== undefined && opts.numInputs !== n) {
    failDecl(true, 0, `the file declares ${n} inputs X_0..X_${n - 1} but the network has ${opts.numInputs} inputs`);
  }
  if (opts.numOutputs !== undefined && opts.numOutputs !== m) {
    failDecl(false, 0, `the file declares ${m} outputs Y_0..Y_${m - 1} but the network has ${opts.numOutputs} outputs`);
  }

  const disjuncts: PropertyDisjunct[] = [];
  const byHash = new Map<number, number[]>();
  const hasLo = new Uint8Array(n);
  const hasHi = new Uint8Array(n);
  termLoop: for (let ti = 0; ti < terms.length; ti++) {
    const recs = terms[ti]!.recs;
    const lo = new Float64Array(n).fill(-Infinity);
    const hi = new Float64Array(n).fill(Infinity);
    hasLo.fill(0);
    hasHi.fill(0);
    let rows = 0;
    for (let k = 0; k < recs.length; k++) {
      const r = recs[k]!;
      if (r.k === 0) {
        if (r.upper) {
          if (r.v < hi[r.idx]!) hi[r.idx] = r.v;
          hasHi[r.idx] = 1;
        } else {
          if (r.v > lo[r.idx]!) lo[r.idx] = r.v;
          hasLo[r.idx] = 1;
        }
      } else rows++;
    }
    for (let i = 0; i < n; i++) if (lo[i]! > hi[i]!) continue termLoop; // empty term
    for (let i = 0; i < n; i++) {
      if (hasLo[i] === 0 || hasHi[i] === 0) {
        const where = terms.length > 1 ? ` in DNF term ${ti + 1} of ${terms.length}` : '';
        failDecl(true, i, `X_${i} has no ${hasLo[i] === 0 ? 'lower' : 'upper'} bound${where}`);
      }
    }
    const C = new Float64Array(rows * m);
    const d = new Float64Array(rows);
    let r = 0;
    for (let k = 0; k < recs.length; k++) {
      const rec = recs[k]!;
      if (rec.k !== 1) continue;
      const base = r * m;
      for (let j = 0; j < rec.ids.length; j++) C[base + rec.ids[j]!] = rec.c[j]!;
      d[r++] = rec.d;
    }
    const poly: OutputPolytope = { C, d, rows, numOutputs: m };
    const h = hashBox(lo, hi);
    const bucket = byHash.get(h);
    let target: PropertyDisjunct | undefined;
    if (bucket !== undefined) {
      for (const di of bucket) {
        const dj = disjuncts[di]!;
        if (sameArray(dj.box.lo, lo) && sameArray(dj.box.hi, hi)) {
          target = dj;
          break;
        }
      }
    }
    if (target !== undefined) target.outputs.push(poly);
    else {
      const box: Box = { lo, hi };
      if (bucket !== undefined) bucket.push(disjuncts.length);
      else byHash.set(h, [disjuncts.length]);
      disjuncts.push({ box, outputs: [poly] });
    }
  }
  const prop: Property = { numInputs: n, numOutputs: m, disjuncts };
  if (file !== undefined) prop.source = file;
  return prop;
}

/**
 * Reads and parses a VNN-LIB file (plain or gzip-compressed; gzip is detected by the magic bytes
 * 1f 8b, whatever the file name). Same guarantees as {@link parseVnnlib}; the path is used as
 * the file name in errors and as `Property.source`. File-system errors (e.g. ENOENT) propagate
 * unchanged; corrupt gzip data raises a {@link VnnlibError} at 1:1.
 */
export function readVnnlibFile(path: string, opts: Omit<VnnlibOptions, 'file'> = {}): Property {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read the VNN-LIB file (${(e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e)})`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new VnnlibError(`corrupt gzip data: ${(e as Error).message}`, 1, 1, path);
    }
  }
  return parseVnnlib(buf.toString('utf8'), { ...opts, file: path });
}
