/**
 * Ordering of the methods: each method's bounds lie inside the cheaper method's —
 * crown ⊆ ibp, alpha ⊆ crown, lp ⊆ crown (lp only when src/bounds/lp.ts exists) — on every
 * row, for ~50 random networks × regions × specification rows, and on the real benchmarks:
 * ACAS Xu 1_1 with the boxes of prop_1..4 and mnist-net_256x2 with prop_0_0.03 (skipped when
 * the benchmark data is absent), where the bounds are also checked against sampled outputs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeBounds, type BatchRegion, type BoundMethod, type BoundsResult } from '../../src/bounds/index.js';
import type { Network } from '../../src/net/network.js';
import { readModel } from '../../src/net/io.js';
import { readVnnlibFile } from '../../src/spec/vnnlib.js';
import { bench, haveBenchmarks, REPO_ROOT } from '../helpers/benchmarks.js';
import {
  checkBounds, evalSamples, randomBall, randomBox, randomBoundsCase, randomRows, samplePoints, stackRegions, type NetFamily, type TestRegion,
} from '../helpers/random_bounds_nets.js';
import { isPiecewiseLinear } from '../helpers/exact.js';
import { Rng } from '../helpers/random_net.js';

const HAVE_LP = existsSync(join(REPO_ROOT, 'src', 'bounds', 'lp.ts'));
if (!HAVE_LP) console.warn('[bounds/order] src/bounds/lp.ts does not exist: the lp method is skipped');
const HAVE_BENCH = haveBenchmarks();

/** Pairs (tighter, looser) whose containment is checked. */
const PAIRS: [string, string][] = [
  ['crown', 'ibp'], ['alpha', 'crown'], ...(HAVE_LP ? [['lp', 'crown'] as [string, string]] : []),
  // CROWN with each intermediate mode forced, and α-CROWN over the same intermediate bounds.
  ['crown[forward]', 'ibp'], ['alpha[forward]', 'crown[forward]'], ['crown[backward]', 'ibp'], ['alpha[backward]', 'crown[backward]'],
];
const METHODS: BoundMethod[] = HAVE_LP ? ['ibp', 'crown', 'alpha', 'lp'] : ['ibp', 'crown', 'alpha'];

/** Rows where `tight` is not inside `loose` (lower_tight ≥ lower_loose, upper_tight ≤ upper_loose), exactly. */
function orderFailures(res: Map<string, BoundsResult>, what: string): string[] {
  const fails: string[] = [];
  for (const [tight, loose] of PAIRS) {
    const t = res.get(tight), l = res.get(loose);
    if (!t || !l) continue;
    for (let i = 0; i < t.lower.length; i++) {
      if (!(t.lower[i] >= l.lower[i])) fails.push(`${what}: row ${i}: ${tight} lower ${t.lower[i]} < ${loose} lower ${l.lower[i]}`);
      if (!(t.upper[i] <= l.upper[i])) fails.push(`${what}: row ${i}: ${tight} upper ${t.upper[i]} > ${loose} upper ${l.upper[i]}`);
    }
  }
  return fails;
}

async function allBounds(net: Network, region: BatchRegion, C?: Float64Array, cOffset?: Float64Array, methods = METHODS): Promise<Map<string, BoundsResult>> {
  const res = new Map<string, BoundsResult>();
  for (const m of methods) res.set(m, await computeBounds({ net, region, C, cOffset }, m));
  for (const mode of ['forward', 'backward'] as const) {
    for (const m of ['crown', 'alpha'] as const) res.set(`${m}[${mode}]`, await computeBounds({ net, region, C, cOffset, intermediate: mode }, m));
  }
  return res;
}

const FAMILIES: NetFamily[] = ['dense-relu', 'dense-relu', 'dense-leaky', 'residual', 'dense-sigmoid', 'dense-tanh', 'normalized', 'conv', 'mixed', 'residual'];

describe('each method lies inside the cheaper one (random networks)', () => {
  const seeds = Array.from({ length: 50 }, (_, i) => i + 1);
  it.each(seeds)('random net #%i: crown ⊆ ibp, alpha ⊆ crown, lp ⊆ crown', async (seed) => {
    const family = FAMILIES[seed % FAMILIES.length];
    const c = randomBoundsCase(9000 + seed, family, { maxWidth: 32, maxLayers: 5 });
    const rng = new Rng(seed);
    const n = c.net.inputSize;
    const fails: string[] = [];
    const boxes = [randomBox(rng, n), randomBox(rng, n)];
    const ball = randomBall(rng, n);
    const rows = seed % 2 === 0 ? randomRows(rng, c.net.outputSize) : { C: undefined, cOffset: undefined };
    for (const [label, region] of [['2 boxes', stackRegions(boxes)], [ball.label, ball.region]] as const) {
      const res = await allBounds(c.net, region, rows.C, rows.cOffset);
      fails.push(...orderFailures(res, `${label}${rows.C ? ' rows C' : ''}`));
    }
    expect(fails, c.label).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Benchmarks

interface BenchCase {
  name: string;
  model: string;
  props: string[];
  samples: number;
  /** Rows of the property given to the LP (all when undefined): each LP on MNIST takes seconds. */
  lpRows?: number;
}

const BENCH_CASES: BenchCase[] = [
  { name: 'ACAS Xu 1_1', model: 'acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx', props: ['prop_1', 'prop_2', 'prop_3', 'prop_4'].map((p) => `acasxu/vnnlib/${p}.vnnlib`), samples: 10_000 },
  { name: 'mnist-net_256x2', model: 'mnistfc/onnx/mnist-net_256x2.onnx', props: ['mnistfc/vnnlib/prop_0_0.03.vnnlib'], samples: 3_000, lpRows: 2 },
];

describe.skipIf(!HAVE_BENCH)('benchmarks: ordering and sampled soundness', () => {
  for (const bc of BENCH_CASES) {
    for (const prop of bc.props) {
      it(`${bc.name}, ${prop.split('/').pop()}`, async () => {
        const net = readModel(bench(bc.model));
        const property = readVnnlibFile(bench(prop), { numInputs: net.inputSize, numOutputs: net.outputSize });
        const { box, outputs } = property.disjuncts[0];
        const region: BatchRegion = { batch: 1, lo: Float64Array.from(box.lo), hi: Float64Array.from(box.hi) };
        // The identity rows, and the property's own rows as C·y − d.
        const m = net.outputSize;
        const specs: { label: string; C?: Float64Array; cOffset?: Float64Array; lp: boolean }[] = [{ label: 'outputs', lp: bc.lpRows === undefined }];
        if (outputs.length > 0) {
          specs.push({ label: 'property rows', C: outputs[0].C, cOffset: outputs[0].d.map((v) => -v), lp: bc.lpRows === undefined });
          if (bc.lpRows !== undefined) {
            const k = Math.min(bc.lpRows, outputs[0].rows);
            specs.push({ label: `first ${k} property rows`, C: outputs[0].C.slice(0, k * m), cOffset: outputs[0].d.slice(0, k).map((v) => -v), lp: true });
          }
        }
        const rng = new Rng(42);
        const reg: TestRegion = { label: prop, region };
        const xs = samplePoints(rng, reg, bc.samples);
        const pwl = isPiecewiseLinear(net);
        const fails: string[] = [];
        for (const s of specs) {
          const methods = s.lp ? METHODS : METHODS.filter((mt) => mt !== 'lp');
          const res = await allBounds(net, region, s.C, s.cOffset, methods);
          fails.push(...orderFailures(res, s.label));
          const smp = evalSamples(net, xs, s.C, s.cOffset);
          for (const [mt, r] of res) fails.push(...checkBounds(net, r, 0, smp, { C: s.C, cOffset: s.cOffset, pwl, nodes: mt !== 'lp', what: `${mt} ${s.label}` }));
        }
        expect(fails).toEqual([]);
      });
    }
  }
});
