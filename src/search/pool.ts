import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { encodeModel } from '../net/io.js';
import type { Network } from '../net/network.js';
import { boundBoxes, type BoxBatchResult, type BoxDomain, type Rows } from './box_bounding.js';

/** Raised when a worker dies mid-batch: the answer must then be `unknown`, never `unsat`. */
export class WorkerCrashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerCrashError';
  }
}

/** The value names and sizes in id order: two networks with equal signatures index node bounds alike. */
export function valueSignature(net: Network): string {
  return net.values.map((v) => `${v.name}:${v.size}`).join('|');
}

/** The default number of threads that bound domains: every core (the main thread is one of them). */
export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * How to start a worker: the compiled script next to this module, or — when running from the
 * TypeScript sources (tsx, vitest) — a small bootstrap that registers tsx first.
 */
function workerSource(): { src: string | URL; eval: boolean } | null {
  const js = new URL('./bound_worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { src: js, eval: false };
  const ts = new URL('./bound_worker.ts', import.meta.url);
  if (!existsSync(fileURLToPath(ts))) return null;
  let api: string;
  try {
    api = import.meta.resolve('tsx/esm/api');
  } catch {
    return null;
  }
  return { src: `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); })`, eval: true };
}

/** A worker's first chunk is sized as if it were this many times slower than the main thread (cold code). */
const WORKER_FIRST_GUESS = 6;

/** Exponential smoothing of a per-domain time (the first measurement is taken as is). */
function smooth(prev: number | undefined, ms: number): number {
  return prev === undefined ? ms : 0.25 * prev + 0.75 * ms;
}

/**
 * A pool of worker threads that bound boxes: a batch is cut into one chunk per thread, sized by
 * each thread's measured speed (the main thread always gets at least one domain: the remainder
 * of the rounding); the main thread bounds its own chunk meanwhile, and the chunks are joined in
 * order. Domains travel as structured clones of plain typed arrays.
 */
export class BoundingPool {
  private readonly workers: Worker[] = [];
  /** Per worker: resolves true once it has built the network, false if it failed before that. */
  private readonly ready: Promise<boolean>[] = [];
  private readonly pending = new Map<number, { resolve: (r: BoxBatchResult, ms: number) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  /** Smoothed milliseconds per domain of bounding: the main thread's, and each worker's (as it measured). */
  private msMain = 1;
  private lastBusy: number | undefined;
  private readonly msWorker = new Map<Worker, number>();
  private crashed: Error | null = null;
  private closing = false;

  private constructor(readonly net: Network, readonly rows: Rows, file: { src: string | URL; eval: boolean }, count: number) {
    const modelJson = new TextDecoder().decode(encodeModel(net, 'json'));
    const signature = valueSignature(net);
    for (let i = 0; i < count; i++) {
      const w = new Worker(file.src, { workerData: { modelJson, rows }, eval: file.eval });
      let started = false;
      let settleReady: (ok: boolean) => void = () => {};
      this.ready.push(new Promise<boolean>((r) => { settleReady = r; }));
      w.on('message', (msg: { ready?: boolean; signature?: string; id: number; res: BoxBatchResult; ms: number }) => {
        if (msg.ready) {
          // A worker whose network numbers values differently would misread inherited bounds: unused.
          started = msg.signature === signature;
          settleReady(started);
          if (!started) void w.terminate();
          return;
        }
        const p = this.pending.get(msg.id);
        if (p) { this.pending.delete(msg.id); p.resolve(msg.res, msg.ms); }
      });
      const fail = (e: unknown) => {
        if (this.closing) return;
        if (!started) { settleReady(false); return; } // never started: the main thread does its share
        this.crashed = new WorkerCrashError(`a bounding worker failed: ${e instanceof Error ? e.message : String(e)}`);
        for (const p of this.pending.values()) p.reject(this.crashed);
        this.pending.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
      w.unref();
      this.workers.push(w);
    }
  }

  /** A pool with threads − 1 workers, or null when there is nothing to gain or no worker script. */
  static create(net: Network, rows: Rows, threads: number): BoundingPool | null {
    if (threads <= 1) return null;
    const file = workerSource();
    if (!file) return null;
    return new BoundingPool(net, rows, file, threads - 1);
  }

  /** Bound the boxes across the main thread and the workers; results keep the input order. */
  async bound(doms: BoxDomain[], intermediate: 'auto' | 'forward', alphaIterations: number, reluCandidates: number, alphaReach: number, signal?: AbortSignal): Promise<BoxBatchResult> {
    if (this.crashed) throw this.crashed;
    // Only workers that have started take part; one that failed to start is dropped.
    const live: Worker[] = [];
    for (let k = 0; k < this.workers.length; k++) {
      const ok = await Promise.race([this.ready[k], Promise.resolve(null)]);
      if (ok === true) live.push(this.workers[k]);
    }
    // Chunk sizes in proportion to each thread's measured speed, so that all finish together (a
    // fresh worker runs cold code at first, and the main thread has the search's other work).
    const speeds = [1 / this.msMain, ...live.map((w) => 1 / (this.msWorker.get(w) ?? WORKER_FIRST_GUESS * this.msMain))];
    const total = speeds.reduce((a, b) => a + b, 0);
    const sizes = speeds.map((v) => Math.floor((doms.length * v) / total));
    sizes[0] += doms.length - sizes.reduce((a, b) => a + b, 0);
    const chunks: BoxDomain[][] = [];
    for (let k = 0, at = 0; k < sizes.length; at += sizes[k], k++) chunks.push(doms.slice(at, at + sizes[k]));
    const jobs = chunks.slice(1).map((chunk, k) => chunk.length === 0 ? Promise.resolve({ bounded: [], candidates: [], alphaGain: 0 }) : new Promise<BoxBatchResult>((resolve, reject) => {
      const id = this.nextId++;
      const w = live[k];
      // A worker keeps the process alive only while it has a job.
      w.ref();
      this.pending.set(id, {
        resolve: (r, ms) => {
          w.unref();
          this.msWorker.set(w, smooth(this.msWorker.get(w), ms / chunk.length));
          resolve(r);
        },
        reject: (e) => { w.unref(); reject(e); },
      });
      w.postMessage({ id, doms: chunk, intermediate, alphaIterations, reluCandidates, alphaReach });
    }));
    const t0 = performance.now();
    const mine = boundBoxes(this.net, this.rows, chunks[0], intermediate, signal, alphaIterations, reluCandidates, alphaReach);
    // The main thread's cost per domain includes its other work since its last chunk (pruning,
    // splitting, attacks): its busy time from the event loop's own accounting, waits excluded.
    // Workers then get chunks long enough to keep busy through that work (see the engine's pipeline).
    const busy = performance.eventLoopUtilization().active;
    if (chunks[0].length > 0) {
      const ms = this.lastBusy === undefined ? performance.now() - t0 : busy - this.lastBusy;
      this.msMain = smooth(this.msMain, ms / chunks[0].length);
    }
    this.lastBusy = busy;
    const rest = await Promise.all(jobs);
    return {
      bounded: [mine, ...rest].flatMap((r) => r.bounded),
      candidates: [mine, ...rest].flatMap((r) => r.candidates),
      alphaGain: Math.max(mine.alphaGain, ...rest.map((r) => r.alphaGain)),
    };
  }

  /** Stop every worker (at the end, on `sat`, or at the deadline). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
