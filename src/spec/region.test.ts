import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../net/op.js';
import { Rng } from '../util/rng.js';
import { nextDown, nextUp } from '../util/float.js';
import { parseVnnlib } from './vnnlib.js';
import { ballRegion, boxRegion, parseDomain, parseNorm, readBoxFile, regionToBatch, vnnlibRegions, type Region } from './region.js';

const DIR = mkdtempSync(join(tmpdir(), 'lipcert-region-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
let counter = 0;
function file(text: string): string {
  const p = join(DIR, `box_${counter++}.json`);
  writeFileSync(p, text);
  return p;
}

/** Expect an InputError whose one-line message matches `re`. */
function expectInputError(fn: () => unknown, re: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an InputError').toBeInstanceOf(InputError);
  const msg = (err as Error).message;
  expect(msg).not.toContain('\n');
  expect(msg).toMatch(re);
}

// ---- exact rational arithmetic on doubles (BigInt fractions) -------------------------------

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
/** x = num / 2^-exp2 exactly: returns [numerator, power of two of the denominator]. */
function exact(x: number): { num: bigint; den: bigint } {
  f64[0] = x;
  const bits = u64[0];
  const sign = bits >> 63n ? -1n : 1n;
  const e = Number((bits >> 52n) & 0x7ffn);
  const m = bits & ((1n << 52n) - 1n);
  // value = mant · 2^(E − 1075)
  const mant = e === 0 ? m : m | (1n << 52n);
  const E = e === 0 ? 1 : e;
  const shift = E - 1075;
  if (shift >= 0) return { num: sign * (mant << BigInt(shift)), den: 1n };
  return { num: sign * mant, den: 1n << BigInt(-shift) };
}
/** Compare a + s·b with c exactly (s = ±1): returns sign of (a + s·b) − c. */
function cmpSum(a: number, s: 1 | -1, b: number, c: number): number {
  const A = exact(a), B = exact(b), C = exact(c);
  const lhs = A.num * B.den * C.den + BigInt(s) * B.num * A.den * C.den;
  const rhs = C.num * A.den * B.den;
  return lhs > rhs ? 1 : lhs < rhs ? -1 : 0;
}

describe('readBoxFile', () => {
  it('reads a flat and a nested box', () => {
    const r = readBoxFile(file('{"lo":[0,-1,2.5],"hi":[1,-1,3]}'));
    expect(r.kind).toBe('box');
    if (r.kind !== 'box') return;
    expect(Array.from(r.lo)).toEqual([0, -1, 2.5]);
    expect(Array.from(r.hi)).toEqual([1, -1, 3]);
    const n = readBoxFile(file('{"lo":[[0,1],[2,3]],"hi":[[1,2],[3,4]]}'));
    if (n.kind !== 'box') throw new Error('not a box');
    expect(Array.from(n.lo)).toEqual([0, 1, 2, 3]);
    expect(Array.from(n.hi)).toEqual([1, 2, 3, 4]);
  });

  it('rejects bad files with one-line messages naming the file and the fault', () => {
    const missing = join(DIR, 'no-such-file.json');
    expectInputError(() => readBoxFile(missing), /no-such-file\.json: cannot read the box file \(ENOENT\)/);
    let p = file('{"lo": [0, 1], "hi": [1, ');
    expectInputError(() => readBoxFile(p), new RegExp(`${p.replace(/[.\\]/g, '\\$&')}: the box file is not valid JSON`));
    p = file('[0, 1]');
    expectInputError(() => readBoxFile(p), /expected a JSON object/);
    p = file('{"lo": [0, 1]}');
    expectInputError(() => readBoxFile(p), /no "hi" array/);
    p = file('{"hi": [0, 1]}');
    expectInputError(() => readBoxFile(p), /no "lo" array/);
    p = file('{"lo": 0, "hi": [1]}');
    expectInputError(() => readBoxFile(p), /"lo" must be an array/);
    p = file('{"lo": [0, 1], "hi": [1, 2, 3]}');
    expectInputError(() => readBoxFile(p), /"lo" has 2 values but "hi" has 3/);
    p = file('{"lo": [0, "x"], "hi": [1, 2]}');
    expectInputError(() => readBoxFile(p), /"lo": entry 1 \("x"\) is not a number/);
    p = file('{"lo": [0, 1], "hi": [1, null]}');
    expectInputError(() => readBoxFile(p), /"hi": entry 1 \(null\) is not a number/);
    p = file('{"lo": [0, 1, 2], "hi": [1, 2, 1e999]}');
    expectInputError(() => readBoxFile(p), /"hi": entry 2 \(Infinity\) is not a finite number/);
    p = file('{"lo": [0, 5, 2], "hi": [1, 2, 3]}');
    expectInputError(() => readBoxFile(p), /box_\d+\.json: lo > hi at entry 1 \(5 > 2\)/);
    p = file('{"lo": [], "hi": []}');
    expectInputError(() => readBoxFile(p), /no values/);
  });
});

describe('ballRegion / parseDomain / parseNorm', () => {
  it('validates radius, norm, centre and domain', () => {
    expect(ballRegion([0, 1], 0.5, 'inf').kind).toBe('ball');
    expectInputError(() => ballRegion([0, 1], -0.1), /radius \(-0\.1\) is negative/);
    expectInputError(() => ballRegion([0, 1], NaN), /radius \(NaN\) is not a finite number/);
    expectInputError(() => ballRegion([0, 1], Infinity), /not a finite number/);
    expectInputError(() => ballRegion([0, NaN], 1), /centre: entry 1 \(NaN\)/);
    expectInputError(() => ballRegion([], 1), /empty/);
    expectInputError(() => ballRegion([0], 1, '3'), /unknown norm '3'/);
    expect(parseNorm('inf')).toBe('inf');
    expect(parseNorm(2)).toBe('2');
    expect(parseNorm('L1')).toBe('1');
    const d = parseDomain('0:1', 3);
    expect(Array.from(d.lo)).toEqual([0, 0, 0]);
    expect(Array.from(d.hi)).toEqual([1, 1, 1]);
    expect(Array.from(parseDomain('-2.5 : 1e-3', 1).lo)).toEqual([-2.5]);
    expectInputError(() => parseDomain('0', 2), /expected lo:hi/);
    expectInputError(() => parseDomain('0:', 2), /expected lo:hi/);
    expectInputError(() => parseDomain('a:1', 2), /finite numbers/);
    expectInputError(() => parseDomain('1:0', 2), /lo > hi/);
    expectInputError(() => ballRegion([0, 1], 1, 'inf', { lo: [0], hi: [1] }), /domain has 1 values; the centre has 2/);
  });
});

describe('regionToBatch', () => {
  it('passes a box through and checks its dimension', () => {
    const r = boxRegion([0, 1, 2], [1, 1, 3]);
    const b = regionToBatch(r, 3);
    expect(b.batch).toBe(1);
    expect(Array.from(b.lo)).toEqual([0, 1, 2]);
    expect(Array.from(b.hi)).toEqual([1, 1, 3]);
    expect(b.ball).toBeUndefined();
    expectInputError(() => regionToBatch(r, 5), /^the region has 3 values; the network takes 5 inputs$/);
    expectInputError(() => boxRegion([0, 2], [1, 1]), /lo > hi at entry 1/);
    const bad: Region = { kind: 'box', lo: Float64Array.of(0, NaN), hi: Float64Array.of(1, 1) };
    expectInputError(() => regionToBatch(bad, 2), /entry 1 is NaN/);
  });

  it('rounds the ball hull outward: lo ≤ c − r and hi ≥ c + r exactly, and at most one ulp away', () => {
    const rng = new Rng(7);
    const centers: number[] = [0, -0, 1, 0.1, -0.3, 1e-300, 5e-324, 123456.789, -1e10];
    const radii: number[] = [0, 0.1, 1 / 3, 1e-17, 2.5e-8, 1, 1e-320];
    for (let k = 0; k < 60; k++) {
      centers.push((rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 12 - 6));
      radii.push(rng.next() * 10 ** Math.floor(rng.next() * 12 - 8));
    }
    for (const r of radii) {
      for (const norm of ['inf', '2', '1'] as const) {
        const region = ballRegion(centers, r, norm);
        const b = regionToBatch(region, centers.length);
        expect(b.ball).toBeDefined();
        expect(b.ball!.norm).toBe(norm);
        expect(b.ball!.radius).toBe(r);
        expect(Array.from(b.ball!.center)).toEqual(centers.map((c) => c));
        for (let i = 0; i < centers.length; i++) {
          const c = centers[i];
          const at = `c=${c}, r=${r}, norm ${norm}`;
          // lo ≤ c − r  and  hi ≥ c + r, compared in exact rational arithmetic
          const sl = cmpSum(c, -1, r, b.lo[i]), sh = cmpSum(c, 1, r, b.hi[i]);
          if (sl < 0) throw new Error(`lo ${b.lo[i]} > c − r at ${at}`);
          if (sh > 0) throw new Error(`hi ${b.hi[i]} < c + r at ${at}`);
          // and tight: the next double inward is no longer valid (unless the bound is exact)
          if (sl !== 0 && cmpSum(c, -1, r, nextUp(b.lo[i])) >= 0) throw new Error(`lo not tight at ${at}`);
          if (sh !== 0 && cmpSum(c, 1, r, nextDown(b.hi[i])) <= 0) throw new Error(`hi not tight at ${at}`);
        }
      }
    }
  });

  it('is exact when c ± r is representable', () => {
    const b = regionToBatch(ballRegion([0.5, -1], 0.25, '2'), 2);
    expect(Array.from(b.lo)).toEqual([0.25, -1.25]);
    expect(Array.from(b.hi)).toEqual([0.75, -0.75]);
    const z = regionToBatch(ballRegion([0.1, 3], 0), 2);
    expect(Array.from(z.lo)).toEqual([0.1, 3]);
    expect(Array.from(z.hi)).toEqual([0.1, 3]);
  });

  it('intersects the hull with the domain and rejects an empty intersection', () => {
    const b = regionToBatch(ballRegion([0, 0.5, 1, 1.2], 0.25, 'inf', '0:1'), 4);
    expect(Array.from(b.lo)).toEqual([0, 0.25, 0.75, 0.95]);
    expect(Array.from(b.hi)).toEqual([0.25, 0.75, 1, 1]);
    expect(b.ball!.radius).toBe(0.25);
    // touching the domain at one point is not empty
    const t = regionToBatch(ballRegion([1.5], 0.5, '1', '0:1'), 1);
    expect(Array.from(t.lo)).toEqual([1]);
    expect(Array.from(t.hi)).toEqual([1]);
    expectInputError(() => regionToBatch(ballRegion([0.5, 2], 0.5, 'inf', '0:1'), 2), /does not meet the domain at entry 1/);
    expectInputError(() => regionToBatch(ballRegion([0.5, 2], 0.5), 3), /^the region has 2 values; the network takes 3 inputs$/);
  });
});

describe('vnnlibRegions', () => {
  it('turns every disjunct into a box region with its polytopes', () => {
    const prop = parseVnnlib(`
      (declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) (declare-const Y_1 Real)
      (assert (or (and (>= X_0 0) (<= X_0 0.5) (>= X_1 -1) (<= X_1 1) (<= Y_0 Y_1))
                  (and (>= X_0 0.5) (<= X_0 1) (>= X_1 -1) (<= X_1 1) (<= Y_1 Y_0))))`);
    const rs = vnnlibRegions(prop);
    expect(rs.length).toBe(2);
    const b0 = regionToBatch(rs[0].region, 2), b1 = regionToBatch(rs[1].region, 2);
    expect(Array.from(b0.lo)).toEqual([0, -1]);
    expect(Array.from(b0.hi)).toEqual([0.5, 1]);
    expect(Array.from(b1.lo)).toEqual([0.5, -1]);
    expect(Array.from(b1.hi)).toEqual([1, 1]);
    expect(rs[0].polytopes[0].rows).toBe(1);
    expect(rs[1].polytopes.length).toBe(1);
  });
});
