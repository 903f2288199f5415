/**
 * Small seeded pseudo-random number generator used project-wide
 * (weight initialisation, data shuffling, random sampling in tests and
 * benchmarks).
 *
 * Generator: xoshiro128** 1.1 (Blackman & Vigna), 128-bit state, period
 * 2^128 - 1, with the state filled from the seed by splitmix32.
 *
 * Deterministic: the same seed always produces the same sequence, on every
 * platform (only 32-bit integer arithmetic is used for the stream; the
 * float helpers use IEEE-754 double operations and `Math.log`/`Math.sqrt`/
 * `Math.cos`). NOT cryptographic: never use it for secrets.
 */

/** Any built-in numeric typed array. */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

const TWO_POW_32 = 4294967296;
const TWO_POW_M53 = 1 / 9007199254740992; // 2^-53

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** splitmix32 step (Weyl increment + murmur3-style finaliser). */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Second Box–Muller deviate, if one is pending. */
  private spare: number | null = null;

  /**
   * @param seed any finite number; integers in [-2^53, 2^53] give distinct
   *   streams (the low and high 32-bit words are both mixed in); a
   *   fractional part is ignored.
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be a finite number, got ${seed}`);
    const t = Math.trunc(seed);
    const lo = t >>> 0; // low 32 bits (two's complement for negatives)
    const hi = Math.floor(t / TWO_POW_32) >>> 0;
    // Fold the high word in so seeds differing only above bit 32 diverge.
    const st = { s: (splitmix32({ s: hi ^ 0x6a09e667 }) ^ lo) | 0 };
    this.s0 = splitmix32(st) | 0;
    this.s1 = splitmix32(st) | 0;
    this.s2 = splitmix32(st) | 0;
    this.s3 = splitmix32(st) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is a fixed point
  }

  /** Next raw output: uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits (two 32-bit outputs). */
  next(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) * TWO_POW_M53;
  }

  /** Uniform double in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal deviate N(0, 1) (Box–Muller, both deviates used). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u = 1 - this.next(); // (0, 1]: log is finite
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * v;
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }

  /**
   * Uniform integer in 0..n-1. `n` must be a positive integer ≤ 2^53.
   * Exact (rejection sampling on 32-bit outputs) for n ≤ 2^32; above that,
   * scaled from `next()` with bias below n / 2^53.
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 9007199254740992) {
      throw new RangeError(`Rng.int: n must be a positive integer ≤ 2^53, got ${n}`);
    }
    if (n <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      let x = this.nextUint32();
      while (x >= limit) x = this.nextUint32();
      return x % n;
    }
    return Math.floor(this.next() * n);
  }

  /** In-place Fisher–Yates shuffle of an array or typed array. */
  shuffle<T>(a: T[] | TypedArray): void {
    const arr = a as unknown as { [i: number]: unknown; length: number };
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
  }
}
