/**
 * `lipcert lipschitz` end to end (the built CLI, as a user runs it): the JSON shape, a union of
 * VNN-LIB boxes (one constant per box), the parameter mode, the plot (rendered to PNG, not
 * blank), and bad input (exit 2 with one line, no plot file).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { stringifyJsonModel } from '../../src/net/json.js';
import { REPO_ROOT } from '../helpers/benchmarks.js';
import { randomDense } from '../helpers/random_net.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const DIR = mkdtempSync(join(tmpdir(), 'lipcert-lip-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const file = (name: string, text: string) => { const p = join(DIR, name); writeFileSync(p, text); return p; };

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

const MODEL = file('net.json', stringifyJsonModel(randomDense({ seed: 4, inputs: 2, widths: [8, 8], outputs: 3, act: 'Relu' })));
const LINEAR = (() => {
  const spec = randomDense({ seed: 2, inputs: 3, widths: [], outputs: 2, act: 'Relu' });
  return file('linear.json', stringifyJsonModel(spec));
})();
const BOX = file('box.json', JSON.stringify({ lo: [-1, -0.5], hi: [0.5, 1] }));
const UNION = file('union.vnnlib', `(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n(declare-const Y_2 Real)\n(assert (or (and (>= X_0 -1) (<= X_0 0) (>= X_1 0) (<= X_1 1)) (and (>= X_0 0.5) (<= X_0 1) (>= X_1 -1) (<= X_1 -0.5))))\n(assert (>= Y_0 Y_1))\n`);

describe('lipcert lipschitz', () => {
  it('prints {lower, upper, norm, witness: [x, x′], time_s} for a box, closed to eps', async () => {
    const r = await run(['lipschitz', MODEL, BOX, '--objective', '1,-1,0', '--norm', '2', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['lower', 'upper', 'norm', 'witness', 'time_s', 'certified']));
    expect(j.norm).toBe('2');
    expect(j.lower).toBeLessThanOrEqual(j.upper);
    expect(j.upper - j.lower).toBeLessThanOrEqual(0.01 * j.upper);
    expect(j.witness).toHaveLength(2);
    expect(j.witness[0]).toHaveLength(2);
    expect(j.certified).toBe(true);
  });

  it('a VNN-LIB union gives one constant per box ("boxes")', async () => {
    const r = await run(['lipschitz', MODEL, '--vnnlib', UNION, '--output', '1', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.boxes).toHaveLength(2);
    for (const b of j.boxes) expect(b.lower).toBeLessThanOrEqual(b.upper);
    expect(j.lower).toBeUndefined();
  });

  it('no region: the global bound; --wrt params on a linear model: max ‖x‖₂', async () => {
    const g = await run(['lipschitz', MODEL, '--output', '0', '--json']);
    expect(g.code).toBe(0);
    const jg = JSON.parse(g.stdout);
    expect(jg.upper).toBe(jg.global);
    const box = file('box3.json', JSON.stringify({ lo: [-1, 0, 2], hi: [0.5, 1, 3] }));
    const p = await run(['lipschitz', LINEAR, box, '--wrt', 'params', '--output', '0', '--json']);
    expect(p.code).toBe(0);
    const jp = JSON.parse(p.stdout);
    // Gemm with a bias: the gradient w.r.t. (w_0, b_0) is (x, 1), so the constant is √(max‖x‖² + 1).
    const exact = Math.sqrt(1 + 1 + 9 + 1);
    expect(Math.abs(jp.upper - exact) / exact).toBeLessThan(1e-9);
    expect(Math.abs(jp.lower - exact) / exact).toBeLessThan(1e-9);
  });

  it('--plot draws lower and upper against time (an SVG that renders to a non-blank PNG)', async () => {
    const out = join(DIR, 'lip.svg');
    const r = await run(['lipschitz', MODEL, BOX, '--output', '0', '--plot', out, '--quiet']);
    expect(r.code).toBe(0);
    const svg = readFileSync(out, 'utf8');
    const png = new Resvg(svg, { background: 'white' }).render();
    const px = png.pixels;
    let dark = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] < 200 || px[i + 1] < 200 || px[i + 2] < 200) dark++;
    expect(dark).toBeGreaterThan(500);
  });

  it('bad input exits 2 with one line and writes no plot', async () => {
    const plot = join(DIR, 'never.svg');
    const cases: [string[], RegExp][] = [
      [['lipschitz', MODEL, BOX, '--output', '0', '--eps', '0', '--plot', plot], /--eps/],
      [['lipschitz', MODEL, BOX, '--output', '0', '--eps', '-1'], /--eps/],
      [['lipschitz', MODEL, BOX, '--output', '0', '--norm', '3'], /norm/],
      [['lipschitz', MODEL, BOX, '--objective', '1,2'], /3 outputs/],
      [['lipschitz', MODEL, BOX, '--output', '7'], /out of range/],
      [['lipschitz', MODEL, BOX], /--output/],
      [['lipschitz', MODEL, file('bad.json', JSON.stringify({ lo: [0, 1], hi: [1, 0] })), '--output', '0'], /lo > hi/],
      [['lipschitz', MODEL, file('dim.json', JSON.stringify({ lo: [0], hi: [1] })), '--output', '0', '--plot', plot], /2 inputs/],
      [['lipschitz', MODEL, BOX, '--output', '0', '--wrt', 'weights'], /--wrt/],
      [['lipschitz', MODEL, BOX, '--wrt', 'params', '--of', 'loss-grad', '--target', '0,0,0'], /can change state/],
      [['lipschitz', MODEL, BOX, '--wrt', 'params', '--of', 'loss', '--loss', 'ce'], /--label/],
      [['lipschitz', MODEL, BOX, '--output', '0', '--plot', join(DIR, 'x.png')], /SVG/],
      [['lipschitz', MODEL, BOX, '--wrt', 'params', '--output', '0', '--plot', plot], /--plot applies only with --wrt input/],
    ];
    for (const [args, re] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
    expect(existsSync(plot)).toBe(false);
  }, 60_000);
});
