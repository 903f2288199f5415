/**
 * `lipcert verify MODEL PROP.vnnlib [--timeout s] [--result-file F] [--preset p] [--workers N]`:
 * decide a VNN-LIB property (its unsafe region) on a network.
 *
 *   sat      a counterexample exists (validated on the network as loaded, in float64 and, for
 *            float32 models, float32 emulation); it is printed and written to the result file
 *   unsat    proved: no input of the region reaches the unsafe outputs
 *   timeout  the time ran out;  unknown: the search gave up (reason printed in the text output)
 *
 * The network is loaded twice: simplified for the analysis (unless --no-simplify) and exactly as
 * loaded (`simplify: false`) for re-checking counterexamples. The VNN-LIB file (plain or
 * gzipped) is read with the network's input and output sizes: other X_i / Y_j declarations, an
 * input without both bounds, or a syntax error are bad input.
 *
 * --timeout s   wall-clock seconds for the whole run, counted from the start of the process
 *               (start-up and loading included, as VNN-COMP measures it). Positive number.
 * --result-file F  write the VNN-COMP result file (see src/spec/vnncomp.ts), atomically, on every
 *               run: `error` on bad input, `unknown` after an internal error.
 * --workers N   threads that bound domains (positive integer; default: every core; the main
 *               thread is one of them, so 1 means no worker threads).
 * --set K=V     override one setting of `VERIFY_DEFAULTS` (src/search/verify.ts), repeatable:
 *               `--set alphaSteps=0 --set falsify.samples=8192`. V must have the default's type
 *               (a number ≥ 0 — `Infinity` allowed — or true/false); an unknown key is bad input.
 *
 * Output: text `result: unsat (1.23 s, 456 domains, bound 0.0012)` (plus the counterexample for
 * sat, the reason for unknown), or with --json exactly one object
 *   {"result": r, "counterexample": {"input": [...], "output": [...]} | null, "bound": b,
 *    "time_s": t, "domains": n}
 * where non-finite numbers are null (bound is −∞ for sat). time_s and domains are the search's.
 * Exit code 0 for every verdict (sat, unsat, timeout, unknown); 2 for bad input; 1 for an
 * internal error.
 *
 * Progress: runs longer than 2 s show a progress line on stderr (elapsed time against the
 * timeout, domains visited / open, the current global bound) when stderr is a terminal and
 * neither --quiet nor --json is given. It is removed before the result is printed.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readModel } from '../../net/io.js';
import { simplify } from '../../net/simplify.js';
import { InputError } from '../../net/op.js';
import type { Verdict, VerifyOptions } from '../../search/verify.js';
import { formatResult, writeResultFile } from '../../spec/vnncomp.js';
import { readVnnlibFile } from '../../spec/vnnlib.js';
import type { GlobalArgs } from '../main.js';
import { fmt, printJson } from '../output.js';
import { EXIT_INTERNAL, isInputError } from '../errors.js';

export interface VerifyArgs extends GlobalArgs {
  model: string;
  prop: string;
  simplify: boolean;
  timeout?: string | number | (string | number)[];
  'result-file'?: string;
  preset?: string;
  workers?: number | string;
  set?: string | string[];
}

/** Seconds kept back from the timeout for printing and writing the result. */
const RESERVE_S = 0.05;
/** The progress line appears only after this many seconds. */
const PROGRESS_AFTER_S = 2;

/** Parse --timeout: a positive finite number of seconds (undefined when not given). */
export function parseTimeout(v: VerifyArgs['timeout']): number | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new InputError('--timeout was given more than once');
  const text = String(v).trim();
  const t = text === '' ? NaN : Number(text);
  if (!Number.isFinite(t) || !(t > 0)) throw new InputError(`--timeout must be a positive number of seconds, got '${String(v)}'`);
  return t;
}

/** Parse --workers: a positive integer (undefined when not given). */
export function parseWorkers(v: VerifyArgs['workers']): number | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new InputError('--workers was given more than once');
  const n = Number(String(v).trim());
  if (!Number.isInteger(n) || n < 1) throw new InputError(`--workers must be a positive integer, got '${String(v)}'`);
  return n;
}

/** Settings that count things the search cannot do with none of. */
const AT_LEAST_ONE = new Set(['batch', 'inputBatch', 'workers', 'pipeline', 'trialSplits']);

/**
 * Parse the --set overrides against the defaults (with the preset applied): `name=value` for a
 * top-level setting, `group.name=value` inside an object-valued one (merged over that group's
 * values in `defaults`). Throws
 * InputError for a malformed pair, an unknown name or a value of the wrong type.
 */
export function parseSetOverrides(v: VerifyArgs['set'], defaults: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of v === undefined ? [] : Array.isArray(v) ? v : [v]) {
    const at = String(pair).indexOf('=');
    if (at <= 0) throw new InputError(`--set expects KEY=VALUE, got '${String(pair)}'`);
    const key = String(pair).slice(0, at).trim(), text = String(pair).slice(at + 1).trim();
    const path = key.split('.');
    let def: unknown = defaults;
    for (const part of path) {
      if (typeof def !== 'object' || def === null || !Object.hasOwn(def, part)) throw new InputError(`--set: unknown verify setting '${key}'`);
      def = (def as Record<string, unknown>)[part];
    }
    let value: number | boolean | string;
    if (typeof def === 'string') {
      // A choice (e.g. split=auto|input|relu): verify checks the value itself.
      if (text === '') throw new InputError(`--set ${key}: expected a value, got nothing`);
      value = text;
    } else if (typeof def === 'number') {
      value = text === '' ? NaN : Number(text);
      if (Number.isNaN(value) || value < 0) throw new InputError(`--set ${key}: expected a number ≥ 0, got '${text}'`);
      if (AT_LEAST_ONE.has(key) && !(Number.isInteger(value) && value >= 1)) throw new InputError(`--set ${key}: expected a positive integer, got '${text}'`);
    } else if (typeof def === 'boolean') {
      if (text !== 'true' && text !== 'false') throw new InputError(`--set ${key}: expected true or false, got '${text}'`);
      value = text === 'true';
    } else {
      throw new InputError(`--set ${key}: a group of settings; set its members (${key}.NAME=VALUE)`);
    }
    if (path.length === 1) out[key] = value;
    else {
      // One level of nesting (the settings objects have no deeper groups).
      const [group, name] = path;
      const base = (out[group] as Record<string, unknown> | undefined) ?? { ...((defaults as Record<string, object>)[group]) };
      base[name] = value;
      out[group] = base;
    }
  }
  return out;
}

/** The result file's folder must exist (checked before the long run, not after it). */
function checkResultPath(path: string): void {
  if (path === '') throw new InputError('--result-file is empty');
  let st;
  try {
    st = statSync(path);
  } catch {
    st = undefined;
  }
  if (st?.isDirectory()) throw new InputError(`--result-file ${path} is a directory`);
  const dir = dirname(resolve(path));
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new InputError(`--result-file ${path}: the folder ${dir} does not exist`);
}

/** JSON numbers: finite values as they are, anything else null. */
function jnum(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** The --json object, exactly these keys. */
export function verdictJson(v: Verdict): Record<string, unknown> {
  return {
    result: v.result,
    counterexample: v.counterexample
      ? { input: Array.from(v.counterexample.input, jnum), output: Array.from(v.counterexample.output, jnum) }
      : null,
    bound: jnum(v.bound),
    time_s: jnum(Number(v.time_s.toFixed(6))),
    domains: v.domains,
    ...(v.reason !== undefined ? { reason: v.reason } : {}),
    ...(v.warnings?.length ? { warnings: v.warnings } : {}),
  };
}

function fmtBound(b: number): string {
  if (b === Infinity) return 'inf';
  if (b === -Infinity) return '-inf';
  return Number.isFinite(b) ? String(Number(b.toPrecision(4))) : String(b);
}

/** The text report. */
export function verdictText(v: Verdict): string {
  const facts = [`${v.time_s.toFixed(2)} s`, `${v.domains} domain${v.domains === 1 ? '' : 's'}`];
  if (v.result !== 'sat') facts.push(`bound ${fmtBound(v.bound)}`);
  const lines = [`result: ${v.result} (${facts.join(', ')})${v.result === 'unknown' && v.reason ? `: ${v.reason}` : ''}`];
  if (v.result === 'sat' && v.counterexample) {
    lines.push('counterexample');
    lines.push(`  input:  ${Array.from(v.counterexample.input, fmt).join(' ')}`);
    lines.push(`  output: ${Array.from(v.counterexample.output, fmt).join(' ')}`);
  }
  return lines.join('\n');
}

/** The stderr progress line (cli-progress), started lazily after PROGRESS_AFTER_S. */
class Progress {
  private bar: import('cli-progress').SingleBar | undefined;
  private stopped = false;
  private readonly start = performance.now();

  constructor(
    private readonly lib: typeof import('cli-progress') | undefined,
    private readonly timeout: number | undefined,
    private readonly disjuncts: number,
  ) {}

  update(s: { visited: number; open: number; globalLower: number; disjunct: number }): void {
    if (!this.lib || this.stopped) return;
    if (!this.bar) {
      if ((performance.now() - this.start) / 1000 < PROGRESS_AFTER_S) return;
      const timed = this.timeout !== undefined;
      const format = `verify ${timed ? '|{bar}| ' : ''}{elapsed}${timed ? ' / {limit}' : ''} s | domains {visited} visited, {open} open | bound {bound}{part}`;
      this.bar = new this.lib.SingleBar(
        { format, stream: process.stderr, hideCursor: true, clearOnComplete: true, barsize: 20, fps: 5, etaBuffer: 1 },
        this.lib.Presets.shades_classic,
      );
      this.bar.start(timed ? Math.max(1, Math.round(this.timeout! * 10)) : 1, 0, this.payload(s, process.uptime()));
    }
    // Elapsed as the timeout counts it: from the process start.
    const elapsed = process.uptime();
    this.bar.update(this.timeout !== undefined ? Math.min(Math.round(elapsed * 10), Math.round(this.timeout * 10)) : 0, this.payload(s, elapsed));
  }

  private payload(s: { visited: number; open: number; globalLower: number; disjunct: number }, elapsed: number) {
    return {
      elapsed: elapsed.toFixed(1),
      limit: this.timeout !== undefined ? String(this.timeout) : '',
      visited: s.visited,
      open: s.open,
      bound: fmtBound(s.globalLower),
      part: this.disjuncts > 1 ? ` | disjunct ${s.disjunct + 1}/${this.disjuncts}` : '',
    };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bar?.stop();
  }
}

export async function runVerify(a: VerifyArgs): Promise<void> {
  // Last line of defence: should the event loop ever drain while the search is still awaiting
  // something (a bug: a promise nobody settles), answer `unknown` instead of a silent exit.
  let answered = false;
  const stalled = () => {
    if (answered) return;
    answered = true;
    const v: Verdict = { result: 'unknown', counterexample: null, bound: -Infinity, time_s: process.uptime(), domains: 0, reason: 'internal error: the search stopped without an answer' };
    if (a['result-file'] !== undefined) {
      try { writeResultFile(a['result-file'], formatResult(v)); } catch { /* reported below */ }
    }
    process.stderr.write(`lipcert: internal error: the search stopped without an answer (answering unknown)\n`);
    if (a.json) printJson(verdictJson(v));
    else process.stdout.write(`${verdictText(v)}\n`);
    process.exitCode = EXIT_INTERNAL;
  };
  process.once('beforeExit', stalled);
  try {
    const verdict = await decide(a);
    if (answered) return;
    answered = true;
    if (a.json) return printJson(verdictJson(verdict));
    // Faults that did not change the answer (e.g. a worker thread that failed and whose work the main thread redid).
    if (!a.quiet) for (const w of verdict.warnings ?? []) process.stderr.write(`lipcert: warning: ${w}\n`);
    process.stdout.write(`${verdictText(verdict)}\n`);
  } finally {
    process.off('beforeExit', stalled);
  }
}

/** Everything up to and including the result file; on any error the result file says `error`. */
async function decide(a: VerifyArgs): Promise<Verdict> {
  const resultFile = a['result-file'];
  let progress: Progress | undefined;
  try {
    // Options first: errors there come before any slow loading.
    const timeout = parseTimeout(a.timeout);
    const workers = parseWorkers(a.workers);
    if (resultFile !== undefined) checkResultPath(resultFile);
    const { verify, VERIFY_PRESETS, VERIFY_DEFAULTS } = await import('../../search/verify.js');
    if (a.preset !== undefined && !(a.preset in VERIFY_PRESETS)) {
      throw new InputError(`unknown preset '${a.preset}' (known: ${Object.keys(VERIFY_PRESETS).join(', ')})`);
    }
    // Groups (falsify.NAME) merge over the preset's values, not only the defaults.
    const overrides = parseSetOverrides(a.set, { ...VERIFY_DEFAULTS, ...(a.preset !== undefined ? VERIFY_PRESETS[a.preset] : {}) });

    // Parsed once: the network as loaded re-checks counterexamples, its simplified copy is searched.
    const checkNet = readModel(a.model, { nnetNormalize: a['nnet-normalize'], simplify: false });
    const net = a.simplify === false ? checkNet : simplify(checkNet).net;
    const prop = readVnnlibFile(a.prop, { numInputs: net.inputSize, numOutputs: net.outputSize });

    const settings: Record<string, unknown> = { seed: a.seed, ...overrides };
    if (workers !== undefined) settings.workers = workers;

    const wantProgress = !a.quiet && !a.json && process.stderr.isTTY === true;
    const lib = wantProgress ? ((await import('cli-progress')).default as typeof import('cli-progress')) : undefined;
    progress = new Progress(lib, timeout, prop.disjuncts.length);
    const p = progress;

    // The timeout counts from the process start: what is left of it goes to the search.
    let verdict: Verdict;
    const remaining = timeout === undefined ? undefined : timeout - process.uptime() - RESERVE_S;
    if (remaining !== undefined && !(remaining > 0)) {
      verdict = { result: 'timeout', counterexample: null, bound: -Infinity, time_s: 0, domains: 0 };
    } else {
      const opts: VerifyOptions = {
        timeout: remaining,
        preset: a.preset,
        checkNet,
        settings: settings as VerifyOptions['settings'],
        onProgress: (s) => p.update(s),
      };
      verdict = await verify(net, prop, opts);
    }
    progress.stop();

    if (resultFile !== undefined) {
      const text = formatResult(verdict); // a sat verdict without its counterexample is an internal error
      try {
        writeResultFile(resultFile, text);
      } catch (e) {
        throw new InputError(`${resultFile}: cannot write the result file (${(e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e)})`);
      }
    }
    return verdict;
  } catch (e) {
    progress?.stop();
    if (resultFile !== undefined) {
      try {
        // Bad input says `error`; an internal failure decided nothing: `unknown`.
        writeResultFile(resultFile, formatResult({ result: isInputError(e) ? 'error' : 'unknown' }));
      } catch {
        // The result file cannot be written (the reported error may be exactly that).
      }
    }
    throw e;
  }
}
