import { describe, expect, it } from 'vitest';
import { branchAndBound, type BnbProblem, type BoundedDomain } from './bnb.js';

/** Minimise f(x) = (x − c)² − m over [a, b] with the exact interval bound: a toy domain type. */
function toy(c: number, m: number): BnbProblem<[number, number]> {
  const lower = ([a, b]: [number, number]) => (c < a ? (a - c) ** 2 : c > b ? (c - b) ** 2 : 0) - m;
  const bound = (d: [number, number]): BoundedDomain<[number, number]> => ({ domain: d, lower: lower(d) });
  return {
    roots: async () => [bound([-10, 10])],
    async expand(parents) {
      const children: BoundedDomain<[number, number]>[] = [];
      for (const p of parents) {
        const [a, b] = p.domain, mid = (a + b) / 2;
        // A witness: the midpoint's value is ≤ 0.
        if ((mid - c) ** 2 - m <= 0) return { children: [], witness: mid };
        children.push(bound([a, mid]), bound([mid, b]));
      }
      return { children };
    },
  };
}

describe('branchAndBound', () => {
  it('proves a positive minimum and reports a sound global bound', async () => {
    const r = await branchAndBound(toy(3, -0.5));
    expect(r.outcome).toBe('proved');
    expect(r.stats.globalLower).toBeGreaterThan(0);
    expect(r.stats.globalLower).toBeLessThanOrEqual(0.5);
  });
  it('finds a witness when the minimum is negative', async () => {
    const r = await branchAndBound(toy(2.7, 0.01));
    expect(r.outcome).toBe('found');
    expect(((r.witness as number) - 2.7) ** 2 - 0.01).toBeLessThanOrEqual(0);
  });
  it('stops with timeout at once when the problem reports that no parent fits before the deadline (parents stay open)', async () => {
    let calls = 0;
    const slow: BnbProblem<number> = {
      roots: async () => [{ domain: 0, lower: -1 }, { domain: 1, lower: -2 }],
      expand: async (ps) => { calls++; return { children: ps, outOfTime: true }; },
    };
    const t0 = performance.now();
    const r = await branchAndBound(slow, { deadline: performance.now() + 60_000 });
    expect(r.outcome).toBe('timeout');
    expect(calls).toBe(1);
    expect(r.stats.open).toBe(2);
    expect(r.stats.globalLower).toBe(-2);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
  it('stops at the deadline with the best bound so far, and at the memory cap', async () => {
    const never: BnbProblem<number> = {
      roots: async () => [{ domain: 0, lower: -1 }],
      expand: async (ps) => ({ children: ps.flatMap((p) => [{ domain: p.domain + 1, lower: -1 }, { domain: p.domain + 1, lower: -1 }]) }),
    };
    // The deadline case on a search whose open set never grows (one child per parent): `never`
    // reaches the default memory cap (500,000 open) in ~0.55 s here, so a machine ~3× faster
    // would stop it by memory before a 200 ms deadline. Only the deadline can stop this one.
    const flat: BnbProblem<number> = {
      roots: async () => [{ domain: 0, lower: -1 }],
      expand: async (ps) => ({ children: ps.map((p) => ({ domain: p.domain + 1, lower: -1 })) }),
    };
    const t = await branchAndBound(flat, { deadline: performance.now() + 200 });
    expect(t.outcome).toBe('timeout');
    expect(t.stats.globalLower).toBe(-1);
    const m = await branchAndBound(never, { maxOpen: 1000 });
    expect(m.outcome).toBe('memory');
  });
  it('dives by known values without changing what a proof expands', async () => {
    // The toy with each domain's midpoint value as `upper`: a proof must expand the same domains
    // whatever the order, and the open count and global bound stay exact.
    const withUpper = (c: number, m: number): BnbProblem<[number, number]> => {
      const base = toy(c, m);
      const tag = (d: BoundedDomain<[number, number]>) => ({ ...d, upper: ((d.domain[0] + d.domain[1]) / 2 - c) ** 2 - m });
      return {
        roots: async () => (await base.roots()).map(tag),
        expand: async (ps, sig) => {
          const r = await base.expand(ps, sig);
          return { ...r, children: r.children.map(tag) };
        },
      };
    };
    const plain = await branchAndBound(withUpper(3, -0.5), { diveFraction: 0, batch: 4 });
    const dived = await branchAndBound(withUpper(3, -0.5), { diveFraction: 0.5, batch: 4 });
    expect(dived.outcome).toBe('proved');
    expect(dived.stats.visited).toBe(plain.stats.visited);
    expect(dived.stats.globalLower).toBe(plain.stats.globalLower);
    const found = await branchAndBound(withUpper(2.7, 0.01), { diveFraction: 0.5, batch: 4 });
    expect(found.outcome).toBe('found');
  });
  it('pipelines batches: a proof expands the same domains, and the bound counts batches in flight', async () => {
    // f(x) = min((x − 3)², (x + 3)²) + 0.05 on [−10, 10] with a loose bound (exact minimum −
    // 0.3·width), whose expand resolves after a timer (as with worker threads); two batches in flight.
    const sq = (c: number, a: number, b: number) => (c < a ? (a - c) ** 2 : c > b ? (c - b) ** 2 : 0);
    const lower = ([a, b]: [number, number]) => Math.min(sq(3, a, b), sq(-3, a, b)) + 0.05 - 0.3 * (b - a);
    const bound = (d: [number, number]): BoundedDomain<[number, number]> => ({ domain: d, lower: lower(d) });
    const base: BnbProblem<[number, number]> = {
      roots: async () => [bound([-10, 10])],
      expand: async (ps) => ({ children: ps.flatMap((p) => [bound([p.domain[0], (p.domain[0] + p.domain[1]) / 2]), bound([(p.domain[0] + p.domain[1]) / 2, p.domain[1]])]) }),
    };
    let inFlight = 0, maxInFlight = 0;
    const seen: number[] = [];
    const slow: BnbProblem<[number, number]> = {
      roots: base.roots,
      expand: async (ps, sig) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        return base.expand(ps, sig);
      },
    };
    const plain = await branchAndBound(base, { batch: 2 });
    expect(plain.stats.visited).toBeGreaterThan(20);
    const piped = await branchAndBound(slow, { batch: 2, pipeline: 2 }, undefined, (st) => seen.push(st.globalLower));
    expect(piped.outcome).toBe('proved');
    expect(maxInFlight).toBe(2);
    expect(piped.stats.visited).toBe(plain.stats.visited);
    expect(piped.stats.globalLower).toBe(plain.stats.globalLower);
    // The exact minimum is 0.05: every reported global bound is a lower bound of it; and since a
    // child's bound is never below its parent's here, the true global bound never decreases
    // (leaving the parents of a batch in flight out of it would make it jump up, then down).
    for (const g of seen) expect(g).toBeLessThanOrEqual(0.05);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    // Stopped mid-search, the parents of both batches in flight are back in the open count.
    const never: BnbProblem<number> = {
      roots: async () => [{ domain: 0, lower: -1 }],
      expand: async (ps) => {
        await new Promise((r) => setTimeout(r, 5));
        return { children: ps.flatMap((p) => [{ domain: p.domain + 1, lower: -1 }, { domain: p.domain + 1, lower: -1 }]) };
      },
    };
    const t = await branchAndBound(never, { deadline: performance.now() + 100, pipeline: 2, batch: 2 });
    expect(t.outcome).toBe('timeout');
    expect(t.stats.globalLower).toBe(-1);
  });
});
