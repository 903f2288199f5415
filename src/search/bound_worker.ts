/**
 * Worker thread of verify's bounding pool: rebuilds the network from its JSON form (exact:
 * float64 numbers round-trip), then bounds the batches of boxes it is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseJsonModel } from '../net/json.js';
import { buildNetwork } from '../net/network.js';
import { simplify } from '../net/simplify.js';
import { boundBoxes, type BoxDomain, type Rows } from './box_bounding.js';
import { valueSignature } from './pool.js';

interface Init { modelJson: string; rows: Rows }
interface Job { id: number; doms: BoxDomain[]; intermediate: 'auto' | 'forward'; alphaIterations: number; reluCandidates: number; alphaReach: number }

const init = workerData as Init;
const net = simplify(buildNetwork(parseJsonModel(init.modelJson, 'worker'))).net;

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
    res = boundBoxes(net, init.rows, job.doms, job.intermediate, undefined, job.alphaIterations, job.reluCandidates, job.alphaReach);
  } catch (e) {
    // The main thread bounds this chunk itself and stops using this worker.
    parentPort!.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
    return;
  }
  // Its own compute time: the round trip also counts the main thread's busy time before it reads the reply.
  parentPort!.postMessage({ id: job.id, res, ms: performance.now() - t0 });
});
