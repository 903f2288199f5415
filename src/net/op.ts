/**
 * The operator interface: every semantics of one ONNX op lives in one module under
 * `src/net/ops/` (auto_LiRPA's idea). Analyses walk the network and call these members;
 * none of them switches on an op's name. An analysis that needs a member an op lacks stops
 * with {@link MissingSemanticsError} naming the op and the analysis.
 *
 * Conventions
 * - Shapes are ONNX shapes at batch size 1 (a symbolic batch dimension counts as 1). A batch
 *   of B inputs is B independent runs of that batch-1 model, stored as one flat
 *   Float64Array of B×size values (sample-major, C order inside a sample).
 * - Constant inputs (initialisers, folded constants) are consumed by `build` into the op's
 *   params; at run time an op sees only its data-dependent ("dynamic") inputs, each batched.
 */

/** An attribute value as read from ONNX or JSON. Tensor attributes carry float64 data. */
export type AttrValue = number | string | number[] | string[] | ConstTensor;
export type Attrs = Record<string, AttrValue>;

/** A constant tensor: shape and data in C order, float64 (int64 values are exact below 2^53). */
export interface ConstTensor {
  shape: number[];
  data: Float64Array;
  /** The element type the tensor had in the file (kept so writers can round-trip it). */
  dtype?: 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8';
}

/** One input of a node as seen while building: its shape and, when constant, its value. */
export interface BuildInput {
  name: string;
  shape: number[];
  value?: ConstTensor;
}

/** What an op's `build` is given. `inputs[i]` is undefined for an omitted optional input. */
export interface BuildContext {
  node: string;
  op: string;
  inputs: (BuildInput | undefined)[];
  attrs: Attrs;
  opset: number;
}

/** The result of building a node: its output shape, its prepared params, and which inputs stay dynamic. */
export interface Built<P> {
  shape: number[];
  params: P;
  /** Indices (into ctx.inputs) of the inputs read at run time, in the order `eval` receives them. */
  dynamic: number[];
  /** Set when the output is known at build time even though an input is dynamic (e.g. Shape). */
  constant?: ConstTensor;
}

/** An elementwise affine map y = scale ⊙ x + shift over the op's full (batch-1) input size. */
export interface ElementwiseAffine {
  scale: Float64Array;
  shift: Float64Array;
}

/** A node as written to a file: used by the ONNX and JSON writers. */
export interface SpecNode {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Attrs;
}

/** Emits an op back into graph form; `addConst` registers an initialiser and returns its name. */
export interface ExportContext {
  name: string;
  inputs: string[];
  output: string;
  inputShapes: number[][];
  outputShape: number[];
  addConst(suffix: string, t: ConstTensor): string;
}

/**
 * Everything one op means. Required members: build, eval, backward, toSpec. The optional
 * members are filled by the analyses that need them (interval bounds, linear relaxations,
 * Lipschitz constants, MILP encodings); a missing one is reported, never guessed.
 */
export interface OpKind<P = any> {
  /** The ONNX op type this module implements. */
  readonly onnx: string;

  /** Validate attributes and constant inputs, infer the output shape, prepare params. Throws on bad input. */
  build(ctx: BuildContext): Built<P>;

  /** Exact forward evaluation of a batch (float64). `ins` are the dynamic inputs, each B×inSize. */
  eval(p: P, ins: Float64Array[], out: Float64Array, batch: number): void;

  /**
   * Vector–Jacobian product: add (∂out/∂in_i)ᵀ·gOut into gIns[i] for every dynamic input i.
   * Exact where the op is differentiable; at a kink it uses a documented one-sided choice.
   */
  backward(p: P, ins: Float64Array[], out: Float64Array, gOut: Float64Array, gIns: Float64Array[], batch: number): void;

  /** Write this op back as graph nodes (for the ONNX and JSON writers). */
  toSpec(p: P, ctx: ExportContext): SpecNode[];

  /** When the op maps its single dynamic input by y = scale ⊙ x + shift, that map (used by the simplifier). */
  elementwiseAffine?(p: P, inSize: number): ElementwiseAffine | null;
  /** True when the op only relabels its input's elements in C order (Flatten, Reshape, Identity). */
  readonly reshapeOnly?: boolean;
  /** Params of the same op with y ↦ scale ⊙ y + shift applied after it, or null if it cannot absorb it. */
  absorbAfter?(p: P, affine: ElementwiseAffine, outSize: number): P | null;
  /** Params of the same op with x ↦ scale ⊙ x + shift applied before it, or null if it cannot absorb it. */
  absorbBefore?(p: P, affine: ElementwiseAffine, inSize: number): P | null;

  // ---- Bound propagation (src/bounds) -----------------------------------------------------
  /**
   * True when the op (with these params) is affine in its dynamic inputs jointly:
   * out = J·in + offset. Then `backward` (which must not read `ins` or `out`) is the exact
   * transpose Jᵀ, `eval` on zero inputs gives the offset exactly, and `absForward` gives |J|·m
   * — which is all that IBP, CROWN and the LP need from it.
   */
  isAffine?(p: P): boolean;
  /**
   * Affine ops: out = |J|·m for nonnegative m (one per dynamic input, batched), i.e. the op with
   * every weight replaced by its absolute value and no offset. Computed in float64, so it
   * carries the relative error γ_n of a length-n dot product (n = dotLength); callers add it.
   */
  absForward?(p: P, ms: Float64Array[], out: Float64Array, batch: number): void;
  /** Affine ops: the offset's absolute value |f(0)| per output element (batch 1), for error terms. */
  absOffset?(p: P): Float64Array;
  /** Affine ops: the largest number of terms any output element sums (the n in γ_n). */
  dotLength?(p: P): number;

  /** Marks ops that branch-and-bound may split (piecewise-linear with a kink at 0, e.g. Relu). */
  readonly breakpoints?: 'relu';
  /**
   * Smooth S-shaped ops (Sigmoid, Tanh): the input where the curvature changes sign. Branch and
   * bound may split an element's input interval there (src/search/relu_split.ts): each side is
   * convex or concave, so its relaxation is much tighter than one across the inflection.
   */
  readonly inflection?: number;
  /**
   * Elementwise nonlinear ops: sound interval bounds of the output from bounds of the input,
   * in real arithmetic of the float64 numbers given (outward-rounded where the function is
   * computed with error). Affine ops get intervals generically from absForward.
   */
  interval?(p: P, lo: Float64Array, hi: Float64Array, outLo: Float64Array, outHi: Float64Array): void;
  /**
   * Elementwise nonlinear ops: for each element with input bounds [lo, hi], a lower line and an
   * upper line that hold on the whole interval in real arithmetic with the float64 slopes and
   * intercepts written: sl·x + bl ≤ f(x) ≤ su·x + bu. `alpha` (same length, may be null)
   * picks one line of a family of valid lines, element by element: ReLU — the lower slope in
   * [0, 1]; Sigmoid/Tanh — the slope of whichever tangent line is in use (lower on the convex
   * part, upper on the concave part; NaN = the default lines). null means the op's default
   * (CROWN's adaptive choice). Every α gives sound lines.
   */
  relax?(p: P, lo: Float64Array, hi: Float64Array, alpha: Float64Array | null, sl: Float64Array, bl: Float64Array, su: Float64Array, bu: Float64Array): void;
  /**
   * Elementwise nonlinear ops, for the LP: several valid lower and upper lines per element
   * (e.g. ReLU's triangle: y ≥ 0, y ≥ x, y ≤ chord). Returns lines as [slope, intercept] pairs.
   */
  relaxCuts?(p: P, lo: number, hi: number): { lower: [number, number][]; upper: [number, number][] };
  /** Lipschitz semantics of the op itself (operator norms, derivative ranges): see src/lipschitz. */
  lipschitz?: OpLipschitz<P>;
  /**
   * Elementwise piecewise-linear ops, for exact MILPs (src/relu): the encoding of one element
   * y = f(x) with x ∈ [lo, hi] (sound float64 bounds), exact in real arithmetic for the float64
   * numbers written — every (x, y) with y = f(x), x ∈ [lo, hi] satisfies the rows for some
   * z ∈ {0, 1}, and every solution of the rows has y = f(x) (a big-M encoding).
   */
  milp?(p: P, lo: number, hi: number): MilpElement;
}

/** A vector norm on inputs/values: ℓ∞, ℓ2 or ℓ1. */
export type LipNorm = 'inf' | '2' | '1';

/**
 * Lipschitz semantics of one op (src/lipschitz). Affine ops give `jacobian` and
 * `operatorNorm`; elementwise nonlinear ops give `derivativeRange` and `maxSlope`.
 */
export interface OpLipschitz<P = any> {
  /**
   * Affine ops: the exact Jacobian of the output w.r.t. dynamic input `input` as stored
   * (outSize × inSize, row-major; read from the op's own transpose), or null when it would be
   * too large to hold. Cached per params: do not modify it.
   */
  jacobian?(p: P, input: number, inSizes: number[], outSize: number): Float64Array | null;
  /**
   * Affine ops: a certified upper bound of the p→p operator norm ‖∂out/∂in_input‖ in real
   * arithmetic, every rounding charged (ℓ2: Gram iteration, never power iteration).
   */
  operatorNorm?(p: P, input: number, norm: LipNorm, inSizes: number[], outSize: number): number;
  /**
   * Elementwise ops: for each element with input interval [lo, hi], an interval [dlo, dhi]
   * holding every (one-sided, Clarke) derivative of the op over [lo, hi], rounded outward.
   */
  derivativeRange?(p: P, lo: Float64Array, hi: Float64Array, dlo: Float64Array, dhi: Float64Array): void;
  /** Elementwise ops: sup over ℝ of |f'| (the op's global Lipschitz constant), rounded up. */
  maxSlope?(p: P): number;
  /** Elementwise ops: sup of |f''| over ℝ away from kinks (0 for ReLU-like ops), rounded up. */
  maxCurvature?(p: P): number;
  /**
   * Ops with trainable parameters of the form out = W·in + b (W of N × K, output-major; b of N
   * or null): their current values (not copies), or null when the params are not of that form.
   */
  parameters?(p: P): { W: Float64Array; bias: Float64Array | null; N: number; K: number } | null;
  /** The same op's params with other parameter values (same shapes as `parameters` gives). */
  withParameters?(p: P, W: Float64Array, bias: Float64Array | null): P;
}

/** One row of an element's MILP encoding: cx·x + cy·y + cz·z ∈ [lower, upper]. */
export interface MilpRow {
  cx: number;
  cy: number;
  cz: number;
  lower: number;
  upper: number;
}

/** The MILP encoding of one element: rows over its input x, output y and binary z (unused when `binary` is false). */
export interface MilpElement {
  binary: boolean;
  rows: MilpRow[];
}

/** Raised when an analysis meets an op that lacks the semantics it needs. */
export class MissingSemanticsError extends Error {
  constructor(op: string, node: string, analysis: string) {
    super(`op ${op} (node '${node}') has no ${analysis} semantics`);
    this.name = 'MissingSemanticsError';
  }
}

/** A user-facing error about an input (file, option, shape): the CLI prints it on one line and exits 2. */
export class InputError extends Error {
  constructor(message: string) {
    // Names read from files may hold control characters; the CLI's message must stay one line.
    super(message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
    this.name = 'InputError';
  }
}

/** Product of a shape's dimensions (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}
