import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatResult, formatValue, parseResult, ResultFormatError, writeResultFile } from './vnncomp.js';

/**
 * The parse of VNN-COMP's checker (SCORING/counterexamples.py, get_ce_diff), ported line by line:
 * join lines, strip, drop the outer parentheses, split at ')', each part '(' NAME ' ' VALUE with
 * exactly one space (older versions did not collapse double spaces), X and Y in index order.
 */
function vnncompCheckerParse(ce: string): { x: number[]; y: number[] } {
  let content = ce.replace(/\n/g, ' ').trim();
  if (!(content[0] === '(' && content[content.length - 1] === ')')) throw new Error('assert content[0] == "(" and content[-1] == ")"');
  content = content.slice(1, -1);
  const x: number[] = [], y: number[] = [];
  for (let part of content.split(')')) {
    part = part.trim();
    if (!part) continue;
    if (part[0] !== '(') throw new Error('assert part[0] == "("');
    part = part.slice(1);
    const fields = part.split(' ');
    if (fields.length !== 2) throw new Error(`name, num = part.split(' ') fails on '${part}'`);
    const [name, num] = fields;
    if (!['X_', 'Y_'].includes(name.slice(0, 2))) throw new Error(`bad name ${name}`);
    // Python float(): a decimal literal (no hex, no underscores here), or inf/nan words.
    if (!/^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|infinity|nan)$/i.test(num)) throw new Error(`float('${num}') fails`);
    const list = name[0] === 'X' ? x : y;
    if (Number(name.slice(2)) !== list.length) throw new Error(`${name} out of order`);
    list.push(Number(num));
  }
  return { x, y };
}

/** The counterexample part of a result file (the lines after the first). */
function cePart(text: string): string {
  return text.split('\n').slice(1).join('\n');
}

const SAT = {
  result: 'sat' as const,
  counterexample: { input: Float64Array.from([0.5, -0.25, 0, 1]), output: Float64Array.from([1e-7, -3, 0.1]) },
};

describe('formatValue', () => {
  it('writes shortest round-trip digits, integers with .0, zero as 0.0', () => {
    expect(formatValue(0)).toBe('0.0');
    expect(formatValue(-0)).toBe('0.0');
    expect(formatValue(1)).toBe('1.0');
    expect(formatValue(-2)).toBe('-2.0');
    expect(formatValue(0.1)).toBe('0.1');
    expect(formatValue(-0.25)).toBe('-0.25');
    expect(formatValue(1e-7)).toBe('1e-7');
    expect(formatValue(1e21)).toBe('1e+21');
    expect(formatValue(123456789012)).toBe('123456789012.0');
    expect(formatValue(Math.fround(0.6))).toBe('0.6000000238418579');
    expect(formatValue(Infinity)).toBe('Infinity');
    expect(formatValue(-Infinity)).toBe('-Infinity');
    expect(formatValue(NaN)).toBe('NaN');
  });

  it('round-trips every double bit for bit (random bit patterns, subnormals, extremes)', () => {
    const buf = new Float64Array(1);
    const bits = new Uint32Array(buf.buffer);
    let s = 12345;
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
    const values = [Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, Number.EPSILON, 2 ** -1022, 5e-324, 0.1 + 0.2, 1 / 3, Math.PI];
    for (let k = 0; k < 5000; k++) {
      bits[0] = rnd();
      bits[1] = rnd();
      if (Number.isFinite(buf[0])) values.push(buf[0]);
      values.push(Math.fround((rnd() / 2 ** 32 - 0.5) * 10));
    }
    for (const v of values) {
      const t = formatValue(v);
      expect(t).not.toMatch(/\s/);
      expect(Object.is(Number(t), v === 0 ? 0 : v), `${v} → ${t}`).toBe(true);
    }
  });
});

describe('formatResult', () => {
  it('one line for every answer but sat', () => {
    for (const r of ['unsat', 'timeout', 'unknown', 'error'] as const) expect(formatResult({ result: r, counterexample: null })).toBe(`${r}\n`);
    expect(formatResult({ result: 'error' })).toBe('error\n');
  });

  it('sat: X then Y entries, one outer pair of parentheses, one space per entry', () => {
    expect(formatResult(SAT)).toBe(
      'sat\n' +
        '((X_0 0.5)\n' +
        ' (X_1 -0.25)\n' +
        ' (X_2 0.0)\n' +
        ' (X_3 1.0)\n' +
        ' (Y_0 1e-7)\n' +
        ' (Y_1 -3.0)\n' +
        ' (Y_2 0.1))\n',
    );
  });

  it('is read by the VNN-COMP checker\'s parse, with the same values', () => {
    const text = formatResult(SAT);
    const { x, y } = vnncompCheckerParse(cePart(text));
    expect(x).toEqual([0.5, -0.25, 0, 1]);
    expect(y).toEqual([1e-7, -3, 0.1]);
  });

  it('sat needs a counterexample; unknown answers are rejected', () => {
    expect(() => formatResult({ result: 'sat', counterexample: null })).toThrow(/counterexample/);
    expect(() => formatResult({ result: 'holds' as never })).toThrow(/not a VNN-COMP result/);
  });
});

describe('parseResult', () => {
  it('round-trips formatResult exactly', () => {
    const back = parseResult(formatResult(SAT));
    expect(back.result).toBe('sat');
    expect(Array.from(back.counterexample!.input)).toEqual(Array.from(SAT.counterexample.input));
    expect(Array.from(back.counterexample!.output)).toEqual(Array.from(SAT.counterexample.output));
    for (const r of ['unsat', 'timeout', 'unknown', 'error'] as const) expect(parseResult(formatResult({ result: r }))).toEqual({ result: r, counterexample: null });
  });

  it('round-trips random counterexamples bit for bit', () => {
    let s = 7;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 10 ** ((s % 13) - 6);
    for (let k = 0; k < 50; k++) {
      const input = Float64Array.from({ length: 1 + (k % 9) }, rnd), output = Float64Array.from({ length: 1 + (k % 4) }, rnd);
      const back = parseResult(formatResult({ result: 'sat', counterexample: { input, output } }));
      expect(back.counterexample!.input).toEqual(input);
      expect(back.counterexample!.output).toEqual(output);
    }
  });

  it('accepts what other tools write: spacing, CRLF, case, one line, inf/nan, 2021 words', () => {
    const r = parseResult('  SAT \r\n(( X_0   1 )\r\n(X_1 -2.5e-3)  (Y_0 inf) (Y_1 -Infinity))\r\n');
    expect(r.result).toBe('sat');
    expect(Array.from(r.counterexample!.input)).toEqual([1, -2.5e-3]);
    expect(Array.from(r.counterexample!.output)).toEqual([Infinity, -Infinity]);
    expect(Number.isNaN(parseResult('sat\n((X_0 nan))').counterexample!.input[0])).toBe(true);
    expect(parseResult('holds\n').result).toBe('unsat');
    expect(parseResult('violated').result).toBe('sat');
    expect(parseResult('\n\nunsat\n\n')).toEqual({ result: 'unsat', counterexample: null });
    expect(parseResult('sat\n')).toEqual({ result: 'sat', counterexample: null });
    expect(parseResult('sat\n((X_0 1.0) (Y_0 2.0))').counterexample!.output[0]).toBe(2);
  });

  it('rejects malformed files with a ResultFormatError', () => {
    const bad = [
      '',
      '   \n',
      'maybe\n',
      'unsat\n((X_0 1))',
      'sat\n(X_0 1)',
      'sat\n((X_0 1) (X_2 3))',
      'sat\n((X_0 1) (Y_1 3))',
      'sat\n((Z_0 1))',
      'sat\n((X_0))',
      'sat\n((X_0 1 2))',
      'sat\n((X_0 abc))',
      'sat\n((X_0 0x10))',
      'sat\n((X_0 1)',
    ];
    for (const t of bad) expect(() => parseResult(t), JSON.stringify(t)).toThrow(ResultFormatError);
  });
});

describe('writeResultFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lipcert-vnncomp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the whole text, replaces an old file, leaves no temporary file', () => {
    const p = join(dir, 'out.txt');
    writeFileSync(p, 'stale content that is longer than the new one\n');
    writeResultFile(p, formatResult(SAT));
    expect(readFileSync(p, 'utf8')).toBe(formatResult(SAT));
    writeResultFile(p, 'unsat\n');
    expect(readFileSync(p, 'utf8')).toBe('unsat\n');
    expect(readdirSync(dir)).toEqual(['out.txt']);
  });

  it('fails (without creating anything) when the folder does not exist', () => {
    const p = join(dir, 'missing', 'out.txt');
    expect(() => writeResultFile(p, 'unsat\n')).toThrow();
    expect(existsSync(p)).toBe(false);
  });
});
