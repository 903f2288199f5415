import type { Network } from '../net/network.js';

export type BoundMethod = 'ibp' | 'crown' | 'alpha' | 'lp';
export const BOUND_METHODS: readonly BoundMethod[] = ['ibp', 'crown', 'alpha', 'lp'];

export type Norm = 'inf' | '2' | '1';

/**
 * The input region of a batch of D domains. `lo`/`hi` (D × n) are always set: a box, or the
 * box hull of the ball intersected with its domain box. With `ball`, the last CROWN step also
 * uses the dual norm (A·x0 ± r·‖A‖_q) and keeps the tighter of the two — both are sound.
 */
export interface BatchRegion {
  batch: number;
  lo: Float64Array;
  hi: Float64Array;
  ball?: { center: Float64Array; radius: number; norm: Norm };
}

/** Bounds of every value (index = value id), each D × size; undefined where not computed. */
export interface NodeBounds {
  lo: (Float64Array | undefined)[];
  hi: (Float64Array | undefined)[];
}

/**
 * ReLU splits of a batch of domains: for each node id of a splittable op, an Int8Array of
 * D × size with +1 (input ≥ 0: active), −1 (input ≤ 0: inactive) or 0 (free).
 */
export type SplitSet = Map<number, Int8Array>;

/**
 * The split set of a batch of domains, each given as a list of triples (node, element, sign ±1)
 * (or undefined: no splits); undefined when no domain has a split.
 */
export function splitSetOf(net: Network, lists: readonly (ArrayLike<number> | undefined)[]): SplitSet | undefined {
  if (!lists.some((r) => r && r.length > 0)) return undefined;
  const D = lists.length;
  const splits: SplitSet = new Map();
  lists.forEach((r, d) => {
    if (!r) return;
    for (let t = 0; t < r.length; t += 3) {
      const k = r[t], size = net.values[net.nodes[k].inputs[0]].size;
      let s = splits.get(k);
      if (!s) splits.set(k, (s = new Int8Array(D * size)));
      s[d * size + r[t + 1]] = r[t + 2];
    }
  });
  return splits;
}

/** Everything a bounding call takes. */
export interface BoundsRequest {
  net: Network;
  region: BatchRegion;
  /** Specification rows over the output, R × m, shared by every domain (default: the identity). */
  C?: Float64Array;
  /** Constant part of the rows: bounds are of C·y + cOffset (default 0). */
  cOffset?: Float64Array;
  splits?: SplitSet;
  /** Bounds known for a superset of each domain (e.g. the parent's): results are intersected with them. */
  parent?: NodeBounds;
  /** Return the final lower-bound coefficients w.r.t. the input (D × R × n) and their constant (D × R). */
  wantCoefficients?: boolean;
  /**
   * How intermediate bounds are computed: 'backward' (CROWN per unstable neuron), 'forward'
   * (forward-mode linear bounds, cheap for few inputs), or 'auto' (forward when the network has
   * at most 20 inputs). Default 'auto'.
   */
  intermediate?: 'auto' | 'forward' | 'backward';
  /**
   * Stable ReLU-like inputs whose interval lies within this fraction of its width of the kink
   * also get backward passes (their bounds tighten later layers' intervals). Default 0.25.
   * Branch and bound on few inputs passes 0: there the forward-mode linear bounds carry that
   * information and the extra passes cost more than they save.
   */
  nearKinkFraction?: number;
  /** Abort between steps; an aborted call throws its reason. */
  signal?: AbortSignal;
}

/** Bounds of the rows of C·y (+ cOffset) for every domain: each D × R. */
export interface BoundsResult {
  lower: Float64Array;
  upper: Float64Array;
  rows: number;
  nodes: NodeBounds;
  /** With wantCoefficients: lower(C·y)_r ≥ Σ_k A[r,k]·x_k + bias[r] for every x in the domain (sound). */
  A?: Float64Array;
  bias?: Float64Array;
}
