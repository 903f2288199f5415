/**
 * The .nnet reader: the 45 ACAS Xu .nnet files compute the same function as the VNN-COMP ONNX
 * files; the optional normalisation wrapper matches normalising by hand; a tiny hand-written
 * file parses to exactly what it says.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { forward } from '../../src/net/forward.js';
import { readModel } from '../../src/net/io.js';
import { buildNetwork } from '../../src/net/network.js';
import { nnetToGraph, parseNnetText } from '../../src/net/nnet.js';
import { InputError } from '../../src/net/op.js';
import { simplify } from '../../src/net/simplify.js';
import { bench, haveBenchmarks } from '../helpers/benchmarks.js';
import { randomInputs, Rng } from '../helpers/random_net.js';

const HAVE = haveBenchmarks();

function expectNear(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const tol = rel * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`${what}, entry ${i}: got ${actual[i]}, expected ${expected[i]} (|diff| ${Math.abs(actual[i] - expected[i])} > ${tol})`);
    }
  }
}

const SAMPLES = 50;

describe.skipIf(!HAVE)('ACAS Xu: .nnet and ONNX versions', () => {
  for (let i = 1; i <= 5; i++) {
    for (let j = 1; j <= 9; j++) {
      it(`network ${i}_${j}`, () => {
        const nnetPath = bench('acasxu', 'nnet', `ACASXU_experimental_v2a_${i}_${j}.nnet`);
        const onnxPath = bench('acasxu', 'onnx', `ACASXU_run2a_${i}_${j}_batch_2000.onnx`);
        const header = parseNnetText(readFileSync(nnetPath, 'utf8'), nnetPath);
        const nIn = header.layerSizes[0];
        const nOut = header.layerSizes[header.layerSizes.length - 1];
        expect(nIn).toBe(5);
        expect(nOut).toBe(5);
        const rng = new Rng(1000 * i + j);

        // Default mode: the bare network on normalised inputs, same function as the ONNX file.
        const bare = readModel(nnetPath);
        const onnx = readModel(onnxPath);
        expect(bare.inputSize).toBe(5);
        expect(bare.outputSize).toBe(5);
        expect(bare.meta.inputRanges).toBeUndefined();
        const lo = new Float64Array(nIn), hi = new Float64Array(nIn);
        for (let k = 0; k < nIn; k++) {
          lo[k] = (header.inputMin[k] - header.means[k]) / header.ranges[k];
          hi[k] = (header.inputMax[k] - header.means[k]) / header.ranges[k];
        }
        const xn = randomInputs(rng, nIn, SAMPLES, lo, hi, false);
        expectNear(forward(bare, xn, SAMPLES), forward(onnx, xn, SAMPLES), 1e-5, `${i}_${j} .nnet vs ONNX`);

        // Normalising mode: raw inputs in, raw outputs out.
        const normalized = readModel(nnetPath, { nnetNormalize: true });
        const normalizedRaw = buildNetwork(nnetToGraph(header, nnetPath, true));
        expect(Array.from(normalized.meta.inputRanges!.lo)).toEqual(Array.from(header.inputMin));
        expect(Array.from(normalized.meta.inputRanges!.hi)).toEqual(Array.from(header.inputMax));
        const x = randomInputs(rng, nIn, SAMPLES, header.inputMin, header.inputMax, false);
        const byHandIn = new Float64Array(x.length);
        for (let s = 0; s < SAMPLES; s++) {
          for (let k = 0; k < nIn; k++) byHandIn[s * nIn + k] = (x[s * nIn + k] - header.means[k]) / header.ranges[k];
        }
        const y = forward(bare, byHandIn, SAMPLES);
        const outMean = header.means[nIn], outRange = header.ranges[nIn];
        const byHand = y.map((v) => v * outRange + outMean);
        expectNear(forward(normalized, x, SAMPLES), byHand, 1e-9, `${i}_${j} normalised (simplified) vs by hand`);
        expectNear(forward(normalizedRaw, x, SAMPLES), byHand, 1e-9, `${i}_${j} normalised (unsimplified) vs by hand`);
      });
    }
  }
});

describe.skipIf(!HAVE)('ACAS Xu .nnet with normalisation: readModel options', () => {
  it('simplify:false keeps the normalisation ops; the default folds them into the first and last Gemm', () => {
    const p = bench('acasxu', 'nnet', 'ACASXU_experimental_v2a_1_1.nnet');
    const raw = readModel(p, { nnetNormalize: true, simplify: false });
    const ops = raw.nodes.map((n) => n.kind.onnx);
    expect(ops.slice(0, 2)).toEqual(['Sub', 'Div']);
    expect(ops.slice(-2)).toEqual(['Mul', 'Add']);
    const simp = readModel(p, { nnetNormalize: true });
    expect(simp.nodes.map((n) => n.kind.onnx).filter((o) => o !== 'Gemm' && o !== 'Relu')).toEqual([]);
    expect(simp.meta.inputRanges).toBeDefined();
    expect(raw.meta.inputRanges).toBeDefined();
  });
});

const TINY = [
  '// A tiny hand-written network',
  '// second comment line',
  '2,2,1,3,',
  '2,3,1,',
  '0,',
  '-1.0,-2.0,',
  '1.0,2.0,',
  '0.5,0.0,1.0,',
  '2.0,4.0,3.0,',
  '1.0,0.0,',
  '-1.0,1.0,',
  '0.5,0.5,',
  '0.1,',
  '-0.2,',
  '0.3,',
  '1.0,-1.0,2.0,',
  '0.25,',
  '',
].join('\n');

describe('a hand-written .nnet file', () => {
  it('parses every field', () => {
    const n = parseNnetText(TINY, 'tiny.nnet');
    expect(n.layerSizes).toEqual([2, 3, 1]);
    expect(Array.from(n.inputMin)).toEqual([-1, -2]);
    expect(Array.from(n.inputMax)).toEqual([1, 2]);
    expect(Array.from(n.means)).toEqual([0.5, 0, 1]);
    expect(Array.from(n.ranges)).toEqual([2, 4, 3]);
    expect(n.weights.map((w) => Array.from(w))).toEqual([[1, 0, -1, 1, 0.5, 0.5], [1, -1, 2]]);
    expect(n.biases.map((b) => Array.from(b))).toEqual([[0.1, -0.2, 0.3], [0.25]]);
  });

  it('also parses with CRLF line ends and no trailing commas', () => {
    const crlf = TINY.split('\n').map((l) => l.replace(/,$/, '')).join('\r\n');
    expect(parseNnetText(crlf, 'tiny.nnet')).toEqual(parseNnetText(TINY, 'tiny.nnet'));
  });

  it('evaluates to the hand-computed values, bare and normalised', () => {
    const n = parseNnetText(TINY, 'tiny.nnet');
    const bare = buildNetwork(nnetToGraph(n, 'tiny.nnet'));
    const hand = (a: number, b: number) => {
      const h = [Math.max(0, a + 0.1), Math.max(0, -a + b - 0.2), Math.max(0, 0.5 * a + 0.5 * b + 0.3)];
      return h[0] - h[1] + 2 * h[2] + 0.25;
    };
    for (const [a, b] of [[0.3, -0.4], [-0.7, 0.2], [0.05, 0.9]]) {
      expect(forward(bare, Float64Array.of(a, b))[0]).toBeCloseTo(hand(a, b), 14);
    }
    const norm = buildNetwork(nnetToGraph(n, 'tiny.nnet', true));
    for (const simplified of [norm, simplify(norm).net]) {
      for (const [a, b] of [[0.3, -0.4], [-0.7, 1.5], [0.9, 0.9]]) {
        const expected = hand((a - 0.5) / 2, (b - 0) / 4) * 3 + 1;
        expect(forward(simplified, Float64Array.of(a, b))[0]).toBeCloseTo(expected, 13);
      }
    }
  });

  it('rejects a truncated file with an InputError naming the file', () => {
    const cut = TINY.split('\n').slice(0, 12).join('\n');
    expect(() => parseNnetText(cut, 'tiny.nnet')).toThrow(InputError);
    expect(() => parseNnetText(cut, 'tiny.nnet')).toThrow(/tiny\.nnet/);
  });
});
