import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('matches the xoshiro128** reference stream for state {1,2,3,4}', () => {
    const r = new Rng(0) as unknown as { s0: number; s1: number; s2: number; s3: number; nextUint32(): number };
    r.s0 = 1;
    r.s1 = 2;
    r.s2 = 3;
    r.s3 = 4;
    const got = Array.from({ length: 10 }, () => r.nextUint32());
    expect(got).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it('is deterministic for a given seed', () => {
    const a = new Rng(12345);
    const b = new Rng(12345);
    const sa: number[] = [];
    const sb: number[] = [];
    for (let i = 0; i < 1000; i++) {
      sa.push(a.next(), a.normal(), a.int(17), a.nextUint32());
      sb.push(b.next(), b.normal(), b.int(17), b.nextUint32());
    }
    expect(sa).toEqual(sb);
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const ys = Float64Array.from(xs);
    new Rng(7).shuffle(xs);
    new Rng(7).shuffle(ys);
    expect(Array.from(ys)).toEqual(xs);
  });

  it('gives different streams for different seeds (incl. above 2^32)', () => {
    const seeds = [0, 1, 2, -1, 2 ** 32, 2 ** 32 + 1, 2 ** 40];
    const firsts = seeds.map((s) => new Rng(s).next());
    expect(new Set(firsts).size).toBe(seeds.length);
  });

  it('next() is in [0,1) with mean ~1/2 and variance ~1/12', () => {
    const r = new Rng(1);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
      sq += x * x;
    }
    const mean = sum / n;
    const variance = sq / n - mean * mean;
    expect(outside).toBe(0);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });

  it('next() uses 53 bits (low bits are populated)', () => {
    const r = new Rng(3);
    let lowBitsSeen = 0;
    for (let i = 0; i < 100; i++) {
      const x = r.next() * 2 ** 53;
      expect(Number.isInteger(x)).toBe(true);
      if (x % 2 === 1) lowBitsSeen++;
    }
    expect(lowBitsSeen).toBeGreaterThan(20);
  });

  it('uniform(lo, hi) stays in range', () => {
    const r = new Rng(2);
    let outside = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = r.uniform(-3, 5);
      if (!(x >= -3 && x < 5)) outside++;
    }
    expect(outside).toBe(0);
  });

  it('normal() has mean ~0 and variance ~1', () => {
    const r = new Rng(4);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    let nonFinite = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      if (!Number.isFinite(z)) nonFinite++;
      sum += z;
      sq += z * z;
    }
    const mean = sum / n;
    const variance = sq / n - mean * mean;
    expect(nonFinite).toBe(0);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it('int(n) covers 0..n-1 roughly uniformly and rejects bad n', () => {
    const r = new Rng(5);
    const n = 7;
    const counts = new Array<number>(n).fill(0);
    const draws = 70_000;
    let bad = 0;
    for (let i = 0; i < draws; i++) {
      const k = r.int(n);
      if (!(Number.isInteger(k) && k >= 0 && k < n)) bad++;
      else counts[k]++;
    }
    expect(bad).toBe(0);
    for (const c of counts) expect(Math.abs(c - draws / n)).toBeLessThan(400);
    expect(r.int(1)).toBe(0);
    expect(() => r.int(0)).toThrow(RangeError);
    expect(() => r.int(2.5)).toThrow(RangeError);
    const big = r.int(2 ** 40);
    expect(Number.isInteger(big) && big >= 0 && big < 2 ** 40).toBe(true);
  });

  it('shuffle() permutes arrays and typed arrays', () => {
    const r = new Rng(6);
    const a = Array.from({ length: 100 }, (_, i) => i);
    r.shuffle(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    const t = Int32Array.from({ length: 50 }, (_, i) => i);
    r.shuffle(t);
    expect(Array.from(t).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const empty: number[] = [];
    r.shuffle(empty);
    expect(empty).toEqual([]);
  });

  it('rejects non-finite seeds', () => {
    expect(() => new Rng(Number.NaN)).toThrow(RangeError);
    expect(() => new Rng(Infinity)).toThrow(RangeError);
  });
});
