/**
 * Lipschitz benchmark: global vs local vs the closed interval [lower, upper] on the networks of
 * the reach benchmark.
 *
 *   nice -n 10 npx tsx benchmarks/lipschitz.ts [--timeout s] [--redo REGEX] [--report-only]
 *
 * Rows (ℓ∞ input norm, eps 0.01, each row's branch and bound capped by --timeout, default 15 s):
 * 1. ACAS Xu 1_1, 2_1, 3_3, 4_5, 5_9 over the prop_1..prop_4 boxes, output 0;
 * 2. the bundled MNIST example and mnistfc's mnist-net_256x2 with 2, 3 and 5 free pixels (those
 *    with the largest |∂y_label/∂x| at the image, each free in [0, 1], the others fixed) around
 *    the first three ERAN test images, objective the label's logit;
 * 3. ERAN's sigmoid 6×200 net and the project's own sigmoid 784-32-16-10 net (scripts/train-mnist.ts
 *    --activation sigmoid --widths 32,16 --seed 1, in the gitignored benchmarks/out/models; its rows
 *    are skipped when it has not been trained), the same free-pixel regions (smooth networks);
 * 4. the whole image free in an ℓ∞ ball of radius 0.01 ∩ [0, 1] (784 inputs: no closing expected).
 * Columns: the global product bound, the global interval-Jacobian bound, the local bound of the
 * whole region (before any split), and the interval after branch and bound: lower, upper, the
 * relative gap, boxes bounded, time.
 *
 * Resumable: each finished row is appended to benchmarks/results/lipschitz.csv and skipped when
 * the script runs again; every run rewrites benchmarks/results/lipschitz.md from all rows.
 * --redo REGEX: rows whose "network|region" matches are measured again (their old lines dropped).
 * The timeout counts this process's CPU seconds (`cpuClock`; the machine is shared), and each row
 * records its CPU seconds and the commit it ran at (rows without them ran with a wall-clock
 * timeout, before these columns existed).
 */
import { execSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lipschitzInterval } from '../src/lipschitz/constant.js';
import { globalLipschitz } from '../src/lipschitz/global.js';
import { gradient } from '../src/net/gradient.js';
import { readModel } from '../src/net/io.js';
import type { Network } from '../src/net/network.js';
import { readVnnlibFile } from '../src/spec/vnnlib.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCHMARKS = process.env.LIPCERT_BENCHMARKS ? resolve(process.env.LIPCERT_BENCHMARKS) : resolve(REPO, '..', 'shared', 'benchmarks');
const RESULTS = join(REPO, 'benchmarks', 'results');
const CSV = join(RESULTS, 'lipschitz.csv');
const MD = join(RESULTS, 'lipschitz.md');
const HEADER = 'group,network,region,objective,inputs_free,global_product,global_jacobian,local,lower,upper,gap,certified,boxes,time_s,cpu_s,commit\n';

function opt(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}
const TIMEOUT = Number(opt('timeout', '15'));
const REPORT_ONLY = process.argv.includes('--report-only');
const REDO = opt('redo', '');

/** The code a row ran with (src/lipschitz dirty: "+dirty"). */
const COMMIT = (() => {
  try {
    const c = execSync('git rev-parse --short HEAD', { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain -- src/lipschitz', { cwd: REPO, encoding: 'utf8' }).trim();
    return dirty ? `${c}+dirty` : c;
  } catch { return ''; }
})();

function readRows(): string[][] {
  if (!existsSync(CSV)) return [];
  return readFileSync(CSV, 'utf8').trim().split('\n').slice(1).filter((l) => l).map((l) => l.split(','));
}

interface Job {
  group: string;
  network: string;
  region: string;
  objective: string;
  load: () => { net: Network; lo: Float64Array; hi: Float64Array; row: Float64Array };
}

const nets = new Map<string, Network>();
function net(path: string): Network {
  let n = nets.get(path);
  if (!n) nets.set(path, (n = readModel(path)));
  return n;
}

function images(count: number): { label: number; x: Float64Array }[] {
  const lines = readFileSync(join(BENCHMARKS, 'eran', 'mnist_test.csv'), 'utf8').trim().split('\n').slice(0, count);
  return lines.map((l) => {
    const v = l.split(',').map(Number);
    return { label: v[0], x: Float64Array.from(v.slice(1), (p) => p / 255) };
  });
}

/** The k pixels with the largest |∂y_label/∂x| at the image free in [0, 1], the others fixed. */
function freePixels(n: Network, x: Float64Array, label: number, k: number): { lo: Float64Array; hi: Float64Array } {
  const g = gradient(n, x, label);
  const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, k);
  const lo = Float64Array.from(x), hi = Float64Array.from(x);
  for (const i of order) { lo[i] = 0; hi[i] = 1; }
  return { lo, hi };
}

function jobs(): Job[] {
  const out: Job[] = [];
  for (const id of ['1_1', '2_1', '3_3', '4_5', '5_9']) {
    const path = join(BENCHMARKS, 'acasxu', 'onnx', `ACASXU_run2a_${id}_batch_2000.onnx`);
    for (const p of [1, 2, 3, 4]) {
      out.push({
        group: 'acasxu', network: `ACASXU ${id}`, region: `prop_${p} box`, objective: 'y0',
        load: () => {
          const n = net(path);
          const prop = readVnnlibFile(join(BENCHMARKS, 'acasxu', 'vnnlib', `prop_${p}.vnnlib`), { numInputs: 5, numOutputs: 5 });
          const row = new Float64Array(5); row[0] = 1;
          return { net: n, lo: Float64Array.from(prop.disjuncts[0].box.lo), hi: Float64Array.from(prop.disjuncts[0].box.hi), row };
        },
      });
    }
  }
  const mnist: [string, string][] = [
    ['bundled mnist-relu-64-32', join(REPO, 'examples', 'mnist-relu-64-32.onnx')],
    ['mnist-net_256x2', join(BENCHMARKS, 'mnistfc', 'onnx', 'mnist-net_256x2.onnx')],
    ['eran sigmoid 6x200', join(BENCHMARKS, 'eran', 'nets', 'ffnnSIGMOID__Point_6x200.onnx')],
    ['trained sigmoid 32-16', join(REPO, 'benchmarks', 'out', 'models', 'mnist-sigmoid-32-16-l1-0-s1.onnx')],
  ].filter(([name, path]) => {
    if (existsSync(path)) return true;
    console.error(`lipschitz benchmark: ${path} not found; the ${name} rows are skipped`);
    return false;
  }) as [string, string][];
  for (const [name, path] of mnist) {
    for (let img = 0; img < 3; img++) {
      for (const k of [2, 3, 5]) {
        out.push({
          group: name.includes('trained') ? 'trained-sigmoid' : name.includes('sigmoid') ? 'sigmoid' : 'mnist', network: name, region: `image ${img} with ${k} free pixels`, objective: 'y_label',
          load: () => {
            const n = net(path);
            const { label, x } = images(img + 1)[img];
            const row = new Float64Array(10); row[label] = 1;
            return { net: n, ...freePixels(n, x, label, k), row };
          },
        });
      }
    }
    out.push({
      group: 'ball', network: name, region: 'image 0 in the ℓ∞ ball 0.01 ∩ [0 1]', objective: 'y_label',
      load: () => {
        const n = net(path);
        const { label, x } = images(1)[0];
        const row = new Float64Array(10); row[label] = 1;
        return { net: n, lo: Float64Array.from(x, (v) => Math.max(0, v - 0.01)), hi: Float64Array.from(x, (v) => Math.min(1, v + 0.01)), row };
      },
    });
  }
  return out;
}

const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toPrecision(5)) : String(v));

async function main(): Promise<void> {
  if (!existsSync(CSV)) writeFileSync(CSV, HEADER);
  {
    // A complete older header gets the new columns (its rows leave them empty); --redo drops rows.
    const text = readFileSync(CSV, 'utf8');
    const lines = text.split('\n');
    if (lines[0].startsWith('group,') && `${lines[0]}\n` !== HEADER) lines[0] = HEADER.trimEnd();
    const redo = REDO ? new RegExp(REDO) : null;
    const kept = lines.filter((l, i) => i === 0 || !redo || !l || !redo.test(`${l.split(',')[1]}|${l.split(',')[2]}`));
    const out = kept.join('\n');
    if (out !== text) writeFileSync(CSV, out);
  }
  const done = new Set(readRows().map((r) => `${r[1]}|${r[2]}`));
  if (!REPORT_ONLY) {
    for (const job of jobs()) {
      const key = `${job.network}|${job.region}`;
      if (done.has(key)) continue;
      const { net: n, lo, hi, row } = job.load();
      const free = lo.reduce((s, l, i) => s + (l < hi[i] ? 1 : 0), 0);
      const g = globalLipschitz(n, row, 'inf');
      const c0 = process.cpuUsage();
      const r = await lipschitzInterval(n, { lo, hi }, row, { norm: 'inf', eps: 0.01, timeout: TIMEOUT, cpuClock: true });
      const cu = process.cpuUsage(c0);
      const gap = r.upper > 0 ? (r.upper - r.lower) / r.upper : 0;
      const line = [job.group, job.network, job.region, job.objective, free, g.product[0], g.jacobian[0], r.local ?? NaN, r.lower, r.upper, gap, r.certified, r.boxes, r.time_s.toFixed(2), ((cu.user + cu.system) / 1e6).toFixed(2), COMMIT].join(',');
      appendFileSync(CSV, `${line}\n`);
      console.log(line);
    }
  }
  report();
}

function report(): void {
  const rows = readRows();
  let cpu = cpus()[0]?.model ?? 'unknown';
  try { cpu = execSync("grep -m1 'model name' /proc/cpuinfo", { encoding: 'utf8' }).split(':')[1].trim(); } catch { /* keep */ }
  const lines = [
    '# Lipschitz constants: global vs local vs the closed interval',
    '',
    `Generated by \`benchmarks/lipschitz.ts\` (ℓ∞ input norm, eps 0.01, branch-and-bound timeout ${TIMEOUT} s per row). Machine: ${cpu}, ${cpus().length} cores, Node ${process.version}; other processes shared the 2 cores during the runs (load average at report time ${loadavg()[0].toFixed(2)}), so wall times are upper estimates.`,
    '',
    'Rows with a "CPU s" entry ran with the timeout counted in CPU seconds of the benchmark process (`cpuClock`: what a quiet machine does in that many wall seconds) at the commit shown; rows without one are older, with a wall-clock timeout on the loaded machine.',
    '',
    'Columns: the global product of layer norms; the global interval-Jacobian bound (every derivative over all of ℝ); the local bound of the whole region before any split (interval Jacobian from the intermediate bounds, refined by activation patterns on boxes with ≤ 12 unstable ReLUs; the network restricted to the free inputs); then the certified interval after branch and bound — `lower` is a re-evaluated secant pair, `upper` a proof — its relative gap (upper − lower)/upper, the boxes bounded, the wall time and the CPU time.',
    '',
    'Every row stops at the timeout, root bounding included (a row whose root bound did not finish reports the global bound as upper and no local bound).',
    '',
    '| network | region | free | global (product) | global (Jacobian) | local | lower | upper | gap | closed | boxes | time (s) | CPU s | commit |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(`| ${r[1]} | ${r[2]} | ${r[4]} | ${fmt(Number(r[5]))} | ${fmt(Number(r[6]))} | ${fmt(Number(r[7]))} | ${fmt(Number(r[8]))} | ${fmt(Number(r[9]))} | ${(100 * Number(r[10])).toFixed(2)} % | ${r[11] === 'true' ? 'yes' : 'no'} | ${r[12]} | ${r[13]} | ${r[14] ?? ''} | ${r[15] ?? ''} |`);
  }
  const closed = rows.filter((r) => r[11] === 'true').length;
  const byGroup = (g: string) => rows.filter((r) => r[0] === g);
  lines.push('', `Closed to 1 %: ${closed} of ${rows.length} rows.`);
  for (const g of ['acasxu', 'mnist', 'sigmoid', 'trained-sigmoid', 'ball']) {
    const rs = byGroup(g);
    if (rs.length === 0) continue;
    const ratio = rs.map((r) => Number(r[5]) / Number(r[9])).filter(Number.isFinite).sort((a, b) => a - b);
    const localRatio = rs.map((r) => Number(r[7]) / Number(r[9])).filter(Number.isFinite).sort((a, b) => a - b);
    const med = (a: number[]) => (a.length ? a[Math.floor(a.length / 2)] : NaN);
    lines.push(`- ${g}: ${rs.filter((r) => r[11] === 'true').length}/${rs.length} closed; median global-product/upper ${fmt(med(ratio))}, median local/upper ${fmt(med(localRatio))}.`);
  }
  writeFileSync(MD, `${lines.join('\n')}\n`);
  console.log(`wrote ${MD}`);
}

await main();
