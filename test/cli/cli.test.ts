/**
 * End-to-end tests of the command line: the built CLI (`node dist/cli/main.js`) is spawned as a
 * user would run it. Covered: info, eval, convert, bounds (every region kind and method),
 * and the bad-input contract of every command — exit code 2, exactly one stderr line starting
 * with `lipcert: error:`, no stack trace, nothing on stdout.
 *
 * dist/ is built once by test/global-setup.ts. The bounds tests that need src/bounds/index.ts are skipped
 * (with a message) while that module does not exist; its option checks run regardless.
 */
import { execFile, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forward } from '../../src/net/forward.js';
import { readModel } from '../../src/net/io.js';
import { Rng } from '../../src/util/rng.js';
import { bench, haveBenchmarks, REPO_ROOT } from '../helpers/benchmarks.js';

const { onnx } = onnxProto;
const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const MNIST = join(REPO_ROOT, 'examples', 'mnist-relu-64-32.onnx');
const MNIST_JSON = join(REPO_ROOT, 'examples', 'mnist-relu-64-32.json');
const DIGITS = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'mnist-test-digits.json'), 'utf8')) as { labels: number[]; images: number[][] };
const HAVE_BOUNDS = existsSync(join(REPO_ROOT, 'src', 'bounds', 'index.ts'));
if (!HAVE_BOUNDS) console.warn('[cli.test] src/bounds/index.ts does not exist yet: skipping the bounds tests that compute bounds');
const HAVE_BENCH = haveBenchmarks();
const ACAS = bench('acasxu', 'onnx', 'ACASXU_run2a_1_1_batch_2000.onnx');
const ACAS_PROP1 = bench('acasxu', 'vnnlib', 'prop_1.vnnlib');
const MNISTFC = bench('mnistfc', 'onnx', 'mnist-net_256x2.onnx');
const MNISTFC_PROP = bench('mnistfc', 'vnnlib', 'prop_0_0.03.vnnlib');

const DIR = mkdtempSync(join(tmpdir(), 'lipcert-cli-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
let counter = 0;
function tmp(name: string, data: string | Uint8Array): string {
  const p = join(DIR, `${counter++}_${name}`);
  writeFileSync(p, data);
  return p;
}

// dist/ is built once by test/global-setup.ts.

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI with these arguments (no shell). */
function run(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, maxBuffer: 64 << 20, env: { ...process.env, LIPCERT_DEBUG: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Run and expect success; returns stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await run(...args);
  if (r.code !== 0) throw new Error(`lipcert ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/** Run and parse the one JSON object of --json. */
async function okJson(...args: string[]): Promise<any> {
  const out = await ok(...args, '--json');
  expect(out.trimEnd().split('\n').length, 'one line of JSON').toBe(1);
  return JSON.parse(out);
}

/** The bad-input contract: exit 2, one stderr line `lipcert: error: ...` matching `re`, no stack, no stdout. */
async function bad(re: RegExp, ...args: string[]): Promise<void> {
  const r = await run(...args);
  const lines = r.stderr.trimEnd().split('\n');
  const ctx = `lipcert ${args.join(' ')}\nstderr: ${r.stderr}`;
  expect(r.code, ctx).toBe(2);
  expect(lines.length, ctx).toBe(1);
  expect(lines[0], ctx).toMatch(/^lipcert: error: /);
  expect(r.stderr, ctx).not.toMatch(/\n\s+at |internal error/);
  expect(r.stdout, ctx).toBe('');
  expect(lines[0], ctx).toMatch(re);
}

const DIGIT0 = DIGITS.images[0];
const mnistNet = readModel(MNIST);
const Y0 = forward(mnistNet, Float64Array.from(DIGIT0));

// ---- small models built here -----------------------------------------------------------

/** A 3-4-2 ReLU network in the lipcert JSON format. */
function tinyModel(w1: number[] = [1, -1, 0.5, 0.25, 2, -1, -0.5, 1, 1, 0, -1, 1]): string {
  return JSON.stringify({
    format: 'lipcert-model', version: 1, producer: 'cli.test',
    inputs: [{ name: 'x', shape: [1, 3], dtype: 'float32' }], outputs: ['y'],
    initializers: [
      { name: 'w1', shape: [4, 3], data: w1 }, { name: 'b1', shape: [4], data: [0.1, -0.2, 0, 0.3] },
      { name: 'w2', shape: [2, 4], data: [1, -1, 0.5, 2, -0.5, 1, 1, -1] }, { name: 'b2', shape: [2], data: [0, 1] },
    ],
    nodes: [
      { name: 'fc1', op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attrs: { transB: 1 } },
      { name: 'relu', op: 'Relu', inputs: ['h'], outputs: ['r'] },
      { name: 'fc2', op: 'Gemm', inputs: ['r', 'w2', 'b2'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}
const TINY = tmp('tiny.json', tinyModel());
const tinyNet = readModel(TINY);

/** A one-node ONNX model: y = op(x) with x of shape [1, 4], optionally one float initialiser. */
function onnxModel(op: string, weights?: number[]): Uint8Array {
  const vi = (name: string): onnxProto.onnx.IValueInfoProto => ({
    name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } },
  });
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 7, producerName: 'cli.test', opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [{ name: 'n0', opType: op, input: weights ? ['x', 'w'] : ['x'], output: ['y'] }],
      initializer: weights ? [{ name: 'w', dims: [1, 4], dataType: onnx.TensorProto.DataType.FLOAT, floatData: weights }] : [],
      input: [vi('x')], output: [vi('y')],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Points of a box: its corners (up to 64), its centre and random points. */
function samples(lo: ArrayLike<number>, hi: ArrayLike<number>, count: number, rng: Rng): Float64Array[] {
  const n = lo.length, pts: Float64Array[] = [];
  if (n <= 6) for (let m = 0; m < 1 << n; m++) pts.push(Float64Array.from({ length: n }, (_, i) => ((m >> i) & 1 ? hi[i] : lo[i])));
  pts.push(Float64Array.from({ length: n }, (_, i) => lo[i] / 2 + hi[i] / 2));
  for (let k = 0; k < count; k++) pts.push(Float64Array.from({ length: n }, (_, i) => lo[i] + rng.next() * (hi[i] - lo[i])));
  return pts;
}

/** Every sample's output lies in [lower, upper]. */
function expectEnclosed(net: ReturnType<typeof readModel>, pts: Float64Array[], lower: (number | null)[], upper: (number | null)[], what: string): void {
  for (const x of pts) {
    const y = forward(net, x);
    for (let j = 0; j < y.length; j++) {
      const l = lower[j] ?? -Infinity, u = upper[j] ?? Infinity;
      if (!(l <= y[j] && y[j] <= u)) throw new Error(`${what}: output ${j} = ${y[j]} outside [${l}, ${u}] at x = [${Array.from(x).slice(0, 8)}...]`);
    }
  }
}

function expectBoundsShape(j: any, method: string, m: number): void {
  expect(Object.keys(j).sort()).toEqual(['lower', 'method', 'time_s', 'upper']);
  expect(j.method).toBe(method);
  expect(j.lower.length).toBe(m);
  expect(j.upper.length).toBe(m);
  expect(typeof j.time_s).toBe('number');
  expect(j.time_s).toBeGreaterThanOrEqual(0);
  for (let i = 0; i < m; i++) expect(j.lower[i] <= j.upper[i]).toBe(true);
}

// ---- the commands ---------------------------------------------------------------------

describe.concurrent('info / eval / convert', () => {
  it('info: text and JSON', async () => {
    const text = await ok('info', MNIST);
    expect(text).toMatch(/input\s+input \[1, 784\]/);
    expect(text).toMatch(/ReLUs\s+96/);
    const j = await okJson('info', MNIST);
    expect(j.input_size).toBe(784);
    expect(j.output_size).toBe(10);
    expect(j.relus).toBe(96);
    expect(j.ops).toEqual({ Gemm: 3, Relu: 2 });
  });

  it('info on the benchmark networks', async (ctx) => {
    if (!HAVE_BENCH) return ctx.skip();
    const a = await okJson('info', ACAS);
    expect([a.input_size, a.output_size, a.relus]).toEqual([5, 5, 300]);
    const m = await okJson('info', MNISTFC);
    expect([m.input_size, m.output_size]).toEqual([784, 10]);
  });

  it('info and eval --json work on every benchmark model (one ACAS Xu ONNX and .nnet, mnistfc, ERAN, the example)', async (ctx) => {
    if (!HAVE_BENCH) return ctx.skip();
    const models = [
      bench('acasxu', 'onnx', 'ACASXU_run2a_1_1_batch_2000.onnx'),
      bench('acasxu', 'nnet', 'ACASXU_experimental_v2a_1_1.nnet'),
      ...['256x2', '256x4', '256x6'].map((s) => bench('mnistfc', 'onnx', `mnist-net_${s}.onnx`)),
      bench('eran', 'nets', 'mnist_relu_9_200.onnx'),
      bench('eran', 'nets', 'ffnnSIGMOID__Point_6x200.onnx'),
      MNIST, MNIST_JSON,
    ];
    await Promise.all(models.map(async (m) => {
      const info = await okJson('info', m);
      const x = Array.from({ length: info.input_size }, (_, i) => ((i % 7) / 7).toString());
      const file = tmp(`in-${info.input_size}.json`, JSON.stringify(x.map(Number)));
      const y = await okJson('eval', m, '--input-file', file);
      expect(y.output.length, m).toBe(info.output_size);
      expect(Array.from(forward(readModel(m), Float64Array.from(x.map(Number))))).toEqual(y.output);
    }));
  });

  it('eval: --input and --input-file agree with the library, text and JSON', async () => {
    const j = await okJson('eval', MNIST, '--input', DIGIT0.join(','));
    expect(Object.keys(j)).toEqual(['output']);
    expect(j.output).toEqual(Array.from(Y0));
    const file = tmp('digit.json', JSON.stringify([DIGIT0]));
    expect((await okJson('eval', MNIST, '--input-file', file)).output).toEqual(Array.from(Y0));
    const obj = tmp('digit-obj.json', JSON.stringify({ input: DIGIT0 }));
    expect((await okJson('eval', MNIST, '--input-file', obj)).output).toEqual(Array.from(Y0));
    const text = await ok('eval', MNIST, '--input', DIGIT0.join(' '));
    expect(text.trim().split(' ').map(Number)).toEqual(Array.from(Y0));
    // the JSON model gives the same outputs
    expect((await okJson('eval', MNIST_JSON, '--input-file', file)).output).toEqual(Array.from(Y0));
  });

  it('convert: ONNX → JSON → ONNX keeps the outputs', async () => {
    const js = join(DIR, 'converted.json'), ox = join(DIR, 'converted.onnx');
    expect(await ok('convert', MNIST, js)).toMatch(/^wrote .*converted\.json \(\d+ nodes\)\n$/);
    const w = await okJson('convert', js, ox);
    expect(w.written).toBe(ox);
    const file = tmp('digit.json', JSON.stringify(DIGIT0));
    expect((await okJson('eval', ox, '--input-file', file)).output).toEqual(Array.from(Y0));
  });

  it('convert: a benchmark network (.nnet → .onnx)', async (ctx) => {
    if (!HAVE_BENCH) return ctx.skip();
    const out = join(DIR, 'acas.onnx');
    await ok('convert', bench('acasxu', 'nnet', 'ACASXU_experimental_v2a_1_1.nnet'), out);
    expect((await okJson('info', out)).input_size).toBe(5);
  });

  it('--version and --help', async () => {
    expect((await ok('--version')).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await ok('bounds', '--help');
    for (const opt of ['--box', '--vnnlib', '--center', '--radius', '--norm', '--domain', '--method']) expect(help).toContain(opt);
  });
});

describe.concurrent('bounds', () => {
  const skip = !HAVE_BOUNDS;
  const rng = new Rng(3);

  it.skipIf(skip)('--box: JSON shape, sound on samples, for every method (tiny network)', async () => {
    const lo = [-1, 0, 0.5], hi = [1, 0.5, 0.5];
    const box = tmp('box.json', JSON.stringify({ lo, hi }));
    const pts = samples(lo, hi, 200, rng);
    for (const method of ['ibp', 'crown', 'alpha']) {
      const j = await okJson('bounds', TINY, '--box', box, '--method', method);
      expectBoundsShape(j, method, 2);
      expectEnclosed(tinyNet, pts, j.lower, j.upper, `${method} on the box`);
    }
    // the default method is crown
    expect((await okJson('bounds', TINY, '--box', box)).method).toBe('crown');
    // the box as the REGION positional gives the same bounds as --box
    expect(await okJson('bounds', TINY, box, '--method', 'ibp')).toMatchObject(await okJson('bounds', TINY, '--box', box, '--method', 'ibp').then(({ time_s: _t, ...rest }) => rest));
    // a point box gives (nearly) the exact output
    const p = tmp('point.json', JSON.stringify({ lo: [0.25, -0.5, 1], hi: [0.25, -0.5, 1] }));
    const y = forward(tinyNet, Float64Array.of(0.25, -0.5, 1));
    const jp = await okJson('bounds', TINY, '--box', p, '--method', 'ibp');
    for (let i = 0; i < 2; i++) {
      expect(jp.lower[i]).toBeLessThanOrEqual(y[i]);
      expect(jp.upper[i]).toBeGreaterThanOrEqual(y[i]);
      expect(jp.upper[i] - jp.lower[i]).toBeLessThan(1e-9);
    }
  });

  it.skipIf(skip)('--method lp: sound on samples, and at least as tight as ibp', async (ctx) => {
    const lo = [-1, 0, 0.5], hi = [1, 0.5, 0.5];
    const box = tmp('box.json', JSON.stringify({ lo, hi }));
    const r = await run('bounds', TINY, '--box', box, '--method', 'lp', '--json');
    if (r.code === 1 && /Cannot find module/.test(r.stderr)) {
      console.warn(`[cli.test] the LP method is not built yet (${r.stderr.trim()}): skipping its test`);
      return ctx.skip();
    }
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expectBoundsShape(j, 'lp', 2);
    expectEnclosed(tinyNet, samples(lo, hi, 200, rng), j.lower, j.upper, 'lp on the box');
    const ibp = await okJson('bounds', TINY, '--box', box, '--method', 'ibp');
    for (let i = 0; i < 2; i++) {
      expect(j.lower[i]).toBeGreaterThanOrEqual(ibp.lower[i] - 1e-9);
      expect(j.upper[i]).toBeLessThanOrEqual(ibp.upper[i] + 1e-9);
    }
  });

  it.skipIf(skip)('--box: text output is a table of every output', async () => {
    const box = tmp('box.json', JSON.stringify({ lo: [0, 0, 0], hi: [1, 1, 1] }));
    const text = await ok('bounds', TINY, '--box', box, '--method', 'ibp');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^bounds of .*tiny\.json over the box .* by ibp \([\d.]+ s\)$/);
    expect(lines[1]).toMatch(/^\s*output\s+lower\s+upper$/);
    const j = await okJson('bounds', TINY, '--box', box, '--method', 'ibp');
    expect(lines.length).toBe(4);
    for (let i = 0; i < 2; i++) expect(lines[2 + i].trim().split(/\s+/).map(Number)).toEqual([i, j.lower[i], j.upper[i]]);
  });

  it.skipIf(skip)('--center/--radius: every norm, with and without --domain (MNIST digit)', async () => {
    const center = DIGIT0.join(',');
    const r = 0.02;
    const lo = DIGIT0.map((c) => Math.max(0, c - r)), hi = DIGIT0.map((c) => Math.min(1, c + r));
    const pts = samples(lo, hi, 30, rng);
    let infWidth = 0;
    for (const norm of ['inf', '2', '1']) {
      const j = await okJson('bounds', MNIST, `--center=${center}`, '--radius', String(r), '--norm', norm, '--domain', '0:1', '--method', 'crown');
      expectBoundsShape(j, 'crown', 10);
      // the L∞ ball's box contains every other ball: only its samples are valid for all norms;
      // for norm 2 and 1 check the centre and points on the axes.
      const own = norm === 'inf' ? pts : [Float64Array.from(DIGIT0), ...Array.from({ length: 20 }, () => {
        const x = Float64Array.from(DIGIT0), k = rng.int(784);
        x[k] = Math.min(1, Math.max(0, x[k] + (rng.next() < 0.5 ? -r : r)));
        return x;
      })];
      expectEnclosed(mnistNet, own, j.lower, j.upper, `L${norm} ball`);
      const width = j.upper.reduce((s: number, u: number, i: number) => s + (u - j.lower[i]), 0);
      if (norm === 'inf') infWidth = width;
      else expect(width).toBeLessThanOrEqual(infWidth * (1 + 1e-9));
    }
    // without a domain, the ball reaches outside [0, 1]: bounds are at least as wide
    const free = await okJson('bounds', MNIST, `--center=${center}`, '--radius', String(r), '--method', 'ibp');
    const dom = await okJson('bounds', MNIST, `--center=${center}`, '--radius', String(r), '--domain', '0:1', '--method', 'ibp');
    for (let i = 0; i < 10; i++) {
      expect(free.lower[i]).toBeLessThanOrEqual(dom.lower[i]);
      expect(free.upper[i]).toBeGreaterThanOrEqual(dom.upper[i]);
    }
    // radius 0: the exact output is enclosed
    const z = await okJson('bounds', MNIST, `--center=${center}`, '--radius', '0', '--method', 'ibp');
    expectEnclosed(mnistNet, [Float64Array.from(DIGIT0)], z.lower, z.upper, 'radius 0');
  });

  it.skipIf(skip)('--vnnlib with several disjuncts: per-disjunct bounds and their elementwise min/max', async () => {
    const decl = ['(declare-const X_0 Real)', '(declare-const X_1 Real)', '(declare-const X_2 Real)', '(declare-const Y_0 Real)', '(declare-const Y_1 Real)'];
    const text = `${decl.join('\n')}
      (assert (or (and (>= X_0 -1) (<= X_0 0) (>= X_1 0) (<= X_1 1) (>= X_2 0) (<= X_2 1) (<= Y_0 Y_1))
                  (and (>= X_0 0.5) (<= X_0 2) (>= X_1 -1) (<= X_1 0) (>= X_2 0.125) (<= X_2 0.25) (<= Y_1 Y_0))))`;
    const v = tmp('two.vnnlib', text);
    const j = await okJson('bounds', TINY, '--vnnlib', v, '--method', 'crown');
    expect(Object.keys(j).sort()).toEqual(['disjuncts', 'lower', 'method', 'time_s', 'upper']);
    expect(j.disjuncts.length).toBe(2);
    const boxes = [[[-1, 0, 0], [0, 1, 1]], [[0.5, -1, 0.125], [2, 0, 0.25]]];
    for (let k = 0; k < 2; k++) {
      const d = j.disjuncts[k];
      expect(Object.keys(d).sort()).toEqual(['lower', 'upper']);
      // each disjunct's bounds equal a --box run on the same box
      const b = await okJson('bounds', TINY, '--box', tmp('b.json', JSON.stringify({ lo: boxes[k][0], hi: boxes[k][1] })), '--method', 'crown');
      expect(d.lower).toEqual(b.lower);
      expect(d.upper).toEqual(b.upper);
      expectEnclosed(tinyNet, samples(boxes[k][0], boxes[k][1], 50, rng), d.lower, d.upper, `disjunct ${k}`);
    }
    for (let i = 0; i < 2; i++) {
      expect(j.lower[i]).toBe(Math.min(j.disjuncts[0].lower[i], j.disjuncts[1].lower[i]));
      expect(j.upper[i]).toBe(Math.max(j.disjuncts[0].upper[i], j.disjuncts[1].upper[i]));
    }
    const t = await ok('bounds', TINY, '--vnnlib', v);
    expect(t).toMatch(/disjunct 1 of 2/);
    expect(t).toMatch(/disjunct 2 of 2/);
    expect(t).toMatch(/over all disjuncts/);
  });

  it.skipIf(skip)('--vnnlib on the benchmarks (ACAS Xu property 1, MNIST-FC)', async (ctx) => {
    if (!HAVE_BENCH) return ctx.skip();
    const a = await okJson('bounds', ACAS, '--vnnlib', ACAS_PROP1, '--method', 'ibp');
    expectBoundsShape(a, 'ibp', 5);
    const m = await okJson('bounds', MNISTFC, '--vnnlib', MNISTFC_PROP, '--method', 'crown');
    expectBoundsShape(m, 'crown', 10);
  });
});

// ---- bad input: exit 2, one line, no stack, no stdout ------------------------------------

describe.concurrent('bad input', () => {
  const mnistBytes = readFileSync(MNIST);
  const digitCsv = DIGIT0.join(',');
  const box3 = tmp('box3.json', JSON.stringify({ lo: [0, 0, 0], hi: [1, 1, 1] }));
  const cases: [string, RegExp, () => string[]][] = [
    // models
    ['missing model file', /no-such-model\.onnx: cannot read the model file/, () => ['info', join(DIR, 'no-such-model.onnx')]],
    ['empty model file', /empty/, () => ['info', tmp('empty.onnx', '')]],
    ['truncated ONNX', /truncated\.onnx: not a valid ONNX model/, () => ['info', tmp('truncated.onnx', mnistBytes.subarray(0, Math.floor(mnistBytes.length / 2)))]],
    ['random bytes as ONNX', /random\.onnx/, () => {
      const rng = new Rng(11);
      return ['info', tmp('random.onnx', Uint8Array.from({ length: 4096 }, () => rng.int(256)))];
    }],
    ['unsupported op', /hardmax\.onnx: unsupported op Hardmax/, () => ['info', tmp('hardmax.onnx', onnxModel('Hardmax'))]],
    ['NaN weight in ONNX', /nan\.onnx: .*non-finite value \(NaN\) at index 1/, () => ['eval', tmp('nan.onnx', onnxModel('Add', [1, NaN, 0, 2])), '--input', '1,2,3,4']],
    ['NaN literal in a JSON model', /nanlit\.json: not valid JSON/, () => ['info', tmp('nanlit.json', tinyModel().replace('0.25', 'NaN'))]],
    ['infinite weight in a JSON model', /inf\.json: .*non-finite/, () => ['info', tmp('inf.json', tinyModel().replace('0.25', '1e999'))]],
    ['non-number weight in a JSON model', /nonnum\.json: .*non-number/, () => ['info', tmp('nonnum.json', tinyModel([1, -1, 0.5, 'NaN' as unknown as number, 2, -1, -0.5, 1, 1, 0, -1, 1]))]],
    ['not a lipcert JSON model', /not a lipcert JSON model/, () => ['info', tmp('other.json', '{"a": 1}')]],
    // commands and options
    ['unknown command', /Unknown|command/i, () => ['frobnicate', MNIST]],
    ['no command', /name a command/, () => []],
    ['missing model argument', /not enough non-option arguments/i, () => ['info']],
    ['unknown option', /Unknown argument/, () => ['info', MNIST, '--frobnicate']],
    // eval
    ['eval: wrong input length', /the input has 3 values; .* takes 784/, () => ['eval', MNIST, '--input', '1,2,3']],
    ['eval: NaN in --input', /--input: entry 1 \('NaN'\) is not a finite number/, () => ['eval', MNIST, '--input', '0,NaN,1']],
    ['eval: missing --input', /exactly one of --input and --input-file/, () => ['eval', MNIST]],
    ['eval: both --input and --input-file', /exactly one of --input and --input-file/, () => ['eval', MNIST, '--input', '1', '--input-file', box3]],
    ['eval: --input-file not JSON', /cannot read a JSON input/, () => ['eval', MNIST, '--input-file', tmp('x.json', '[1, 2,')]],
    ['eval: --input-file with a string entry', /entry 1 \("a"\) is not a finite number/, () => ['eval', MNIST, '--input-file', tmp('x.json', '[1, "a"]')]],
    ['convert: unknown output format', /cannot tell the output format/, () => ['convert', MNIST, join(DIR, 'out.txt')]],
    // bounds
    ['bounds: no region', /give an input region/, () => ['bounds', MNIST]],
    ['bounds: two regions', /give only one input region \(--box and --center/, () => ['bounds', MNIST, '--box', box3, '--center', '1', '--radius', '1']],
    ['bounds: REGION and --box', /give only one input region \(.*box3\.json and --box were given\)/, () => ['bounds', MNIST, box3, '--box', box3]],
    ['bounds: --norm with a REGION file', /--norm applies only to a ball/, () => ['bounds', MNIST, box3, '--norm', '2']],
    ['bounds: --center without --radius', /--center needs --radius/, () => ['bounds', MNIST, '--center', digitCsv]],
    ['bounds: --radius without --center', /--radius needs --center/, () => ['bounds', MNIST, '--radius', '1']],
    ['bounds: negative radius', /radius \(-0\.5\) is negative/, () => ['bounds', MNIST, '--center', digitCsv, '--radius', '-0.5']],
    ['bounds: radius not a number', /radius \(NaN\) is not a finite number/, () => ['bounds', MNIST, '--center', digitCsv, '--radius', 'abc']],
    ['bounds: NaN in --center', /--center: entry 2 \('nan'\)/, () => ['bounds', MNIST, '--center', '0,1,nan', '--radius', '1']],
    ['bounds: unknown norm', /Invalid values:.*norm/, () => ['bounds', MNIST, '--center', digitCsv, '--radius', '1', '--norm', '3']],
    ['bounds: unknown method', /Invalid values:.*method/, () => ['bounds', MNIST, '--box', box3, '--method', 'magic']],
    ['bounds: --norm with --box', /--norm applies only to a ball/, () => ['bounds', MNIST, '--box', box3, '--norm', '2']],
    ['bounds: bad --domain', /--domain '1:0': lo > hi/, () => ['bounds', MNIST, '--center', digitCsv, '--radius', '1', '--domain', '1:0']],
    ['bounds: ball misses the domain', /does not meet the domain at entry 0/, () => ['bounds', MNIST, `--center=${DIGIT0.map(() => 3).join(',')}`, '--radius', '1', '--domain', '0:1']],
    ['bounds: region dimension ≠ network inputs', /^lipcert: error: the region has 3 values; the network takes 784 inputs$/, () => ['bounds', MNIST, '--box', box3]],
    ['bounds: centre dimension ≠ network inputs', /the region has 2 values; the network takes 784 inputs/, () => ['bounds', MNIST, '--center', '0.5,0.5', '--radius', '0.1']],
    ['bounds: box with lo > hi', /lohi\.json: lo > hi at entry 1 \(2 > 1\)/, () => ['bounds', MNIST, '--box', tmp('lohi.json', '{"lo": [0, 2, 0], "hi": [1, 1, 1]}')]],
    ['bounds: box with a NaN entry', /nanbox\.json: "hi": entry 0 \("NaN"\) is not a number/, () => ['bounds', MNIST, '--box', tmp('nanbox.json', '{"lo": [0], "hi": ["NaN"]}')]],
    ['bounds: malformed box file', /malformed\.json: the box file is not valid JSON/, () => ['bounds', MNIST, '--box', tmp('malformed.json', '{"lo": [0, 1], "hi"')]],
    ['bounds: box file without hi', /nohi\.json: the box has no "hi" array/, () => ['bounds', MNIST, '--box', tmp('nohi.json', '{"lo": [0, 1]}')]],
    ['bounds: box lengths differ', /"lo" has 2 values but "hi" has 1/, () => ['bounds', MNIST, '--box', tmp('len.json', '{"lo": [0, 1], "hi": [1]}')]],
    ['bounds: missing box file', /nobox\.json: cannot read the box file \(ENOENT\)/, () => ['bounds', MNIST, '--box', join(DIR, 'nobox.json')]],
    ['bounds: missing VNN-LIB file', /none\.vnnlib: cannot read the VNN-LIB file \(ENOENT\)/, () => ['bounds', MNIST, '--vnnlib', join(DIR, 'none.vnnlib')]],
    ['bounds: malformed VNN-LIB', /bad_unclosed\.vnnlib:\d+:\d+: /, () => ['bounds', TINY, '--vnnlib', join(REPO_ROOT, 'test/fixtures/vnnlib/bad_unclosed.vnnlib')]],
    ['bounds: VNN-LIB for another network', /declares 2 inputs .* network has 784 inputs/, () => ['bounds', MNIST, '--vnnlib', join(REPO_ROOT, 'test/fixtures/vnnlib/small_or.vnnlib')]],
    ['bounds: VNN-LIB with an empty input region', /empty\.vnnlib: the property's input region is empty/, () => ['bounds', TINY, '--vnnlib', tmp('empty.vnnlib',
      '(declare-const X_0 Real)(declare-const X_1 Real)(declare-const X_2 Real)(declare-const Y_0 Real)(declare-const Y_1 Real)'
      + '(assert (>= X_0 1))(assert (<= X_0 0))(assert (>= X_1 0))(assert (<= X_1 1))(assert (>= X_2 0))(assert (<= X_2 1))')]],
    ['bounds: bad model', /truncated2\.onnx/, () => ['bounds', tmp('truncated2.onnx', mnistBytes.subarray(0, 100)), '--box', box3]],
  ];
  for (const [name, re, args] of cases) it(name, () => bad(re, ...args()));

  it('bad input on the benchmark networks', async (ctx) => {
    if (!HAVE_BENCH) return ctx.skip();
    await bad(/the input has 784 values; .* takes 5/, 'eval', ACAS, '--input', digitCsv);
    await bad(/the region has 3 values; the network takes 5 inputs/, 'bounds', ACAS, '--box', box3);
    await bad(/declares 5 inputs .* network has 784 inputs/, 'bounds', MNISTFC, '--vnnlib', ACAS_PROP1);
  });
});
