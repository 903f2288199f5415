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
    .command('info <model>', 'describe a network: ops, shapes, parameters, ReLUs', (y) => modelArg(y), (a) =>
      guarded(async () => (await import('./commands/info.js')).runInfo(a as any)))
    .command('eval <model>', 'evaluate the network on one input (exact float64)', (y) =>
      modelArg(y)
        .option('input', { type: 'string', describe: 'comma-separated input values (C order)' })
        .option('input-file', { type: 'string', describe: 'JSON file: an array of numbers (nested arrays are flattened) or {"input": [...]}' }),
    (a) => guarded(async () => (await import('./commands/eval.js')).runEval(a as any)))
    .command('convert <model> <out>', 'write the network as .onnx or lipcert .json', (y) =>
      modelArg(y).positional('out', { type: 'string', demandOption: true, describe: 'output file (.onnx or .json)' }),
    (a) => guarded(async () => (await import('./commands/convert.js')).runConvert(a as any)))
    .command('bounds <model>', 'certified lower and upper bounds of every output over an input region', (y) =>
      modelArg(y)
        .option('box', { type: 'string', describe: 'input box: JSON file {"lo": [...], "hi": [...]}' })
        .option('vnnlib', { type: 'string', describe: 'VNN-LIB property: the input box of each disjunct' })
        .option('center', { type: 'string', describe: 'ball centre: comma-separated values in C order, with --radius' })
        .option('radius', { type: 'number', describe: 'ball radius (≥ 0)' })
        .option('norm', { type: 'string', choices: ['inf', '2', '1'], describe: 'ball norm (default inf)' })
        .option('domain', { type: 'string', describe: 'intersect the ball with [lo, hi] in every coordinate, e.g. 0:1' })
        .option('method', { type: 'string', choices: ['ibp', 'crown', 'alpha', 'lp'], default: 'crown', describe: 'bounding method' }),
    (a) => guarded(async () => (await import('./commands/bounds.js')).runBounds(a as any)))
    .command('verify <model> <prop>', 'decide a VNN-LIB property: sat (with a counterexample), unsat, timeout or unknown', (y) =>
      modelArg(y)
        .positional('prop', { type: 'string', demandOption: true, describe: 'VNN-LIB property (the unsafe region; plain or gzipped)' })
        .option('timeout', { type: 'string', describe: 'seconds for the whole run, counted from the process start (positive; default: no limit)' })
        .option('result-file', { type: 'string', describe: 'write the VNN-COMP result file here (atomically; "error" on bad input)' })
        .option('preset', { type: 'string', describe: 'settings preset: default or acasxu' })
        .option('workers', { type: 'string', describe: 'threads that bound domains, the main thread included (default: the number of cores)' })
        .option('set', { type: 'string', describe: 'override a verify setting, KEY=VALUE (repeatable; e.g. alphaSteps=0, falsify.samples=8192)' }),
    (a) => guarded(async () => (await import('./commands/verify.js')).runVerify(a as any)))
    // ---- lipschitz (issue 10 A) ----
    // ---- reach (issue 10 B) ----
    // ---- relu, regions (issue 11) ----
    // ---- radius (issue 13) ----
    .command('demo', 'the bundled example: the MNIST classifier on 10 test digits', (y) => y, (a) =>
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

await buildCli(protectNegativeValues(hideBin(process.argv))).parseAsync();
