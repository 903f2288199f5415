/**
 * Reusable zero-filled Float64Array buffers for the bounding hot path (backward passes allocate
 * and drop a coefficient array per layer, row chunk and domain batch; the garbage collector took
 * about a tenth of an ACAS Xu search). `takeZeroed` hands out a zero-filled view of a pooled
 * buffer, `give` returns it once nothing refers to it any more.
 *
 * The contract that keeps bounds sound: a caller gives back only an array it took itself (or
 * received as a result it owns), and never reads or writes it afterwards, nor lets it escape
 * into a result. A stale value leaking from one domain into another would be a soundness bug;
 * `workspace.test.ts` bounds the same domains with pooling on and off, in shuffled orders and
 * batch sizes, and requires bit-identical bounds. Per thread (module state): worker threads
 * have their own.
 */

/** Buffers kept per power-of-two capacity class, and in all (bytes). */
const PER_CLASS = 8;
const MAX_POOLED_BYTES = 64 * 2 ** 20;
/** Smallest capacity class (elements): tiny arrays are cheaper to allocate than to pool. */
const MIN_ELEMENTS = 256;

const free = new Map<number, Float64Array[]>();
/** The whole pooled buffer behind each view handed out. */
const wholeOf = new WeakMap<ArrayBuffer, Float64Array>();
let pooledBytes = 0;
let enabled = true;

function capacityClass(len: number): number {
  let c = MIN_ELEMENTS;
  while (c < len) c *= 2;
  return c;
}

/** A zero-filled Float64Array of length `len` (a view of a pooled buffer when one is free). */
export function takeZeroed(len: number): Float64Array {
  if (!enabled || len < MIN_ELEMENTS) return new Float64Array(len);
  const cap = capacityClass(len);
  const list = free.get(cap);
  const whole = list?.pop();
  if (whole) {
    pooledBytes -= whole.byteLength;
    const view = whole.subarray(0, len);
    view.fill(0);
    return view;
  }
  const fresh = new Float64Array(cap);
  wholeOf.set(fresh.buffer, fresh);
  return fresh.subarray(0, len);
}

/** Return arrays obtained from `takeZeroed` (others are ignored); the caller must not use them afterwards. */
export function give(...arrays: (Float64Array | undefined)[]): void {
  if (!enabled) return;
  for (const a of arrays) {
    if (!a) continue;
    const whole = wholeOf.get(a.buffer as ArrayBuffer);
    if (!whole || a.byteOffset !== 0) continue;
    if (pooledBytes + whole.byteLength > MAX_POOLED_BYTES) continue;
    const cap = whole.length;
    let list = free.get(cap);
    if (!list) free.set(cap, (list = []));
    if (list.length >= PER_CLASS || list.includes(whole)) continue;
    list.push(whole);
    pooledBytes += whole.byteLength;
  }
}

/** Turn pooling on or off (off: every take allocates, give does nothing). For tests and measurements. */
export function setPooling(on: boolean): void {
  enabled = on;
  if (!on) { free.clear(); pooledBytes = 0; }
}
