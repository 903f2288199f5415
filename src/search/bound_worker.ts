/**
 * Worker thread of a bounding pool (see WorkerPool in pool.ts): rebuilds the network from its
 * JSON form (exact: float64 numbers round-trip), builds its task's context once, then bounds
 * the chunks of domains it is sent. A new kind of domain is one entry in TASKS.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseJsonModel } from '../net/json.js';
import { buildNetwork } from '../net/network.js';
import { simplify } from '../net/simplify.js';
import { BOX_TASK, valueSignature, type WorkerTask } from './pool.js';
import { RELU_TASK } from './relu_split.js';

/** The worker-side tasks, by the name a PoolTask's `kind` gives. */
const TASKS: Record<string, WorkerTask<any, any, any, any>> = {
  box: BOX_TASK,
  relu: RELU_TASK,
};

interface Init { kind: string; modelJson: string; initData: unknown }
interface Job { id: number; doms: unknown[]; args: unknown }

const init = workerData as Init;
const task = TASKS[init.kind];
if (!task) throw new Error(`unknown worker task '${init.kind}'`);
const net = simplify(buildNetwork(parseJsonModel(init.modelJson, 'worker'))).net;
const ctx = task.init(net, init.initData);

// The value numbering must match the main thread's (node bounds are indexed by value id).
parentPort!.postMessage({ ready: true, signature: valueSignature(net) });

parentPort!.on('message', (job: Job) => {
  // Test hooks: a worker that dies, throws, answers garbage or never answers mid-search.
  if (process.env.LIPCERT_TEST_WORKER_CRASH) process.exit(3);
  if (process.env.LIPCERT_TEST_WORKER_FAULT === 'throw') throw new Error('test fault');
  if (process.env.LIPCERT_TEST_WORKER_FAULT === 'garbage') { parentPort!.postMessage({ id: job.id, res: { bounded: [{ lower: 1 }], candidates: 'x' }, ms: 1 }); return; }
  if (process.env.LIPCERT_TEST_WORKER_FAULT === 'silent') return;
  const t0 = performance.now();
  let res;
  try {
    res = task.bound(ctx, job.doms, job.args);
  } catch (e) {
    // The main thread bounds this chunk itself and stops using this worker.
    parentPort!.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
    return;
  }
  // Its own compute time: the round trip also counts the main thread's busy time before it reads the reply.
  parentPort!.postMessage({ id: job.id, res, ms: performance.now() - t0 });
});
