/**
 * Tiny IEEE-754 double helpers for outward rounding (parsed specifications, relaxations, bounds).
 *
 * `nextUp` / `nextDown` step to the adjacent double. The directed operations
 * (`addDown`, `addUp`, `mulDown`, `mulUp`, `divDown`, `divUp`) return a double
 * that is guaranteed to be <= (resp. >=) the exact real-number result of the
 * operation on their (double) operands. They are exact whenever the rounded
 * result is exact, and otherwise at most one ulp away from the exact result.
 */

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/**
 * The smallest double strictly greater than `x`.
 * nextUp(0) = nextUp(-0) = Number.MIN_VALUE, nextUp(-Number.MIN_VALUE) = -0,
 * nextUp(Number.MAX_VALUE) = Infinity, nextUp(Infinity) = Infinity,
 * nextUp(-Infinity) = -Number.MAX_VALUE, nextUp(NaN) = NaN.
 */
export function nextUp(x: number): number {
  if (x !== x || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  // Positive doubles order like their bit patterns; negative doubles order reversed.
  if (x > 0) i64[0]! += 1n;
  else i64[0]! -= 1n;
  return f64[0]!;
}

/**
 * The largest double strictly smaller than `x` (mirror image of {@link nextUp}):
 * nextDown(0) = -Number.MIN_VALUE, nextDown(-Infinity) = -Infinity,
 * nextDown(Infinity) = Number.MAX_VALUE, nextDown(NaN) = NaN.
 */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

const MAX = Number.MAX_VALUE;
/** Veltkamp splitter 2^27 + 1. */
const SPLITTER = 134217729;
/** Above this magnitude the Veltkamp split may overflow. */
const SPLIT_LIMIT = 2 ** 995;
/** Below this magnitude a product's error term may underflow (not representable exactly). */
const UNDERFLOW_LIMIT = 2 ** -968;

/**
 * Error term of the product a*b (Dekker/Veltkamp, no FMA): returns e with
 * a*b = fl(a*b) + e exactly, or NaN when the preconditions (no overflow or
 * underflow in the intermediate products) do not hold.
 */
function productError(a: number, b: number, p: number): number {
  const aa = Math.abs(a);
  const ab = Math.abs(b);
  const ap = Math.abs(p);
  if (aa > SPLIT_LIMIT || ab > SPLIT_LIMIT || ap < UNDERFLOW_LIMIT || ap > SPLIT_LIMIT) return NaN;
  let c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b);
  const bl = b - bh;
  const e = ah * bh - p + ah * bl + al * bh + al * bl;
  return Number.isFinite(e) ? e : NaN;
}

/** Shared handling of non-finite results: `down` selects the rounding direction. */
function nonFinite(r: number, a: number, b: number, down: boolean): number {
  if (r !== r) return down ? -Infinity : Infinity;
  if (Number.isFinite(a) && Number.isFinite(b)) {
    // Overflow from finite operands: the exact result is finite but beyond MAX.
    if (r > 0) return down ? MAX : Infinity;
    return down ? -Infinity : -MAX;
  }
  return r;
}

/** A double <= the exact sum a + b (exact when the sum is representable). */
export function addDown(a: number, b: number): number {
  if (b === 0) return a;
  if (a === 0) return b;
  const s = a + b;
  if (!Number.isFinite(s)) return nonFinite(s, a, b, true);
  const bb = s - a;
  const err = a - (s - bb) + (b - bb); // TwoSum: a + b = s + err exactly
  return err < 0 ? nextDown(s) : s;
}

/** A double >= the exact sum a + b (exact when the sum is representable). */
export function addUp(a: number, b: number): number {
  if (b === 0) return a;
  if (a === 0) return b;
  const s = a + b;
  if (!Number.isFinite(s)) return nonFinite(s, a, b, false);
  const bb = s - a;
  const err = a - (s - bb) + (b - bb);
  return err > 0 ? nextUp(s) : s;
}

/** A double <= the exact product a * b (exact when the product is representable). 0 * anything = 0. */
export function mulDown(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  const p = a * b;
  if (!Number.isFinite(p)) return nonFinite(p, a, b, true);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return p;
  const e = productError(a, b, p);
  if (e !== e) return nextDown(p);
  return e < 0 ? nextDown(p) : p;
}

/** A double >= the exact product a * b (exact when the product is representable). 0 * anything = 0. */
export function mulUp(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  const p = a * b;
  if (!Number.isFinite(p)) return nonFinite(p, a, b, false);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return p;
  const e = productError(a, b, p);
  if (e !== e) return nextUp(p);
  return e > 0 ? nextUp(p) : p;
}

/**
 * Sign of (exact a/b) - fl(a/b): -1, 0 or +1, or NaN when it cannot be decided
 * cheaply (then callers round outward).
 */
function quotientErrorSign(a: number, b: number, q: number): number {
  const p = q * b;
  const e = productError(q, b, p);
  if (e !== e) return NaN;
  // q*b = p + e exactly; a - p is exact (Sterbenz: p is within a factor 2 of a).
  if (!(Math.abs(p) <= 2 * Math.abs(a) && Math.abs(a) <= 2 * Math.abs(p))) return NaN;
  const r = a - p - e; // rounding preserves the sign of the exact residual a - q*b
  if (r === 0) return 0;
  return (r > 0) === (b > 0) ? 1 : -1;
}

/** A double <= the exact quotient a / b for b != 0 (exact when the quotient is representable). */
export function divDown(a: number, b: number): number {
  if (a === 0) return 0;
  const q = a / b;
  if (!Number.isFinite(q)) return nonFinite(q, a, b, true);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return nextDown(q);
  const s = quotientErrorSign(a, b, q);
  return s === 0 || s === 1 ? q : nextDown(q);
}

/** A double >= the exact quotient a / b for b != 0 (exact when the quotient is representable). */
export function divUp(a: number, b: number): number {
  if (a === 0) return 0;
  const q = a / b;
  if (!Number.isFinite(q)) return nonFinite(q, a, b, false);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return nextUp(q);
  const s = quotientErrorSign(a, b, q);
  return s === 0 || s === -1 ? q : nextUp(q);
}
