/**
 * Float64 buffers reused across the bounding and forward passes of one thread (every thread has
 * its own module state; the passes are synchronous and not re-entrant). The passes would
 * otherwise allocate hundreds of kilobytes per domain, off the JS heap, and every few tens of
 * megabytes of that makes V8 run a full garbage collection. Buffers are kept by power-of-two
 * capacity and handed out as zeroed views of exactly the length asked for.
 */
const free: Float64Array[][] = [];
/**
 * The largest length pooled (8 MiB of float64); per capacity, at most KEEP_BYTES of buffers and
 * at most KEEP_COUNT of them (a forward pass of a batch holds one per value at once).
 */
const MAX_LENGTH = 1 << 20, KEEP_BYTES = 16 << 20, KEEP_COUNT = 64;

/** A zeroed array of `length` elements: a view into a pooled buffer when one is free. */
export function takeZeroed(length: number): Float64Array {
  if (length > MAX_LENGTH || length === 0) return new Float64Array(length);
  const cls = 32 - Math.clz32(length - 1);
  const buf = free[cls]?.pop();
  if (buf) {
    const view = buf.subarray(0, length);
    view.fill(0);
    return view;
  }
  return new Float64Array(1 << cls).subarray(0, length);
}

/** Hand an array from `takeZeroed` back (others are ignored); the caller must not use it again. */
export function giveBack(a: Float64Array): void {
  const capacity = a.buffer.byteLength / 8;
  if (capacity > MAX_LENGTH || a.byteOffset !== 0 || (capacity & (capacity - 1)) !== 0) return;
  const cls = 31 - Math.clz32(capacity);
  const list = (free[cls] ??= []);
  if (list.length < Math.min(KEEP_COUNT, Math.max(4, KEEP_BYTES / (8 * capacity)))) list.push(new Float64Array(a.buffer));
}

/** Drop every pooled buffer: the next passes run on freshly allocated ones (tests compare both). */
export function releasePooledBuffers(): void {
  free.length = 0;
}
