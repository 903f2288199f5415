/**
 * `lipcert radius` and `lipcert demo` end to end (the built CLI): bad input exits 2 with one
 * line, the JSON shape, a misclassified point, features, plots, and the demo's intervals
 * (every proved radius survives sampling of its clipped L∞ ball).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forward } from '../../src/net/forward.js';
import { readModel, writeModel } from '../../src/net/io.js';
import { buildNetwork } from '../../src/net/network.js';
import { Rng } from '../../src/util/rng.js';
import { REPO_ROOT } from '../helpers/benchmarks.js';
import { layersToSpec, randomLayers } from './helpers.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const DIR = mkdtempSync(join(tmpdir(), 'lipcert-radius-'));
const MODEL = join(DIR, 'net.json');
const net = buildNetwork(layersToSpec(randomLayers(5, [4, 8, 3])));
writeModel(net, MODEL);
const X0 = [0.2, 0.4, 0.6, 0.8];

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }));
  });
}

describe.concurrent('lipcert radius', () => {
  const bad: [string, string[], RegExp][] = [
    ['a point of the wrong length', ['--point', '1,2,3'], /3 values; the network takes 4/],
    ['a point outside the domain', ['--point', '0.2,0.4,0.6,1.5', '--domain', '0:1'], /outside the domain/],
    ['a label out of range', ['--point', X0.join(','), '--label', '3'], /out of range/],
    ['an unknown norm', ['--point', X0.join(','), '--norm', '3'], /unknown norm/],
    ['eps = 0', ['--point', X0.join(','), '--eps', '0'], /--eps/],
    ['eps < 0', ['--point', X0.join(','), '--eps', '-1'], /--eps/],
    ['a CSV row that does not exist', ['--csv', join(DIR, 'points.csv'), '--row', '5'], /no row 5/],
    ['no point', [], /give the point/],
    ['two points', ['--point', X0.join(','), '--input', 'x.json'], /only one point/],
  ];
  writeFileSync(join(DIR, 'points.csv'), `1,${X0.join(',')}\n0,0.1,0.1,0.1,0.1\n`);
  for (const [what, args, msg] of bad) {
    it(`bad input: ${what} → exit 2, one line`, async () => {
      const r = await run('radius', MODEL, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n').length).toBe(1);
      expect(r.stderr).toMatch(msg);
    });
  }

  it('--json: the documented shape; the witness re-checks', async () => {
    const r = await run('radius', MODEL, '--point', X0.join(','), '--norm', '2', '--json', '--timeout', '10');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const k of ['label', 'lower', 'upper', 'adversarial', 'norm', 'certified', 'time_s']) expect(j).toHaveProperty(k);
    expect(j.norm).toBe('2');
    expect(j.lower).toBeLessThanOrEqual(j.upper);
    const y = forward(net, Float64Array.from(j.adversarial));
    expect(Array.from(y).some((v, c) => c !== j.label && v > y[j.label])).toBe(true);
  });

  it('a CSV row with its label column, a point already misclassified for --label: radius 0, the point is the witness, exit 0', async () => {
    const y = forward(net, Float64Array.from(X0));
    const wrong = [0, 1, 2].find((c) => y.some((v, k) => k !== c && v > y[c]))!;
    const r = await run('radius', MODEL, '--csv', join(DIR, 'points.csv'), '--row', '0', '--label', String(wrong), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ lower: 0, upper: 0, adversarial: X0, csv_label: 1 });
    expect(j.note).toMatch(/misclassified/);
  });

  it('--features FILE and --plot (the interval over time for a non-image input)', async () => {
    writeFileSync(join(DIR, 'groups.json'), JSON.stringify({ first: [0, 1], last: [2, 3] }));
    const plot = join(DIR, 'trace.svg');
    const r = await run('radius', MODEL, '--point', X0.join(','), '--domain', '0:1', '--features', join(DIR, 'groups.json'), '--plot', plot, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.features.map((f: any) => f.feature).sort()).toEqual(['first', 'last']);
    for (const f of j.features) {
      expect(f.lower).toBeGreaterThanOrEqual(j.lower);
      if (f.upper !== null) expect(f.upper).toBeGreaterThanOrEqual(f.lower);
    }
    expect(readFileSync(plot, 'utf8')).toMatch(/<svg/);
  });

  it('bad features: a grid on a non-image input, an index out of range → exit 2', async () => {
    const g = await run('radius', MODEL, '--point', X0.join(','), '--features', 'grid:2x2');
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/not an image/);
    writeFileSync(join(DIR, 'bad.json'), JSON.stringify([[0, 9]]));
    const b = await run('radius', MODEL, '--point', X0.join(','), '--features', join(DIR, 'bad.json'));
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/index 9/);
  });

  it('text output on the bundled example with an image plot', async () => {
    const digits = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'mnist-test-digits.json'), 'utf8'));
    const input = join(DIR, 'digit.json');
    writeFileSync(input, JSON.stringify({ input: digits.images[1] }));
    const plot = join(DIR, 'digit.svg');
    const r = await run('radius', join(REPO_ROOT, 'examples', 'mnist-relu-64-32.onnx'), '--input', input, '--domain', '0:1', '--timeout', '5', '--plot', plot, '--quiet');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/lower [\d.e-]+ +\(proved/);
    expect(r.stdout).toMatch(/upper [\d.e-]+ +\(an adversarial example/);
    expect(existsSync(plot)).toBe(true);
    expect(readFileSync(plot, 'utf8')).toMatch(/adversarial/);
  });
});

describe('lipcert demo', () => {
  it('JSON: an interval per digit; every proved radius survives sampling of its clipped L∞ ball', async () => {
    const r = await run('demo', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ norm: 'inf', domain: [0, 1] });
    expect(j.digits.length).toBeGreaterThanOrEqual(3);
    const model = readModel(join(REPO_ROOT, 'examples', 'mnist-relu-64-32.onnx'));
    const digits = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'mnist-test-digits.json'), 'utf8'));
    const rng = new Rng(5);
    for (const d of j.digits) {
      for (const k of ['index', 'label', 'prediction', 'lower', 'upper', 'certified', 'crown_lower', 'time_s']) expect(d).toHaveProperty(k);
      if (d.upper !== null) expect(d.lower).toBeLessThanOrEqual(d.upper);
      if (!(d.lower > 0)) continue;
      const x = digits.images[d.index];
      const N = 200, n = x.length;
      const xs = new Float64Array(N * n);
      for (let s = 0; s < N; s++) for (let i = 0; i < n; i++) {
        const t = s % 2 === 0 ? (rng.next() < 0.5 ? -1 : 1) : 2 * rng.next() - 1;
        xs[s * n + i] = Math.min(1, Math.max(0, x[i] + t * d.lower));
      }
      const ys = forward(model, xs, N);
      for (let s = 0; s < N; s++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (ys[s * 10 + c] > ys[s * 10 + best]) best = c;
        expect(best).toBe(d.label);
      }
    }
  });
});
