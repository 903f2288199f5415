/**
 * VNN-COMP-style benchmark runner: runs instances of a benchmark's instances.csv, each as its own
 * process through vnncomp/run_instance.sh (exactly as the competition calls a tool, start-up
 * included), and reports answers, correctness, wall time and peak memory.
 *
 * Usage (build the CLI first: `npx tsc -p tsconfig.build.json`):
 *
 *   npx tsx benchmarks/vnncomp.ts --benchmark acasxu [--filter prop_1] [--max-timeout 30]
 *       [--limit N] [--out benchmarks/results/acasxu.csv]
 *   npm run bench:vnncomp -- --benchmark mnistfc --instances instances_2022.csv --expected none
 *
 * Options:
 *   --benchmark NAME      folder of the benchmark data (acasxu, mnistfc, eran) under
 *                         --benchmarks-dir (default $LIPCERT_BENCHMARKS, else ../shared/benchmarks)
 *   --instances FILE      the instance list inside that folder (default instances.csv); each line
 *                         `ONNX,VNNLIB,TIMEOUT` with paths relative to the folder
 *   --filter RE           keep instances whose `NETWORK,PROPERTY` (file names without folder and
 *                         extension) matches the regular expression RE, not directly preceded or
 *                         followed by a letter or digit: `prop_1` selects prop_1, not prop_10;
 *                         `1_1,prop_3` selects network 1_1 with prop_3. Repeat for any of several.
 *   --limit N             only the first N instances (after filtering)
 *   --max-timeout S       cap every instance's timeout at S seconds
 *   --category C          CATEGORY passed to run_instance.sh (default: the benchmark name)
 *   --expected FILE|none  expected answers (CSV network,property,expected); default
 *                         <benchmarks-dir>/expected/<benchmark>.csv, or <benchmark>_2021.csv
 *                         with the default instances.csv
 *   --out FILE            the CSV (default benchmarks/results/<benchmark>.csv); the Markdown
 *                         summary goes next to it (same name, .md) and the result files into
 *                         <out without .csv>/ (NETWORK__PROPERTY.result)
 *   --grace S             kill an instance still running S seconds after its timeout (default 30;
 *                         it then counts as `timeout`, note `killed`)
 *   --no-validate         do not check sat counterexamples with onnxruntime
 *   --fresh               start over; by default a run RESUMES from the rows already in --out:
 *                         an instance with a row (same timeout, a result other than missing or
 *                         error) is skipped, and rows of instances outside --filter are kept, so
 *                         parts (e.g. one network at a time) add up to one table
 *
 * Each instance: prepare_instance.sh, then run_instance.sh under `/usr/bin/time -f %M` (peak RSS
 * of the process tree; without /usr/bin/time, /proc/<pid>/status VmHWM of every process of the
 * tree is polled every 50 ms — an approximation). Wall time is measured around run_instance.sh.
 *
 * Every `sat` result file is checked as VNN-COMP does (SCORING/counterexamples.py), with
 * onnxruntime-node as the independent executor: the file parses (X_0.., then Y_0..), the
 * onnxruntime outputs on X (in the model's input type and shape) are within 1e-4 (max norm) of
 * the file's Y, and (X, Y) satisfies the VNN-LIB formula, constants read as nearest doubles and
 * with no tolerance (X inside a disjunct's box, Y in one of its output polytopes). A failed check
 * makes the instance wrong. The note column also says when the onnxruntime outputs themselves
 * do not satisfy the formula (the stricter replay check of recent competitions); that is reported
 * ("cex replay" in the summary) but not counted as wrong.
 *
 * Output:
 *   CSV columns: instance (1-based line of the instance list), network, property, timeout (s,
 *   after the cap), result (sat/unsat/timeout/unknown/error, or missing when no result file
 *   appeared), expected (from --expected, empty if none), correct (yes / no / empty when there is
 *   nothing to compare: undecided, or no decided expected answer and no sat to check), time_s
 *   (wall time of run_instance.sh), peak_rss_mb, note.
 *   Markdown: counts (decided sat/unsat, correct, wrong, timeouts, unknown, errors), total and
 *   median time, the wrong instances, and the machine (nproc, CPU model, node version, date,
 *   git commit). Also printed on stdout. The CSV and summary are rewritten after every instance,
 *   so an interrupted run keeps what it finished.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../src/net/io.js';
import { parseResult } from '../src/spec/vnncomp.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUN = join(REPO, 'vnncomp', 'run_instance.sh');
const PREPARE = join(REPO, 'vnncomp', 'prepare_instance.sh');
const CLI = join(REPO, 'dist', 'cli', 'main.js');
/** VNN-COMP's tolerance between the file's Y and the executed outputs. */
const CE_TOL = 1e-4;

// ---------------------------------------------------------------------------------------------
// Instances and expected answers
// ---------------------------------------------------------------------------------------------

export interface Instance {
  index: number;
  onnx: string;
  vnnlib: string;
  network: string;
  property: string;
  timeout: number;
}

/** File name without folder and extension (.onnx, .vnnlib, .gz). */
function stem(path: string): string {
  return basename(path).replace(/\.gz$/, '').replace(/\.(onnx|vnnlib)$/, '');
}

function readInstances(dir: string, file: string): Instance[] {
  const path = join(dir, file);
  const out: Instance[] = [];
  readFileSync(path, 'utf8').split(/\r?\n/).forEach((line, k) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const [onnx, vnnlib, timeout] = t.split(',').map((s) => s.trim());
    const to = Number(timeout);
    if (!onnx || !vnnlib || !(to > 0)) throw new Error(`${path}:${k + 1}: expected ONNX,VNNLIB,TIMEOUT, got '${t}'`);
    out.push({ index: k + 1, onnx: resolve(dir, onnx), vnnlib: resolve(dir, vnnlib), network: stem(onnx), property: stem(vnnlib), timeout: to });
  });
  return out;
}

function readExpected(path: string): Map<string, string> {
  const m = new Map<string, string>();
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const head = lines[0].split(',').map((s) => s.trim());
  const [ni, pi, ei] = ['network', 'property', 'expected'].map((h) => head.indexOf(h));
  if (ni < 0 || pi < 0 || ei < 0) throw new Error(`${path}: expected the header network,property,expected`);
  for (const l of lines.slice(1)) {
    const f = l.split(',').map((s) => s.trim());
    m.set(`${stem(f[ni])},${stem(f[pi])}`, f[ei]);
  }
  return m;
}

/** --filter: a regular expression not directly preceded or followed by a letter or digit. */
function filterRegex(f: string): RegExp {
  return new RegExp(`(?:^|[^A-Za-z0-9])(?:${f})(?:$|[^A-Za-z0-9])`);
}

// ---------------------------------------------------------------------------------------------
// Running one instance
// ---------------------------------------------------------------------------------------------

const HAVE_TIME = existsSync('/usr/bin/time');

interface RunOutcome {
  code: number | null;
  signal: string | null;
  wall_s: number;
  peak_rss_mb: number | null;
  killed: boolean;
  stderr: string;
  stdout: string;
}

/** Peak VmHWM (kB) over the process tree rooted at pid, read from /proc (fallback without /usr/bin/time). */
function treeHwmKb(pid: number): number {
  let best = 0;
  const stack = [pid];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    try {
      const m = /VmHWM:\s+(\d+)\s*kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) best = Math.max(best, Number(m[1]));
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (kids) for (const k of kids.split(/\s+/)) stack.push(Number(k));
      }
    } catch {
      // The process ended meanwhile.
    }
  }
  return best;
}

function runProcess(cmd: string, args: string[], killAfterS: number, env?: NodeJS.ProcessEnv): Promise<RunOutcome> {
  return new Promise((resolvePromise) => {
    const timeFile = HAVE_TIME ? join(REPO, 'benchmarks', 'results', `.time.${process.pid}`) : '';
    const argv = HAVE_TIME ? ['-f', '%M', '-o', timeFile, cmd, ...args] : args;
    const t0 = performance.now();
    // Own process group, so that a hung instance can be killed with everything it started.
    const child = spawn(HAVE_TIME ? '/usr/bin/time' : cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: env ?? process.env });
    let stderr = '', stdout = '';
    child.stderr!.on('data', (d) => { if (stderr.length < 20_000) stderr += String(d); });
    // The CLI's --json verdict (domains, search time) is small; a counterexample adds the input vector.
    child.stdout!.on('data', (d) => { if (stdout.length < 2_000_000) stdout += String(d); });
    let polledKb = 0;
    const poll = HAVE_TIME ? undefined : setInterval(() => { if (child.pid) polledKb = Math.max(polledKb, treeHwmKb(child.pid)); }, 50);
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, killAfterS * 1000);
    child.on('close', (code, signal) => {
      const wall = (performance.now() - t0) / 1000;
      clearTimeout(killer);
      if (poll) clearInterval(poll);
      let kb: number | null = polledKb > 0 ? polledKb : null;
      if (HAVE_TIME) {
        try {
          // /usr/bin/time writes "Command exited with non-zero status N" before the number.
          const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
          const v = Number(lines[lines.length - 1]);
          kb = Number.isFinite(v) && v > 0 ? v : null;
        } catch {
          kb = null;
        }
        rmSync(timeFile, { force: true });
      }
      resolvePromise({ code, signal, wall_s: wall, peak_rss_mb: kb === null ? null : kb / 1024, killed, stderr, stdout });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Counterexample check (independent of lipcert's own parser and evaluator)
// ---------------------------------------------------------------------------------------------

type SExpr = string | SExpr[];

function tokenizeSexpr(text: string): SExpr[] {
  const toks = text.replace(/;[^\n]*/g, ' ').match(/\(|\)|[^\s()]+/g) ?? [];
  const stack: SExpr[][] = [[]];
  for (const t of toks) {
    if (t === '(') stack.push([]);
    else if (t === ')') {
      const done = stack.pop();
      if (!done || stack.length === 0) throw new Error('unbalanced parentheses');
      stack[stack.length - 1].push(done);
    } else stack[stack.length - 1].push(t);
  }
  if (stack.length !== 1) throw new Error('unbalanced parentheses');
  return stack[0];
}

/** The asserted formulas of a VNN-LIB file (conjoined). */
function readFormula(path: string): SExpr[] {
  let buf = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  return tokenizeSexpr(buf.toString('utf8')).filter((c): c is SExpr[] => Array.isArray(c) && c[0] === 'assert').map((c) => c[1]);
}

/** Value of a term (numbers as nearest doubles, X_i / Y_j looked up; + - * / of terms). */
function term(e: SExpr, x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (typeof e === 'string') {
    const m = /^([XY])_(\d+)$/.exec(e);
    if (m) {
      const v = (m[1] === 'X' ? x : y)[Number(m[2])];
      if (v === undefined) throw new Error(`${e} is not in the counterexample`);
      return v;
    }
    const v = Number(e);
    if (e.trim() === '' || Number.isNaN(v)) throw new Error(`unknown term '${e}'`);
    return v;
  }
  const [op, ...args] = e;
  const vals = args.map((a) => term(a, x, y));
  switch (op) {
    case '+': return vals.reduce((s, v) => s + v, 0);
    case '-': return vals.length === 1 ? -vals[0] : vals.slice(1).reduce((s, v) => s - v, vals[0]);
    case '*': return vals.reduce((s, v) => s * v, 1);
    case '/': return vals.slice(1).reduce((s, v) => s / v, vals[0]);
    default: throw new Error(`unknown operator '${String(op)}'`);
  }
}

/**
 * Truth of a formula at (x, y). Comparisons are closed (`<` as `<=`), as VNN-COMP reads them.
 * With onlyX, atoms that mention a Y variable count as true (to tell "X outside every box").
 */
function holds(e: SExpr, x: ArrayLike<number>, y: ArrayLike<number>, onlyX = false): boolean {
  if (typeof e === 'string') {
    if (e === 'true') return true;
    if (e === 'false') return false;
    throw new Error(`unknown formula '${e}'`);
  }
  const [op, ...args] = e;
  switch (op) {
    case 'and': return args.every((a) => holds(a, x, y, onlyX));
    case 'or': return args.some((a) => holds(a, x, y, onlyX));
    case 'not': return !holds(args[0], x, y, onlyX);
    case '=>': return !holds(args[0], x, y, onlyX) || holds(args[1], x, y, onlyX);
    case '<=': case '<': case '>=': case '>': case '=': {
      if (onlyX && JSON.stringify(args).includes('"Y_')) return true;
      const v = args.map((a) => term(a, x, y));
      for (let i = 0; i + 1 < v.length; i++) {
        const ok = op === '<=' || op === '<' ? v[i] <= v[i + 1] : op === '>=' || op === '>' ? v[i] >= v[i + 1] : v[i] === v[i + 1];
        if (!ok) return false;
      }
      return true;
    }
    default: throw new Error(`unknown connective '${String(op)}'`);
  }
}

interface OrtLike {
  InferenceSession: { create(path: string): Promise<OrtSession> };
  Tensor: new (type: 'float32' | 'float64', data: Float32Array | Float64Array, dims: readonly number[]) => unknown;
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  inputMetadata: readonly { isTensor: boolean; type?: string; shape?: ReadonlyArray<number | string> }[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: ArrayLike<number> }>>;
  release(): Promise<void>;
}

let ortModule: OrtLike | null | undefined;
async function loadOrt(): Promise<OrtLike | null> {
  if (ortModule === undefined) {
    try {
      ortModule = (await import('onnxruntime-node')) as unknown as OrtLike;
    } catch (e) {
      console.error(`[vnncomp] onnxruntime-node cannot be loaded (${(e as Error).message}): sat counterexamples are not checked`);
      ortModule = null;
    }
  }
  return ortModule;
}

const sessions = new Map<string, OrtSession>();

/** Check a sat result file; returns null when it is valid, else why not. `replay` notes the strict replay check. */
export async function checkCounterexample(inst: Instance, text: string): Promise<{ error: string | null; replay: string | null }> {
  let parsed;
  try {
    parsed = parseResult(text);
  } catch (e) {
    return { error: `malformed result file: ${(e as Error).message}`, replay: null };
  }
  const cex = parsed.counterexample;
  if (!cex) return { error: 'sat without a counterexample', replay: null };
  const ort = await loadOrt();
  if (!ort) return { error: null, replay: 'not checked (no onnxruntime)' };
  let session = sessions.get(inst.onnx);
  if (!session) {
    session = await ort.InferenceSession.create(inst.onnx);
    sessions.set(inst.onnx, session);
  }
  const meta = session.inputMetadata[0];
  const shape = (meta?.shape ?? [cex.input.length]).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== cex.input.length) return { error: `the counterexample has ${cex.input.length} inputs; the model takes ${size} (shape [${shape}])`, replay: null };
  const double = meta?.type === 'float64';
  const feed = { [session.inputNames[0]]: new ort.Tensor(double ? 'float64' : 'float32', double ? Float64Array.from(cex.input) : Float32Array.from(cex.input), shape) };
  const out = Float64Array.from((await session.run(feed))[session.outputNames[0]].data);
  if (out.length !== cex.output.length) return { error: `the counterexample has ${cex.output.length} outputs; the model gives ${out.length}`, replay: null };
  let diff = 0;
  for (let j = 0; j < out.length; j++) diff = Math.max(diff, Math.abs(out[j] - cex.output[j]));
  if (!(diff < CE_TOL)) return { error: `onnxruntime outputs differ from the file's Y by ${diff} (limit ${CE_TOL})`, replay: null };
  let asserts: SExpr[];
  try {
    asserts = readFormula(inst.vnnlib);
  } catch (e) {
    return { error: null, replay: `not checked: cannot read ${inst.vnnlib} (${(e as Error).message})` };
  }
  const formula: SExpr = ['and', ...asserts];
  try {
    if (!holds(formula, cex.input, cex.output, true)) return { error: 'X is outside every input box of the property', replay: null };
    if (!holds(formula, cex.input, cex.output)) return { error: 'the file\'s (X, Y) does not satisfy the property (no output constraint is violated)', replay: null };
    const replay = holds(formula, cex.input, out) ? null : `onnxruntime's own outputs do not satisfy the property (float32 rounding at the boundary; max |diff| ${diff.toExponential(2)})`;
    return { error: null, replay };
  } catch (e) {
    return { error: null, replay: `not checked: ${(e as Error).message}` };
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------

interface Row {
  instance: number;
  network: string;
  property: string;
  timeout: number;
  result: string;
  expected: string;
  correct: '' | 'yes' | 'no';
  time_s: number;
  peak_rss_mb: number | null;
  note: string;
  replayIssue: boolean;
  /** Domains the search bounded and its own time (the CLI's --json `domains`, `time_s`); null when not reported. */
  domains: number | null;
  search_s: number | null;
}

/** Domains and search time from the CLI's --json verdict on stdout (the last line that parses), or nulls. */
export function searchStats(stdout: string): { domains: number | null; search_s: number | null } {
  const lines = stdout.trim().split('\n').reverse();
  for (const l of lines) {
    try {
      const v = JSON.parse(l) as { domains?: unknown; time_s?: unknown };
      const d = typeof v.domains === 'number' ? v.domains : null, t = typeof v.time_s === 'number' ? v.time_s : null;
      return { domains: d, search_s: t };
    } catch { /* not the JSON line */ }
  }
  return { domains: null, search_s: null };
}

function csvField(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function toCsv(rows: Row[]): string {
  const head = 'instance,network,property,timeout,result,expected,correct,time_s,peak_rss_mb,note,domains,search_s';
  const lines = rows.map((r) => [r.instance, r.network, r.property, r.timeout, r.result, r.expected, r.correct, r.time_s.toFixed(3),
    r.peak_rss_mb === null ? null : r.peak_rss_mb.toFixed(1), r.note, r.domains, r.search_s === null ? null : r.search_s.toFixed(3)].map(csvField).join(','));
  return `${[head, ...lines].join('\n')}\n`;
}

/** Split one CSV line into fields (RFC 4180 quoting, as csvField writes it). */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '', q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

/** The rows of an earlier run's CSV (empty when there is none): the run resumes from them. */
function readRows(path: string): Row[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.slice(1).map((l) => {
    const f = parseCsvLine(l);
    return {
      instance: Number(f[0]), network: f[1], property: f[2], timeout: Number(f[3]), result: f[4], expected: f[5],
      correct: (f[6] === 'yes' || f[6] === 'no' ? f[6] : '') as Row['correct'], time_s: Number(f[7]),
      peak_rss_mb: f[8] === '' ? null : Number(f[8]), note: f[9] ?? '', replayIssue: (f[9] ?? '').includes('onnxruntime'),
      domains: f[10] === undefined || f[10] === '' ? null : Number(f[10]), search_s: f[11] === undefined || f[11] === '' ? null : Number(f[11]),
    };
  });
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function machine(): { nproc: string; cpu: string; node: string; commit: string } {
  const nproc = sh('nproc', []) || String(cpus().length);
  let cpu = cpus()[0]?.model ?? '?';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  // LIPCERT_COMMIT names the commit when the run uses an exported copy of the repository (no .git).
  if (process.env.LIPCERT_COMMIT) return { nproc, cpu, node: process.version, commit: process.env.LIPCERT_COMMIT };
  const rev = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = rev && sh('git', ['status', '--porcelain', '--untracked-files=no']) !== '' ? ' (with uncommitted changes)' : '';
  return { nproc, cpu, node: process.version, commit: rev ? `${rev}${dirty}` : '?' };
}

function median(v: number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function summary(rows: Row[], ctx: { benchmark: string; instancesFile: string; total: number; maxTimeout?: number; expectedFile: string | null; started: string; mach: ReturnType<typeof machine>; instances?: Instance[] }): string {
  const count = (f: (r: Row) => boolean) => rows.filter(f).length;
  const sat = count((r) => r.result === 'sat'), unsat = count((r) => r.result === 'unsat');
  const hasExpected = (r: Row) => r.expected === 'sat' || r.expected === 'unsat';
  const withExpected = count(hasExpected);
  const agree = count((r) => hasExpected(r) && r.correct === 'yes');
  // A sat whose counterexample passed the check is right whether or not an answer was expected.
  const provedSat = count((r) => !hasExpected(r) && r.correct === 'yes');
  const wrong = rows.filter((r) => r.correct === 'no');
  const times = rows.map((r) => r.time_s);
  const rss = rows.map((r) => r.peak_rss_mb).filter((v): v is number => v !== null);
  const timeDecided = rows.filter((r) => r.result === 'sat' || r.result === 'unsat').map((r) => r.time_s);
  // Rows run with a timeout below their instance's own (--max-timeout in some part of the run):
  // counted from the rows, since parts of one table may have been run with different caps.
  const ownTimeout = new Map((ctx.instances ?? []).map((i) => [i.index, i.timeout]));
  const capped = rows.filter((r) => { const t = ownTimeout.get(r.instance); return t !== undefined && r.timeout < t; });
  const cappedText = capped.length > 0 ? `; ${capped.length} of them with the timeout capped below the instance's own (at ${[...new Set(capped.map((r) => r.timeout))].sort((x, y) => x - y).join(', ')} s: see the CSV's timeout column)` : ctx.instances ? '' : ctx.maxTimeout !== undefined ? `, timeouts capped at ${ctx.maxTimeout} s` : '';
  const lines = [
    `# lipcert on VNN-COMP ${ctx.benchmark}`,
    '',
    `Instances: ${rows.length} of ${ctx.total} run from \`${ctx.instancesFile}\`${cappedText}. ` +
      `Each instance is its own process (\`vnncomp/run_instance.sh\`, start-up included). Expected answers: ${ctx.expectedFile ? `\`${ctx.expectedFile}\`` : 'none'}.`,
    '',
    '| | count |',
    '| --- | ---: |',
    `| decided | ${sat + unsat} (sat ${sat}, unsat ${unsat}) |`,
    `| agree with the expected answer (of ${withExpected} that have one) | ${agree} |`,
    `| sat without an expected answer, counterexample checked | ${provedSat} |`,
    `| **wrong** | ${wrong.length} |`,
    `| timeout | ${count((r) => r.result === 'timeout')} |`,
    `| unknown | ${count((r) => r.result === 'unknown')} |`,
    `| error / missing | ${count((r) => r.result === 'error' || r.result === 'missing')} |`,
    '',
    '| time | s |',
    '| --- | ---: |',
    `| total | ${times.reduce((a, b) => a + b, 0).toFixed(1)} |`,
    `| median (all) | ${median(times).toFixed(2)} |`,
    `| median (decided) | ${timeDecided.length ? median(timeDecided).toFixed(2) : '-'} |`,
    `| peak RSS, max over instances | ${rss.length ? `${Math.max(...rss).toFixed(0)} MB` : '-'} |`,
  ];
  // Per network: what was run and decided, and how many of its instances were not run yet.
  if (ctx.instances) {
    const nets = [...new Set(ctx.instances.map((i) => i.network))];
    if (nets.length > 1) {
      lines.push('', 'Per network:', '', '| network | instances | run | decided | sat | unsat | timeout | wrong | not run |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
      for (const n of nets) {
        const rs = rows.filter((r) => r.network === n), all = ctx.instances.filter((i) => i.network === n).length;
        const c = (f: (r: Row) => boolean) => rs.filter(f).length;
        lines.push(`| ${n} | ${all} | ${rs.length} | ${c((r) => r.result === 'sat' || r.result === 'unsat')} | ${c((r) => r.result === 'sat')} | ${c((r) => r.result === 'unsat')} | ${c((r) => r.result === 'timeout')} | ${c((r) => r.correct === 'no')} | ${all - rs.length} |`);
      }
    }
  }
  // Search speed per network: domains bounded over the search's own time (rows run with --json;
  // rows of older runs have no count; instances decided before any domain, by the falsifier, are
  // left out). ms / domain is its inverse: everything per domain (bounding, branching, attacks,
  // LP leaves, the root's set-up), not the bound alone (relu_split_cost.md has that).
  const withStats = rows.filter((r) => r.domains !== null && r.domains > 0 && r.search_s !== null && r.search_s > 0);
  if (withStats.length > 0) {
    lines.push('', 'Search speed (instances run with a domain count, at least one domain bounded):', '', '| network | instances | domains | search s | domains / s | ms / domain | median domains / s |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    const nets = [...new Set(withStats.map((r) => r.network))];
    for (const n of [...nets, ...(nets.length > 1 ? ['all'] : [])]) {
      const rs = withStats.filter((r) => n === 'all' || r.network === n);
      const d = rs.reduce((a, r) => a + r.domains!, 0), t = rs.reduce((a, r) => a + r.search_s!, 0);
      lines.push(`| ${n} | ${rs.length} | ${d} | ${t.toFixed(1)} | ${(d / t).toFixed(1)} | ${d > 0 ? ((1000 * t) / d).toFixed(1) : '-'} | ${median(rs.map((r) => r.domains! / r.search_s!)).toFixed(1)} |`);
    }
  }
  if (wrong.length > 0) {
    lines.push('', '## Wrong', '', '| instance | network | property | result | expected | note |', '| ---: | --- | --- | --- | --- | --- |');
    for (const r of wrong) lines.push(`| ${r.instance} | ${r.network} | ${r.property} | ${r.result} | ${r.expected} | ${r.note.replace(/\|/g, '\\|')} |`);
  }
  const replay = rows.filter((r) => r.replayIssue);
  if (replay.length > 0) lines.push('', `cex replay: ${replay.length} sat counterexample(s) pass the check on the file's Y, but onnxruntime's own outputs do not satisfy the property (see the note column).`);
  lines.push(
    '',
    '## Machine',
    '',
    `- nproc: ${ctx.mach.nproc}`,
    `- CPU: ${ctx.mach.cpu}`,
    `- node: ${ctx.mach.node}`,
    `- lipcert commit: ${ctx.mach.commit}`,
    `- date: ${ctx.started}`,
    // Wall-clock timeouts: on a loaded machine instances get less CPU and time out sooner.
    `- load average (1, 5, 15 min) when this summary was written: ${loadavg().map((v) => v.toFixed(1)).join(', ')} (${ctx.mach.nproc} cores)`,
    `- peak RSS measured with ${HAVE_TIME ? '`/usr/bin/time -f %M`' : 'polling /proc VmHWM (approximate)'}`,
  );
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const a = await yargs(hideBin(process.argv))
    .scriptName('vnncomp.ts')
    .strict()
    .option('benchmark', { type: 'string', demandOption: true, describe: 'benchmark folder: acasxu, mnistfc, eran' })
    .option('benchmarks-dir', { type: 'string', describe: 'benchmark data (default $LIPCERT_BENCHMARKS or ../shared/benchmarks)' })
    .option('instances', { type: 'string', default: 'instances.csv', describe: 'instance list inside the benchmark folder' })
    .option('filter', { type: 'string', array: true, describe: 'regular expression on NETWORK,PROPERTY (word-delimited); repeat for any of several' })
    .option('limit', { type: 'number', describe: 'run only the first N selected instances' })
    .option('max-timeout', { type: 'number', describe: 'cap every instance timeout (seconds)' })
    .option('category', { type: 'string', describe: 'CATEGORY for run_instance.sh (default: the benchmark name)' })
    .option('expected', { type: 'string', describe: 'expected answers CSV, or none' })
    .option('out', { type: 'string', describe: 'output CSV (default benchmarks/results/<benchmark>.csv)' })
    .option('grace', { type: 'number', default: 30, describe: 'kill an instance this many seconds after its timeout' })
    .option('validate', { type: 'boolean', default: true, describe: 'check sat counterexamples with onnxruntime (--no-validate to skip)' })
    .option('fresh', { type: 'boolean', default: false, describe: 'start over instead of resuming from the rows already in --out' })
    .help()
    .parseAsync();

  const benchRoot = resolve(a['benchmarks-dir'] ?? process.env.LIPCERT_BENCHMARKS ?? join(REPO, '..', 'shared', 'benchmarks'));
  const dir = join(benchRoot, a.benchmark);
  if (!existsSync(join(dir, a.instances))) throw new Error(`no instance list ${join(dir, a.instances)}`);
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
  if (a['max-timeout'] !== undefined && !(a['max-timeout'] > 0)) throw new Error('--max-timeout must be positive');
  if (a.limit !== undefined && !(Number.isInteger(a.limit) && a.limit >= 0)) throw new Error('--limit must be a non-negative integer');

  const all = readInstances(dir, a.instances);
  const filters = (a.filter ?? []).map(filterRegex);
  let selected = filters.length ? all.filter((i) => filters.some((f) => f.test(`${i.network},${i.property}`))) : all;
  if (a.limit !== undefined) selected = selected.slice(0, a.limit);

  let expectedFile: string | null = null;
  if (a.expected !== 'none') {
    if (a.expected !== undefined) expectedFile = resolve(a.expected);
    else {
      const own = join(benchRoot, 'expected', `${a.benchmark}.csv`), y21 = join(benchRoot, 'expected', `${a.benchmark}_2021.csv`);
      expectedFile = existsSync(own) ? own : a.instances === 'instances.csv' && existsSync(y21) ? y21 : null;
    }
  }
  const expected = expectedFile ? readExpected(expectedFile) : new Map<string, string>();

  const out = resolve(a.out ?? join(REPO, 'benchmarks', 'results', `${a.benchmark}.csv`));
  const md = out.replace(/\.csv$/i, '') + '.md';
  const resultDir = out.replace(/\.csv$/i, '');
  mkdirSync(resultDir, { recursive: true });
  mkdirSync(join(REPO, 'benchmarks', 'results'), { recursive: true });
  const category = a.category ?? a.benchmark;
  const mach = machine();
  const started = new Date().toISOString();
  const ctx = { benchmark: a.benchmark, instancesFile: join(a.benchmark, a.instances), total: all.length, maxTimeout: a['max-timeout'], expectedFile: expectedFile ? basename(expectedFile) : null, started, mach, instances: all };

  console.error(`[vnncomp] ${selected.length} of ${all.length} instances of ${a.benchmark}; results in ${out}`);
  // Resume: rows already in --out are kept (other parts' too); an instance with a row of the same
  // timeout is not run again. Rows are kept in instance order.
  const rows: Row[] = a.fresh ? [] : readRows(out).filter((r) => all.some((i) => i.index === r.instance && i.network === r.network && i.property === r.property));
  const key = (i: { instance?: number; index?: number; network: string; property: string }) => `${i.instance ?? i.index},${i.network},${i.property}`;
  if (rows.length > 0) console.error(`[vnncomp] resuming: ${rows.length} row(s) already in ${out} (--fresh to start over)`);
  for (const [k, inst] of selected.entries()) {
    const timeout = a['max-timeout'] !== undefined ? Math.min(inst.timeout, a['max-timeout']) : inst.timeout;
    const done = rows.findIndex((r) => key(r) === key(inst));
    if (done >= 0 && rows[done].timeout === timeout && rows[done].result !== 'missing' && rows[done].result !== 'error') continue;
    if (done >= 0) rows.splice(done, 1);
    const resultFile = join(resultDir, `${inst.network}__${inst.property}.result`);
    rmSync(resultFile, { force: true });
    const notes: string[] = [];
    const prep = await runProcess('bash', [PREPARE, 'v1', category, inst.onnx, inst.vnnlib], 120);
    if (prep.code !== 0) notes.push(`prepare_instance.sh exited ${prep.code ?? prep.signal}: ${prep.stderr.trim().split('\n').pop() ?? ''}`);
    // --json: the verdict on stdout carries the domain count and the search time (domains / s).
    const extra = [process.env.LIPCERT_EXTRA_ARGS ?? '', '--json'].join(' ').trim();
    const run = await runProcess('bash', [RUN, 'v1', category, inst.onnx, inst.vnnlib, resultFile, String(timeout)], timeout + a.grace, { ...process.env, LIPCERT_EXTRA_ARGS: extra });
    const stats = searchStats(run.stdout);

    let result = 'missing', text = '';
    if (existsSync(resultFile)) {
      text = readFileSync(resultFile, 'utf8');
      try {
        result = parseResult(text).result;
      } catch (e) {
        result = 'error';
        notes.push(`malformed result file: ${(e as Error).message}`);
      }
    }
    if (run.killed) {
      result = 'timeout';
      notes.push(`killed ${a.grace} s after the timeout`);
    } else if (run.code !== 0) {
      const last = run.stderr.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
      notes.push(`exit ${run.code ?? run.signal}${last ? `: ${last}` : ''}`);
    }

    const exp = expected.get(`${inst.network},${inst.property}`) ?? '';
    let correct: Row['correct'] = '';
    let replayIssue = false;
    if (result === 'sat' || result === 'unsat') {
      if (exp === 'sat' || exp === 'unsat') correct = exp === result ? 'yes' : 'no';
      if (result === 'sat' && a.validate) {
        const chk = await checkCounterexample(inst, text);
        if (chk.error) {
          correct = 'no';
          notes.push(`invalid counterexample: ${chk.error}`);
        } else if (correct === '' ) {
          correct = 'yes'; // a valid counterexample is a proof of sat
        }
        if (chk.replay) {
          notes.push(chk.replay);
          replayIssue = chk.replay.startsWith('onnxruntime');
        }
      }
    }
    const r: Row = { instance: inst.index, network: inst.network, property: inst.property, timeout, result, expected: exp, correct, time_s: run.wall_s, peak_rss_mb: run.peak_rss_mb, note: notes.join('; '), replayIssue, ...stats };
    rows.push(r);
    rows.sort((x, y) => x.instance - y.instance);
    console.error(`[${k + 1}/${selected.length}] ${inst.network} ${inst.property}: ${result} ${r.time_s.toFixed(2)} s` +
      `${r.peak_rss_mb !== null ? ` ${r.peak_rss_mb.toFixed(0)} MB` : ''}${r.domains !== null ? ` ${r.domains} domains` : ''}${exp ? ` (expected ${exp})` : ''}${correct === 'no' ? ' WRONG' : ''}${r.note ? ` — ${r.note}` : ''}`);
    writeFileAtomic(out, toCsv(rows));
    writeFileAtomic(md, summary(rows, ctx));
  }
  for (const s of sessions.values()) await s.release();
  writeFileAtomic(out, toCsv(rows));
  const text = summary(rows, ctx);
  writeFileAtomic(md, text);
  process.stdout.write(text);
  console.error(`[vnncomp] wrote ${out} and ${md}`);
  if (rows.some((r) => r.correct === 'no')) process.exitCode = 1;
}

// Run only as a script (the checks above can be imported, e.g. by tests).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`[vnncomp] ${(e as Error).message ?? String(e)}`);
    process.exitCode = 2;
  });
}
