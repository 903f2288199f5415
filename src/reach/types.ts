/** Result types shared by the reach methods. */

/** One point of the anytime trace: seconds since the start of the reach call, the proved lower bound, the witness value. */
export interface TracePoint {
  t: number;
  lower: number;
  upper: number;
}

/** Which bound decided how many boxes (bnb) or intervals (nested). */
export interface DecidedCounts {
  linear: number;
  lipschitz: number;
  /** Boxes that miss the ball, or whose ReLU splits leave nothing. */
  empty: number;
  /** bnb on piecewise-linear nets: domains decided by the ReLU-split LP bound (relu_lp.ts). */
  lp: number;
}

/**
 * The certified interval of a MINIMUM: lower is a proof (no input of the region goes below
 * it), upper the sound value of the witness (re-evaluated with the forward pass's rounding
 * charged). certified: upper − lower ≤ eps.
 */
export interface MinResult {
  lower: number;
  upper: number;
  witness: Float64Array | null;
  certified: boolean;
  /** Boxes (bnb) or 1-D intervals (nested) bounded. */
  iterations: number;
  decided: DecidedCounts;
  trace: TracePoint[];
  time_s: number;
}

/** Settings one minimisation runs with. */
export interface MinSettings {
  eps: number;
  /** performance.now() value to stop at (anytime: the result is still sound). */
  deadline: number;
  /** Use the linear (CROWN) bound. */
  linear: boolean;
  /** Use the Lipschitz bound (local per-coordinate constants from src/lipschitz). */
  lipschitz: boolean;
  /** bnb: parents expanded per batch. */
  batch: number;
  /** bnb: α-CROWN steps on the objective rows of every box (0: plain CROWN). */
  alphaIterations?: number;
  /**
   * bnb on piecewise-linear nets: a box with at most this many unstable ReLU-like elements is
   * searched on by ReLU splits with LP bounds (relu_lp.ts); 0: never. Default 0 here (the reach
   * setting sets it).
   */
  reluLpMaxUnstable?: number;
  /** bnb: … and at most this many per free input of the box. */
  reluLpPerInput?: number;
  /** bnb: HiGHS time limit per LP (s). */
  reluLpTimeLimit?: number;
  /** bnb: coordinates tried per split (default 1). */
  trialSplits?: number;
  /** Projected signed-gradient steps of the local descent for witnesses. */
  descentSteps: number;
  /** Random starting points for witnesses before the search. */
  samples: number;
  seed: number;
  signal?: AbortSignal;
  /** Called as the bounds move (lower, upper of the minimum so far). */
  onTrace?: (lower: number, upper: number) => void;
}

/** Record a trace point unless the last one is younger than `minGap` seconds with the same values. */
export function pushTrace(trace: TracePoint[], t: number, lower: number, upper: number, minGap = 0.02): void {
  const last = trace[trace.length - 1];
  if (last && last.lower === lower && last.upper === upper) return;
  if (last && t - last.t < minGap && trace.length > 1) {
    trace[trace.length - 1] = { t, lower, upper };
    return;
  }
  trace.push({ t, lower, upper });
}
