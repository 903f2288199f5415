import { describe, expect, it } from 'vitest';
import type { Network } from '../net/network.js';
import { releasePooledBuffers } from '../util/buffer_pool.js';
import { boundBoxes, stackDisjunct, type BoxBatchResult, type BoxDomain } from '../search/box_bounding.js';
import type { PropertyDisjunct } from '../spec/property.js';
import { Rng } from '../util/rng.js';
import { buildFromSpec, randomDense, randomResidual } from '../../test/helpers/random_net.js';

/** Everything a bounded box carries that later steps read, as one flat list of numbers. */
function fingerprint(r: BoxBatchResult, k: number): number[] {
  const b = r.bounded[k];
  const out = [b.lower, ...b.domain.polyLower, ...(b.domain.branchA ?? [])];
  const nodes = b.domain.nodes!;
  for (const a of [...nodes.lo, ...nodes.hi]) if (a) out.push(...a);
  const c = r.candidates[k];
  if (c) out.push(...c);
  return out;
}

/** Bit-identical (NaN equals NaN, −0 differs from 0). */
function sameBits(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

function subBoxes(rng: Rng, lo: Float64Array, hi: Float64Array, count: number, parent?: BoxDomain): BoxDomain[] {
  const n = lo.length;
  return Array.from({ length: count }, () => {
    const a = new Float64Array(n), b = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const w = (hi[i] - lo[i]) * [1, 0.5, 0.1, 0.02][rng.int(4)];
      a[i] = lo[i] + rng.next() * (hi[i] - lo[i] - w);
      b[i] = a[i] + w;
    }
    return { lo: a, hi: b, polyLower: Float64Array.of(-Infinity, -Infinity), age: parent ? 1 : 0, depth: parent ? 1 : 0, nodes: parent?.nodes };
  });
}

function shuffled<T>(rng: Rng, xs: T[]): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

describe('bounds of a box do not depend on its batch nor on reused workspaces', () => {

  const nets: [string, Network][] = [
    ['dense', buildFromSpec(randomDense({ seed: 11, inputs: 5, widths: [24, 24, 24, 24], outputs: 4, act: 'Relu' }))],
    ['residual', buildFromSpec(randomResidual({ seed: 12, inputs: 4, width: 16, blocks: 2, outputs: 3 }))],
    ['wide input (backward intermediate bounds)', buildFromSpec(randomDense({ seed: 13, inputs: 24, widths: [20, 20, 20], outputs: 3, act: 'Relu' }))],
  ];

  for (const [name, net] of nets) {
    it(`${name}: bit-identical bounds bounded alone on fresh buffers and in shuffled batches of any size on reused ones`, () => {
      const rng = new Rng(7);
      const n = net.inputSize, m = net.outputSize;
      const lo = new Float64Array(n).fill(-1), hi = new Float64Array(n).fill(1);
      // Two polytopes: y0 is the largest (one row per other output) or y1 ≥ 0.5.
      const C0 = new Float64Array((m - 1) * m), d0 = new Float64Array(m - 1);
      for (let j = 1; j < m; j++) { C0[(j - 1) * m] = -1; C0[(j - 1) * m + j] = 1; }
      const C1 = new Float64Array(m); C1[1] = -1;
      const dj: PropertyDisjunct = { box: { lo, hi }, outputs: [{ C: C0, d: d0, rows: m - 1, numOutputs: m }, { C: C1, d: Float64Array.of(-0.5), rows: 1, numOutputs: m }] };
      const rows = stackDisjunct(dj, m);

      // Reference: one domain at a time; then children of some of them that inherit their bounds.
      const first = subBoxes(rng, lo, hi, 24);
      const firstRes = first.map((d) => boundBoxes(net, rows, [d], 'auto'));
      const children = firstRes.slice(0, 8).flatMap((r) => subBoxes(rng, r.bounded[0].domain.lo, r.bounded[0].domain.hi, 3, r.bounded[0].domain));
      const doms = [...first, ...children];
      const modes: ('auto' | 'forward')[] = doms.map((d) => (d.nodes && rng.next() < 0.5 ? 'forward' : 'auto'));
      // The reference: each domain alone, every pooled buffer dropped first (fresh workspaces);
      // the passes below run on the buffers earlier calls left behind.
      const reference = doms.map((d, k) => {
        releasePooledBuffers();
        return fingerprint(boundBoxes(net, rows, [d], modes[k]), 0);
      });

      for (let pass = 0; pass < 4; pass++) {
        const order = shuffled(rng, doms.map((_, k) => k));
        for (let at = 0; at < order.length; ) {
          const size = 1 + rng.int(9);
          const ids = order.slice(at, at + size);
          at += size;
          // One batch holds domains of one intermediate mode (as the search sends them).
          for (const mode of ['auto', 'forward'] as const) {
            const part = ids.filter((k) => modes[k] === mode);
            if (part.length === 0) continue;
            const res = boundBoxes(net, rows, part.map((k) => doms[k]), mode);
            part.forEach((k, i) => expect(sameBits(fingerprint(res, i), reference[k]), `domain ${k}, pass ${pass}`).toBe(true));
          }
        }
      }
    });
  }
});
