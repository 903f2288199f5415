/**
 * `lipcert relu` and `lipcert regions` end to end (the built CLI, dist/, spawned as a user runs
 * it): the JSON shape (every ReLU index in exactly one list), --prune writing a network that
 * loads back and agrees, the regions modes and plot, and the bad-input contract — exit 2, one
 * stderr line, nothing on stdout, no output file left behind.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forward } from '../../src/net/forward.js';
import { readModel, writeModel } from '../../src/net/io.js';
import { REPO_ROOT } from '../helpers/benchmarks.js';
import { buildFromSpec, randomDense, Rng } from '../helpers/random_net.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const DIR = mkdtempSync(join(tmpdir(), 'lipcert-relu-cli-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function bad(re: RegExp, ...args: string[]): Promise<void> {
  const r = await run(...args);
  const ctx = `lipcert ${args.join(' ')}\nstderr: ${r.stderr}`;
  expect(r.code, ctx).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.length, ctx).toBe(1);
  expect(lines[0], ctx).toMatch(/^lipcert: error: /);
  expect(lines[0], ctx).toMatch(re);
  expect(r.stdout).toBe('');
}

const NET = join(DIR, 'net.onnx');
const NET2 = join(DIR, 'net2.onnx');
const LINEAR = join(DIR, 'linear.onnx');
const BOX = join(DIR, 'box.json');
const BOX2 = join(DIR, 'box2.json');
writeModel(buildFromSpec(randomDense({ seed: 3, inputs: 3, widths: [8, 8], outputs: 2, act: 'Relu' })), NET);
writeModel(buildFromSpec(randomDense({ seed: 4, inputs: 2, widths: [6, 6], outputs: 1, act: 'Relu' })), NET2);
writeModel(buildFromSpec(randomDense({ seed: 5, inputs: 3, widths: [], outputs: 2, act: 'Relu' })), LINEAR);
writeFileSync(BOX, JSON.stringify({ lo: [0.1, 0.2, -0.3], hi: [0.2, 0.3, -0.2] }));
writeFileSync(BOX2, JSON.stringify({ lo: [-1, -1], hi: [1, 1] }));

describe('lipcert relu', () => {
  it('--json: one layer per ReLU node, every index in exactly one list; --prune writes an equivalent network', async () => {
    const out = join(DIR, 'pruned.onnx');
    const r = await run('relu', NET, BOX, '--prune', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.method).toBe('milp');
    expect(j.layers.length).toBe(2);
    let unstable = 0;
    for (const L of j.layers) {
      const all = [...L.active, ...L.inactive, ...L.unstable].sort((a: number, b: number) => a - b);
      expect(all).toEqual(Array.from({ length: 8 }, (_, i) => i));
      expect(L.milp_timeouts).toBe(0);
      expect(Object.keys(L.decided_by).sort()).toEqual(['crown', 'ibp', 'lp', 'milp']);
      unstable += L.unstable.length;
    }
    expect(j.relus_before).toBe(16);
    expect(j.relus_after).toBe(unstable);
    expect(j.max_abs_difference_bound).toBeLessThan(1e-9);
    expect(j.max_abs_difference_sampled).toBeLessThan(1e-9);
    const a = readModel(NET), b = readModel(out);
    const rng = new Rng(1);
    for (let s = 0; s < 50; s++) {
      const x = Float64Array.of(rng.uniform(0.1, 0.2), rng.uniform(0.2, 0.3), rng.uniform(-0.3, -0.2));
      const ya = forward(a, x), yb = forward(b, x);
      for (let i = 0; i < 2; i++) expect(Math.abs(ya[i] - yb[i])).toBeLessThan(1e-9);
    }
  }, 60_000);

  it('bad input exits 2 with one line and leaves no output file', async () => {
    await bad(/no ReLU/, 'relu', LINEAR, BOX);
    await bad(/3 values|2 inputs|takes 3/, 'relu', NET, BOX2);
    await bad(/--milp-time/, 'relu', NET, BOX, '--milp-time', '0');
    await bad(/--milp-time/, 'relu', NET, BOX, '--milp-time', '-1');
    const missing = join(DIR, 'no', 'such', 'dir', 'p.onnx');
    await bad(/cannot write/, 'relu', NET, BOX, '--prune', missing);
    expect(existsSync(missing)).toBe(false);
    await bad(/format/, 'relu', NET, BOX, '--prune', join(DIR, 'p.txt'));
    await bad(/solver/, 'relu', NET, BOX, '--solver', 'cplex');
    await bad(/--lp-budget/, 'relu', NET, BOX, '--lp-budget', '0');
    await bad(/--lp-budget/, 'relu', NET, BOX, '--lp-budget', 'soon');
    await bad(/tighten-refuted/, 'relu', NET, BOX, '--tighten-refuted', 'all');
    expect(readdirSync(DIR).some((f) => f.endsWith('.tmp'))).toBe(false);
  }, 60_000);

  it('the lp tier\'s settings: --tighten-refuted lp/none and --lp-budget; a tiny budget only leaves ReLUs undecided, never decides a wrong one', async () => {
    const runs = await Promise.all([
      run('relu', NET, BOX, '--method', 'lp', '--json'),
      run('relu', NET, BOX, '--method', 'lp', '--json', '--tighten-refuted', 'lp', '--lp-budget', '30'),
      run('relu', NET, BOX, '--method', 'lp', '--json', '--tighten-refuted', 'none'),
      run('relu', NET, BOX, '--method', 'lp', '--json', '--lp-budget', '1e-9'),
      run('relu', NET, BOX, '--json'),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const [def, lpAll, none, tiny, exact] = runs.map((r) => JSON.parse(r.stdout) as { layers: { active: number[]; inactive: number[] }[] });
    // LP-all's intermediate bounds are at least as tight as the α-CROWN ones: it decides at least as much.
    def.layers.forEach((L, i) => {
      for (const j of L.active) expect(lpAll.layers[i].active).toContain(j);
      for (const j of L.inactive) expect(lpAll.layers[i].inactive).toContain(j);
    });
    // Every run's stable ReLUs are stable in the exact (milp) answer, on the same side.
    for (const r of [def, lpAll, none, tiny]) r.layers.forEach((L, i) => {
      for (const j of L.active) expect(exact.layers[i].active).toContain(j);
      for (const j of L.inactive) expect(exact.layers[i].inactive).toContain(j);
    });
  }, 60_000);

  it('--solver highs gives the same verdicts as the default glpk, with no MILP timeout', async () => {
    const [g, h] = await Promise.all([run('relu', NET, BOX, '--json'), run('relu', NET, BOX, '--json', '--solver', 'highs')]);
    expect(g.code, g.stderr).toBe(0);
    expect(h.code, h.stderr).toBe(0);
    const jg = JSON.parse(g.stdout), jh = JSON.parse(h.stdout);
    jg.layers.forEach((L: { active: number[]; inactive: number[]; milp_timeouts: number }, i: number) => {
      expect(jh.layers[i].milp_timeouts).toBe(0);
      expect(L.milp_timeouts).toBe(0);
      expect(jh.layers[i].active).toEqual(L.active);
      expect(jh.layers[i].inactive).toEqual(L.inactive);
    });
  }, 60_000);
});

describe('lipcert regions', () => {
  it('--at gives the pattern and an affine map reproducing the network at the point', async () => {
    const r = await run('regions', NET2, '--at', '0.3,-0.4', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const y = forward(readModel(NET2), Float64Array.of(0.3, -0.4));
    expect(Math.abs(j.at.W[0] * 0.3 + j.at.W[1] * -0.4 + j.at.b[0] - y[0])).toBeLessThan(1e-9);
    expect(j.at.pattern.length).toBe(2);
  });

  it('--enumerate --plot on a 2-input network: areas sum to the box, the SVG is written', async () => {
    const svg = join(DIR, 'regions.svg');
    const r = await run('regions', NET2, BOX2, '--enumerate', '--plot', svg, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Math.abs(j.area_sum - 4)).toBeLessThan(1e-9);
    expect(j.count).toBe(j.regions.length);
    expect(readFileSync(svg, 'utf8')).toMatch(/<polygon/);
    const { Resvg } = await import('@resvg/resvg-js');
    const png = new Resvg(readFileSync(svg, 'utf8')).render();
    expect(png.width).toBeGreaterThan(100);
  });

  it('--sample gives a proved lower bound and a labelled estimate; bad input exits 2', async () => {
    const r = await run('regions', NET, BOX, '--sample', '300', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.proved_lower_bound).toBeGreaterThan(0);
    expect(j.chao1_estimate).toBeGreaterThanOrEqual(j.proved_lower_bound);
    await bad(/2 inputs/, 'regions', NET, BOX, '--enumerate');
    await bad(/--sample/, 'regions', NET, BOX, '--sample', '0');
    await bad(/--at has/, 'regions', NET, '--at', '1,2');
    await bad(/\.svg/, 'regions', NET2, BOX2, '--plot', join(DIR, 'x.png'));
  });
});
