/**
 * Per-domain cost of ReLU-split bounding (β-CROWN, src/search/relu_split.ts) on VNN-COMP
 * networks: the root's set-up (CROWN + α-CROWN intermediate bounds, then the root's α,β
 * optimisation), then one batch of up to 64 split domains (6 levels of BaBSR splits from the root)
 * bounded with the verify defaults — milliseconds per domain and backward passes per domain, with
 * and without the re-bounding of the layers after the shallowest split.
 *
 *   npx tsx benchmarks/relu_split_cost.ts [--out benchmarks/results/relu_split_cost.md]
 *
 * Single-threaded; one row per network (written as it finishes; rows already in --out are kept
 * and skipped, so the script resumes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../src/net/io.js';
import { readModel } from '../src/net/io.js';
import { simplify } from '../src/net/simplify.js';
import { readVnnlibFile } from '../src/spec/vnnlib.js';
import { boundReluDomains, reluRootContext, rootReluDomain, splitReluDomain, type ReluDomain } from '../src/search/relu_split.js';
import { VERIFY_DEFAULTS } from '../src/search/verify.js';

const BENCH = resolve(process.env.LIPCERT_BENCHMARKS ?? join(import.meta.dirname, '..', '..', 'shared', 'benchmarks'));
/** [benchmark, network, property, the instance's timeout in s]. */
const CASES: [string, string, string, number][] = [
  ['mnistfc', 'onnx/mnist-net_256x2.onnx', 'vnnlib/prop_1_0.03.vnnlib', 120],
  ['mnistfc', 'onnx/mnist-net_256x4.onnx', 'vnnlib/prop_0_0.03.vnnlib', 300],
  ['mnistfc', 'onnx/mnist-net_256x6.onnx', 'vnnlib/prop_0_0.03.vnnlib', 300],
  ['eran', 'nets/mnist_relu_9_200.onnx', 'specs/mnist/mnist_spec_idx_4424_eps_0.01500.vnnlib', 300],
];

const outArg = process.argv.indexOf('--out');
const out = resolve(outArg >= 0 ? process.argv[outArg + 1] : join(import.meta.dirname, 'results', 'relu_split_cost.md'));
const head = [
  '# Per-domain cost of ReLU-split bounding (β-CROWN)',
  '',
  `One thread; verify defaults (the root's α steps on intermediate bounds limited to ${VERIFY_DEFAULTS.betaIntermediateShare} of the instance's timeout; ${VERIFY_DEFAULTS.betaIterations} α,β steps per domain in rounds of 5 with per-row early stop, ${VERIFY_DEFAULTS.betaIntermediateIterations} root α steps on intermediate bounds, ${VERIFY_DEFAULTS.betaRootIterations} at the root's rows). A batch of 64 domains 6 BaBSR splits deep; "passes" = backward passes of one row (each with its forward pass for the gradient). Other processes shared the 2 cores.`,
  '',
  '| network | property | unstable at root | root set-up ms | root bound ms | ms / domain (re-bound) | passes / domain | ms / domain (no re-bound) |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
];
const rows: string[] = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| network') && !l.startsWith('| ---')) : [];
const write = () => writeFileAtomic(out, [...head, ...rows, '', `Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`, ''].join('\n'));

for (const [bench, onnx, vnn, timeout] of CASES) {
  const name = onnx.split('/').pop()!.replace('.onnx', ''), prop = vnn.split('/').pop()!.replace('.vnnlib', '');
  if (rows.some((r) => r.startsWith(`| ${name} | ${prop} |`))) continue;
  const path = join(BENCH, bench, onnx);
  if (!existsSync(path)) { console.error(`skip ${path}: missing`); continue; }
  const net = simplify(readModel(path)).net;
  const dj = readVnnlibFile(join(BENCH, bench, vnn)).disjuncts[0];
  let t0 = performance.now();
  const ctx = reluRootContext(net, dj, undefined, VERIFY_DEFAULTS.betaIntermediateIterations, performance.now() + 1000 * VERIFY_DEFAULTS.betaIntermediateShare * timeout);
  const setup = performance.now() - t0;
  t0 = performance.now();
  const beta = { iterations: VERIFY_DEFAULTS.betaRootIterations, lrAlpha: VERIFY_DEFAULTS.betaLrAlpha, lrBeta: VERIFY_DEFAULTS.betaLrBeta };
  const root = boundReluDomains(ctx, [rootReluDomain(ctx, dj.outputs.length)], beta, 1, undefined, true);
  const rootMs = performance.now() - t0;
  let doms: ReluDomain[] = [root.bounded[0].domain];
  for (let level = 0; level < 5; level++) {
    const kids = doms.flatMap((d) => (d.candidates && d.candidates.length >= 2 ? splitReluDomain(d, d.candidates[0], d.candidates[1]) : []));
    doms = boundReluDomains(ctx, kids, { ...beta, iterations: VERIFY_DEFAULTS.betaIterations }, 1, undefined, true).bounded.map((b) => b.domain);
  }
  if (doms.length === 0) {
    rows.push(`| ${name} | ${prop} | ${root.bounded[0].domain.unstable} | ${setup.toFixed(0)} | ${rootMs.toFixed(0)} | refuted at the root or in 5 levels | | |`);
    write();
    continue;
  }
  const batch = doms.flatMap((d) => (d.candidates && d.candidates.length >= 2 ? splitReluDomain(d, d.candidates[0], d.candidates[1]) : []));
  const timed = (rebound: boolean) => {
    const t = performance.now();
    const r = boundReluDomains(ctx, batch, { ...beta, iterations: VERIFY_DEFAULTS.betaIterations }, 1, undefined, rebound);
    return { ms: (performance.now() - t) / batch.length, passes: r.passes / batch.length };
  };
  const a = timed(true), b = timed(false);
  rows.push(`| ${name} | ${prop} | ${root.bounded[0].domain.unstable} | ${setup.toFixed(0)} | ${rootMs.toFixed(0)} | ${a.ms.toFixed(1)} (${batch.length} domains) | ${a.passes.toFixed(0)} | ${b.ms.toFixed(1)} |`);
  console.error(rows[rows.length - 1]);
  write();
}
write();
