/**
 * Vectors as users type them: a value that starts with a minus sign works after every vector
 * option, with a space or with `=`, and as a positional number. Unit tests of the argv
 * protection, then each vector option of the CLI run end to end.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseVector, protectNegativeValues, restoreNegativeValues } from '../../src/cli/argv.js';
import { forward } from '../../src/net/forward.js';
import { readModel } from '../../src/net/io.js';
import { REPO_ROOT } from '../helpers/benchmarks.js';
import { encodeOnnx } from '../../src/net/onnx.js';
import { outputShapes, randomDense } from '../helpers/random_net.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const MNIST = join(REPO_ROOT, 'examples', 'mnist-relu-64-32.onnx');
const DIR = mkdtempSync(join(tmpdir(), 'lipcert-argv-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

describe('argv protection', () => {
  it('keeps lone numbers as numbers and protects vectors', () => {
    expect(protectNegativeValues(['--input', '-0.3,0.2', '--radius', '-1', '-.5', '--json', '-1e-3'])).toEqual(['--input', '\u22120.3,0.2', '--radius', '-1', '-0.5', '--json', '-0.001']);
    expect(protectNegativeValues(['-h', '--', '-1,2'])).toEqual(['-h', '--', '-1,2']);
    expect(restoreNegativeValues('\u22120.3,0.2')).toBe('-0.3,0.2');
    expect(restoreNegativeValues(['\u22121', 'a'])).toEqual(['-1', 'a']);
    expect(Array.from(parseVector('\u22120.5, 1 -2', 'v'))).toEqual([-0.5, 1, -2]);
  });
});

/** A 784-vector of small values starting with a negative one, as text. */
const vec = Array.from({ length: 784 }, (_, i) => (i % 7 === 0 ? -0.1 : 0.01 * (i % 5)));
const vecText = vec.map(String).join(',');

describe('every vector option accepts a leading minus, with or without =', () => {
  const want = Array.from(forward(readModel(MNIST), Float64Array.from(vec)));
  for (const form of ['space', 'equals'] as const) {
    it(`eval --input (${form})`, async () => {
      const args = form === 'space' ? ['--input', vecText] : [`--input=${vecText}`];
      const r = await run(['eval', MNIST, ...args, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).output).toEqual(want);
    });
    it(`bounds --center (${form})`, async () => {
      const args = form === 'space' ? ['--center', vecText] : [`--center=${vecText}`];
      const r = await run(['bounds', MNIST, ...args, '--radius', '0', '--json', '--method', 'ibp']);
      expect(r.code, r.stderr).toBe(0);
      const b = JSON.parse(r.stdout);
      for (let j = 0; j < 10; j++) expect(b.lower[j] <= want[j] && want[j] <= b.upper[j]).toBe(true);
    });
  }
  it('a negative lone number after a number option is its value', async () => {
    const r = await run(['bounds', MNIST, '--center', vecText, '--radius', '-1', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/radius/);
  });
  it('a vector file written with a leading minus reads the same', async () => {
    const f = join(DIR, 'x.json');
    writeFileSync(f, JSON.stringify(vec));
    const r = await run(['eval', MNIST, '--input-file', f, '--json']);
    expect(JSON.parse(r.stdout).output).toEqual(want);
  });
});

describe.concurrent('the analyses\' vector options accept a leading minus, with or without =', () => {
  // A small 3-input, 2-output ReLU network: every command finishes in a moment on it.
  const spec = randomDense({ seed: 3, inputs: 3, widths: [6], outputs: 2, act: 'Relu' });
  const model = join(DIR, 'tiny.onnx');
  writeFileSync(model, encodeOnnx(spec, outputShapes(spec)));
  const c = '-0.2,0.1,-0.3';
  const cases: { cmd: string; opt: string; value: string; rest: string[] }[] = [
    { cmd: 'reach', opt: 'center', value: c, rest: ['--radius', '0.1', '--output', '0', '--eps', '0.01'] },
    { cmd: 'reach', opt: 'objective', value: '-1,1', rest: ['--center', '0,0,0', '--radius', '0.1', '--eps', '0.01'] },
    { cmd: 'reach', opt: 'at', value: c, rest: ['--center', '0,0,0', '--radius', '0.5', '--free', '1', '--output', '0', '--eps', '0.01'] },
    { cmd: 'lipschitz', opt: 'center', value: c, rest: ['--radius', '0.1', '--output', '0', '--timeout', '5'] },
    { cmd: 'lipschitz', opt: 'objective', value: '-1,1', rest: ['--center', '0,0,0', '--radius', '0.1', '--timeout', '5'] },
    { cmd: 'lipschitz', opt: 'target', value: '-1,0.5', rest: ['--center', '0,0,0', '--radius', '0.1', '--wrt', 'params', '--of', 'loss', '--loss', 'mse'] },
    { cmd: 'radius', opt: 'point', value: c, rest: ['--timeout', '5', '--eps', '0.01'] },
    { cmd: 'regions', opt: 'center', value: c, rest: ['--radius', '0.1', '--sample', '20'] },
    { cmd: 'regions', opt: 'at', value: c, rest: [] },
    { cmd: 'relu', opt: 'center', value: c, rest: ['--radius', '0.1', '--method', 'crown'] },
  ];
  for (const k of cases) {
    for (const form of ['space', 'equals'] as const) {
      it(`${k.cmd} --${k.opt} (${form})`, async () => {
        const opt = form === 'space' ? [`--${k.opt}`, k.value] : [`--${k.opt}=${k.value}`];
        const r = await run([k.cmd, model, ...opt, ...k.rest, '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect(() => JSON.parse(r.stdout)).not.toThrow();
      });
    }
  }
});
