/**
 * Bounding benchmark: how tight and how fast each bounding method is, and how fast CROWN runs
 * per branch-and-bound domain when domains are batched.
 *
 *   npx tsx benchmarks/bounds.ts [--out FILE | --out -] [--quick]
 *   npm run bench:bounds
 *
 * 1. Output-bound widths (upper − lower of the identity rows, mean and max over the outputs)
 *    and wall time per method (ibp, crown, alpha, lp) on ACAS Xu 1_1 over the prop_1..prop_4
 *    boxes and on mnistfc 256x2/4/6 over the ε-balls of prop_0_0.03 / prop_0_0.05 (the first
 *    disjunct's box of each VNN-LIB file). A sampled output range (random points and random
 *    vertices of the box) is shown beside them: a lower bound of the true range, and a
 *    soundness spot check (every sample must lie inside every method's bounds).
 * 2. Microseconds per CROWN domain in batches of 1, 64 and 512 on ACAS Xu (random sub-boxes
 *    of the prop_1 box, each side 1%–10% of the box's side), the multiply-adds the matrix
 *    kernels execute per domain (counted by wrapping the dense ops' kernels in a separate
 *    copy of the network), the GFLOP/s that gives, where the time goes (kernels timed by the
 *    same wrapping), and reference kernels measured in the same run (1000×1000 matrix–vector
 *    product, plain loop and four rows at a time; the project's backward kernel at ACAS size).
 * 3. The Markdown report, with the machine, goes to --out (default for the full run:
 *    benchmarks/results/bounds.md; --quick writes no file unless --out is given) and stdout.
 *
 * Full run: about 3 minutes (lp on mnist 256x6 alone takes ~2 min, so it runs once, on ε = 0.03
 * only). --quick: under 30 s (fewer repetitions and domains, lp on ACAS Xu and 256x2 only).
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeBounds, type BoundMethod, type BoundsResult } from '../src/bounds/index.js';
import { crown } from '../src/bounds/crown.js';
import { getHighs, lastLpStats } from '../src/bounds/lp.js';
import { forward } from '../src/net/forward.js';
import { readModel } from '../src/net/io.js';
import type { Network } from '../src/net/network.js';
import type { OpKind } from '../src/net/op.js';
import { backwardDense, type DenseParams } from '../src/net/ops/dense_impl.js';
import { readVnnlibFile } from '../src/spec/vnnlib.js';

// ---------------------------------------------------------------------------------------------
// Options

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCHMARKS = process.env.LIPCERT_BENCHMARKS ? resolve(process.env.LIPCERT_BENCHMARKS) : resolve(REPO, '..', 'shared', 'benchmarks');
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log('usage: npx tsx benchmarks/bounds.ts [--out FILE | --out -] [--quick]');
  process.exit(0);
}
const QUICK = argv.includes('--quick');
const outIdx = argv.indexOf('--out');
const OUT: string | null = outIdx >= 0 ? (argv[outIdx + 1] === '-' ? null : resolve(argv[outIdx + 1] ?? '')) : QUICK ? null : join(REPO, 'benchmarks', 'results', 'bounds.md');
for (const a of argv) {
  if (a.startsWith('--') && a !== '--quick' && a !== '--out') {
    console.error(`unknown option ${a}`);
    process.exit(2);
  }
}

const LP_TIME_LIMIT = 10; // seconds per LP (a timed-out LP falls back to the CROWN bound)
const METHODS: BoundMethod[] = ['ibp', 'crown', 'alpha', 'lp'];
/** Repetitions: at most `max`, while the method's total time stays under `budget` ms. */
const REPS: Record<BoundMethod, { max: number; budget: number }> = QUICK
  ? { ibp: { max: 3, budget: 300 }, crown: { max: 3, budget: 300 }, alpha: { max: 1, budget: 0 }, lp: { max: 1, budget: 0 } }
  : { ibp: { max: 9, budget: 1000 }, crown: { max: 7, budget: 1500 }, alpha: { max: 5, budget: 2000 }, lp: { max: 3, budget: 2500 } };

const log = (s: string): void => void process.stderr.write(s + '\n');
const t0Run = performance.now();
const loadStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

// ---------------------------------------------------------------------------------------------
// Small helpers

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : 0.5 * (s[h - 1] + s[h]);
}

/** Deterministic PRNG (mulberry32) so every run benchmarks the same domains. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Four significant digits, no exponent for large numbers. */
function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 10 ** digits) return x.toFixed(0);
  return String(Number(x.toPrecision(digits)));
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${fmt(ms / 1000, 3)} s` : `${fmt(ms, 3)} ms`;
}

// ---------------------------------------------------------------------------------------------
// Section 1: widths and times per method

interface Instance {
  group: string;
  model: string;
  spec: string;
  /** Methods to skip in this mode, with the reason shown in the table. */
  skip?: Partial<Record<BoundMethod, string>>;
}

const acas = 'acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx';
const mnist = (k: number): string => `mnistfc/onnx/mnist-net_256x${k}.onnx`;
const LP_SKIP_6 = 'skipped (run time): 20 LPs of ~5–10 s each; measured once while writing this benchmark on a busy machine: 177 s, 11 of 20 LPs hit the 10 s limit';
const INSTANCES: Instance[] = [
  ...[1, 2, 3, 4].map((p) => ({ group: 'ACAS Xu 1_1', model: acas, spec: `acasxu/vnnlib/prop_${p}.vnnlib` })),
  ...[2, 4, 6].flatMap((k) =>
    ['0.03', '0.05'].map((eps): Instance => {
      const skip: Instance['skip'] = {};
      if (QUICK && k > 2) skip.lp = 'skipped in --quick';
      if (QUICK && k === 6) skip.alpha = 'skipped in --quick';
      if (!QUICK && k === 6 && eps === '0.05') skip.lp = LP_SKIP_6;
      return { group: `mnistfc 256x${k}`, model: mnist(k), spec: `mnistfc/vnnlib/prop_0_${eps}.vnnlib`, skip };
    }),
  ),
];

interface MethodRow {
  inst: Instance;
  method: BoundMethod | 'sampled';
  meanW: number;
  maxW: number;
  ms: number;
  runs: number;
  note: string;
}

const models = new Map<string, Network>();
function model(rel: string): Network {
  let n = models.get(rel);
  if (!n) {
    n = readModel(join(BENCHMARKS, rel));
    models.set(rel, n);
  }
  return n;
}

function widths(r: BoundsResult): { mean: number; max: number } {
  let s = 0, mx = -Infinity;
  for (let i = 0; i < r.rows; i++) {
    const w = r.upper[i] - r.lower[i];
    s += w;
    if (w > mx) mx = w;
  }
  return { mean: s / r.rows, max: mx };
}

/** Output range over random points and random vertices of the box (half each). */
function sampleOutputs(net: Network, lo: Float64Array, hi: Float64Array, count: number): { lo: Float64Array; hi: Float64Array } {
  const n = net.inputSize, m = net.outputSize;
  const r = rng(12345);
  const x = new Float64Array(count * n);
  for (let s = 0; s < count; s++) {
    for (let i = 0; i < n; i++) {
      const u = s % 2 === 0 ? r() : r() < 0.5 ? 0 : 1;
      x[s * n + i] = lo[i] + u * (hi[i] - lo[i]);
    }
  }
  const y = forward(net, x, count);
  const ylo = new Float64Array(m).fill(Infinity), yhi = new Float64Array(m).fill(-Infinity);
  for (let s = 0; s < count; s++) {
    for (let j = 0; j < m; j++) {
      const v = y[s * m + j];
      if (v < ylo[j]) ylo[j] = v;
      if (v > yhi[j]) yhi[j] = v;
    }
  }
  return { lo: ylo, hi: yhi };
}

/** Rows where `a` is looser than `b` (a's interval not inside b's), beyond a tiny relative slack. */
function looserRows(a: BoundsResult, b: BoundsResult): { count: number; worst: number } {
  let count = 0, worst = 0;
  for (let i = 0; i < a.rows; i++) {
    const slack = 1e-12 * (Math.abs(b.lower[i]) + Math.abs(b.upper[i]) + 1);
    const ex = Math.max(b.lower[i] - a.lower[i], a.upper[i] - b.upper[i]);
    if (ex > slack) {
      count++;
      if (ex > worst) worst = ex;
    }
  }
  return { count, worst };
}

/** Unstable elements (lo < 0 < hi) of value v in a batch-1 result. */
function countUnstable(r: BoundsResult, v: number, size: number): number {
  let u = 0;
  for (let j = 0; j < size; j++) if (r.nodes.lo[v]![j] < 0 && r.nodes.hi[v]![j] > 0) u++;
  return u;
}

async function timeMethod(net: Network, lo: Float64Array, hi: Float64Array, method: BoundMethod): Promise<{ result: BoundsResult; ms: number; runs: number; note: string }> {
  const req = { net, region: { batch: 1, lo, hi } };
  const settings = { lp: { intermediate: false, timeLimit: LP_TIME_LIMIT } };
  const times: number[] = [];
  let result: BoundsResult | undefined;
  let note = '';
  const { max, budget } = REPS[method];
  let spent = 0, warm = false;
  while (times.length < max) {
    const t = performance.now();
    result = await computeBounds(req, method, settings);
    const dt = performance.now() - t;
    spent += dt;
    if (method === 'lp') {
      const { proved, fallback } = lastLpStats;
      note = `${proved}/${proved + fallback} LPs proved${fallback ? ` (${fallback} fell back to the crown bound)` : ''}`;
    }
    // The first call of a fast method is a warm-up (JIT, caches) and is not counted.
    if (!warm && method !== 'lp' && dt < 500 && max > 1) { warm = true; continue; }
    times.push(dt);
    if (spent + dt > budget) break;
  }
  return { result: result!, ms: median(times), runs: times.length, note };
}

async function section1(): Promise<{ rows: MethodRow[]; issues: string[] }> {
  const rows: MethodRow[] = [];
  const issues: string[] = [];
  await getHighs(); // load the LP solver once, outside every timing
  {
    // Global JIT warm-up on ACAS Xu (prop_4 and prop_1 boxes), so the first table row is not the cold one.
    const net = model(acas);
    for (const p of [4, 1]) {
      const { lo, hi } = readVnnlibFile(join(BENCHMARKS, `acasxu/vnnlib/prop_${p}.vnnlib`)).disjuncts[0].box;
      const req = { net, region: { batch: 1, lo, hi } };
      for (let i = 0; i < 30; i++) await computeBounds(req, 'ibp');
      for (let i = 0; i < 10; i++) await computeBounds(req, 'crown');
      for (let i = 0; i < 2; i++) await computeBounds(req, 'alpha');
      if (p === 4) await computeBounds(req, 'lp', { lp: { intermediate: false, timeLimit: LP_TIME_LIMIT } });
    }
  }
  for (const inst of INSTANCES) {
    const net = model(inst.model);
    const prop = readVnnlibFile(join(BENCHMARKS, inst.spec), { numInputs: net.inputSize, numOutputs: net.outputSize });
    const { lo, hi } = prop.disjuncts[0].box;
    const specName = inst.spec.split('/').pop()!.replace('.vnnlib', '');
    const results = new Map<BoundMethod, BoundsResult>();
    for (const method of METHODS) {
      const why = inst.skip?.[method];
      if (why) {
        rows.push({ inst, method, meanW: NaN, maxW: NaN, ms: NaN, runs: 0, note: why });
        continue;
      }
      const timed = await timeMethod(net, lo, hi, method);
      const { result, ms, runs } = timed;
      let note = timed.note;
      if (method === 'crown') {
        const perLayer = net.nodes.filter((nd) => nd.kind.breakpoints).map((nd) => countUnstable(result, nd.inputs[0], net.values[nd.inputs[0]].size));
        const total = net.nodes.filter((nd) => nd.kind.breakpoints).reduce((a, nd) => a + net.values[nd.inputs[0]].size, 0);
        note = `unstable ReLUs after crown: ${perLayer.reduce((a, b) => a + b, 0)}/${total} (per layer ${perLayer.join(' ')})`;
      }
      results.set(method, result);
      const w = widths(result);
      rows.push({ inst, method, meanW: w.mean, maxW: w.max, ms, runs, note });
      log(`  ${inst.group} ${specName} ${method}: mean width ${fmt(w.mean)}, max ${fmt(w.max)}, ${fmtMs(ms)} (${runs} run${runs > 1 ? 's' : ''}) ${note}`);
    }
    // Ordering: each method should be inside the cheaper ones' bounds.
    const order: BoundMethod[] = ['ibp', 'crown', 'alpha', 'lp'];
    for (let i = 1; i < order.length; i++) {
      const a = results.get(order[i]);
      if (!a) continue;
      for (let j = 0; j < i; j++) {
        const b = results.get(order[j]);
        if (!b) continue;
        const { count, worst } = looserRows(a, b);
        if (count > 0) {
          const expected = order[i] === 'lp' && order[j] === 'alpha' ? ' (expected where LPs fell back to crown: lp is intersected with crown, not alpha)' : '';
          issues.push(`${inst.group} ${specName}: ${order[i]} is looser than ${order[j]} on ${count} of ${a.rows} rows (by up to ${fmt(worst)})${expected}`);
        }
      }
    }
    // Sampled range: a lower bound of the true range, and a soundness spot check.
    const samples = QUICK ? 64 : 512;
    const s = sampleOutputs(net, lo, hi, samples);
    let sum = 0, mx = 0;
    for (let j = 0; j < net.outputSize; j++) {
      const w = s.hi[j] - s.lo[j];
      sum += w;
      if (w > mx) mx = w;
    }
    rows.push({ inst, method: 'sampled', meanW: sum / net.outputSize, maxW: mx, ms: NaN, runs: samples, note: `${samples} points (half random vertices): lower bound of the true range` });
    for (const [method, r] of results) {
      for (let j = 0; j < r.rows; j++) {
        if (s.lo[j] < r.lower[j] || s.hi[j] > r.upper[j]) issues.push(`UNSOUND? ${inst.group} ${specName}: a sampled output ${j} lies outside the ${method} bounds`);
      }
    }
  }
  return { rows, issues };
}

// ---------------------------------------------------------------------------------------------
// Section 2: CROWN per domain in batches, FLOP count, reference kernels

interface KernelStats {
  evalMadds: number;
  absMadds: number;
  /** Backward multiply-adds the kernel executes. */
  bwdMadds: number;
  /** Of those, the ones with a nonzero coefficient (the useful part). */
  bwdNonzeroMadds: number;
  evalMs: number;
  absMs: number;
  bwdMs: number;
}
const zeroStats = (): KernelStats => ({ evalMadds: 0, absMadds: 0, bwdMadds: 0, bwdNonzeroMadds: 0, evalMs: 0, absMs: 0, bwdMs: 0 });

/** Multiply-adds of one dense evaluation of `batch` samples (zeros of W included). */
function denseMadds(p: DenseParams, batch: number): number {
  return p.mode === 'left' ? batch * p.groups * p.rows * p.K * p.N : batch * p.rows * p.K * p.N;
}

/**
 * Replace the kernels of the network's dense ops (MatMul, Gemm) by wrappers that either count
 * the multiply-adds they execute (`count`) or time them (`time`). Use a separate copy of the
 * network: the wrappers' own cost must not reach the clean timings.
 *
 * What backwardDense executes: for untransposed 'right' params (every Gemm/MatMul of these
 * networks) with at least a quarter of the coefficients nonzero, the rows times Wᵀ with the
 * blocked kernel (nonzero rows × N × K: all-zero padding rows are skipped); otherwise an axpy loop
 * that skips zero coefficients — nonzeros × K. Both counts are kept: executed, and the nonzero
 * (useful) part.
 */
function instrument(net: Network, st: KernelStats, mode: 'count' | 'time'): void {
  for (const node of net.nodes) {
    const orig = node.kind as OpKind<DenseParams>;
    if (orig.onnx !== 'MatMul' && orig.onnx !== 'Gemm') continue;
    const w: OpKind<DenseParams> = Object.create(orig);
    if (mode === 'count') {
      w.eval = (p, ins, out, batch) => { st.evalMadds += denseMadds(p, batch); orig.eval(p, ins, out, batch); };
      w.absForward = (p, ms, out, batch) => { st.absMadds += denseMadds(p, batch); orig.absForward!(p, ms, out, batch); };
      w.backward = (p, ins, out, g, gIns, batch) => {
        const dense = denseMadds(p, batch);
        let nonzero = dense, executed = dense;
        if (p.mode === 'right') {
          // Mirror the kernel: zero-skipping axpy when under a quarter of g is nonzero, else the
          // blocked dense kernel, which skips blocks of four all-zero rows (padding rows).
          let nz = 0, nzRows = 0;
          const N = p.N;
          for (let r = 0; r < g.length / N; r++) {
            let rowNz = 0;
            for (let j = 0; j < N; j++) if (g[r * N + j] !== 0) rowNz++;
            nz += rowNz;
            if (rowNz > 0) nzRows++;
          }
          nonzero = nz * p.K;
          executed = p.transA || nz * 4 < g.length ? nonzero : nzRows * N * p.K;
        }
        st.bwdNonzeroMadds += nonzero;
        st.bwdMadds += executed;
        orig.backward(p, ins, out, g, gIns, batch);
      };
    } else {
      w.eval = (p, ins, out, batch) => { const t = performance.now(); orig.eval(p, ins, out, batch); st.evalMs += performance.now() - t; };
      w.absForward = (p, ms, out, batch) => { const t = performance.now(); orig.absForward!(p, ms, out, batch); st.absMs += performance.now() - t; };
      w.backward = (p, ins, out, g, gIns, batch) => { const t = performance.now(); orig.backward(p, ins, out, g, gIns, batch); st.bwdMs += performance.now() - t; };
    }
    node.kind = w;
  }
}

/** `count` random sub-boxes of [lo, hi]: each side a random 1%–10% of the box's side. */
function subBoxes(lo: Float64Array, hi: Float64Array, count: number, seed: number): { lo: Float64Array; hi: Float64Array } {
  const n = lo.length, r = rng(seed);
  const L = new Float64Array(count * n), H = new Float64Array(count * n);
  for (let d = 0; d < count; d++) {
    for (let i = 0; i < n; i++) {
      const side = hi[i] - lo[i];
      const w = (0.01 + 0.09 * r()) * side;
      const a = lo[i] + r() * (side - w);
      L[d * n + i] = a;
      H[d * n + i] = Math.min(a + w, hi[i]);
    }
  }
  return { lo: L, hi: H };
}

function slice(b: { lo: Float64Array; hi: Float64Array }, n: number, from: number, count: number): { batch: number; lo: Float64Array; hi: Float64Array } {
  return { batch: count, lo: b.lo.subarray(from * n, (from + count) * n), hi: b.hi.subarray(from * n, (from + count) * n) };
}

/** Run crown over the first `total` domains in batches of `batch`; returns elapsed ms. */
function crownAll(net: Network, doms: { lo: Float64Array; hi: Float64Array }, total: number, batch: number, look?: (r: BoundsResult, D: number) => void): number {
  const n = net.inputSize;
  const t = performance.now();
  for (let d = 0; d < total; d += batch) {
    const D = Math.min(batch, total - d);
    const r = crown({ net, region: slice(doms, n, d, D) });
    look?.(r, D);
  }
  return performance.now() - t;
}

/** Unstable ReLU inputs (lo < 0 < hi) of a batch's result: summed over domains, and the union over the batch (an element unstable in any domain). */
function unstable(net: Network, r: BoundsResult, D: number): { perDomain: number; union: number } {
  let per = 0, union = 0;
  for (const node of net.nodes) {
    if (!node.kind.breakpoints) continue;
    const v = node.inputs[0], size = net.values[v].size;
    const lo = r.nodes.lo[v]!, hi = r.nodes.hi[v]!;
    for (let j = 0; j < size; j++) {
      let any = false;
      for (let d = 0; d < D; d++) {
        if (lo[d * size + j] < 0 && hi[d * size + j] > 0) { per++; any = true; }
      }
      if (any) union++;
    }
  }
  return { perDomain: per, union };
}

interface BatchRow {
  batch: number;
  domains: number;
  usPerDomain: number;
  /** Multiply-adds per domain, by kernel. */
  madds: KernelStats;
  /** Shares of the wall time spent in each kernel (null: not measured in --quick). */
  share: { bwd: number; abs: number; eval: number; other: number; kernelMsPerDomain: number } | null;
  /** Unstable ReLUs per domain (mean) and the union over its batch (mean over batches). */
  unstablePerDomain: number;
  unstableUnion: number;
}

function plainMatvec(W: Float64Array, x: Float64Array, y: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    let a = 0;
    const o = i * n;
    for (let k = 0; k < n; k++) a += W[o + k] * x[k];
    y[i] = a;
  }
}

function matvec4(W: Float64Array, x: Float64Array, y: Float64Array, n: number): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o0 = i * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let k = 0; k < n; k++) {
      const xk = x[k];
      a0 += W[o0 + k] * xk;
      a1 += W[o1 + k] * xk;
      a2 += W[o2 + k] * xk;
      a3 += W[o3 + k] * xk;
    }
    y[i] = a0; y[i + 1] = a1; y[i + 2] = a2; y[i + 3] = a3;
  }
  for (; i < n; i++) {
    let a = 0;
    for (let k = 0; k < n; k++) a += W[i * n + k] * x[k];
    y[i] = a;
  }
}

/** GFLOP/s (2 flops per multiply-add) of `fn`, median of `blocks` blocks of `reps` calls after a warm-up block. */
function gflops(fn: () => void, maddsPerCall: number, reps: number, blocks: number): number {
  for (let i = 0; i < reps; i++) fn();
  const rates: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    rates.push((2 * maddsPerCall * reps) / ((performance.now() - t) * 1e6));
  }
  return median(rates);
}

function referenceKernels(): { name: string; gflops: number }[] {
  const r = rng(7);
  const n = 1000;
  const W = new Float64Array(n * n).map(() => r() - 0.5);
  const x = new Float64Array(n).map(() => r() - 0.5);
  const y = new Float64Array(n);
  const reps = QUICK ? 40 : 100, blocks = QUICK ? 3 : 7;
  const plain = gflops(() => plainMatvec(W, x, y, n), n * n, reps, blocks);
  const four = gflops(() => matvec4(W, x, y, n), n * n, reps, blocks);
  // The project's backward kernel at ACAS Xu's size: 50×50 weights, 1000 dense coefficient rows.
  const p: DenseParams = { mode: 'right', rows: 1, K: 50, N: 50, W: new Float64Array(2500).map(() => r() - 0.5), bias: null, transA: false, groups: 1 };
  const rows = 1000;
  const g = new Float64Array(rows * 50).map(() => r() - 0.5);
  const gx = new Float64Array(rows * 50);
  const bwd = gflops(() => backwardDense(p, g, gx, rows), rows * 2500, reps / 2, blocks);
  return [
    { name: 'matrix–vector 1000×1000, plain loop', gflops: plain },
    { name: 'matrix–vector 1000×1000, 4 rows at a time', gflops: four },
    { name: 'backwardDense (crown\'s A·W kernel) 50×50 weights, 1000 coefficient rows', gflops: bwd },
  ];
}

function section2(): { rows: BatchRow[]; kernels: { name: string; gflops: number }[]; reluCount: number } {
  const path = join(BENCHMARKS, acas);
  const prop = readVnnlibFile(join(BENCHMARKS, 'acasxu/vnnlib/prop_1.vnnlib'));
  const { lo, hi } = prop.disjuncts[0].box;
  const net = readModel(path);
  const countNet = readModel(path);
  const timeNet = readModel(path);
  const rows: BatchRow[] = [];
  // [batch, domains timed, rounds, domains of the counting / time-share passes]
  const plan: [number, number, number, number][] = QUICK
    ? [[1, 64, 1, 64], [64, 128, 1, 128], [512, 512, 1, 512]]
    : [[1, 512, 3, 256], [64, 512, 3, 256], [512, 1024, 2, 512]];
  for (const [batch, total, rounds, sub] of plan) {
    const doms = subBoxes(lo, hi, total, 1000 + batch);
    // Warm-up (JIT): two batches of the same code path, at most 64 domains each.
    const wb = Math.min(batch, 64);
    crownAll(net, doms, 2 * wb, wb);
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) times.push(crownAll(net, doms, total, batch));
    const usPerDomain = (median(times) * 1000) / total;
    // Multiply-adds per domain: a pass with counting kernels over the first `sub` domains.
    const cnt = zeroStats();
    instrument(countNet, cnt, 'count');
    let per = 0, union = 0, batches = 0;
    crownAll(countNet, doms, sub, batch, (r, D) => {
      const u = unstable(countNet, r, D);
      per += u.perDomain;
      union += u.union;
      batches++;
    });
    restore(countNet);
    // Time shares: a pass with timed kernels (full run only; the timers add well under 1 µs per call).
    let share: BatchRow['share'] = null;
    if (!QUICK) {
      const tm = zeroStats();
      instrument(timeNet, tm, 'time');
      crownAll(timeNet, doms, 2 * wb, wb);
      Object.assign(tm, zeroStats());
      const whole = crownAll(timeNet, doms, sub, batch);
      restore(timeNet);
      const k = tm.bwdMs + tm.absMs + tm.evalMs;
      share = { bwd: tm.bwdMs / whole, abs: tm.absMs / whole, eval: tm.evalMs / whole, other: 1 - k / whole, kernelMsPerDomain: k / sub };
    }
    const pd = (v: number): number => v / sub;
    rows.push({
      batch,
      domains: total,
      usPerDomain,
      madds: { evalMadds: pd(cnt.evalMadds), absMadds: pd(cnt.absMadds), bwdMadds: pd(cnt.bwdMadds), bwdNonzeroMadds: pd(cnt.bwdNonzeroMadds), evalMs: 0, absMs: 0, bwdMs: 0 },
      share,
      unstablePerDomain: per / sub,
      unstableUnion: union / batches,
    });
    log(`  crown batch ${batch}: ${fmt(usPerDomain)} µs/domain over ${total} domains (${rounds} round${rounds > 1 ? 's' : ''})`);
  }
  const kernels = referenceKernels();
  for (const k of kernels) log(`  ${k.name}: ${fmt(k.gflops, 3)} GFLOP/s`);
  let reluCount = 0;
  for (const node of net.nodes) if (node.kind.breakpoints) reluCount += net.values[node.inputs[0]].size;
  return { rows, kernels, reluCount };
}

/** Undo `instrument` (the wrappers' prototypes are the original op kinds). */
function restore(net: Network): void {
  for (const node of net.nodes) {
    if (node.kind.onnx !== 'MatMul' && node.kind.onnx !== 'Gemm') continue;
    if (Object.prototype.hasOwnProperty.call(node.kind, 'eval')) node.kind = Object.getPrototypeOf(node.kind) as OpKind;
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function machine(): string[] {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpus()[0]?.model ?? 'unknown').trim();
  let nproc = String(cpus().length);
  try { nproc = execSync('nproc', { encoding: 'utf8' }).trim(); } catch { /* keep os.cpus() */ }
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: REPO, encoding: 'utf8' }).trim();
    if (execSync('git status --porcelain --untracked-files=no', { cwd: REPO, encoding: 'utf8' }).trim()) commit += ' (with uncommitted changes)';
  } catch { /* not a git checkout */ }
  const loadEnd = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${nproc} CPUs (nproc), ${cpu}; node ${process.version}`,
    `- load average (1/5/15 min) at start: ${loadStart}; at end: ${loadEnd} (other jobs on the machine make timings noisy)`,
    `- commit: ${commit}; mode: ${QUICK ? '--quick' : 'full'}; total run time ${fmt((performance.now() - t0Run) / 1000, 3)} s`,
  ];
}

function report(s1: { rows: MethodRow[]; issues: string[] }, s2: ReturnType<typeof section2>): string {
  const L: string[] = [];
  L.push('# Bounding benchmark', '');
  L.push(`Written by \`npx tsx benchmarks/bounds.ts${QUICK ? ' --quick' : ''}\` (see benchmarks/README.md).`, '');
  L.push(...machine(), '');

  L.push('## 1. Output-bound width and time per method', '');
  L.push('Width = upper − lower of each output (identity rows) over the first disjunct box of the VNN-LIB file; mean and max over the outputs.',
    'Time: wall time of one `computeBounds` call, median of the runs shown (after a JIT warm-up of every method on ACAS Xu; the first call of a fast method per row is also discarded).',
    `lp: \`{ intermediate: false, timeLimit: ${LP_TIME_LIMIT} }\` (s per LP; ${'`'}lp${'`'} solves 2 LPs per output over CROWN's intermediate bounds).`,
    '"sampled" is the output range over random inputs of the box: a lower bound of the true range.', '');
  L.push('| network | property | method | mean width | max width | time | runs | note |', '| --- | --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of s1.rows) {
    const spec = r.inst.spec.split('/').pop()!.replace('.vnnlib', '');
    const skipped = r.method !== 'sampled' && r.runs === 0;
    L.push(`| ${r.inst.group} | ${spec} | ${r.method} | ${skipped ? '—' : fmt(r.meanW)} | ${skipped ? '—' : fmt(r.maxW)} | ${r.method === 'sampled' || skipped ? '—' : fmtMs(r.ms)} | ${r.method === 'sampled' || skipped ? '—' : r.runs} | ${r.note} |`);
  }
  L.push('');
  L.push('Checks (each method against every cheaper one, and the samples against every bound):', '');
  if (s1.issues.length === 0) L.push('- none: ibp ⊇ crown ⊇ alpha ⊇ lp on every row, and every sample lies inside every bound.');
  else for (const i of s1.issues) L.push(`- ${i}`);
  L.push('');

  L.push('## 2. CROWN per branch-and-bound domain (ACAS Xu 1_1)', '');
  L.push('Domains: random sub-boxes of the prop_1 box, each side a random 1%–10% of the box\'s side (seeded), scattered over the whole box;',
    '`crown` with the identity rows (5 outputs) on batches of the given size, after a JIT warm-up; µs/domain = median over the rounds of wall time / domains.', '');
  L.push('Multiply-adds (madds) per domain are **counted**, not estimated: a separate copy of the network has its dense ops\' kernels wrapped to add up',
    'the multiply-adds each call executes — `A·W`, the backward product (`backwardDense` runs it dense, rows × N × K; in brackets the part with',
    'a nonzero coefficient); `|W|·m`, rounding-error terms and interval radii; `W·x`, forward evaluations (interval centres, and the forward linear',
    'bounds CROWN uses for intermediate layers on few-input networks). The elementwise loops (relaxation, bias and error sums, concretisation)',
    'are not counted: O(rows × width) against the kernels\' O(rows × width × K), about 1/K = 2% more.',
    'GFLOP/s = 2 × madds / time: over the whole crown call, and over the kernels\' own time (a third copy with timed kernels, which also gives the time shares).',
    `Unstable ReLUs: per domain (of ${s2.reluCount}), and the union over its batch. Each domain gets 2 backward rows per element unstable in it or within a quarter of its interval of the kink, padded with zero rows to the batch's largest count.`, '');
  L.push('| batch | domains | µs / domain | speed-up vs batch 1 | unstable ReLUs / domain (union over batch) | madds / domain: A·W (nonzero part) | \\|W\\|·m | W·x | GFLOP/s, whole crown | GFLOP/s, in kernels | time: A·W / \\|W\\|·m / W·x / rest |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  const base = s2.rows[0].usPerDomain;
  const pct = (x: number): string => `${Math.round(100 * x)}%`;
  const rate = (r: BatchRow): number => (2 * (r.madds.bwdMadds + r.madds.absMadds + r.madds.evalMadds)) / (r.usPerDomain * 1e3);
  for (const r of s2.rows) {
    const m = r.madds;
    const total = m.bwdMadds + m.absMadds + m.evalMadds;
    const inK = r.share ? fmt((2 * total) / (r.share.kernelMsPerDomain * 1e6), 3) : '—';
    const sh = r.share ? `${pct(r.share.bwd)} / ${pct(r.share.abs)} / ${pct(r.share.eval)} / ${pct(r.share.other)}` : '— (not in --quick)';
    L.push(`| ${r.batch} | ${r.domains} | ${fmt(r.usPerDomain)} | ${fmt(base / r.usPerDomain, 3)}× | ${fmt(r.unstablePerDomain, 3)} (${fmt(r.unstableUnion, 3)}) | ${fmt(m.bwdMadds / 1e3)}k (${fmt(m.bwdNonzeroMadds / 1e3)}k) | ${fmt(m.absMadds / 1e3)}k | ${fmt(m.evalMadds / 1e3)}k | ${fmt(rate(r), 3)} | ${inK} | ${sh} |`);
  }
  L.push('');
  const last = s2.rows[s2.rows.length - 1];
  const work = (r: BatchRow): number => r.madds.bwdMadds + r.madds.absMadds + r.madds.evalMadds;
  L.push(`Batching: at batch ${last.batch} a domain costs ${fmt(last.usPerDomain / base, 3)}× the time of batch 1 and executes ${fmt(work(last) / work(s2.rows[0]), 3)}× the kernel multiply-adds`,
    `(A·W alone ${fmt(last.madds.bwdMadds / s2.rows[0].madds.bwdMadds, 3)}×, its nonzero part ${fmt(last.madds.bwdNonzeroMadds / s2.rows[0].madds.bwdNonzeroMadds, 3)}×): a domain has ${fmt(last.unstablePerDomain, 3)} unstable ReLUs (the batch's union: ${fmt(last.unstableUnion, 3)}); rows are padded to the batch's largest count.`, '');
  L.push('Reference kernels, same run (Float64Array, one thread):', '');
  L.push('| kernel | GFLOP/s |', '| --- | ---: |');
  for (const k of s2.kernels) L.push(`| ${k.name} | ${fmt(k.gflops, 3)} |`);
  L.push('');
  const plain = s2.kernels[0].gflops, four = s2.kernels[1].gflops;
  const best = s2.rows.reduce((a, r) => (rate(r) > rate(a) ? r : a), s2.rows[0]);
  const g = rate(best);
  const useful = (r: BatchRow): number => (2 * (r.madds.bwdNonzeroMadds + r.madds.absMadds + r.madds.evalMadds)) / (r.usPerDomain * 1e3);
  L.push(`Target — at least half the plain matrix–vector rate: the best whole-crown rate is ${fmt(g, 3)} GFLOP/s (batch ${best.batch}, executed madds);`,
    `half the plain loop is ${fmt(plain / 2, 3)}: **${g >= plain / 2 ? 'reached' : 'not reached'}**; half the 4-row kernel is ${fmt(four / 2, 3)}: **${g >= four / 2 ? 'reached' : 'not reached'}**.`,
    `Counting only the A·W multiply-adds with a nonzero coefficient, the same run gives ${s2.rows.map((r) => `${fmt(useful(r), 3)} (batch ${r.batch})`).join(', ')} GFLOP/s.`, '');
  return L.join('\n');
}

// ---------------------------------------------------------------------------------------------

log(`bounds benchmark (${QUICK ? 'quick' : 'full'}), data: ${BENCHMARKS}`);
log('section 1: widths and times per method');
const s1 = await section1();
log('section 2: crown per domain in batches');
const s2 = section2();
const md = report(s1, s2);
if (OUT) {
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, md + '\n');
  log(`wrote ${OUT}`);
}
process.stdout.write(md + '\n');
