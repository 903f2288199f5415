/**
 * lipcert's typed public API: the same functions the command line calls.
 *
 * ```ts
 * import { readModel, readVnnlibFile, verify } from 'lipcert';
 * const net = readModel('examples/mnist-relu-64-32.onnx');
 * const verdict = await verify(net, readVnnlibFile('prop.vnnlib'), { timeout: 60 });
 * ```
 *
 * Guarantees, everywhere: a lower bound is a proof (it holds for every input of the region in
 * real arithmetic, float64 rounding included); an upper bound, a `sat` answer or an
 * adversarial example is a witness, re-evaluated by the plain forward pass before it is
 * returned. Bad input throws {@link InputError} (or {@link VnnlibError}) with a one-line message.
 */

// ---- networks --------------------------------------------------------------------------------
export { readModel, writeModel, encodeModel, parseModelBytes, detectFormat, type ModelFormat, type ReadModelOptions } from './net/io.js';
export { Network, type NetNode, type ValueInfo, type NetworkMeta } from './net/network.js';
export { forward, evaluate, forwardAll } from './net/forward.js';
export { forward32 } from './net/forward32.js';
export { gradient, vjp } from './net/gradient.js';
export { summarize, type NetworkSummary } from './net/summary.js';
export { InputError, MissingSemanticsError, type OpKind } from './net/op.js';
export { opKind } from './net/registry.js';

// ---- specifications and regions --------------------------------------------------------------
export { parseVnnlib, readVnnlibFile, VnnlibError, type VnnlibOptions } from './spec/vnnlib.js';
export { type Box, type OutputPolytope, type PropertyDisjunct, type Property, propertyContains, polytopeContains, boxContains, marginRows } from './spec/property.js';
export { type Region, NORMS, boxRegion, ballRegion, readBoxFile, parseNorm, parseDomain, regionSize, regionToBatch, vnnlibRegions } from './spec/region.js';
export { formatResult, parseResult, writeResultFile, type VnncompResult, type ParsedResult } from './spec/vnncomp.js';

// ---- bounds ----------------------------------------------------------------------------------
export { computeBounds, ibpRows, BOUNDS_DEFAULTS, type BoundsSettings } from './bounds/index.js';
export { BOUND_METHODS, type BoundMethod, type BoundsRequest, type BoundsResult, type BatchRegion, type NodeBounds, type Norm, type SplitSet } from './bounds/types.js';
export { ALPHA_DEFAULTS, type AlphaSettings } from './bounds/alpha.js';

// ---- verification ----------------------------------------------------------------------------
export { verify, VERIFY_DEFAULTS, VERIFY_PRESETS, type VerifySettings, type VerifyOptions, type Verdict, type VerifyResultKind } from './search/verify.js';
export { FALSIFY_DEFAULTS, type FalsifySettings } from './search/falsify.js';
export { type Counterexample } from './search/counterexample.js';
export { branchAndBound, BNB_DEFAULTS, type BnbProblem, type BnbSettings, type BnbResult, type BnbStats, type BoundedDomain } from './search/bnb.js';

// ---- β-CROWN and ReLU splitting (issue 12) ---------------------------------------------------
export { betaCrown, proveSplitsEmpty, splitDomainBounds, BETA_DEFAULTS, type BetaSettings, type BetaResult } from './bounds/beta.js';
export { splitKind } from './search/verify.js';
export { smoothRootBound, type SmoothRootResult } from './search/smooth_root.js';

// ---- lipschitz (issue 10 A) ------------------------------------------------------------------
export { lipschitzInterval, lipschitzSettings, LIPSCHITZ_DEFAULTS, type LipschitzSettings, type LipschitzInterval, type LipschitzTracePoint } from './lipschitz/constant.js';
export { localLipschitz, type LocalLipschitzOptions, type LocalLipschitzResult } from './lipschitz/local.js';
export { globalLipschitz, valueConstants, type GlobalLipschitz } from './lipschitz/global.js';
export { secantLowerBounds, searchLower, type SecantWitness, type LowerSearchOptions } from './lipschitz/lower.js';
export { paramLipschitz, type ParamObjective, type ParamLipschitz } from './lipschitz/params.js';
export { matrixNorm } from './net/ops/lipschitz_impl.js';
export type { OpLipschitz, LipNorm } from './net/op.js';

// ---- reach (issue 10 B) ----------------------------------------------------------------------
export { reach, chooseMethod, REACH_DEFAULTS, REACH_METHODS, type ReachSettings, type ReachOptions, type ReachResult, type ReachObjectiveResult, type ReachInterval, type ReachMethod, type ReachProgress } from './reach/reach.js';
export { outputObjective, linearObjective, marginObjective, type ReachObjective } from './reach/objective.js';
export { reachRegion, type ReachRegion, type ReachBox } from './reach/region.js';
export { type TracePoint, type DecidedCounts } from './reach/types.js';

// ---- relu (issue 11) -------------------------------------------------------------------------
export { reluStability, reluNodes, decidedBy, witnessRegion, RELU_DEFAULTS, RELU_TIERS, type ReluSettings, type ReluTier, type ReluLayerStability, type StabilityResult, type WitnessRegion } from './relu/stability.js';
export { pruneNetwork, sampledDifference, type PruneResult } from './relu/prune.js';
export { activationPattern, activationRegion, enumerateRegions2D, countRegionsBySampling, regionsSvg, patternKey, type Pattern, type ActivationRegion, type Region2D, type RegionCount } from './relu/regions.js';
export type { MilpElement, MilpRow } from './net/op.js';

// ---- radius (issue 13) -----------------------------------------------------------------------
export { radius, RADIUS_DEFAULTS, BoundProver, SplitProver, concretizeBallBox, lipschitzRadius, type RadiusOptions, type RadiusResult, type RadiusSettings, type RadiusProver, type RadiusQuestion, type ProverAnswer, type RadiusTracePoint } from './search/radius.js';
export { ATTACK_DEFAULTS, checkAdversarial, distanceUp, minNormStep, linearRegionAttack, pgdAt, pgdRadiusSearch, lineSearch, type AdversarialExample, type AttackSettings, type InputBox } from './search/attacks.js';
export { mctsAttack, MCTS_DEFAULTS, type MctsSettings } from './search/mcts.js';
export { featureRobustness, saliencyFeatures, gridFeatures, readFeatureFile, parseFeatures, imageShape, type Feature, type FeatureRadius, type ImageShape } from './search/features.js';
