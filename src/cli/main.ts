#!/usr/bin/env node
/**
 * The lipcert command line. Start-up matters (one process per verification instance), so
 * every command loads its modules lazily: `lipcert --version` loads only yargs.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { protectNegativeValues, restoreNegativeArgs } from './argv.js';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, isInputError, oneLine } from './errors.js';

export const VERSION = '0.1.0';

/** Global options every command accepts. */
export interface GlobalArgs {
  json: boolean;
  seed: number;
  quiet: boolean;
  'nnet-normalize': boolean;
}

/** Run a command handler, mapping errors to one line on stderr and the documented exit codes. */
async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (isInputError(e)) {
      process.stderr.write(`lipcert: error: ${oneLine(e)}\n`);
      process.exitCode = EXIT_BAD_INPUT;
    } else {
      process.stderr.write(`lipcert: internal error: ${oneLine(e)}\n`);
      if (process.env.LIPCERT_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
      process.exitCode = EXIT_INTERNAL;
    }
  }
}

/**
 * A command's help example, copy-pasteable from the repository root: the command is broken at
 * spaces into lines of at most 100 columns joined by a shell line continuation (yargs would
 * otherwise wrap it in the middle of a path).
 */
export function example(command: string, what: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of command.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > 96) { lines.push(line); line = `    ${word}`; } else line = line === '' ? `  ${word}` : `${line} ${word}`;
  }
  lines.push(line);
  return `Example (${what}):\n${lines.join(' \\\n')}`;
}

function modelArg<T>(y: Argv<T>) {
  return y
    .positional('model', { type: 'string', demandOption: true, describe: 'network file: .onnx, .nnet or lipcert .json' })
    .option('simplify', { type: 'boolean', default: true, describe: 'fold constant affine ops into neighbours (--no-simplify to keep the graph as loaded)' });
}

export function buildCli(argv: string[]) {
  return yargs(argv)
    .scriptName('lipcert')
    .version(VERSION)
    .strict()
    .middleware(restoreNegativeArgs as any, true)
    .option('json', { type: 'boolean', default: false, global: true, describe: 'print exactly one JSON object on stdout' })
    .option('seed', { type: 'number', default: 0, global: true, describe: 'seed of the random generator' })
    .option('quiet', { type: 'boolean', default: false, global: true, describe: 'no progress output on stderr' })
    .option('nnet-normalize', { type: 'boolean', default: false, global: true, describe: '.nnet: apply the file\'s input normalisation and output de-normalisation (raw sensor values in and out)' })
    .command('info <model>', 'describe a network: ops, shapes, parameters, ReLUs', (y) =>
      modelArg(y).epilogue(example('lipcert info examples/mnist-relu-64-32.onnx', 'ops, shapes and ReLU count of the bundled MNIST classifier')), (a) =>
      guarded(async () => (await import('./commands/info.js')).runInfo(a as any)))
    .command('eval <model>', 'evaluate the network on one input (exact float64)', (y) =>
      modelArg(y)
        .option('input', { type: 'string', describe: 'comma-separated input values (C order)' })
        .option('input-file', { type: 'string', describe: 'JSON file: an array of numbers (nested arrays are flattened) or {"input": [...]}' })
        .epilogue(example('lipcert eval ../shared/benchmarks/acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx --input "-0.3,0.1,0.2,-0.4,0.5"', 'the five ACAS Xu scores of one input')),
    (a) => guarded(async () => (await import('./commands/eval.js')).runEval(a as any)))
    .command('convert <model> <out>', 'write the network as .onnx or lipcert .json', (y) =>
      modelArg(y).positional('out', { type: 'string', demandOption: true, describe: 'output file (.onnx or .json)' })
        .epilogue(example('lipcert convert examples/mnist-relu-64-32.onnx /tmp/mnist.json', 'the bundled classifier as lipcert JSON')),
    (a) => guarded(async () => (await import('./commands/convert.js')).runConvert(a as any)))
    .command('bounds <model> [region]', 'certified lower and upper bounds of every output over an input region', (y) =>
      modelArg(y)
        .positional('region', { type: 'string', describe: 'input region: a box (.json {"lo","hi"}) or a VNN-LIB property (.vnnlib; each disjunct\'s box)' })
        .option('box', { type: 'string', describe: 'input box: JSON file {"lo": [...], "hi": [...]}' })
        .option('vnnlib', { type: 'string', describe: 'VNN-LIB property: the input box of each disjunct' })
        .option('center', { type: 'string', describe: 'ball centre: comma-separated values in C order, with --radius' })
        .option('radius', { type: 'number', describe: 'ball radius (≥ 0)' })
        .option('norm', { type: 'string', choices: ['inf', '2', '1'], describe: 'ball norm (default inf)' })
        .option('domain', { type: 'string', describe: 'intersect the ball with [lo, hi] in every coordinate, e.g. 0:1' })
        .option('method', { type: 'string', choices: ['ibp', 'crown', 'alpha', 'lp'], default: 'crown', describe: 'bounding method' })
        .epilogue(example('lipcert bounds ../shared/benchmarks/acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx --vnnlib ../shared/benchmarks/acasxu/vnnlib/prop_1.vnnlib --method alpha', 'α-CROWN bounds of the five outputs over prop_1\'s input box')),
    (a) => guarded(async () => (await import('./commands/bounds.js')).runBounds(a as any)))
    .command('verify <model> <prop>', 'decide a VNN-LIB property: sat (with a counterexample), unsat, timeout or unknown', (y) =>
      modelArg(y)
        .positional('prop', { type: 'string', demandOption: true, describe: 'VNN-LIB property (the unsafe region; plain or gzipped)' })
        .option('timeout', { type: 'string', describe: 'seconds for the whole run, counted from the process start (positive; default: no limit)' })
        .option('result-file', { type: 'string', describe: 'write the VNN-COMP result file here (atomically; "error" on bad input)' })
        .option('preset', { type: 'string', describe: 'settings preset: default or acasxu' })
        .option('workers', { type: 'string', describe: 'threads that bound domains, the main thread included (default: the number of cores)' })
        .option('set', { type: 'string', describe: 'override a verify setting, KEY=VALUE (repeatable; e.g. alphaSteps=0, falsify.samples=8192)' })
        .epilogue(example('lipcert verify ../shared/benchmarks/acasxu/onnx/ACASXU_run2a_2_1_batch_2000.onnx ../shared/benchmarks/acasxu/vnnlib/prop_4.vnnlib --timeout 116 --result-file /tmp/lipcert-result.txt', 'decide ACAS Xu 2_1 prop_4 (unsat) and write the VNN-COMP result file')),
    (a) => guarded(async () => (await import('./commands/verify.js')).runVerify(a as any)))
    // ---- lipschitz (issue 10 A) ----
    .command('lipschitz <model> [region]', 'certified interval [lower, upper] of a Lipschitz constant (w.r.t. the input over a region, or w.r.t. the parameters)', (y) =>
      modelArg(y)
        .positional('region', { type: 'string', describe: 'input region: a box (.json {"lo","hi"}) or a VNN-LIB property (.vnnlib); none: the global constant' })
        .option('box', { type: 'string', describe: 'input box: JSON file {"lo": [...], "hi": [...]}' })
        .option('vnnlib', { type: 'string', describe: 'VNN-LIB property: one constant per disjunct box' })
        .option('center', { type: 'string', describe: 'ball centre (comma-separated), with --radius (the ball is in --norm; its box hull is used)' })
        .option('radius', { type: 'number', describe: 'ball radius (≥ 0)' })
        .option('domain', { type: 'string', describe: 'intersect the ball with [lo, hi] in every coordinate, e.g. 0:1' })
        .option('norm', { type: 'string', describe: 'input norm p: inf, 2 or 1 (the gradient is measured in the dual norm; default inf)' })
        .option('output', { type: 'string', describe: 'objective: output j' })
        .option('objective', { type: 'string', describe: 'objective: c·y for the comma-separated weights c' })
        .option('eps', { type: 'string', describe: 'relative gap at which to stop (default 0.01)' })
        .option('timeout', { type: 'string', describe: 'seconds; at the timeout the valid wider interval is printed (default 30)' })
        .option('wrt', { type: 'string', describe: 'input (default) or params (all weights and biases, Euclidean norm)' })
        .option('of', { type: 'string', describe: 'with --wrt params: output (default), loss or loss-grad (the smoothness constant)' })
        .option('loss', { type: 'string', describe: 'with --of loss/loss-grad: mse (½‖y − t‖², default) or ce (cross-entropy)' })
        .option('target', { type: 'string', describe: 'mse target t (comma-separated)' })
        .option('label', { type: 'string', describe: 'ce label c' })
        .option('param-radius', { type: 'string', describe: 'radius ρ > 0 of the parameter ball (default 0.01)' })
        .option('plot', { type: 'string', describe: 'draw lower and upper bound against time (SVG)' })
        .epilogue(example('lipcert lipschitz ../shared/benchmarks/acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx ../shared/benchmarks/acasxu/vnnlib/prop_1.vnnlib --output 0 --timeout 5', 'certified ℓ∞ Lipschitz interval of ACAS Xu 1_1 output 0 over the property 1 box')),
    (a) => guarded(async () => (await import('./commands/lipschitz.js')).runLipschitz(a as any)))
    // ---- reach (issue 10 B) ----
    .command('reach <model> [region]', 'certified min and max of outputs over an input region: each an interval of width ≤ eps (min.lower and max.upper proved, the other ends re-evaluated witnesses)', (y) =>
      modelArg(y)
        .positional('region', { type: 'string', describe: 'input region: a box (.json {"lo","hi"}) or a VNN-LIB property (.vnnlib; a union of its boxes)' })
        .option('box', { type: 'string', describe: 'input box: JSON file {"lo": [...], "hi": [...]}' })
        .option('vnnlib', { type: 'string', describe: 'VNN-LIB property: the union of its disjuncts\' input boxes' })
        .option('center', { type: 'string', describe: 'ball centre (comma-separated), with --radius' })
        .option('radius', { type: 'number', describe: 'ball radius (≥ 0)' })
        .option('norm', { type: 'string', describe: 'ball norm: inf (default), 2 or 1' })
        .option('domain', { type: 'string', describe: 'intersect the ball with [lo, hi] in every coordinate, e.g. 0:1' })
        .option('output', { type: 'string', describe: 'objectives: outputs j,k,… (default: every output)' })
        .option('objective', { type: 'string', describe: 'objective: c·y for the comma-separated weights c' })
        .option('margin', { type: 'string', describe: 'objective: the margin y_c − max_{j≠c} y_j of class c' })
        .option('free', { type: 'string', describe: 'only these inputs vary (comma-separated indices); the others are fixed at --at' })
        .option('at', { type: 'string', describe: 'values of the fixed inputs (all n, comma-separated; default the region\'s centre)' })
        .option('eps', { type: 'string', describe: 'absolute gap in output units at which an extreme is certified (default 1e-3)' })
        .option('method', { type: 'string', describe: 'auto (default: nested for 1 free input, else bnb), nested or bnb' })
        .option('timeout', { type: 'string', describe: 'seconds for all objectives; at the timeout the valid wider intervals are printed (default 60)' })
        .option('plot', { type: 'string', describe: 'draw lower and upper bounds of the min and max against time (SVG)' })
        .epilogue(example('lipcert reach examples/mnist-relu-64-32.onnx --center "$(node -e "console.log(require(\'./examples/mnist-test-digits.json\').images[0].join(\',\'))")" --radius 1 --domain 0:1 --free 300,328,356 --output 0 --plot /tmp/reach.svg', 'range of the logit of digit 0 when 3 pixels of the first test digit vary over [0, 1]')),
    (a) => guarded(async () => (await import('./commands/reach.js')).runReach(a as any)))
    // ---- relu, regions (issue 11) ----
    .command('relu <model> [region]', 'which ReLUs are stable over a region (active/inactive/unstable, with the tier that proved it); --prune writes the equivalent smaller network', (y) =>
      modelArg(y)
        .positional('region', { type: 'string', describe: 'input region: a box (.json {"lo","hi"}) or a VNN-LIB property (.vnnlib; the hull of its boxes)' })
        .option('box', { type: 'string', describe: 'input box: JSON file {"lo": [...], "hi": [...]}' })
        .option('vnnlib', { type: 'string', describe: 'VNN-LIB property: the hull of its disjuncts\' input boxes' })
        .option('center', { type: 'string', describe: 'ball centre (comma-separated), with --radius' })
        .option('radius', { type: 'number', describe: 'ball radius (≥ 0)' })
        .option('norm', { type: 'string', describe: 'ball norm: inf (default), 2 or 1 (the LPs/MILPs use its box hull)' })
        .option('domain', { type: 'string', describe: 'intersect the ball with [lo, hi] in every coordinate, e.g. 0:1' })
        .option('method', { type: 'string', choices: ['ibp', 'crown', 'lp', 'milp'], default: 'milp', describe: 'run every tier up to this one' })
        .option('milp-time', { type: 'string', describe: 'seconds per MILP (one side of one ReLU; > 0, default 20)' })
        .option('solver', { type: 'string', choices: ['glpk', 'highs'], describe: 'MILP solver (default glpk, with a HiGHS retry of the sides it leaves open)' })
        .option('lp-budget', { type: 'string', describe: 'seconds for the whole lp tier: witness search, α-CROWN steps and LP solves (> 0; sides left open stay undecided; default none)' })
        .option('tighten-refuted', { type: 'string', choices: ['alpha', 'lp', 'none'], describe: 'lp tier: how sides a witness refutes are tightened for later layers (default lp: by their LPs, the triangle relaxation\'s optimum; alpha: α-CROWN only, cheaper)' })
        .option('prune', { type: 'string', describe: 'write the equivalent pruned network here (.onnx or .json, atomically)' })
        .epilogue(example('lipcert relu ../shared/benchmarks/mnistfc/onnx/mnist-net_256x2.onnx ../shared/benchmarks/mnistfc/vnnlib/prop_0_0.03.vnnlib --prune /tmp/pruned.onnx', 'exact ReLU stability of mnist-net_256x2 on an ε = 0.03 ball, and the pruned network')),
    (a) => guarded(async () => (await import('./commands/relu.js')).runRelu(a as any)))
    .command('regions <model> [region]', 'activation regions: the pattern and affine map at a point, the regions of a 2-input net (--enumerate, --plot), or a proved count by sampling', (y) =>
      modelArg(y)
        .positional('region', { type: 'string', describe: 'input region: a box (.json {"lo","hi"}) or a VNN-LIB property (.vnnlib; its first box)' })
        .option('box', { type: 'string', describe: 'input box: JSON file {"lo": [...], "hi": [...]}' })
        .option('vnnlib', { type: 'string', describe: 'VNN-LIB property: its first input box' })
        .option('center', { type: 'string', describe: 'ball centre (comma-separated), with --radius (its box hull is used)' })
        .option('radius', { type: 'number', describe: 'ball radius (≥ 0)' })
        .option('domain', { type: 'string', describe: 'intersect the ball with [lo, hi] in every coordinate, e.g. 0:1' })
        .option('at', { type: 'string', describe: 'a point: its activation pattern, affine map W·x + b and region inequalities' })
        .option('enumerate', { type: 'boolean', describe: 'list every full-dimensional linear region meeting the box (2-input networks)' })
        .option('sample', { type: 'string', describe: 'sample N points: a proved lower bound on the number of regions and a Chao1 estimate' })
        .option('plot', { type: 'string', describe: 'draw the regions of a 2-input network inside the box (SVG)' })
        .epilogue(example('lipcert regions ../shared/benchmarks/mnistfc/onnx/mnist-net_256x2.onnx ../shared/benchmarks/mnistfc/vnnlib/prop_0_0.03.vnnlib --sample 2000', 'a proved lower bound on the number of linear regions of mnist-net_256x2 on an ε = 0.03 ball')),
    (a) => guarded(async () => (await import('./commands/regions.js')).runRegions(a as any)))
    // ---- radius (issue 13) ----
    .command('radius <model>', 'maximum safe radius at a point as a certified interval [lower proved, upper = a re-checked adversarial example]', (y) =>
      modelArg(y)
        .option('point', { type: 'string', describe: 'the point: comma-separated values in C order' })
        .option('input', { type: 'string', describe: 'the point from a JSON file: an array of numbers or {"input": [...]}' })
        .option('csv', { type: 'string', describe: 'the point from a CSV row (label,v1,...,vn or v1,...,vn), with --row' })
        .option('row', { type: 'number', describe: 'row of --csv, counting from 0' })
        .option('scale', { type: 'number', describe: 'divide the CSV values by this (e.g. 255 for pixels)' })
        .option('label', { type: 'number', describe: 'the class to keep (default: the prediction at the point)' })
        .option('norm', { type: 'string', describe: 'inf, 2 or 1 (default inf)' })
        .option('domain', { type: 'string', describe: 'admissible box lo:hi for every input, e.g. 0:1 (default: none)' })
        .option('features', { type: 'string', describe: 'also each feature\'s interval: saliency[:K], grid:HxW (image patches) or a JSON file of index groups' })
        .option('eps', { type: 'number', describe: 'stop when upper − lower ≤ eps (absolute, default 1e-3)' })
        .option('timeout', { type: 'number', describe: 'seconds for the point\'s radius (anytime; default: none); --features get a second budget of the same length' })
        .option('plot', { type: 'string', describe: 'SVG: the point, the adversarial example and their difference (images), else the interval over time' })
        .epilogue(example('lipcert radius examples/mnist-relu-64-32.onnx --csv ../shared/benchmarks/eran/mnist_test.csv --row 0 --scale 255 --domain 0:1 --norm inf --timeout 10 --plot /tmp/radius.svg', 'the certified L∞ radius of the first ERAN test digit')),
    (a) => guarded(async () => (await import('./commands/radius.js')).runRadius(a as any)))
    .command('demo', 'the bundled example: the MNIST classifier on 10 test digits', (y) => y.epilogue(example('lipcert demo', 'what `npm start` runs')), (a) =>
      guarded(async () => (await import('./commands/demo.js')).runDemo(a as any)))
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`lipcert: error: ${oneLine(msg)}\n`);
      process.exit(EXIT_BAD_INPUT);
    })
    .help()
    .wrap(Math.min(110, process.stdout.columns || 100));
}

/**
 * yargs renders a command's whole help text right after starting its handler, to have it ready
 * should the handler fail (`cacheHelpMessage`): about 25 ms of every run, a tenth of a short
 * verify. lipcert's handlers report their own failures (`guarded`) and never show help
 * afterwards; help asked for (--help, a usage error) is rendered when it is needed.
 */
function skipHelpCache(cli: Argv): Argv {
  const usage = (cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } } }).getInternalMethods?.().getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
  return cli;
}

await skipHelpCache(buildCli(protectNegativeValues(hideBin(process.argv)))).parseAsync();
