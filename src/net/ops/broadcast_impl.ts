/** NumPy/ONNX multidirectional broadcasting of two shapes; throws when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For each element of a tensor of shape `to` (C order), the index of the element of a tensor
 * of shape `from` that broadcasts onto it; null when the shapes are equal (identity map).
 */
export function broadcastIndex(from: readonly number[], to: readonly number[]): Int32Array | null {
  const n = to.length;
  let size = 1;
  for (const d of to) size *= d;
  let fromSize = 1;
  for (const d of from) fromSize *= d;
  if (fromSize === size) return null;
  const pad = n - from.length;
  const fromStride = new Array<number>(n).fill(0);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    const d = i - pad >= 0 ? from[i - pad] : 1;
    fromStride[i] = d === 1 ? 0 : s;
    s *= d;
  }
  const idx = new Int32Array(size);
  const counter = new Array<number>(n).fill(0);
  let cur = 0;
  for (let k = 0; k < size; k++) {
    idx[k] = cur;
    for (let i = n - 1; i >= 0; i--) {
      counter[i]++;
      cur += fromStride[i];
      if (counter[i] < to[i]) break;
      cur -= fromStride[i] * counter[i];
      counter[i] = 0;
    }
  }
  return idx;
}

/** Expand a constant of shape `from` to shape `to` (a fresh array of the full size). */
export function expandTo(data: Float64Array, from: readonly number[], to: readonly number[]): Float64Array {
  const idx = broadcastIndex(from, to);
  if (!idx) return Float64Array.from(data);
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = data[idx[i]];
  return out;
}

/** Normalise a possibly negative axis against a rank; throws when out of range. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}
