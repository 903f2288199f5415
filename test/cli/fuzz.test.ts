/**
 * Fuzzing the command line with broken files: mutated ONNX models (truncations, byte flips,
 * random bytes, weights corrupted to ±1e308 that still load) and mutated VNN-LIB properties
 * (truncations, token swaps and deletions), each run through `info`, `bounds` and `verify`
 * (2 threads, 2 s timeout) as a user would. Every run must end by itself with exit 0 or 2; an
 * exit 2 prints exactly one line; a result file is complete or absent (never half-written,
 * no temporary file left behind). Fixed seed; a few dozen files, run two at a time.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeOnnx } from '../../src/net/onnx.js';
import { parseResult } from '../../src/spec/vnncomp.js';
import { REPO_ROOT } from '../helpers/benchmarks.js';
import { outputShapes, randomDense, Rng } from '../helpers/random_net.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const DIR = mkdtempSync(join(tmpdir(), 'lipcert-fuzz-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string }

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, timeout: 30_000, maxBuffer: 16 << 20, env: { ...process.env, LIPCERT_DEBUG: '' } }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

/** Run jobs two at a time (the machine's cores), in order. */
async function inPairs<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => { while (next < jobs.length) { const k = next++; out[k] = await jobs[k](); } };
  await Promise.all([worker(), worker()]);
  return out;
}

const rng = new Rng(20261130);
const spec = randomDense({ seed: 7, inputs: 5, widths: [12, 12], outputs: 3, act: 'Relu', float32: false });
const shapes = outputShapes(spec);
const baseOnnx = encodeOnnx(spec, shapes);
const baseVnnlib = `; fuzz base property
${Array.from({ length: 5 }, (_, i) => `(declare-const X_${i} Real)`).join('\n')}
${Array.from({ length: 3 }, (_, j) => `(declare-const Y_${j} Real)`).join('\n')}
${Array.from({ length: 5 }, (_, i) => `(assert (>= X_${i} -0.5))\n(assert (<= X_${i} 0.5))`).join('\n')}
(assert (or (and (>= Y_0 Y_1) (>= Y_0 Y_2)) (<= Y_2 -3.0)))
`;

function write(name: string, data: Uint8Array | string): string {
  const p = join(DIR, name);
  writeFileSync(p, data);
  return p;
}

function mutateBytes(bytes: Uint8Array, kind: number): Uint8Array {
  if (kind === 0) return bytes.slice(0, rng.int(bytes.length)); // truncation
  if (kind === 1) { // byte flips
    const b = bytes.slice();
    const flips = 1 + rng.int(8);
    for (let k = 0; k < flips; k++) b[rng.int(b.length)] ^= 1 << rng.int(8);
    return b;
  }
  return Uint8Array.from({ length: 1 + rng.int(400) }, () => rng.int(256)); // random bytes
}

/** The same network with some weights set to ±1e308 (still a valid model: it loads). */
function corruptedWeights(): Uint8Array {
  const s = structuredClone(spec);
  for (const init of s.initializers) {
    const d = init.tensor.data;
    const hits = 1 + rng.int(3);
    for (let k = 0; k < hits; k++) d[rng.int(d.length)] = (rng.next() < 0.5 ? -1 : 1) * (1 + rng.next()) * 1e307 * (1 + rng.int(9));
  }
  return encodeOnnx(s, shapes);
}

function mutateText(text: string, kind: number): string {
  if (kind === 0) return text.slice(0, rng.int(text.length)); // truncation
  const tokens = text.split(/(\s+|[()])/).filter((t) => t !== '');
  const at = rng.int(tokens.length);
  if (kind === 1) { // swap two tokens
    const other = rng.int(tokens.length);
    [tokens[at], tokens[other]] = [tokens[other], tokens[at]];
  } else {
    tokens.splice(at, 1 + rng.int(2)); // delete one or two tokens
  }
  return tokens.join('');
}

/** The contract every run must keep. */
function checkRun(r: Run, what: string, resultFile?: string): void {
  expect(r.signal, `${what}: killed (did not end by itself)`).toBeNull();
  expect([0, 2], `${what}: exit ${r.code}; stderr: ${r.stderr}`).toContain(r.code);
  if (r.code === 2) {
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, `${what}: stderr`).toHaveLength(1);
    expect(lines[0]).toMatch(/^lipcert: error: /);
  }
  if (resultFile && existsSync(resultFile)) {
    const parsed = parseResult(readFileSync(resultFile, 'utf8')); // throws on a half-written file
    if (r.code === 2) expect(parsed.result).toBe('error');
    else expect(['sat', 'unsat', 'timeout', 'unknown']).toContain(parsed.result);
    rmSync(resultFile);
  }
}

describe('fuzz: broken model and property files never crash the CLI', () => {
  it('mutated ONNX files through info, bounds and verify', async () => {
    const prop = write('base.vnnlib', baseVnnlib);
    const models: string[] = [];
    for (let k = 0; k < 12; k++) models.push(write(`m${k}.onnx`, mutateBytes(baseOnnx, k % 3)));
    for (let k = 0; k < 4; k++) models.push(write(`w${k}.onnx`, corruptedWeights()));
    const jobs = models.flatMap((m, k) => [
      async () => checkRun(await run(['info', m]), `info ${m}`),
      async () => checkRun(await run(['bounds', m, '--vnnlib', prop, '--json']), `bounds ${m}`),
      async () => {
        const rf = join(DIR, `r${k}.txt`);
        checkRun(await run(['verify', m, prop, '--workers', '2', '--timeout', '2', '--result-file', rf]), `verify ${m}`, rf);
      },
    ]);
    await inPairs(jobs);
    expect(readdirSync(DIR).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 240_000);

  it('mutated VNN-LIB files through bounds and verify', async () => {
    const model = write('base.onnx', baseOnnx);
    const props: string[] = [];
    for (let k = 0; k < 12; k++) props.push(write(`p${k}.vnnlib`, mutateText(baseVnnlib, k % 3)));
    const jobs = props.flatMap((p, k) => [
      async () => checkRun(await run(['bounds', model, '--vnnlib', p]), `bounds ${p}`),
      async () => {
        const rf = join(DIR, `q${k}.txt`);
        checkRun(await run(['verify', model, p, '--workers', '2', '--timeout', '2', '--result-file', rf]), `verify ${p}`, rf);
      },
    ]);
    await inPairs(jobs);
    expect(readdirSync(DIR).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 240_000);
});
