/**
 * Verification properties in the VNN-COMP convention: a property describes the
 * UNSAFE region; "sat" means some input of the region produces an output in it.
 */

/** An axis-aligned box lo[i] <= x[i] <= hi[i] (closed; bounds may be equal). */
export interface Box {
  lo: Float64Array;
  hi: Float64Array;
}

/** One conjunction of output constraints: rows of C·y <= d (C is rows×numOutputs, row-major). */
export interface OutputPolytope {
  C: Float64Array;
  d: Float64Array;
  rows: number;
  numOutputs: number;
}

/** One input box together with a DISJUNCTION of output polytopes: the unsafe region is the union over polytopes of {x in box, y=f(x) : C y <= d}. */
export interface PropertyDisjunct {
  box: Box;
  outputs: OutputPolytope[];
}

/** A whole property = the unsafe region = union of its disjuncts (VNN-COMP convention: sat = the unsafe region is reachable). */
export interface Property {
  numInputs: number;
  numOutputs: number;
  disjuncts: PropertyDisjunct[];
  source?: string;
}

/**
 * Creates a box of dimension n with every bound set to the given values
 * (default: the empty-looking box [+Inf, -Inf], useful as an accumulator).
 * Guarantee: returns fresh arrays of length n.
 */
export function makeBox(n: number, lo = Infinity, hi = -Infinity): Box {
  return { lo: new Float64Array(n).fill(lo), hi: new Float64Array(n).fill(hi) };
}

/** True iff the box is empty (some lo[i] > hi[i], or a NaN bound). Guarantee: no allocation. */
export function boxIsEmpty(box: Box): boolean {
  const { lo, hi } = box;
  for (let i = 0; i < lo.length; i++) if (!(lo[i]! <= hi[i]!)) return true;
  return false;
}

/** True iff x (length = box dimension) satisfies lo <= x <= hi componentwise. */
export function boxContains(box: Box, x: ArrayLike<number>): boolean {
  const { lo, hi } = box;
  if (x.length !== lo.length) return false;
  for (let i = 0; i < lo.length; i++) {
    const v = x[i]!;
    if (!(v >= lo[i]! && v <= hi[i]!)) return false;
  }
  return true;
}

/** True iff the two boxes have identical bounds (bitwise-equal values, treating 0 and -0 as equal). */
export function boxEquals(a: Box, b: Box): boolean {
  const n = a.lo.length;
  if (n !== b.lo.length) return false;
  for (let i = 0; i < n; i++) if (a.lo[i] !== b.lo[i] || a.hi[i] !== b.hi[i]) return false;
  return true;
}

/** The centre of the box ((lo+hi)/2 per coordinate, computed without overflow). */
export function boxCenter(box: Box): Float64Array {
  const n = box.lo.length;
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) c[i] = box.lo[i]! / 2 + box.hi[i]! / 2;
  return c;
}

/**
 * Evaluates the polytope on an output vector y: returns true iff every row
 * satisfies (C y)_r <= d_r in double arithmetic. A polytope with 0 rows contains every y.
 * (Diagnostic helper: double rounding may misjudge points within a few ulps of a facet.)
 */
export function polytopeContains(p: OutputPolytope, y: ArrayLike<number>): boolean {
  const m = p.numOutputs;
  for (let r = 0; r < p.rows; r++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += p.C[r * m + j]! * y[j]!;
    if (!(s <= p.d[r]!)) return false;
  }
  return true;
}

/**
 * True iff the pair (x, y) lies in the property's unsafe region (some disjunct
 * whose box contains x and one of whose polytopes contains y), evaluated in
 * double arithmetic as in {@link polytopeContains}.
 */
export function propertyContains(prop: Property, x: ArrayLike<number>, y: ArrayLike<number>): boolean {
  for (const dj of prop.disjuncts) {
    if (!boxContains(dj.box, x)) continue;
    for (const p of dj.outputs) if (polytopeContains(p, y)) return true;
  }
  return false;
}

/** The rows y_label − y_j for every j ≠ label ((m − 1) × m, row-major): the classification margin's rows. */
export function marginRows(m: number, label: number): Float64Array {
  const C = new Float64Array((m - 1) * m);
  let row = 0;
  for (let j = 0; j < m; j++) {
    if (j === label) continue;
    C[row * m + label] = 1;
    C[row * m + j] = -1;
    row++;
  }
  return C;
}
