/**
 * Reach benchmark: certified min and max of network outputs over input regions.
 *
 *   npx tsx benchmarks/reach.ts [--part acas|methods|mnist|sigmoid|sigmoid-trained|all] [--timeout s] [--limit N] [--filter REGEX] [--reverse] [--report-only]
 *
 * Parts (each row runs in its own child process, so its peak memory is its own; rows are
 * appended to benchmarks/results/reach.csv as they finish and skipped when already there, so the
 * run resumes after an interruption):
 * - acas:    every ACAS Xu network × prop_1,3,4 box × output j: min and max of y_j to eps 1e-3
 *            (default method), `--timeout` CPU seconds per row (default 10, shared by min and max;
 *            every row runs with reach's `cpuClock`, so a loaded machine does not change which
 *            rows certify). Rows go network by network in a fixed shuffled order (a partial run
 *            is a random sample of networks); prop_2's box is prop_1's (see acasRows).
 * - methods: nested vs bnb side by side: random dense ReLU/sigmoid/tanh nets with 1, 2, 3 free
 *            inputs, and ACAS Xu 1_1 prop_1 with 1 and 2 free inputs (the others at the centre).
 * - mnist:   the bundled example (examples/mnist-relu-64-32.onnx) and mnistfc 256x2, 2/3/5 free
 *            pixels around test digits (the 3×3-neighbourhood's most central dark pixels are
 *            left alone: the free pixels are the first k pixels of the digit's stroke, range
 *            [0, 1]), objective the predicted logit, eps 1e-2 and 1e-3.
 * - sigmoid: ERAN's ffnnSIGMOID 6×200 with 2/3/5 free pixels: how many boxes the Lipschitz bound
 *            decides (vs the linear bound), with and without it; and the project's own small
 *            sigmoid MNIST net (784-32-16-10, `npx tsx scripts/train-mnist.ts --activation sigmoid
 *            --widths 32,16`, written to benchmarks/out/models; its rows are skipped with a note
 *            when it has not been trained) with 2/3/5 free pixels of the bundled test digits.
 * The Markdown table goes to benchmarks/results/reach.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = process.env.LIPCERT_BENCHMARKS ? resolve(process.env.LIPCERT_BENCHMARKS) : resolve(ROOT, '..', 'shared', 'benchmarks');
const CSV = resolve(ROOT, 'benchmarks/results/reach.csv');
const MD = resolve(ROOT, 'benchmarks/results/reach.md');
const HEAD = 'part,id,network,region,objective,method,eps,timeout,min_lower,min_upper,max_lower,max_upper,certified,time_s,boxes,lip_decided,lin_decided,peak_mb,cpu_s,commit';

interface Row {
  part: string;
  id: string;
  network: string;
  region: string;
  objective: string;
  method: string;
  eps: number;
  timeout: number;
  /** Only for the child. */
  spec: RowSpec;
}

type RowSpec =
  | { kind: 'vnnlib'; model: string; vnnlib: string; output: number }
  | { kind: 'free'; model: string; center: number[]; free: number[]; lo: number; hi: number; output: number; lipschitz?: boolean }
  | { kind: 'random'; act: 'Relu' | 'Sigmoid' | 'Tanh'; seed: number; inputs: number; output: number };

function args(): Record<string, string> {
  const out: Record<string, string> = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) if (a[i].startsWith('--')) out[a[i].slice(2)] = a[i + 1] && !a[i + 1].startsWith('--') ? a[++i] : 'true';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Child: run one row, print one JSON line.

async function runChild(spec: RowSpec, method: string, eps: number, timeout: number): Promise<void> {
  const { readModel } = await import('../src/net/io.js');
  const { reach } = await import('../src/reach/reach.js');
  const { outputObjective } = await import('../src/reach/objective.js');
  let net, regions, free: number[] | undefined, at: Float64Array | undefined;
  let lipschitz = true;
  if (spec.kind === 'random') {
    const { randomDense, buildFromSpec } = await import('../test/helpers/random_net.js');
    net = buildFromSpec(randomDense({ seed: spec.seed, inputs: spec.inputs, widths: [16, 16, 16], outputs: 2, act: spec.act }));
    regions = [{ kind: 'box' as const, lo: new Float64Array(spec.inputs).fill(-1), hi: new Float64Array(spec.inputs).fill(1) }];
  } else if (spec.kind === 'vnnlib') {
    const { readVnnlibFile } = await import('../src/spec/vnnlib.js');
    const { vnnlibRegions } = await import('../src/spec/region.js');
    net = readModel(spec.model);
    regions = vnnlibRegions(readVnnlibFile(spec.vnnlib, { numInputs: net.inputSize, numOutputs: net.outputSize })).map((r) => r.region);
  } else {
    net = readModel(spec.model);
    const n = net.inputSize;
    const lo = Float64Array.from(spec.center), hi = Float64Array.from(spec.center);
    for (const i of spec.free) { lo[i] = spec.lo; hi[i] = spec.hi; }
    regions = [{ kind: 'box' as const, lo, hi }];
    free = spec.free;
    at = Float64Array.from(spec.center);
    if (n !== spec.center.length) throw new Error('centre size');
    lipschitz = spec.lipschitz ?? true;
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await reach(net, regions, outputObjective(net.outputSize, spec.output), { method: method as 'auto', eps, timeout, free, at, lipschitz, cpuClock: true });
  const cu = process.cpuUsage(c0);
  const x = r.results[0];
  const out = {
    min_lower: x.min.lower, min_upper: x.min.upper, max_lower: x.max.lower, max_upper: x.max.upper, certified: r.certified,
    time_s: (performance.now() - t0) / 1000, boxes: x.min.iterations + x.max.iterations,
    lip_decided: x.min.decided.lipschitz + x.max.decided.lipschitz, lin_decided: x.min.decided.linear + x.max.decided.linear,
    method: r.method, peak_mb: process.resourceUsage().maxRSS / 1024, cpu_s: (cu.user + cu.system) / 1e6,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Rows.

/**
 * ACAS Xu rows, network by network in a fixed shuffled order (so a partial run is a random sample
 * of the networks with every box and output of each), prop_3, prop_4, then prop_1. prop_2's input
 * box is prop_1's (only their output constraints differ, which reach ignores), so its rows are the
 * same queries: they are not run again; the report counts the prop_1 rows for both.
 */
function acasRows(timeout: number): Row[] {
  const rows: Row[] = [];
  const nets: string[] = [];
  for (let a = 1; a <= 5; a++) for (let b = 1; b <= 9; b++) nets.push(`${a}_${b}`);
  // A fixed shuffle (a linear congruential sequence): the order of the sample.
  let z = 12345;
  for (let i = nets.length - 1; i > 0; i--) {
    z = (z * 1103515245 + 12345) % 2147483648;
    const k = z % (i + 1);
    [nets[i], nets[k]] = [nets[k], nets[i]];
  }
  for (const net of nets) for (const p of [3, 4, 1]) for (let j = 0; j < 5; j++) {
    rows.push({
      part: 'acas', id: `acas:${net}:prop_${p}:y${j}`, network: `ACASXU ${net}`, region: `prop_${p}`, objective: `y${j}`, method: 'auto', eps: 1e-3, timeout,
      spec: { kind: 'vnnlib', model: `${BENCH}/acasxu/onnx/ACASXU_run2a_${net}_batch_2000.onnx`, vnnlib: `${BENCH}/acasxu/vnnlib/prop_${p}.vnnlib`, output: j },
    });
  }
  return rows;
}

function digits(): { labels: number[]; images: number[][] } {
  return JSON.parse(readFileSync(resolve(ROOT, 'examples/mnist-test-digits.json'), 'utf8'));
}

/** The first k pixels of the digit's stroke (value > 0.5), in raster order from the middle row. */
function strokePixels(img: number[], k: number): number[] {
  const order = Array.from({ length: 784 }, (_, i) => i).filter((i) => img[i] > 0.5);
  order.sort((a, b) => Math.abs(Math.floor(a / 28) - 14) - Math.abs(Math.floor(b / 28) - 14) || a - b);
  return order.slice(0, k);
}

function methodRows(timeout: number): Row[] {
  const rows: Row[] = [];
  for (const act of ['Relu', 'Sigmoid', 'Tanh'] as const) for (const inputs of [1, 2, 3]) for (const seed of [1, 2]) for (const method of ['nested', 'bnb']) {
    rows.push({ part: 'methods', id: `methods:${act}:${inputs}:${seed}:${method}`, network: `random ${act} ${inputs}-16-16-16-2 seed ${seed}`, region: `[-1,1]^${inputs}`, objective: 'y0', method, eps: 1e-3, timeout, spec: { kind: 'random', act, seed, inputs, output: 0 } });
  }
  const prop1 = { lo: [0.6, -0.5, -0.5, 0.45, -0.5], hi: [0.679857769, 0.5, 0.5, 0.5, -0.45] };
  const centre = prop1.lo.map((l, i) => 0.5 * l + 0.5 * prop1.hi[i]);
  for (const free of [[0], [1], [0, 1], [1, 2]]) for (const method of ['nested', 'bnb']) {
    rows.push({
      part: 'methods', id: `methods:acas1_1:${free.join('+')}:${method}`, network: 'ACASXU 1_1', region: `prop_1, free x${free.join(',x')}`, objective: 'y0', method, eps: 1e-3, timeout,
      spec: { kind: 'free', model: `${BENCH}/acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx`, center: centre, free, lo: NaN, hi: NaN, output: 0 },
    });
  }
  return rows;
}

function mnistRows(timeout: number): Row[] {
  const rows: Row[] = [];
  const d = digits();
  const models: [string, string][] = [['bundled 64-32', resolve(ROOT, 'examples/mnist-relu-64-32.onnx')], ['mnistfc 256x2', `${BENCH}/mnistfc/onnx/mnist-net_256x2.onnx`]];
  for (const [name, model] of models) for (const k of [2, 3, 5]) for (const eps of [1e-2, 1e-3]) for (const idx of [0, 1, 2]) {
    const img = d.images[idx];
    rows.push({
      part: 'mnist', id: `mnist:${name}:${k}:${eps}:${idx}`, network: name, region: `digit ${idx}, ${k} free pixels in [0,1]`, objective: `y${d.labels[idx]}`, method: 'auto', eps, timeout,
      spec: { kind: 'free', model, center: img, free: strokePixels(img, k), lo: 0, hi: 1, output: d.labels[idx] },
    });
  }
  return rows;
}

function sigmoidRows(timeout: number): Row[] {
  const rows: Row[] = [];
  const csv = readFileSync(`${BENCH}/eran/mnist_test.csv`, 'utf8').trim().split('\n').slice(0, 2);
  for (const [idx, line] of csv.entries()) {
    const v = line.split(',').map(Number);
    const label = v[0], img = v.slice(1).map((p) => p / 255);
    for (const k of [1, 2, 3, 5]) for (const lipschitz of [true, false]) {
      if (k === 1 && !lipschitz) continue; // one free input: auto = nested, which always uses the constant
      rows.push({
        part: 'sigmoid', id: `sigmoid:${idx}:${k}:${lipschitz}`, network: 'ERAN ffnnSIGMOID 6x200', region: `test image ${idx}, ${k} free pixels in [0,1]`, objective: `y${label}`, method: k === 1 ? 'auto' : lipschitz ? 'bnb' : 'bnb (no Lipschitz)', eps: 1e-3, timeout,
        spec: { kind: 'free', model: `${BENCH}/eran/nets/ffnnSIGMOID__Point_6x200.onnx`, center: img, free: strokePixels(img, k), lo: 0, hi: 1, output: label, lipschitz },
      });
    }
    // Small boxes, where the Lipschitz bound (mean-value form) is as tight as the linear one or
    // tighter (docs/reach.md: from sides of about 0.03): side 0.03 around the middle of the pixel
    // range, a small eps so that the search has to split.
    for (const lipschitz of [true, false]) {
      rows.push({
        part: 'sigmoid', id: `sigmoid:small:${idx}:3:${lipschitz}`, network: 'ERAN ffnnSIGMOID 6x200', region: `test image ${idx}, 3 free pixels in [0.485,0.515]`, objective: `y${label}`, method: lipschitz ? 'bnb' : 'bnb (no Lipschitz)', eps: 1e-6, timeout,
        spec: { kind: 'free', model: `${BENCH}/eran/nets/ffnnSIGMOID__Point_6x200.onnx`, center: img, free: strokePixels(img, 3), lo: 0.485, hi: 0.515, output: label, lipschitz },
      });
    }
  }
  return rows;
}

/** The project's small sigmoid MNIST net (scripts/train-mnist.ts --activation sigmoid --widths 32,16 --seed 1). */
const TRAINED_SIGMOID = resolve(ROOT, 'benchmarks/out/models/mnist-sigmoid-32-16-l1-0-s1.onnx');

/**
 * The trained sigmoid net: k stroke pixels of bundled test digits 0–2 free in [0, 1], the digit's
 * logit, eps 1e-3, with and without the Lipschitz bound (bnb; one free pixel: auto = nested).
 */
function trainedSigmoidRows(timeout: number): Row[] {
  if (!existsSync(TRAINED_SIGMOID)) {
    process.stderr.write(`reach benchmark: ${TRAINED_SIGMOID} not found (train it: npx tsx scripts/train-mnist.ts --activation sigmoid --widths 32,16); its rows are skipped\n`);
    return [];
  }
  const rows: Row[] = [];
  const d = digits();
  for (const idx of [0, 1, 2]) for (const k of [2, 3, 5]) for (const lipschitz of [true, false]) {
    const img = d.images[idx];
    rows.push({
      part: 'sigmoid', id: `sigmoid:trained:${idx}:${k}:${lipschitz}`, network: 'trained sigmoid 784-32-16-10', region: `digit ${idx}, ${k} free pixels in [0,1]`, objective: `y${d.labels[idx]}`, method: lipschitz ? 'bnb' : 'bnb (no Lipschitz)', eps: 1e-3, timeout,
      spec: { kind: 'free', model: TRAINED_SIGMOID, center: img, free: strokePixels(img, k), lo: 0, hi: 1, output: d.labels[idx], lipschitz },
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// CSV and report.

type Done = Record<string, string>;

/** One CSV line's fields (double-quoted fields may hold commas and doubled quotes). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '', inQ = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inQ) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') inQ = false; else cur += c;
    } else if (c === '"') inQ = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

function readDone(): Map<string, Done> {
  const out = new Map<string, Done>();
  if (!existsSync(CSV)) return out;
  const lines = readFileSync(CSV, 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  for (const l of lines.slice(1)) {
    const f = splitCsv(l);
    const o: Done = {};
    head.forEach((h, i) => { o[h] = f[i]; });
    out.set(o.id, o);
  }
  return out;
}

/** The code a row ran with (rows without one ran before the column existed, at 199ff03 or earlier). */
const COMMIT = (() => {
  try {
    const c = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src/reach', 'src/lipschitz'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${c}+dirty` : c;
  } catch { return ''; }
})();

const q = (s: string) => (/[,"\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function runRow(row: Row): void {
  const method = row.method.startsWith('bnb') ? 'bnb' : row.method;
  const spec = row.spec.kind === 'free' && Number.isNaN(row.spec.lo)
    ? row.spec // ACAS free rows: the prop_1 box for the free inputs (filled below)
    : row.spec;
  if (spec.kind === 'free' && Number.isNaN(spec.lo)) {
    // ACAS Xu 1_1 prop_1 with only some inputs free: a per-input range, passed as lo/hi of the box.
    const lo = [0.6, -0.5, -0.5, 0.45, -0.5], hi = [0.679857769, 0.5, 0.5, 0.5, -0.45];
    (spec as any).perInput = { lo, hi };
  }
  const t0 = performance.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(spec), '--method', method, '--eps', String(row.eps), '--timeout', String(row.timeout)], { cwd: ROOT, encoding: 'utf8', timeout: (row.timeout * 100 + 120) * 1000 });
  const wall = (performance.now() - t0) / 1000;
  let o: Record<string, unknown> = {};
  try {
    o = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}');
  } catch {
    o = {};
  }
  const num = (v: unknown) => (typeof v === 'number' ? String(v) : '');
  const line = [row.part, row.id, row.network, row.region, row.objective, String(o.method ?? row.method) + (row.method.includes('no Lipschitz') ? ' (no Lipschitz)' : ''), String(row.eps), String(row.timeout),
    num(o.min_lower), num(o.min_upper), num(o.max_lower), num(o.max_upper), o.certified === undefined ? `error: ${(res.stderr || '').split('\n').filter(Boolean).pop() ?? res.status}` : String(o.certified),
    num(o.time_s), num(o.boxes), num(o.lip_decided), num(o.lin_decided), typeof o.peak_mb === 'number' ? o.peak_mb.toFixed(0) : '', typeof o.cpu_s === 'number' ? o.cpu_s.toFixed(2) : '', COMMIT].map(q).join(',');
  if (!existsSync(CSV)) writeFileSync(CSV, `${HEAD}\n`);
  else {
    // Older files lack the last columns: widen the header (their rows leave them empty).
    const text = readFileSync(CSV, 'utf8');
    const nl = text.indexOf('\n');
    // Only a complete older header is widened (never a file caught mid-write by another run).
    if (nl > 0 && text.startsWith('part,id,') && text.slice(0, nl) !== HEAD) writeFileSync(CSV, `${HEAD}${text.slice(nl)}`);
  }
  appendFileSync(CSV, `${line}\n`);
  process.stderr.write(`${row.id}: ${o.certified === undefined ? 'error' : o.certified ? 'certified' : 'not certified'} in ${num(o.time_s) || wall.toFixed(1)} s\n`);
}

function median(v: number[]): number {
  const s = v.slice().sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
}

const f4 = (s: string) => (s === '' ? '' : Number(s).toPrecision(6));

function report(): void {
  const done = [...readDone().values()];
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpus()[0]?.model ?? 'unknown').trim();
  let nproc = String(cpus().length);
  try { nproc = execFileSync('nproc', { encoding: 'utf8' }).trim(); } catch { /* keep */ }
  const L: string[] = [
    '# Reach benchmark (`npx tsx benchmarks/reach.ts`)',
    '',
    `Machine: ${cpu}, nproc ${nproc}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Other processes (other`,
    'sessions\' tests and benchmarks) shared the 2 cores during these runs; timeouts count CPU seconds (`cpuClock`). Each row ran in',
    'its own process; time = the reach call\'s wall time (min and max), CPU s its CPU time, peak = the child\'s peak RSS. Every interval is certified',
    'sound (min.lower and max.upper proved, the other ends witness values); "certified" means both gaps ≤ eps.',
    '',
  ];
  const table = (rows: Done[], cols: [string, (r: Done) => string][]) => {
    L.push(`| ${cols.map((c) => c[0]).join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`);
    for (const r of rows) L.push(`| ${cols.map((c) => c[1](r)).join(' | ')} |`);
    L.push('');
  };
  const interval = (a: string, b: string) => `[${f4(a)}, ${f4(b)}]`;
  const base: [string, (r: Done) => string][] = [
    ['network', (r) => r.network], ['region', (r) => r.region], ['objective', (r) => r.objective], ['method', (r) => r.method], ['eps', (r) => r.eps],
    ['min [lower, upper]', (r) => interval(r.min_lower, r.min_upper)], ['max [lower, upper]', (r) => interval(r.max_lower, r.max_upper)],
    ['certified', (r) => r.certified], ['time s', (r) => (r.time_s === '' ? '' : Number(r.time_s).toFixed(2))], ['boxes', (r) => r.boxes],
    ['Lipschitz decided', (r) => r.lip_decided], ['linear decided', (r) => r.lin_decided], ['peak MB', (r) => r.peak_mb], ['CPU s', (r) => r.cpu_s ?? ''],
  ];
  const acas = done.filter((r) => r.part === 'acas');
  if (acas.length) {
    // Time to certify: the row's CPU seconds when certified (the timeout is a CPU budget), else ∞.
    const tOf = (r: Done) => (r.certified === 'true' ? Number(r.cpu_s) : Infinity);
    const summary = (rows: Done[]) => {
      const times = rows.map(tOf);
      const med = median(times);
      return `median ${Number.isFinite(med) ? `${med.toFixed(2)} s` : '∞ (half or more not certified within the budget)'}, ${(100 * times.filter((t) => t <= 10).length / rows.length).toFixed(1)} % within 10 s`;
    };
    // prop_2's rows are prop_1's queries (same input box): counted twice in the 900-row view.
    const as900 = [...acas, ...acas.filter((r) => r.region === 'prop_1')];
    const cert = acas.filter((r) => r.certified === 'true');
    const worst = cert.length ? cert.reduce((a, b) => (Number(b.cpu_s) > Number(a.cpu_s) ? b : a)) : undefined;
    const nets = new Set(acas.map((r) => r.network)).size;
    const complete = [...new Set(acas.map((r) => r.network))].filter((nw) => acas.filter((r) => r.network === nw).length === 15).length;
    L.push('## ACAS Xu: min and max of each output over the prop_1..4 boxes, eps 1e-3', '',
      nets === 45 && complete === 45
        ? `${acas.length} rows: every one of the 45 networks with all 15 rows (every output over the prop_3, prop_4 and prop_1 boxes).`
        : `${acas.length} rows ran over ${nets} of the 45 networks (a fixed random sample, taken network by network from both ends of the order), ${complete} of them with all 15 rows (every output over the prop_3, prop_4 and prop_1 boxes).`,
      'prop_2\'s input box is prop_1\'s (only the output constraints differ, and reach ignores them), so its rows are the same queries and are not run twice.',
      `The budget per row is ${acas[0].timeout} CPU seconds for min and max together (\`cpuClock\`: the timeout counts the process's CPU time, so the table measures the`,
      'algorithm, not the machine\'s load); time = CPU seconds to certify both extremes.', '',
      `- Over the distinct queries run: certified ${cert.length} of ${acas.length}; ${summary(acas)}.`,
      `- Counting prop_1's rows again for prop_2 (the 900-row set's proportions): ${summary(as900)}.`,
      `- Worst certified row: ${worst ? `${worst.id} (${Number(worst.cpu_s).toFixed(2)} CPU s)` : 'none'}; rows not certified within the budget: ${acas.length - cert.length}. Peak memory: max ${Math.max(...acas.map((r) => Number(r.peak_mb) || 0))} MB.`, '');
    const share = acas.filter((r) => r.cpu_s && Number(r.time_s) > 0).map((r) => Number(r.cpu_s) / Number(r.time_s));
    const byCommit = new Map<string, number>();
    for (const r of acas) byCommit.set(r.commit || 'before', (byCommit.get(r.commit || 'before') ?? 0) + 1);
    L.push(`Code per row (the \`commit\` column of reach.csv): ${[...byCommit].map(([c, k]) => `${k} rows at ${c === 'before' ? '199ff03 or earlier (no column)' : c}`).join(', ')}.`,
      'Every commit listed has the reach code of cd67d58: an extreme that ran out of its share resumes with the time the other one left (and the CPU clock is read every 10 ms instead of 2).',
      'Rows without a commit ran before the resume. The resume can only change a row whose min was open after its half of the budget while its max certified early: those 11 rows were re-run (6 now certify).',
      'Between the old rows and the new ones the lead\'s CROWN kernels changed (a778c57, 1155859, 6b7bc70, 0020f3b): bit-identical bounds, about 10 % faster on ACAS Xu by the lead\'s measurements, so the later rows bound somewhat more boxes per CPU second.', '');
    if (share.length) L.push(`Wall time was longer: the rows ran under \`nice\` next to other sessions' work on the 2 cores, with a median CPU share of ${median(share).toFixed(2)} per row.`, '');
    const byProp = [3, 4, 1].map((k) => {
      const rs = acas.filter((r) => r.region === `prop_${k}`);
      return rs.length ? `prop_${k}: ${rs.filter((r) => r.certified === 'true').length}/${rs.length} certified, ${summary(rs)}` : '';
    }).filter(Boolean);
    const byOut = [0, 1, 2, 3, 4].map((j) => {
      const rs = acas.filter((r) => r.objective === `y${j}`);
      return `y${j}: ${rs.filter((r) => r.certified === 'true').length}/${rs.length}`;
    });
    L.push(...byProp.map((x) => `- ${x}`), '', `Certified by output: ${byOut.join(', ')}.`, '',
      'The previous code\'s run (split gate 0.5, the Lipschitz bound on every batch, centred form, 20 s of wall time per row on a loaded machine; 438 rows: 46.8 % certified within 10 s) is kept in [reach_v1.md](reach_v1.md).', '');
    table(acas, base.filter((c) => c[0] !== 'method' && c[0] !== 'eps'));
  }
  /** One summary line per group: rows certified, median CPU s of the certified ones, boxes decided by each bound. */
  const groups = (rows: Done[], key: (r: Done) => string): string[] => {
    const by = new Map<string, Done[]>();
    for (const r of rows) { const k = key(r); if (!by.has(k)) by.set(k, []); by.get(k)!.push(r); }
    return [...by].map(([k, rs]) => {
      const cert = rs.filter((r) => r.certified === 'true');
      const med = median(cert.map((r) => Number(r.cpu_s)));
      const lip = rs.reduce((a, r) => a + (Number(r.lip_decided) || 0), 0), lin = rs.reduce((a, r) => a + (Number(r.lin_decided) || 0), 0);
      return `- ${k}: certified ${cert.length}/${rs.length}${cert.length ? `, median ${med.toFixed(2)} CPU s over the certified` : ''}; decided by the Lipschitz bound ${lip}, by the linear bound ${lin}.`;
    });
  };
  const sec = (part: string, title: string, text: string[], key?: (r: Done) => string) => {
    const rows = done.filter((r) => r.part === part);
    if (!rows.length) return;
    L.push(`## ${title}`, '', ...text, '');
    if (key) L.push(...groups(rows, key), '');
    table(rows, base);
  };
  sec('methods', 'nested vs bnb', ['Random dense nets (3 hidden layers of 16) on [-1, 1]^k and ACAS Xu 1_1 with 1–2 inputs free over the prop_1 box (others at its centre); objective y0, eps 1e-3.'], (r) => `${r.network.startsWith('random') ? `random ${r.network.split(' ')[1]}, ${r.region.replace('[-1,1]^', '')} free` : `${r.network}, ${r.region}`}, ${r.method}`);
  sec('mnist', 'MNIST: a few free pixels', ['The bundled example and mnistfc 256x2; k stroke pixels of a test digit free in [0, 1], the others fixed; objective the digit\'s logit.'], (r) => `${r.network}, ${r.region.replace(/digit \d+, /, '')}, eps ${r.eps}`);
  sec('sigmoid', 'Sigmoid networks: where the Lipschitz bound decides', ['ERAN ffnnSIGMOID 6×200; k stroke pixels free in [0, 1] (eps 1e-3), or 3 of them in [0.485, 0.515] (eps 1e-6: small boxes, where the Lipschitz bound is as tight as the linear one); with and without the Lipschitz bound (bnb).',
    'The project\'s own sigmoid MNIST net (784-32-16-10, `scripts/train-mnist.ts --activation sigmoid --widths 32,16 --seed 1`, gitignored benchmarks/out/models): k stroke pixels of bundled test digits 0–2 free in [0, 1], eps 1e-3, with and without the Lipschitz bound.'],
  (r) => `${r.network.startsWith('ERAN') ? 'ERAN 6×200' : 'trained 32-16'}, ${r.region.replace(/(test image|digit) \d+, /, '')}, ${r.method}`);
  writeFileSync(MD, `${L.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------

const a = args();
if (a.child) {
  const spec = JSON.parse(a.child) as RowSpec & { perInput?: { lo: number[]; hi: number[] } };
  if (spec.kind === 'free' && spec.perInput) {
    // Free inputs range over the given per-input box; the runner passes the box through lo/hi = NaN.
    const { readModel } = await import('../src/net/io.js');
    const { reach } = await import('../src/reach/reach.js');
    const { outputObjective } = await import('../src/reach/objective.js');
    const net = readModel(spec.model);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await reach(net, [{ kind: 'box', lo: Float64Array.from(spec.perInput.lo), hi: Float64Array.from(spec.perInput.hi) }], outputObjective(net.outputSize, spec.output),
      { method: a.method as 'auto', eps: Number(a.eps), timeout: Number(a.timeout), free: spec.free, at: Float64Array.from(spec.center), cpuClock: true });
    const x = r.results[0];
    process.stdout.write(`${JSON.stringify({
      min_lower: x.min.lower, min_upper: x.min.upper, max_lower: x.max.lower, max_upper: x.max.upper, certified: r.certified, time_s: (performance.now() - t0) / 1000,
      boxes: x.min.iterations + x.max.iterations, lip_decided: x.min.decided.lipschitz + x.max.decided.lipschitz, lin_decided: x.min.decided.linear + x.max.decided.linear, method: r.method, peak_mb: process.resourceUsage().maxRSS / 1024,
      cpu_s: (process.cpuUsage(c0).user + process.cpuUsage(c0).system) / 1e6,
    })}\n`);
  } else await runChild(spec, a.method, Number(a.eps), Number(a.timeout));
} else {
  if (!a['report-only']) {
    const part = a.part ?? 'all';
    const timeout = Number(a.timeout ?? 10);
    const rows = [
      ...(part === 'methods' || part === 'all' ? methodRows(timeout) : []),
      ...(part === 'mnist' || part === 'all' ? mnistRows(timeout) : []),
      ...(part === 'sigmoid' || part === 'all' ? sigmoidRows(timeout) : []),
      ...(part === 'sigmoid' || part === 'sigmoid-trained' || part === 'all' ? trainedSigmoidRows(timeout) : []),
      ...(part === 'acas' || part === 'all' ? acasRows(timeout) : []),
    ];
    if (a.filter) for (let i = rows.length - 1; i >= 0; i--) if (!new RegExp(a.filter).test(rows[i].id)) rows.splice(i, 1);
    if (a.reverse) rows.reverse();
    let left = Number(a.limit ?? Infinity);
    for (const row of rows) {
      // Re-read before each row: another run (e.g. --reverse) may share the file.
      if (readDone().has(row.id)) continue;
      if (left-- <= 0) break;
      runRow(row);
      report();
    }
  }
  report();
}
