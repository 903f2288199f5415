import FlatQueue from 'flatqueue';

/**
 * The one branch-and-bound engine (verify, reach, radius and ReLU enumeration each plug in
 * their own domain type and bounding). It only orders, batches and prunes; what a domain
 * means, how it is bounded and split, is the problem's.
 *
 * Contract: a domain's `lower` is a sound lower bound of the objective over the domain. A
 * domain whose lower bound exceeds `threshold` is proved and dropped. The threshold may move:
 * given as a function, it is read at every push and again when a domain is taken from the
 * queue (reach passes incumbent − eps, so boxes that cannot improve the incumbent by more than
 * eps are dropped as the incumbent falls). The search ends with
 * `proved` when no domain is left, `found` when the problem reports a witness, or
 * `timeout`/`memory`/`aborted` with the best global lower bound proved so far (the minimum over
 * open domains, which is sound at every moment).
 */

export interface BoundedDomain<D> {
  domain: D;
  /** Sound lower bound of the objective over the domain (+∞ when the domain is empty). */
  lower: number;
  /** The objective at some point of the domain, when known (an upper bound of its minimum): orders the dives. */
  upper?: number;
}

export interface BnbProblem<D> {
  /** Bound the root domains (called once). */
  roots(): Promise<BoundedDomain<D>[]>;
  /**
   * Split each parent and bound the children, all in as few batched calls as the problem can
   * make. Children that are proved may be returned or omitted. May report a witness. `outOfTime`:
   * not even one parent could be expanded before the deadline (they come back as children,
   * unchanged): the search stops with `timeout` now instead of running past the deadline.
   */
  expand(parents: BoundedDomain<D>[], signal: AbortSignal): Promise<{ children: BoundedDomain<D>[]; witness?: unknown; outOfTime?: boolean }>;
  /**
   * A domain is proved when its lower bound exceeds this (default 0). A function is a moving
   * threshold, read at every push and pop (it may only decrease for the pruning to stay a proof
   * of "nothing below the threshold"; reach's incumbent − eps does).
   */
  threshold?: number | (() => number);
}

export interface BnbSettings {
  /** Parents expanded per step (their children are bounded in one batch). Default 64. */
  batch: number;
  /** Open domains allowed before giving up with `memory`. Default 500,000. */
  maxOpen: number;
  /** performance.now() value at which to stop with `timeout` (checked before every batch). Default: none. */
  deadline: number;
  /**
   * Fraction of each batch taken from the domains with the lowest `upper` (the most promising
   * witnesses) instead of the lowest bounds. Proving needs every open domain expanded anyway, so
   * the order costs a proof nothing; it finds witnesses in small regions sooner. Default 0.25.
   */
  diveFraction: number;
  /**
   * Batches in flight at once. With 2, the next batch is taken and sent off while the previous
   * one is still being bounded (by worker threads), so the threads need not wait while the main
   * thread prunes, splits and queues. A complete proof expands the same domains in any order
   * (each domain's split depends on itself only); only which domains come first changes.
   * Default 1.
   */
  pipeline: number;
}

export const BNB_DEFAULTS: BnbSettings = { batch: 64, maxOpen: 500_000, deadline: Infinity, diveFraction: 0.25, pipeline: 1 };

export interface BnbStats {
  visited: number;
  open: number;
  /** Best proved lower bound of the objective over everything still open (or, when none is, over the proved domains). */
  globalLower: number;
  elapsed: number;
}

export type BnbOutcome = 'proved' | 'found' | 'timeout' | 'memory' | 'aborted';

export interface BnbResult {
  outcome: BnbOutcome;
  witness?: unknown;
  stats: BnbStats;
}

/**
 * Best-first branch and bound: expand the open domains with the lowest bounds, and a share of
 * each batch (`diveFraction`) from those with the lowest known objective values. Checks the
 * signal before every batch; a deadline is an AbortSignal whose reason is 'timeout'.
 */
export async function branchAndBound<D>(
  problem: BnbProblem<D>,
  settings: Partial<BnbSettings> = {},
  signal: AbortSignal = new AbortController().signal,
  onProgress?: (s: BnbStats) => void,
): Promise<BnbResult> {
  const s = { ...BNB_DEFAULTS, ...settings };
  const moving = typeof problem.threshold === 'function' ? problem.threshold : null;
  const fixedThreshold = typeof problem.threshold === 'number' ? problem.threshold : 0;
  const start = performance.now();
  // Two queues over the same open domains (by lower bound, by known value); `store` holds the
  // open ones, and an id taken through one queue is skipped when the other pops it.
  const queue = new FlatQueue<number>();
  const dives = new FlatQueue<number>();
  const store = new Map<number, BoundedDomain<D>>();
  const dropTaken = (q: FlatQueue<number>) => { while (q.length > 0 && !store.has(q.peek()!)) q.pop(); };
  let nextId = 0;
  let visited = 0;
  let minProved = Infinity;
  // Batches in flight (oldest first), each with its parents: until its children are back, the
  // parents' bounds stand for them in the global bound.
  type Step = { parents: BoundedDomain<D>[]; done: Promise<{ res?: Awaited<ReturnType<BnbProblem<D>['expand']>>; err?: unknown }> };
  const running: Step[] = [];
  const stats = (): BnbStats => {
    dropTaken(queue);
    let lower = queue.length > 0 ? Math.min(queue.peekValue()!, minProved) : minProved;
    for (const st of running) for (const p of st.parents) if (p.lower < lower) lower = p.lower;
    return {
      visited,
      open: store.size + running.reduce((n, st) => n + st.parents.length, 0),
      globalLower: lower,
      elapsed: (performance.now() - start) / 1000,
    };
  };
  const push = (d: BoundedDomain<D>) => {
    visited++;
    // A NaN bound (an overflow inside the bounding) proves nothing.
    if (Number.isNaN(d.lower)) d.lower = -Infinity;
    if (d.lower > (moving ? moving() : fixedThreshold)) {
      if (d.lower < minProved) minProved = d.lower;
    } else {
      const id = nextId++;
      store.set(id, d);
      queue.push(id, d.lower);
      if (d.upper !== undefined && s.diveFraction > 0) dives.push(id, d.upper);
    }
  };
  const take = (q: FlatQueue<number>, into: BoundedDomain<D>[], upTo: number) => {
    while (into.length < upTo && q.length > 0) {
      const id = q.pop()!;
      const d = store.get(id);
      if (!d) continue;
      store.delete(id);
      // A moving threshold may have passed this domain since it was queued: proved now.
      if (moving && d.lower > moving()) {
        if (d.lower < minProved) minProved = d.lower;
        continue;
      }
      into.push(d);
    }
  };
  const launch = () => {
    const parents: BoundedDomain<D>[] = [];
    take(queue, parents, s.batch - Math.floor(s.batch * s.diveFraction));
    take(dives, parents, s.batch);
    take(queue, parents, s.batch);
    if (parents.length === 0) return; // every domain taken was proved by the moving threshold
    running.push({ parents, done: problem.expand(parents, signal).then((res) => ({ res }), (err: unknown) => ({ err })) });
  };
  /** Stop early: batches still in flight give their parents back, so the reported bound stays sound. */
  const stop = (outcome: BnbOutcome): BnbResult => {
    for (const st of running.splice(0)) for (const p of st.parents) { visited--; push(p); }
    return { outcome, stats: stats() };
  };
  const stopReason = (): BnbOutcome => (signal.reason === 'timeout' ? 'timeout' : 'aborted');
  for (const r of await problem.roots()) push(r);
  let lastYield = performance.now();
  while (store.size > 0 || running.length > 0) {
    // Bounding is synchronous: yield to the event loop now and then so timers and signals fire.
    if (performance.now() - lastYield > 50) {
      await new Promise((r) => setImmediate(r));
      lastYield = performance.now();
    }
    if (performance.now() >= s.deadline) return stop('timeout');
    if (signal.aborted) return stop(stopReason());
    if (store.size > s.maxOpen) return stop('memory');
    while (running.length < Math.max(1, s.pipeline) && store.size > 0) launch();
    if (running.length === 0) continue;
    const step = running[0];
    const { res, err } = await step.done;
    running.shift();
    if (!res) {
      if (signal.aborted) {
        for (const p of step.parents) { visited--; push(p); }
        return stop(stopReason());
      }
      throw err;
    }
    if (res.witness !== undefined) return { outcome: 'found', witness: res.witness, stats: stats() };
    for (const c of res.children) push(c);
    if (res.outOfTime) return stop('timeout');
    onProgress?.(stats());
  }
  return { outcome: 'proved', stats: stats() };
}

/**
 * Bounding is synchronous, so near the deadline a problem expands only the parents whose children
 * fit in half the time left (at least one) and hands the rest back unexpanded (their bounds stay
 * valid): the timeout then holds. `msPerChild` is the measured time per bounded child (0: not yet
 * measured, everything is expanded).
 */
export function parentsThatFit<T>(parents: T[], msPerChild: number, childrenPerParent: number, deadline: number): { now: T[]; later: T[] } {
  const left = deadline - performance.now();
  if (msPerChild > 0 && Number.isFinite(left)) {
    const fit = Math.max(1, Math.floor((0.5 * left) / (msPerChild * childrenPerParent)));
    if (fit < parents.length) return { now: parents.slice(0, fit), later: parents.slice(fit) };
  }
  return { now: parents, later: [] };
}
