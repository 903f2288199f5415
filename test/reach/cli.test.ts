/**
 * `lipcert reach` end to end (the built CLI): the JSON shape, a VNN-LIB union, --free/--at,
 * the plot (rendered to PNG, not blank), the timeout (exit 0 within timeout + 5 s with valid
 * wider intervals), and bad input (exit 2 with one line, no plot file).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { stringifyJsonModel } from '../../src/net/json.js';
import { buildFromSpec, randomDense } from '../helpers/random_net.js';
import { REPO_ROOT } from '../helpers/benchmarks.js';
import { exactExtremes, Q } from '../helpers/exact.js';
import { outputObjective } from '../../src/reach/objective.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const DIR = mkdtempSync(join(tmpdir(), 'lipcert-reach-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const file = (name: string, text: string) => { const p = join(DIR, name); writeFileSync(p, text); return p; };

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string; wall: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr, wall: (performance.now() - t0) / 1000 });
    });
  });
}

const SPEC = randomDense({ seed: 4, inputs: 2, widths: [8, 8], outputs: 3, act: 'Relu' });
const MODEL = file('net.json', stringifyJsonModel(SPEC));
const BOX = file('box.json', JSON.stringify({ lo: [-1, -0.5], hi: [0.5, 1] }));
const UNION = file('union.vnnlib', `(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n(declare-const Y_2 Real)\n(assert (or (and (>= X_0 -1) (<= X_0 0) (>= X_1 0) (<= X_1 1)) (and (>= X_0 0.5) (<= X_0 1) (>= X_1 -1) (<= X_1 -0.5))))\n(assert (>= Y_0 Y_1))\n`);

describe('lipcert reach', () => {
  it('--output j --json: results plus the one result\'s min and max at the top level; exact on a 2-input net', async () => {
    const r = await run(['reach', MODEL, BOX, '--output', '1', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['results', 'eps', 'certified', 'time_s', 'min', 'max', 'objective']));
    expect(j.results).toHaveLength(1);
    expect(j.eps).toBe(1e-3);
    expect(j.certified).toBe(true);
    for (const k of ['lower', 'upper', 'witness']) expect(j.min).toHaveProperty(k);
    const ex = exactExtremes(buildFromSpec(SPEC), [-1, -0.5], [0.5, 1], outputObjective(3, 1).C, new Float64Array(1));
    expect(Q.fromFloat(j.min.lower).le(ex.min[0]) && ex.min[0].le(Q.fromFloat(j.min.upper))).toBe(true);
    expect(Q.fromFloat(j.max.lower).le(ex.max[0]) && ex.max[0].le(Q.fromFloat(j.max.upper))).toBe(true);
    expect(j.min.upper - j.min.lower).toBeLessThanOrEqual(1e-3);
  });

  it('no objective: every output; a VNN-LIB union (output constraints ignored, with a note)', async () => {
    const r = await run(['reach', MODEL, UNION]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/output constraints are ignored/);
    expect(r.stdout).toMatch(/y0 .*min ∈/);
    expect(r.stdout).toMatch(/y2 .*max ∈/);
    const j = JSON.parse((await run(['reach', MODEL, UNION, '--json'])).stdout);
    expect(j.results).toHaveLength(3);
    expect(j.min).toBeUndefined();
  });

  it('--margin, --objective, --free/--at, a ball', async () => {
    const m = JSON.parse((await run(['reach', MODEL, BOX, '--margin', '0', '--json'])).stdout);
    expect(m.objective).toMatch(/margin/);
    expect(m.min.lower).toBeLessThanOrEqual(m.max.upper);
    const o = JSON.parse((await run(['reach', MODEL, BOX, '--objective', '1,-1,0.5', '--json'])).stdout);
    expect(o.certified).toBe(true);
    const f = JSON.parse((await run(['reach', MODEL, BOX, '--free', '0', '--at', '0,0.25', '--output', '0', '--json'])).stdout);
    expect(f.free_inputs).toBe(1);
    expect(f.min.witness[1]).toBe(0.25);
    expect(f.method).toBe('nested');
    const b = JSON.parse((await run(['reach', MODEL, '--center', '0,0', '--radius', '0.5', '--norm', '2', '--output', '2', '--json'])).stdout);
    expect(Math.hypot(b.max.witness[0], b.max.witness[1])).toBeLessThanOrEqual(0.5);
  }, 30_000);

  it('--plot draws the bounds of the min and max against time (an SVG that renders to a non-blank PNG)', async () => {
    const out = join(DIR, 'reach.svg');
    const r = await run(['reach', MODEL, BOX, '--output', '0', '--plot', out, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const png = new Resvg(readFileSync(out, 'utf8'), { background: 'white' }).render();
    const px = png.pixels;
    let dark = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] < 200 || px[i + 1] < 200 || px[i + 2] < 200) dark++;
    expect(dark).toBeGreaterThan(500);
  });

  it('a timeout: exit 0 within timeout + 5 s, certified false, intervals still valid', async () => {
    const big = file('big.json', stringifyJsonModel(randomDense({ seed: 9, inputs: 8, widths: [32, 32, 32], outputs: 2, act: 'Relu' })));
    const box = file('big-box.json', JSON.stringify({ lo: new Array(8).fill(-1), hi: new Array(8).fill(1) }));
    const r = await run(['reach', big, box, '--output', '0', '--eps', '1e-9', '--timeout', '2', '--json']);
    expect(r.code).toBe(0);
    expect(r.wall).toBeLessThan(2 + 5);
    const j = JSON.parse(r.stdout);
    expect(j.certified).toBe(false);
    expect(j.min.lower).toBeLessThanOrEqual(j.min.upper);
    expect(j.max.lower).toBeLessThanOrEqual(j.max.upper);
  }, 30_000);

  it('bad input exits 2 with one line and writes no plot', async () => {
    const plot = join(DIR, 'never.svg');
    const cases: [string[], RegExp][] = [
      [['reach', MODEL, BOX, '--eps', '0', '--plot', plot], /--eps/],
      [['reach', MODEL, BOX, '--eps', '-1'], /--eps/],
      [['reach', MODEL, BOX, '--method', 'simplex', '--plot', plot], /--method/],
      [['reach', MODEL, BOX, '--objective', '1,2'], /3 outputs/],
      [['reach', MODEL, BOX, '--output', '7'], /out of range/],
      [['reach', MODEL, BOX, '--free', '5'], /out of range/],
      [['reach', MODEL, BOX, '--free', '0', '--at', '1,2,3'], /--at/],
      [['reach', MODEL, BOX, '--at', '1,2'], /--free/],
      [['reach', MODEL, BOX, '--output', '0', '--margin', '1'], /one of/],
      [['reach', MODEL], /region/],
      [['reach', MODEL, '--center', '0,0', '--radius', '1', '--norm', '3'], /norm/],
      [['reach', MODEL, file('bad.json', JSON.stringify({ lo: [0, 1], hi: [1, 0] })), '--plot', plot], /lo > hi/],
      [['reach', MODEL, file('dim.json', JSON.stringify({ lo: [0], hi: [1] })), '--plot', plot], /2 inputs/],
      [['reach', MODEL, BOX, '--plot', join(DIR, 'x.png')], /SVG/],
      [['reach', MODEL, '--center', '0,0', '--radius', '1', '--norm', '2', '--method', 'nested', '--plot', plot], /boxes only/],
    ];
    for (const [args, re] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
    expect(existsSync(plot)).toBe(false);
  }, 60_000);
});
