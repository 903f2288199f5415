import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { encodeModel } from '../net/io.js';
import type { Network } from '../net/network.js';
import { boundBoxes, type BoxBatchResult, type BoxDomain, type Rows } from './box_bounding.js';

/** A worker failed a job (exit, error, malformed answer): the pool redoes the chunk on the main thread. */
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
export function workerSource(): { src: string | URL; eval: boolean } | null {
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
/**
 * A worker whose chunk is not back this long after the main thread finished its own (at least
 * STALL_MIN_MS, and STALL_FACTOR times the worker's expected time) is taken for stalled: the main
 * thread bounds that chunk itself and the worker is stopped.
 */
const STALL_MIN_MS = 5000;
const STALL_FACTOR = 20;

/** Exponential smoothing of a per-domain time (the first measurement is taken as is). */
function smooth(prev: number | undefined, ms: number): number {
  return prev === undefined ? ms : 0.25 * prev + 0.75 * ms;
}

function sameArray(a: ArrayLike<number> | undefined, b: ArrayLike<number> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * Check a worker's answer for a chunk before any of it is used: one bounded domain per domain
 * sent, each the very box (and ReLU splits) that was sent, with typed arrays of the right sizes.
 * A NaN bound becomes −∞ (NaN proves nothing). Returns null for malformed data.
 */
export function checkWorkerResult(res: unknown, sent: BoxDomain[]): BoxBatchResult | null {
  const r = res as BoxBatchResult | null;
  if (!r || typeof r !== 'object' || !Array.isArray(r.bounded) || !Array.isArray(r.candidates)) return null;
  if (r.bounded.length !== sent.length || r.candidates.length !== sent.length || typeof r.alphaGain !== 'number') return null;
  for (let k = 0; k < sent.length; k++) {
    const b = r.bounded[k], d = b?.domain, s = sent[k];
    if (!d || typeof b.lower !== 'number' || (b.upper !== undefined && typeof b.upper !== 'number')) return null;
    if (!(d.lo instanceof Float64Array) || !(d.hi instanceof Float64Array) || !(d.polyLower instanceof Float64Array)) return null;
    if (!sameArray(d.lo, s.lo) || !sameArray(d.hi, s.hi) || !sameArray(d.relu, s.relu) || d.polyLower.length !== s.polyLower.length) return null;
    const c = r.candidates[k];
    if (c !== null && (!(c instanceof Float64Array) || c.length !== s.lo.length)) return null;
    if (Number.isNaN(b.lower)) b.lower = -Infinity;
    for (let p = 0; p < d.polyLower.length; p++) if (Number.isNaN(d.polyLower[p])) d.polyLower[p] = -Infinity;
  }
  if (Number.isNaN(r.alphaGain)) r.alphaGain = 0;
  return r;
}

interface Job<R> {
  resolve: (r: R, ms: number) => void;
  /** The worker failed (exit, error, malformed reply, stall) or the search was aborted. */
  reject: (e: Error) => void;
}

/** One worker thread and what the pool knows of it. */
interface Slot<R> {
  worker: Worker;
  /** Resolves true once it has built its context, false if it failed before that. */
  ready: Promise<boolean>;
  started: boolean;
  /** Failed or stopped: never given work again. */
  dead: boolean;
  /** Jobs sent and not answered (the worker keeps the process alive exactly while this is > 0). */
  inFlight: Map<number, Job<R>>;
  /** Smoothed milliseconds per domain, as the worker measured it. */
  ms?: number;
}

/**
 * What a pool's workers compute, seen from the worker: `init` builds the task's context once
 * from the network and plain data, `bound` bounds a chunk of domains. Registered by name in
 * `bound_worker.ts` (TASKS), so a new kind of domain is one entry there.
 */
export interface WorkerTask<C = unknown, D = unknown, A = unknown, R = unknown> {
  init(net: Network, data: unknown): C;
  bound(ctx: C, doms: D[], args: A): R;
}

/** The same task seen from the main thread. */
export interface PoolTask<D, A, R extends { bounded: unknown[] }> {
  /** Name of the worker-side task in bound_worker.ts's TASKS. */
  kind: string;
  /** Structured-cloneable data the worker's `init` receives. */
  initData: unknown;
  /** Bound a chunk on the main thread: this thread's share, and a failed worker's chunk. */
  boundHere(doms: D[], args: A, signal?: AbortSignal): R;
  /** A worker's answer checked against the domains sent (null: malformed, the chunk is redone here). */
  check(res: unknown, sent: D[]): R | null;
  /** Join the chunks' results, in order. */
  merge(parts: R[]): R;
}

/**
 * A pool of worker threads that bound domains of one task: a batch is cut into one chunk per
 * thread, sized by each thread's measured speed (the main thread always gets at least one
 * domain: the remainder of the rounding); the main thread bounds its own chunk meanwhile, and
 * the chunks are joined in order. Domains travel as structured clones of plain typed arrays.
 *
 * Every call ends: a worker that fails to start is never used; one that exits, throws, answers
 * malformed data or stalls is stopped and its chunk is bounded on the main thread (the same
 * computation, so no domain is lost and nothing unproved is counted); an aborted signal ends the
 * call at once with the signal's reason (the engine then gives the parents back).
 */
export class WorkerPool<D, A, R extends { bounded: unknown[] }> {
  private readonly slots: Slot<R>[] = [];
  private nextId = 0;
  /** Smoothed milliseconds per domain of bounding on the main thread. */
  private msMain = 1;
  private lastBusy: number | undefined;
  private closing = false;
  /** Why workers were dropped (for diagnostics). */
  readonly failures: string[] = [];

  protected constructor(readonly net: Network, readonly task: PoolTask<D, A, R>, file: { src: string | URL; eval: boolean }, count: number) {
    const modelJson = new TextDecoder().decode(encodeModel(net, 'json'));
    const signature = valueSignature(net);
    for (let i = 0; i < count; i++) {
      let worker: Worker;
      try {
        worker = new Worker(file.src, { workerData: { kind: task.kind, modelJson, initData: task.initData }, eval: file.eval });
      } catch (e) {
        this.failures.push(`a worker did not start: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      let settleReady: (ok: boolean) => void = () => {};
      const slot: Slot<R> = { worker, ready: new Promise<boolean>((r) => { settleReady = r; }), started: false, dead: false, inFlight: new Map() };
      worker.on('message', (msg: { ready?: boolean; signature?: string; id: number; res?: R; error?: string; ms: number }) => {
        if (msg?.ready) {
          // A worker whose network numbers values differently would misread inherited bounds: unused.
          slot.started = msg.signature === signature;
          settleReady(slot.started);
          if (!slot.started) this.drop(slot, 'its network numbers values differently');
          return;
        }
        const job = slot.inFlight.get(msg?.id);
        if (!job) return; // a stale answer (aborted or re-bounded meanwhile)
        this.settled(slot, msg.id);
        if (msg.error !== undefined || msg.res === undefined) job.reject(new WorkerCrashError(`a bounding worker failed: ${msg.error ?? 'no result'}`));
        else job.resolve(msg.res, msg.ms);
      });
      const fail = (e: unknown) => {
        settleReady(false);
        if (!this.closing) this.drop(slot, e instanceof Error ? e.message : String(e));
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
      worker.on('messageerror', fail);
      worker.unref();
      this.slots.push(slot);
    }
  }

  /** A pool with threads − 1 workers for the task, or null when there is nothing to gain or no worker script. */
  static start<D, A, R extends { bounded: unknown[] }>(net: Network, task: PoolTask<D, A, R>, threads: number): WorkerPool<D, A, R> | null {
    if (threads <= 1) return null;
    const file = workerSource();
    if (!file) return null;
    return new WorkerPool(net, task, file, threads - 1);
  }

  /** Stop using a worker: its jobs in flight fail (their chunks go back to the main thread). */
  private drop(slot: Slot<R>, why: string): void {
    if (slot.dead) return;
    slot.dead = true;
    this.failures.push(`a bounding worker failed: ${why}`);
    const err = new WorkerCrashError(`a bounding worker failed: ${why}`);
    for (const id of [...slot.inFlight.keys()]) {
      const job = slot.inFlight.get(id)!;
      this.settled(slot, id);
      job.reject(err);
    }
    void slot.worker.terminate().catch(() => {});
  }

  /** A job is answered: the worker holds the process alive only while it has jobs in flight. */
  private settled(slot: Slot<R>, id: number): void {
    slot.inFlight.delete(id);
    if (slot.inFlight.size === 0) slot.worker.unref();
  }

  /** Send one chunk to a worker; resolves with its checked result, rejects when the worker fails. */
  private send(slot: Slot<R>, chunk: D[], args: A): Promise<R> {
    // Closed meanwhile (a batch still in flight when the search ended): a message to a stopped
    // worker is never answered, so the chunk goes back to the caller at once.
    if (this.closing || slot.dead) return Promise.reject(new WorkerCrashError('the pool was closed'));
    return new Promise<R>((resolve, reject) => {
      const id = this.nextId++;
      const job: Job<R> = {
        resolve: (r, ms) => {
          const checked = this.task.check(r, chunk);
          if (!checked) {
            this.drop(slot, 'malformed result');
            reject(new WorkerCrashError('a bounding worker returned malformed data'));
            return;
          }
          if (typeof ms === 'number' && ms >= 0) slot.ms = smooth(slot.ms, ms / chunk.length);
          resolve(checked);
        },
        reject,
      };
      if (slot.inFlight.size === 0) slot.worker.ref();
      slot.inFlight.set(id, job);
      try {
        slot.worker.postMessage({ id, doms: chunk, args });
      } catch (e) {
        this.drop(slot, `cannot send a job (${e instanceof Error ? e.message : String(e)})`);
      }
    });
  }

  /** The workers that may take a chunk now. */
  private async liveSlots(): Promise<Slot<R>[]> {
    const live: Slot<R>[] = [];
    for (const slot of this.slots) {
      if (slot.dead) continue;
      const ok = await Promise.race([slot.ready, Promise.resolve(null)]);
      if (ok === true && !slot.dead) live.push(slot);
    }
    return live;
  }

  /**
   * Bound the domains across the main thread and the workers; results keep the input order and
   * are exactly what the task's `boundHere` gives on the main thread (a failed worker's chunk is
   * bounded there). Rejects with the signal's reason when it is aborted.
   */
  async bound(doms: D[], args: A, signal?: AbortSignal): Promise<R> {
    const live = await this.liveSlots();
    // Chunk sizes in proportion to each thread's measured speed, so that all finish together (a
    // fresh worker runs cold code at first, and the main thread has the search's other work).
    const speeds = [1 / this.msMain, ...live.map((w) => 1 / (w.ms ?? WORKER_FIRST_GUESS * this.msMain))];
    const total = speeds.reduce((a, b) => a + b, 0);
    const sizes = speeds.map((v) => Math.floor((doms.length * v) / total));
    sizes[0] += doms.length - sizes.reduce((a, b) => a + b, 0);
    const chunks: D[][] = [];
    for (let k = 0, at = 0; k < sizes.length; at += sizes[k], k++) chunks.push(doms.slice(at, at + sizes[k]));
    const sentAt = performance.now();
    const jobs = chunks.slice(1).map((chunk, k) => (chunk.length === 0 ? null : { slot: live[k], chunk, answer: this.send(live[k], chunk, args) }));
    const t0 = performance.now();
    const mine = this.task.boundHere(chunks[0], args, signal);
    // The main thread's cost per domain includes its other work since its last chunk (pruning,
    // splitting, attacks): its busy time from the event loop's own accounting, waits excluded.
    // Workers then get chunks long enough to keep busy through that work (see the engine's pipeline).
    const busy = performance.eventLoopUtilization().active;
    if (chunks[0].length > 0) {
      const ms = this.lastBusy === undefined ? performance.now() - t0 : busy - this.lastBusy;
      this.msMain = smooth(this.msMain, ms / chunks[0].length);
    }
    this.lastBusy = busy;
    const parts: R[] = [mine];
    for (const job of jobs) {
      if (!job) continue;
      const expected = (job.slot.ms ?? WORKER_FIRST_GUESS * this.msMain) * job.chunk.length;
      const stallAfter = Math.max(STALL_MIN_MS, STALL_FACTOR * expected) - (performance.now() - sentAt);
      let outcome: R | Error;
      try {
        outcome = await this.await(job.answer, stallAfter, signal);
      } catch (e) {
        outcome = e instanceof Error ? e : new Error(String(e));
      }
      if (!(outcome instanceof Error)) { parts.push(outcome); continue; }
      if (signal?.aborted) throw signal.reason;
      // Closed meanwhile (the search ended with batches in flight): nothing to redo.
      if (this.closing) throw outcome;
      if (outcome.name === 'StallError') this.drop(job.slot, outcome.message);
      // The worker failed: this thread bounds its chunk (the same computation, so nothing is lost).
      parts.push(this.task.boundHere(job.chunk, args, signal));
    }
    return this.task.merge(parts);
  }

  /** A worker's answer, unless the signal aborts first or it stalls past `ms`. */
  private await(answer: Promise<R>, ms: number, signal?: AbortSignal): Promise<R> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<R>((resolve, reject) => {
      const stall = new Error(`no answer within ${Math.round(ms)} ms`);
      stall.name = 'StallError';
      const timer = setTimeout(() => done(() => reject(stall)), Math.max(0, ms));
      // The stall check alone never keeps the process alive (the verdict may be out already).
      timer.unref();
      const onAbort = () => done(() => reject(signal!.reason));
      const done = (f: () => void) => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); f(); };
      signal?.addEventListener('abort', onAbort);
      answer.then((r) => done(() => resolve(r)), (e) => done(() => reject(e)));
    });
  }

  /** Stop every worker (at the end, on `sat`, or at the deadline). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((slot) => {
      slot.dead = true;
      for (const job of slot.inFlight.values()) job.reject(new WorkerCrashError('the pool was closed'));
      slot.inFlight.clear();
      return slot.worker.terminate().catch(() => {});
    }));
  }
}

/** What a box job carries besides its domains. */
export interface BoxJobArgs {
  intermediate: 'auto' | 'forward';
  alphaIterations: number;
  reluCandidates: number;
  alphaReach: number;
}

/** Input-box bounding (verify I) as a worker task: the context is the network and the property's rows. */
/** What a box worker starts from: the property's rows and, optionally, a box to bound once before it reports ready. */
export interface BoxTaskInit { rows: Rows; warmUp?: { lo: Float64Array; hi: Float64Array } }

export const BOX_TASK: WorkerTask<{ net: Network; rows: Rows }, BoxDomain, BoxJobArgs, BoxBatchResult> = {
  init: (net, data) => {
    const { rows, warmUp } = data as BoxTaskInit;
    // Bounding one box compiles the bounding code before the first real chunk arrives (a cold
    // worker is 5–10 times slower per domain): on the worker's own thread, while the main thread
    // works alone. The result is discarded.
    if (warmUp) boundBoxes(net, rows, [{ lo: warmUp.lo, hi: warmUp.hi, polyLower: new Float64Array(rows.ranges.length).fill(-Infinity), age: 0, depth: 0 }], 'auto');
    return { net, rows };
  },
  bound: (ctx, doms, a) => boundBoxesIn(ctx.net, ctx.rows, doms, a),
};

function boundBoxesIn(net: Network, rows: Rows, doms: BoxDomain[], a: BoxJobArgs, signal?: AbortSignal): BoxBatchResult {
  return boundBoxes(net, rows, doms, a.intermediate, signal, a.alphaIterations, a.reluCandidates, a.alphaReach);
}

/** The worker pool of verify's input-box search (see {@link WorkerPool}). */
export class BoundingPool {
  private constructor(private readonly pool: WorkerPool<BoxDomain, BoxJobArgs, BoxBatchResult>) {}

  /** A pool with threads − 1 workers, or null when there is nothing to gain or no worker script. */
  static create(net: Network, rows: Rows, threads: number, warmUp?: { lo: Float64Array; hi: Float64Array }): BoundingPool | null {
    const pool = WorkerPool.start<BoxDomain, BoxJobArgs, BoxBatchResult>(net, {
      kind: 'box',
      initData: { rows, warmUp } satisfies BoxTaskInit,
      boundHere: (doms, a, signal) => boundBoxesIn(net, rows, doms, a, signal),
      check: checkWorkerResult,
      merge: (parts) => ({
        bounded: parts.flatMap((r) => r.bounded),
        candidates: parts.flatMap((r) => r.candidates),
        alphaGain: Math.max(...parts.map((r) => r.alphaGain)),
      }),
    }, threads);
    return pool ? new BoundingPool(pool) : null;
  }

  /** Why workers were dropped (for diagnostics). */
  get failures(): string[] {
    return this.pool.failures;
  }

  /** Bound the boxes across the main thread and the workers; results keep the input order. */
  bound(doms: BoxDomain[], intermediate: 'auto' | 'forward', alphaIterations: number, reluCandidates: number, alphaReach: number, signal?: AbortSignal): Promise<BoxBatchResult> {
    return this.pool.bound(doms, { intermediate, alphaIterations, reluCandidates, alphaReach }, signal);
  }

  /** Stop every worker (at the end, on `sat`, or at the deadline). */
  close(): Promise<void> {
    return this.pool.close();
  }
}
