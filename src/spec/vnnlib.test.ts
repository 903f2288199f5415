import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseVnnlib, readVnnlibFile, VnnlibError } from './vnnlib.js';
import { addDown, addUp, divDown, divUp, mulDown, mulUp, nextDown, nextUp } from '../util/float.js';
import { boxContains, propertyContains, type Property } from './property.js';
import { Rng } from '../util/rng.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/vnnlib');
const BENCH = process.env.LIPCERT_BENCHMARKS ?? path.resolve(REPO_ROOT, '../shared/benchmarks');
const HAVE_BENCH = existsSync(BENCH);
if (!HAVE_BENCH) {
  console.warn(`[vnnlib.test] benchmark folder ${BENCH} not found: skipping the real-file tests (set LIPCERT_BENCHMARKS)`);
}

/** Declarations X_0..X_{nx-1}, Y_0..Y_{ny-1}, one per line. */
function decl(nx: number, ny: number): string {
  let s = '';
  for (let i = 0; i < nx; i++) s += `(declare-const X_${i} Real)\n`;
  for (let j = 0; j < ny; j++) s += `(declare-const Y_${j} Real)\n`;
  return s;
}

/** Bounds lo <= X_i <= hi for all i (as written, literal text). */
function bounds(nx: number, lo = '0', hi = '1'): string {
  let s = '';
  for (let i = 0; i < nx; i++) s += `(assert (>= X_${i} ${lo}))\n(assert (<= X_${i} ${hi}))\n`;
  return s;
}

function expectError(text: string, line: number, column: number, msg: string | RegExp, opts = {}): VnnlibError {
  let err: unknown;
  try {
    parseVnnlib(text, opts);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VnnlibError);
  const e = err as VnnlibError;
  if (typeof msg === 'string') expect(e.reason).toContain(msg);
  else expect(e.reason).toMatch(msg);
  expect([e.line, e.column]).toEqual([line, column]);
  expect(e.message).toBe(`${e.file ?? '<input>'}:${line}:${column}: ${e.reason}`);
  expect(e.message).not.toContain('\n');
  return e;
}

function rowsOf(p: Property, disjunct = 0, poly = 0): { C: number[]; d: number[] } {
  const o = p.disjuncts[disjunct]!.outputs[poly]!;
  return { C: Array.from(o.C), d: Array.from(o.d) };
}

// ---------------------------------------------------------------------------
// Exact rational helpers (BigInt) for checking soundness of rounding.
// ---------------------------------------------------------------------------

const F = new Float64Array(1);
const U = new BigUint64Array(F.buffer);
/** x (finite double) as the exact integer x * 2^1074. */
function big(x: number): bigint {
  F[0] = x;
  const bits = U[0]!;
  const neg = bits >> 63n === 1n;
  const e = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const m = e === 0 ? frac : frac | (1n << 52n);
  const shift = e === 0 ? 0n : BigInt(e - 1);
  const v = m << shift;
  return neg ? -v : v;
}
/** Exact value of a decimal literal as numerator / 10^k. */
function decimal(s: string): { num: bigint; den: bigint } {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s)!;
  const digits = (m[2] ?? '') + (m[3] ?? '');
  let exp = Number(m[4] ?? 0) - (m[3] ?? '').length;
  let num = BigInt(digits || '0');
  if (m[1] === '-') num = -num;
  let den = 1n;
  if (exp >= 0) num *= 10n ** BigInt(exp);
  else den = 10n ** BigInt(-exp);
  return { num, den };
}
/** Compares double x with the rational num/den (den > 0): -1, 0, 1. */
function cmpRat(x: number, num: bigint, den: bigint): number {
  const l = big(x) * den;
  const r = num << 1074n;
  return l < r ? -1 : l > r ? 1 : 0;
}


// ---------------------------------------------------------------------------
// float.ts
// ---------------------------------------------------------------------------

describe('float helpers', () => {
  it('nextUp / nextDown on special values', () => {
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-0)).toBe(Number.MIN_VALUE);
    expect(nextDown(0)).toBe(-Number.MIN_VALUE);
    expect(nextDown(-0)).toBe(-Number.MIN_VALUE);
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextDown(1)).toBe(1 - Number.EPSILON / 2);
    expect(nextUp(-1)).toBe(-1 + Number.EPSILON / 2);
    expect(nextDown(-1)).toBe(-1 - Number.EPSILON);
    expect(Object.is(nextUp(-Number.MIN_VALUE), -0)).toBe(true);
    expect(nextUp(Number.MAX_VALUE)).toBe(Infinity);
    expect(nextDown(-Number.MAX_VALUE)).toBe(-Infinity);
    expect(nextUp(Infinity)).toBe(Infinity);
    expect(nextDown(-Infinity)).toBe(-Infinity);
    expect(nextUp(-Infinity)).toBe(-Number.MAX_VALUE);
    expect(nextDown(Infinity)).toBe(Number.MAX_VALUE);
    expect(nextUp(NaN)).toBeNaN();
    expect(nextDown(NaN)).toBeNaN();
    for (const x of [0.1, -0.1, 3.5, -1e300, 1e-310, 2 ** -1022]) {
      expect(nextUp(x)).toBeGreaterThan(x);
      expect(nextDown(x)).toBeLessThan(x);
      expect(nextDown(nextUp(x))).toBe(x);
      expect(nextUp(nextDown(x))).toBe(x);
    }
  });

  it('directed add/mul/div bracket the exact result and are exact when possible', () => {
    const rng = new Rng(12345);
    const rnd = () => rng.next();
    const sample = (): number => {
      const k = rnd();
      if (k < 0.1) return Math.round((rnd() - 0.5) * 100); // small integers
      if (k < 0.2) return [0.5, 0.25, -2, 1, -1][Math.floor(rnd() * 5)]!;
      const mag = Math.floor((rnd() - 0.5) * 60);
      return (rnd() - 0.5) * 2 ** mag;
    };
    for (let i = 0; i < 3000; i++) {
      const a = sample();
      const b = sample();
      const A = big(a);
      const B = big(b);
      // sum: exact value (A + B) * 2^-1074
      const s = A + B;
      expect(big(addDown(a, b)) <= s).toBe(true);
      expect(big(addUp(a, b)) >= s).toBe(true);
      if (big(a + b) === s) expect(addDown(a, b) === a + b && addUp(a, b) === a + b).toBe(true);
      expect(addUp(a, b) - addDown(a, b)).toBeLessThanOrEqual(Math.abs(nextUp(Math.abs(a + b)) - Math.abs(a + b)) * 2);
      // product: exact value A*B * 2^-2148
      const p = A * B;
      expect(big(mulDown(a, b)) << 1074n <= p).toBe(true);
      expect(big(mulUp(a, b)) << 1074n >= p).toBe(true);
      if (big(a * b) << 1074n === p) {
        expect(mulDown(a, b) === a * b).toBe(true);
        expect(mulUp(a, b) === a * b).toBe(true);
      }
      // quotient: q <= a/b  <=>  q*b <= a (b > 0)
      if (b !== 0) {
        const sgn = b > 0 ? 1n : -1n;
        const qd = big(divDown(a, b));
        const qu = big(divUp(a, b));
        expect(qd * B * sgn <= (A << 1074n) * sgn).toBe(true);
        expect(qu * B * sgn >= (A << 1074n) * sgn).toBe(true);
        if (big(a / b) * B === A << 1074n) {
          expect(divDown(a, b) === a / b).toBe(true);
          expect(divUp(a, b) === a / b).toBe(true);
        }
      }
    }
  });

  it('handles overflow and zeros', () => {
    expect(addUp(Number.MAX_VALUE, Number.MAX_VALUE)).toBe(Infinity);
    expect(addDown(Number.MAX_VALUE, Number.MAX_VALUE)).toBe(Number.MAX_VALUE);
    expect(mulDown(1e200, 1e200)).toBe(Number.MAX_VALUE);
    expect(mulUp(-1e200, 1e200)).toBe(-Number.MAX_VALUE);
    expect(mulDown(0, Infinity)).toBe(0);
    expect(divDown(1, 3) < divUp(1, 3)).toBe(true);
    expect(divDown(1, 4)).toBe(0.25);
    expect(mulDown(1e-200, 1e-200)).toBeLessThanOrEqual(0);
    expect(mulUp(1e-200, 1e-200)).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------
// Grammar
// ---------------------------------------------------------------------------

describe('parseVnnlib: grammar', () => {
  it('parses an ACAS Xu prop_2-like property (one box, one polytope of 4 rows)', () => {
    const text = `; comment line
${decl(5, 5)}
(assert (<= X_0 0.679857769))
(assert (>= X_0 0.6))
${bounds(5).split('\n').slice(2).join('\n')}
(assert (<= Y_1 Y_0))
(assert (<= Y_2 Y_0))
(assert (<= Y_3 Y_0))
(assert (<= Y_4 Y_0))
`;
    const p = parseVnnlib(text, { file: 'p2.vnnlib' });
    expect(p.numInputs).toBe(5);
    expect(p.numOutputs).toBe(5);
    expect(p.source).toBe('p2.vnnlib');
    expect(p.disjuncts).toHaveLength(1);
    const d = p.disjuncts[0]!;
    expect(d.outputs).toHaveLength(1);
    expect(d.outputs[0]!.rows).toBe(4);
    expect(d.outputs[0]!.numOutputs).toBe(5);
    // (<= Y_1 Y_0) -> y1 - y0 <= 0
    expect(rowsOf(p).C).toEqual([-1, 1, 0, 0, 0, -1, 0, 1, 0, 0, -1, 0, 0, 1, 0, -1, 0, 0, 0, 1]);
    expect(rowsOf(p).d).toEqual([0, 0, 0, 0]);
    // inexact decimals are widened by one ulp, exact ones are kept
    expect(d.box.lo[0]).toBe(nextDown(0.6));
    expect(d.box.hi[0]).toBe(nextUp(0.679857769));
    expect(Array.from(d.box.lo.subarray(1))).toEqual([0, 0, 0, 0]);
    expect(Array.from(d.box.hi.subarray(1))).toEqual([1, 1, 1, 1]);
  });

  it('normalises rows to C y <= d, with constants on either side', () => {
    const p = parseVnnlib(
      decl(1, 3) +
        bounds(1) +
        `(assert (>= Y_0 Y_1))
         (assert (<= Y_1 Y_0))
         (assert (>= Y_2 3))
         (assert (<= 3 Y_2))
         (assert (>= -3 Y_2))
         (assert (<= (+ Y_0 1) (- Y_1 2)))`,
    );
    const { C, d } = rowsOf(p);
    expect(C).toEqual([-1, 1, 0, -1, 1, 0, 0, 0, -1, 0, 0, -1, 0, 0, 1, 1, -1, 0]);
    expect(d).toEqual([0, 0, -3, -3, -3, -3]);
  });

  it('reads every number form', () => {
    const cases: [string, number, boolean][] = [
      ['1', 1, true],
      ['-7', -7, true],
      ['+3', 3, true],
      ['0.5', 0.5, true],
      ['.25', 0.25, true],
      ['5.', 5, true],
      ['1e2', 100, true],
      ['2.5E+1', 25, true],
      ['-2E+4', -20000, true],
      ['1.25e-1', 0.125, true],
      ['0.0', 0, true],
      ['-0.0', 0, true],
      ['0.50000000000000000000000', 0.5, true],
      ['1.5e-3', 1.5e-3, false],
      ['0.1', 0.1, false],
      ['-0.029999999329447746', -0.029999999329447746, false],
      ['3.991125645861615', 3.991125645861615, false],
    ];
    for (const [lit, v, exact] of cases) {
      const p = parseVnnlib(decl(1, 1) + `(assert (<= X_0 ${lit}))\n(assert (>= X_0 ${lit}))`);
      const box = p.disjuncts[0]!.box;
      if (exact) {
        expect([lit, box.lo[0], box.hi[0]]).toEqual([lit, v, v]);
      } else {
        expect([lit, box.lo[0], box.hi[0]]).toEqual([lit, nextDown(v), nextUp(v)]);
      }
    }
  });

  it('widened constants contain the real decimal value (randomised, exact rational check)', () => {
    const rng = new Rng(7);
    const rnd = () => rng.next();
    for (let i = 0; i < 300; i++) {
      const digits = String(Math.floor(rnd() * 1e9)).padStart(9, '0');
      const point = Math.floor(rnd() * 9);
      const exp = Math.floor((rnd() - 0.5) * 40);
      const sign = rnd() < 0.5 ? '-' : '';
      const lit = `${sign}${digits.slice(0, point)}.${digits.slice(point)}e${exp}`;
      const p = parseVnnlib(
        decl(1, 1) + `(assert (<= X_0 ${lit}))\n(assert (>= X_0 ${lit}))\n(assert (<= Y_0 ${lit}))`,
      );
      const { num, den } = decimal(lit);
      const box = p.disjuncts[0]!.box;
      expect(cmpRat(box.lo[0]!, num, den)).toBeLessThanOrEqual(0);
      expect(cmpRat(box.hi[0]!, num, den)).toBeGreaterThanOrEqual(0);
      expect(cmpRat(p.disjuncts[0]!.outputs[0]!.d[0]!, num, den)).toBeGreaterThanOrEqual(0);
      // at most one ulp away
      expect(box.hi[0]! <= nextUp(Number(lit))).toBe(true);
      expect(box.lo[0]! >= nextDown(Number(lit))).toBe(true);
    }
  });

  it('linear terms: +, unary and n-ary -, * on either side, / by a constant', () => {
    const p = parseVnnlib(
      decl(1, 3) +
        `(assert (<= (* 2 X_0) 1))
         (assert (<= (- X_0) (- 4 (+ 1 2 1.5))))
         (assert (<= (+ Y_0 Y_1 Y_2) 10))
         (assert (<= (- Y_0 Y_1 Y_2) (* 2 -1.5)))
         (assert (<= (* Y_0 2) (* 0.5 Y_1)))
         (assert (<= (/ Y_2 4) 1))
         (assert (<= (* 2 3 Y_1 0.5) 6))
         (assert (<= (+ (* 2 Y_0) (* -2 Y_0) Y_1) 0))`,
    );
    const box = p.disjuncts[0]!.box;
    expect(box.hi[0]).toBe(0.5); // 2x <= 1
    expect(box.lo[0]).toBe(0.5); // -x <= -0.5
    const { C, d } = rowsOf(p);
    expect(C).toEqual([1, 1, 1, 1, -1, -1, 2, -0.5, 0, 0, 0, 0.25, 0, 3, 0, 0, 1, 0]);
    expect(d).toEqual([10, -3, 0, 1, 6, 0]);
    const q = parseVnnlib(decl(1, 1) + `(assert (<= (- X_0) 4)) (assert (<= X_0 (- 10 (+ 1 2))))`);
    expect(q.disjuncts[0]!.box.lo[0]).toBe(-4);
    expect(q.disjuncts[0]!.box.hi[0]).toBe(7);
    const r = parseVnnlib(decl(1, 1) + `(assert (<= (* -4 X_0) 1)) (assert (>= (/ X_0 -0.5) -1))`);
    expect(r.disjuncts[0]!.box.lo[0]).toBe(-0.25);
    expect(r.disjuncts[0]!.box.hi[0]).toBe(0.5);
  });

  it('constant arithmetic is rounded outward (exact rational check)', () => {
    const p = parseVnnlib(
      decl(3, 1) +
        `(assert (<= X_0 (* 3 0.1)))   (assert (>= X_0 (+ 0.1 0.2)))
         (assert (<= (* 3 X_1) 1))     (assert (>= (* 3 X_1) 1))
         (assert (<= X_2 (/ 1 3)))     (assert (>= X_2 (/ 1 3)))`,
    );
    const { lo, hi } = p.disjuncts[0]!.box;
    expect(cmpRat(hi[0]!, 3n, 10n)).toBe(1);
    expect(cmpRat(lo[0]!, 3n, 10n)).toBe(-1);
    for (const i of [1, 2]) {
      expect(cmpRat(hi[i]!, 1n, 3n)).toBe(1);
      expect(cmpRat(lo[i]!, 1n, 3n)).toBe(-1);
      expect(hi[i]! - lo[i]!).toBeLessThan(1e-15);
    }
  });

  it('strict comparisons are treated as non-strict', () => {
    const a = parseVnnlib(decl(1, 2) + `(assert (< X_0 1)) (assert (> X_0 0)) (assert (< Y_0 Y_1)) (assert (> Y_0 2))`);
    const b = parseVnnlib(decl(1, 2) + `(assert (<= X_0 1)) (assert (>= X_0 0)) (assert (<= Y_0 Y_1)) (assert (>= Y_0 2))`);
    expect(a).toEqual(b);
  });

  it('= gives equal bounds on inputs and two rows on outputs; chains are conjunctions', () => {
    const p = parseVnnlib(decl(2, 2) + `(assert (= X_0 0.5)) (assert (<= 0 X_1 1)) (assert (= Y_0 Y_1))`);
    const { lo, hi } = p.disjuncts[0]!.box;
    expect(Array.from(lo)).toEqual([0.5, 0]);
    expect(Array.from(hi)).toEqual([0.5, 1]);
    expect(rowsOf(p)).toEqual({ C: [1, -1, -1, 1], d: [0, 0] });
    const q = parseVnnlib(decl(1, 3) + bounds(1) + `(assert (>= Y_0 Y_1 Y_2))`);
    expect(rowsOf(q)).toEqual({ C: [-1, 1, 0, 0, -1, 1], d: [0, 0] });
  });

  it('converts nested and/or to DNF and groups terms by identical boxes (prop_6 shape)', () => {
    const box = (a: number) => `(and (>= X_0 ${a}) (<= X_0 ${a + 1}))`;
    const p = parseVnnlib(
      decl(1, 3) +
        `(assert (or ${box(0)} ${box(5)}))
         (assert (or (and (<= Y_1 Y_0)) (and (<= Y_2 Y_0)) (<= Y_0 0)))`,
    );
    expect(p.disjuncts).toHaveLength(2);
    expect(p.disjuncts.map((d) => [d.box.lo[0], d.box.hi[0]])).toEqual([
      [0, 1],
      [5, 6],
    ]);
    for (const d of p.disjuncts) {
      expect(d.outputs.map((o) => o.rows)).toEqual([1, 1, 1]);
      expect(d.outputs.map((o) => Array.from(o.C))).toEqual([
        [-1, 1, 0],
        [-1, 0, 1],
        [1, 0, 0],
      ]);
    }
    // (and (or a b) (or c d)) -> 4 terms, each one box here
    const q = parseVnnlib(
      decl(1, 4) + bounds(1) + `(assert (and (or (<= Y_0 0) (<= Y_1 0)) (or (<= Y_2 0) (and (<= Y_3 0) (<= Y_3 1)))))`,
    );
    expect(q.disjuncts).toHaveLength(1);
    expect(q.disjuncts[0]!.outputs.map((o) => o.rows)).toEqual([2, 3, 2, 3]);
    expect(rowsOf(q, 0, 1).C).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('X and Y atoms mixed inside one and: each term carries its own box', () => {
    const p = parseVnnlib(
      decl(1, 2) +
        `(assert (or (and (>= X_0 0) (<= X_0 1) (<= Y_0 Y_1))
                     (and (>= X_0 0) (<= X_0 1) (<= Y_1 Y_0))
                     (and (>= X_0 2) (<= X_0 3) (<= Y_1 Y_0) (<= Y_0 1))))`,
    );
    expect(p.disjuncts).toHaveLength(2);
    expect(p.disjuncts[0]!.outputs.map((o) => o.rows)).toEqual([1, 1]);
    expect(p.disjuncts[1]!.outputs.map((o) => o.rows)).toEqual([2]);
  });

  it('repeated bounds are intersected; terms without output constraints get a 0-row polytope', () => {
    const p = parseVnnlib(decl(1, 2) + `(assert (<= X_0 5)) (assert (<= X_0 3)) (assert (>= X_0 -1)) (assert (>= X_0 1))`);
    expect(p.disjuncts).toHaveLength(1);
    expect([p.disjuncts[0]!.box.lo[0], p.disjuncts[0]!.box.hi[0]]).toEqual([1, 3]);
    const o = p.disjuncts[0]!.outputs;
    expect(o).toHaveLength(1);
    expect(o[0]!.rows).toBe(0);
    expect(o[0]!.C.length).toBe(0);
    expect(o[0]!.d.length).toBe(0);
    expect(o[0]!.numOutputs).toBe(2);
  });

  it('constant atoms: true ones are dropped, false ones remove their DNF term', () => {
    const p = parseVnnlib(
      decl(1, 1) +
        bounds(1) +
        `(assert (<= 1 2))
         (assert (or (and (<= 2 1) (<= Y_0 5)) (and (>= 0.5 0.25) (<= Y_0 7))))
         (assert (= (+ 1 1) 2))`,
    );
    expect(p.disjuncts).toHaveLength(1);
    expect(p.disjuncts[0]!.outputs).toHaveLength(1);
    expect(rowsOf(p).d).toEqual([7]);
  });

  it('empty boxes (lo > hi) are dropped; if all terms are empty there are 0 disjuncts', () => {
    const p = parseVnnlib(
      decl(1, 1) + `(assert (or (and (>= X_0 2) (<= X_0 1)) (and (>= X_0 0) (<= X_0 1)))) (assert (<= Y_0 0))`,
    );
    expect(p.disjuncts).toHaveLength(1);
    expect([p.disjuncts[0]!.box.lo[0], p.disjuncts[0]!.box.hi[0]]).toEqual([0, 1]);
    const q = parseVnnlib(decl(1, 1) + `(assert (>= X_0 2)) (assert (<= X_0 1)) (assert (<= Y_0 0))`);
    expect(q.disjuncts).toHaveLength(0);
    const r = parseVnnlib(decl(1, 1) + bounds(1) + `(assert false)`);
    expect(r.disjuncts).toHaveLength(0);
  });

  it('not, =>, true, false, and / or with zero arguments', () => {
    const p = parseVnnlib(
      decl(1, 2) +
        bounds(1) +
        `(assert (not (and (> Y_0 Y_1) (>= Y_1 3))))
         (assert true) (assert (and)) (assert (not false)) (assert (not (= Y_0 Y_1)))`,
    );
    // not(y0 > y1 and y1 >= 3) = (y0 <= y1) or (y1 <= 3)
    expect(p.disjuncts[0]!.outputs.map((o) => Array.from(o.C))).toEqual([
      [1, -1],
      [0, 1],
    ]);
    expect(p.disjuncts[0]!.outputs.map((o) => Array.from(o.d))).toEqual([[0], [3]]);
    const q = parseVnnlib(decl(1, 2) + bounds(1) + `(assert (=> (>= Y_0 1) (<= Y_1 2)))`);
    expect(q.disjuncts[0]!.outputs.map((o) => [Array.from(o.C), Array.from(o.d)])).toEqual([
      [[1, 0], [1]],
      [[0, 1], [2]],
    ]);
    const r = parseVnnlib(decl(1, 2) + bounds(1) + `(assert (not (=> (>= Y_0 1) (<= Y_1 2))))`);
    expect(r.disjuncts[0]!.outputs.map((o) => [Array.from(o.C), Array.from(o.d)])).toEqual([
      [
        [-1, 0, 0, -1],
        [-1, -2],
      ],
    ]);
    expect(parseVnnlib(decl(1, 1) + bounds(1) + `(assert (or))`).disjuncts).toHaveLength(0);
  });

  it('comments, CRLF line ends, odd whitespace, declare-fun and ignored commands', () => {
    const text =
      '(set-logic QF_LRA) ; logic\r\n(set-info :source |hand written|)\r\n' +
      '(declare-fun X_0 () Real)\t(declare-const\n Y_0\n Real ) ;; trailing\r\n' +
      '(assert(<= X_0 1))(assert (>= X_0 0));x\n(assert (<= Y_0 0))(check-sat)(get-model)(exit)';
    const p = parseVnnlib(text);
    expect(p.numInputs).toBe(1);
    expect(p.numOutputs).toBe(1);
    expect(rowsOf(p)).toEqual({ C: [1], d: [0] });
  });

  it('numInputs / numOutputs options are accepted when they match', () => {
    const p = parseVnnlib(decl(2, 3) + bounds(2), { numInputs: 2, numOutputs: 3 });
    expect(p.numInputs).toBe(2);
  });

  it('the property region contains points of the file region (propertyContains)', () => {
    const p = parseVnnlib(decl(2, 2) + bounds(2, '0.1', '0.2') + `(assert (or (<= Y_0 Y_1) (>= Y_0 3)))`);
    expect(propertyContains(p, [0.1, 0.2], [1, 2])).toBe(true);
    expect(propertyContains(p, [0.15, 0.15], [4, 2])).toBe(true);
    expect(propertyContains(p, [0.15, 0.15], [2, 1])).toBe(false);
    expect(propertyContains(p, [0.3, 0.15], [1, 2])).toBe(false);
    expect(boxContains(p.disjuncts[0]!.box, [0.1, 0.2])).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

describe('parseVnnlib: malformed input', () => {
  const D = '(declare-const X_0 Real)\n(declare-const Y_0 Real)\n'; // asserts start on line 3

  it('unbalanced parentheses: unclosed', () => {
    expectError(D + '(assert (<= X_0 1)\n(assert (>= X_0 0))\n', 3, 1, "unbalanced parentheses: '(' is never closed");
  });
  it('unbalanced parentheses: extra )', () => {
    expectError('(declare-const X_0 Real))', 1, 25, "unbalanced parentheses: unexpected ')'");
  });
  it('unknown command', () => {
    expectError('(declare-var X_0 Real)', 1, 2, "unknown command 'declare-var'");
  });
  it('unknown operator', () => {
    expectError(D + '(assert (foo X_0 1))', 3, 10, "unknown operator 'foo'");
    expectError(D + '(assert (<= (max X_0 1) 1))', 3, 14, "unknown operator 'max' in a term");
  });
  it('bad number', () => {
    expectError(D + '(assert (<= X_0 1.2.3))', 3, 17, "bad number '1.2.3'");
    expectError(D + '(assert (<= X_0 12abc))', 3, 17, "bad number '12abc'");
    expectError(D + '(assert (<= X_0 1e))', 3, 17, "bad number '1e'");
    expectError(D + '(assert (<= X_0 1e999))', 3, 17, 'number out of range');
  });
  it('undeclared variable', () => {
    expectError(D + '(assert (<= X_1 1))', 3, 13, "undeclared variable 'X_1'");
    expectError(D + '(assert (<= foo 1))', 3, 13, "undeclared variable 'foo'");
  });
  it('non-Real sort', () => {
    expectError('(declare-const X_0 Int)', 1, 20, "non-Real sort 'Int'");
  });
  it('missing bounds (position of the declaration)', () => {
    expectError(D + '(assert (>= X_0 0))', 1, 16, 'X_0 has no upper bound');
    expectError(D + '(assert (<= X_0 0))', 1, 16, 'X_0 has no lower bound');
    const e = expectError(
      D + '(assert (or (and (>= X_0 0) (<= X_0 1)) (>= X_0 0)))',
      1,
      16,
      'X_0 has no upper bound in DNF term 2 of 2',
    );
    expect(e.file).toBeUndefined();
  });
  it('nonlinear term', () => {
    expectError(D + '(assert (<= (* Y_0 Y_0) 1))', 3, 13, 'nonlinear term');
    expectError(D + '(assert (<= (/ 1 Y_0) 1))', 3, 18, 'nonlinear term: division');
  });
  it('too many disjuncts', () => {
    const two = '(assert (or (<= Y_0 1) (<= Y_0 2)))\n';
    expectError(D + bounds(1) + two + two, 6, 1, 'expand to 4 DNF terms (limit 3', { maxDisjuncts: 3 });
    // default limit 10,000: 2^14 = 16384 terms
    expectError(D + bounds(1) + two.repeat(14), 18, 1, 'too many disjuncts: the assertions expand to 16384 DNF terms');
    // an or with too many alternatives
    expectError(D + bounds(1) + '(assert (or (<= Y_0 1) (<= Y_0 2) (<= Y_0 3)))', 5, 9, 'expand to 3 DNF terms', {
      maxDisjuncts: 2,
    });
  });
  it('empty file and missing declarations', () => {
    expectError('', 1, 1, 'empty file');
    expectError('; only a comment\n\n', 1, 1, 'empty file');
    expectError('(assert true)', 1, 1, 'no declarations');
    expectError('\n(declare-const Y_0 Real)', 2, 1, 'no input variables declared');
    expectError('(declare-const X_0 Real)(assert (<= X_0 1))', 1, 1, 'no output variables declared');
  });
  it('inputs mixed with outputs, several inputs in one atom', () => {
    expectError(D + '(assert (<= X_0 Y_0))', 3, 9, 'mixing inputs and outputs (X_0 and Y_0)');
    expectError(decl(2, 1) + '(assert (<= (+ X_0 X_1) 1))', 4, 9, 'linear constraints over several inputs are not supported');
  });
  it('non-contiguous, duplicate and badly named declarations', () => {
    expectError('(declare-const X_0 Real)\n(declare-const X_2 Real)\n(declare-const Y_0 Real)', 2, 16, 'X_1 is missing');
    expectError(D + '(declare-const X_0 Real)', 3, 16, 'X_0 is declared twice (first at line 1, column 16)');
    expectError('(declare-const x0 Real)', 1, 16, "unsupported variable name 'x0'");
    expectError('(declare-const X_01 Real)', 1, 16, "unsupported variable name 'X_01'");
  });
  it('declared counts that differ from the network', () => {
    expectError(D + bounds(1), 1, 16, 'declares 1 inputs X_0..X_0 but the network has 784 inputs', { numInputs: 784 });
    expectError(D + bounds(1), 2, 16, 'declares 1 outputs Y_0..Y_0 but the network has 10 outputs', { numOutputs: 10 });
  });
  it('structural errors', () => {
    expectError(D + 'X_0', 3, 1, "expected '(' to start a command, found 'X_0'");
    expectError(D + '(assert (<= X_0 1) (<= X_0 2))', 3, 20, "expected ')' to close 'assert'");
    expectError(D + '(assert)', 3, 8, "'assert' needs a formula");
    expectError(D + '(assert (<= X_0))', 3, 10, "'<=' needs at least two arguments");
    expectError(D + '(assert X_0)', 3, 9, 'expected a formula');
    expectError(D + '(assert (+ X_0 1))', 3, 10, "expected a formula, found the term operator '+'");
    expectError(D + '(assert (<= (and) 1))', 3, 14, "expected a term, found the formula operator 'and'");
    expectError(D + '(assert ((<= X_0 1)))', 3, 10, "expected an operator after '('");
    expectError(D + '(set-info :x "abc)', 3, 14, 'unterminated string literal');
    expectError(D + '(declare-const Y_1)', 3, 19, 'missing sort for Y_1');
    const deep = '(assert ' + '(and '.repeat(1500) + ')'.repeat(1501);
    expectError(D + deep, 3, 8 + 5 * 999 + 1, 'parentheses nested too deeply');
  });
  it('unsound constructs: inexact output coefficients, zero divisors', () => {
    expectError(D + '(assert (<= (* 0.1 Y_0) 1))', 3, 9, 'coefficient of Y_0 is not exactly representable');
    expectError(D + '(assert (<= (/ Y_0 0) 1))', 3, 20, 'division by zero');
  });
  it('errors carry the file name', () => {
    const e = expectError(D + '(assert (foo))', 3, 10, "unknown operator 'foo'", { file: 'a/b.vnnlib' });
    expect(e.file).toBe('a/b.vnnlib');
    expect(e.message).toBe("a/b.vnnlib:3:10: unknown operator 'foo'");
  });
});

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

describe('readVnnlibFile', () => {
  it('reads the hand-written fixtures', () => {
    const p = readVnnlibFile(path.join(FIXTURES, 'small_or.vnnlib'));
    expect(p.source).toBe(path.join(FIXTURES, 'small_or.vnnlib'));
    expect(p.numInputs).toBe(2);
    expect(p.numOutputs).toBe(3);
    expect(p.disjuncts).toHaveLength(2);
    expect(p.disjuncts[0]!.outputs.map((o) => o.rows)).toEqual([1, 1]);
    expect(p.disjuncts[1]!.outputs.map((o) => o.rows)).toEqual([2]);
    const b = p.disjuncts[1]!.box;
    expect(Array.from(b.lo)).toEqual([-2, nextDown(-0.15)]);
    expect(Array.from(b.hi)).toEqual([-1, 1]);
    expect(rowsOf(p, 1, 0)).toEqual({ C: [-1, 1, 0, -1, 0, 1], d: [-1, 2.5] });

    const f = path.join(FIXTURES, 'bad_unclosed.vnnlib');
    expect(() => readVnnlibFile(f)).toThrow(`${f}:4:1: unbalanced parentheses`);
    const g = path.join(FIXTURES, 'bad_missing_bound.vnnlib');
    expect(() => readVnnlibFile(g)).toThrow(`${g}:3:16: X_1 has no upper bound`);
  });

  it('gzip round trip (detected by magic bytes, whatever the name)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lipcert-vnnlib-'));
    try {
      const src = path.join(FIXTURES, 'small_or.vnnlib');
      const plain = readVnnlibFile(src);
      const gz = gzipSync(readFileSync(src));
      const a = path.join(dir, 'small_or.vnnlib.gz');
      const b = path.join(dir, 'misnamed.vnnlib');
      writeFileSync(a, gz);
      writeFileSync(b, gz);
      const pa = readVnnlibFile(a);
      const pb = readVnnlibFile(b);
      expect(pa.source).toBe(a);
      expect({ ...pa, source: src }).toEqual(plain);
      expect({ ...pb, source: src }).toEqual(plain);
      if (HAVE_BENCH) {
        const p6 = path.join(BENCH, 'acasxu/vnnlib/prop_6.vnnlib');
        const c = path.join(dir, 'prop_6.vnnlib.gz');
        writeFileSync(c, gzipSync(readFileSync(p6)));
        expect({ ...readVnnlibFile(c), source: p6 }).toEqual(readVnnlibFile(p6));
      }
      const bad = path.join(dir, 'bad.vnnlib.gz');
      writeFileSync(bad, Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]));
      expect(() => readVnnlibFile(bad)).toThrow(VnnlibError);
      expect(() => readVnnlibFile(bad)).toThrow(/corrupt gzip data/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!HAVE_BENCH)(`benchmark files under ${BENCH}`, () => {
  const dirs = ['acasxu/vnnlib', 'mnistfc/vnnlib', 'mnistfc/vnnlib_2022', 'eran/specs/mnist'];
  const files = (dir: string): string[] =>
    existsSync(path.join(BENCH, dir))
      ? readdirSync(path.join(BENCH, dir))
          .filter((f) => f.endsWith('.vnnlib'))
          .sort()
          .map((f) => path.join(BENCH, dir, f))
      : [];

  it('every benchmark .vnnlib parses (loosely timed)', () => {
    const all: string[] = [];
    for (const dir of dirs) {
      const list = files(dir);
      expect(list.length, dir).toBeGreaterThan(0);
      all.push(...list);
    }
    const t0 = performance.now();
    const props = all.map((f) => readVnnlibFile(f));
    const ms = performance.now() - t0;
    console.log(
      `[vnnlib.test] parsed ${all.length} benchmark files in ${ms.toFixed(1)} ms (${(ms / all.length).toFixed(2)} ms/file)`,
    );
    expect(all.length).toBeGreaterThanOrEqual(142);
    expect(ms).toBeLessThan(60_000); // loose: only catches pathological slowness
    props.forEach((p, k) => {
      const f = all[k]!;
      expect(p.disjuncts.length, f).toBeGreaterThan(0);
      expect([5, 784], f).toContain(p.numInputs);
      for (const d of p.disjuncts) {
        expect(d.box.lo.length, f).toBe(p.numInputs);
        let ok = true;
        for (let i = 0; i < p.numInputs; i++) ok &&= d.box.lo[i]! <= d.box.hi[i]! && Number.isFinite(d.box.lo[i]!);
        expect(ok, f).toBe(true);
        for (const o of d.outputs) {
          expect(o.C.length, f).toBe(o.rows * p.numOutputs);
          expect(o.rows, f).toBeGreaterThan(0);
        }
      }
    });
  });

  it('ACAS Xu prop_6: 2 disjuncts, each with 4 one-row polytopes', () => {
    const p = readVnnlibFile(path.join(BENCH, 'acasxu/vnnlib/prop_6.vnnlib'), { numInputs: 5, numOutputs: 5 });
    expect(p.disjuncts).toHaveLength(2);
    for (const d of p.disjuncts) {
      expect(d.outputs.map((o) => o.rows)).toEqual([1, 1, 1, 1]);
      // (<= Y_k Y_0) -> -y0 + yk <= 0
      expect(d.outputs.map((o) => Array.from(o.C))).toEqual([
        [-1, 1, 0, 0, 0],
        [-1, 0, 1, 0, 0],
        [-1, 0, 0, 1, 0],
        [-1, 0, 0, 0, 1],
      ]);
      expect(d.box.hi[0]).toBe(nextUp(0.700434925));
      expect(d.box.lo[3]).toBe(-0.5);
    }
    expect(p.disjuncts[0]!.box.lo[1]).toBe(nextDown(0.11140846));
    expect(p.disjuncts[1]!.box.hi[1]).toBe(nextUp(-0.11140846));
  });

  it('ACAS Xu prop_2: 1 disjunct with one polytope of 4 rows; prop_1: a single row with a widened rhs', () => {
    const p = readVnnlibFile(path.join(BENCH, 'acasxu/vnnlib/prop_2.vnnlib'));
    expect(p.disjuncts).toHaveLength(1);
    expect(p.disjuncts[0]!.outputs).toHaveLength(1);
    expect(p.disjuncts[0]!.outputs[0]!.rows).toBe(4);
    const q = readVnnlibFile(path.join(BENCH, 'acasxu/vnnlib/prop_1.vnnlib'));
    // (>= Y_0 3.991125645861615) -> -y0 <= -3.991125645861615 (widened upward)
    expect(rowsOf(q)).toEqual({ C: [-1, 0, 0, 0, 0], d: [nextUp(-3.991125645861615)] });
  });

  it('mnistfc prop: 784 inputs, 10 outputs, 9 one-row output polytopes', () => {
    const f = path.join(BENCH, 'mnistfc/vnnlib/prop_0_0.03.vnnlib');
    const p = readVnnlibFile(f, { numInputs: 784, numOutputs: 10 });
    expect(p.numInputs).toBe(784);
    expect(p.numOutputs).toBe(10);
    expect(p.disjuncts).toHaveLength(1);
    const outs = p.disjuncts[0]!.outputs;
    expect(outs).toHaveLength(9);
    expect(outs.reduce((s, o) => s + o.rows, 0)).toBe(9);
    // the label is in the first comment line; every row is  y_label - y_k <= 0
    const label = Number(/label: (\d+)/.exec(readFileSync(f, 'utf8'))![1]);
    for (const o of outs) {
      expect(o.C[label]).toBe(1);
      expect(Array.from(o.C).filter((c) => c === -1)).toHaveLength(1);
      expect(o.d[0]).toBe(0);
    }
    expect(() => readVnnlibFile(f, { numInputs: 5 })).toThrow(
      'declares 784 inputs X_0..X_783 but the network has 5 inputs',
    );
  });
});
