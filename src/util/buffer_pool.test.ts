import { describe, expect, it } from 'vitest';
import { giveBack, releasePooledBuffers, takeZeroed } from './buffer_pool.js';

describe('buffer pool', () => {
  it('hands out zeroed arrays of the exact length, reusing given-back buffers', () => {
    releasePooledBuffers();
    const a = takeZeroed(100);
    expect(a.length).toBe(100);
    a.fill(7);
    giveBack(a);
    const b = takeZeroed(90); // the same capacity class (128)
    expect(b.length).toBe(90);
    expect(b.buffer).toBe(a.buffer);
    expect(b.every((v) => v === 0)).toBe(true);
    // The part beyond the view was written too: a later, longer view is zeroed as well.
    giveBack(b);
    const c = takeZeroed(128);
    expect(c.buffer).toBe(a.buffer);
    expect(c.every((v) => v === 0)).toBe(true);
  });

  it('never pools arrays it did not hand out whole (views with an offset, odd capacities)', () => {
    releasePooledBuffers();
    const big = new Float64Array(256);
    giveBack(big.subarray(128)); // offset view: ignored
    giveBack(new Float64Array(100)); // capacity not a power of two: ignored
    const d = takeZeroed(200);
    expect(d.buffer).not.toBe(big.buffer);
    expect(takeZeroed(0).length).toBe(0);
  });
});
