import { InputError } from '../net/op.js';
import { alphaCrown, ALPHA_DEFAULTS, type AlphaSettings } from './alpha.js';
import { crown, finishRows, identityRows, intervalRows, markInfeasible } from './crown.js';
import { ibp } from './ibp.js';
import { BOUND_METHODS, type BoundMethod, type BoundsRequest, type BoundsResult } from './types.js';

export * from './types.js';
export { ibp } from './ibp.js';
export { crown, crownIntermediate, backwardBound, concretize } from './crown.js';
export { alphaCrown } from './alpha.js';

/** Settings of every bounding method (one object, documented defaults). */
export interface BoundsSettings {
  alpha: AlphaSettings;
  lp: {
    /** Tighten intermediate ReLU inputs by LP too (slow; default false: only the output rows). */
    intermediate: boolean;
    /** Time limit per LP in seconds (a timed-out LP falls back to the CROWN bound). Default 5. */
    timeLimit: number;
  };
}

export const BOUNDS_DEFAULTS: BoundsSettings = {
  alpha: ALPHA_DEFAULTS,
  lp: { intermediate: false, timeLimit: 5 },
};

/** Interval bounds of the rows C·y (+ cOffset) by IBP alone. Sound. */
export function ibpRows(req: BoundsRequest): BoundsResult {
  const { net, region } = req;
  const D = region.batch, m = net.outputSize;
  const C = req.C ?? identityRows(m);
  const R = C.length / m;
  const nb = ibp(net, region, req.splits, req.parent);
  const out = net.outputIds[0];
  const { lower, upper } = intervalRows(C, R, nb.lo[out]!, nb.hi[out]!, D);
  finishRows(lower, upper, R, D, req.cOffset);
  markInfeasible(lower, upper, nb.infeasible, R);
  return { lower, upper, rows: R, nodes: nb };
}

/**
 * Sound bounds of C·y (+ cOffset) over every domain of the batch by the chosen method:
 * `ibp` ⊇ `crown` ⊇ `alpha`, and `lp` tightens `crown` by LPs proved through their duals.
 * Each method's result is intersected with the cheaper method's.
 */
export async function computeBounds(req: BoundsRequest, method: BoundMethod, settings: Partial<BoundsSettings> = {}): Promise<BoundsResult> {
  if (!BOUND_METHODS.includes(method)) throw new InputError(`unknown bound method '${method}' (ibp, crown, alpha or lp)`);
  const n = req.net.inputSize;
  if (req.region.lo.length !== req.region.batch * n || req.region.hi.length !== req.region.batch * n) {
    throw new InputError(`the region has ${req.region.lo.length / req.region.batch} values; the network takes ${n} inputs`);
  }
  for (let i = 0; i < req.region.lo.length; i++) {
    const l = req.region.lo[i], h = req.region.hi[i];
    if (Number.isNaN(l) || Number.isNaN(h)) throw new InputError(`the region has NaN at input ${i % n}`);
    if (l > h) throw new InputError(`the region is empty at input ${i % n} (lo ${l} > hi ${h})`);
  }
  const s = { ...BOUNDS_DEFAULTS, ...settings };
  switch (method) {
    case 'ibp': return ibpRows(req);
    case 'crown': return crown(req);
    case 'alpha': return alphaCrown(req, s.alpha);
    case 'lp': {
      const { lpBounds } = await import('./lp.js');
      return lpBounds(req, s.lp);
    }
  }
}
