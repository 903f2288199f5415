/**
 * DeepGame's Monte-Carlo tree search (Wu et al.) as an extra source of UPPER bounds on the
 * maximum safe radius: a two-player game where Player I picks a feature and Player II moves
 * one input of it by ±τ; the tree is grown by UCT, every new node gets `playouts` random
 * playouts (DeepGame: 3) that keep moving until the label flips or the distance exceeds the best
 * witness so far. Nothing here is a proof: every candidate goes through `checkAdversarial`
 * (re-computed outputs, domain, rounded-up distance) and the best one through a line search.
 */
import type { Norm } from '../bounds/types.js';
import { forward } from '../net/forward.js';
import type { Network } from '../net/network.js';
import type { Rng } from '../util/rng.js';
import { checkAdversarial, closer, distance, lineSearch, runnerUp, type AdversarialExample, type InputBox } from './attacks.js';
import type { Feature } from './features.js';

/** Settings of the search (defaults per field). */
export interface MctsSettings {
  /** Tree iterations (selection, expansion, playouts, back-propagation). Default 100. */
  iterations: number;
  /** Random playouts per expanded node. Default 3 (DeepGame's). */
  playouts: number;
  /** The move size τ of Player II. Default 0.5 (pixels in [0, 1]; smaller steps rarely flip the label in a random playout). */
  tau: number;
  /** Moves per playout at most (the label is checked every 4 moves). Default 1000. */
  maxMoves: number;
  /** UCT exploration constant. Default √2. */
  exploration: number;
}

export const MCTS_DEFAULTS: MctsSettings = { iterations: 100, playouts: 3, tau: 0.5, maxMoves: 1000, exploration: Math.SQRT2 };

/** A tree node: the move that led to it (feature chosen, or input and sign), visits and reward. */
interface Node {
  /** Player I's node: children are features; Player II's: children are (input, ±τ) moves. */
  player: 1 | 2;
  feature: number;
  input: number;
  sign: number;
  visits: number;
  reward: number;
  children: Node[] | null;
  parent: Node | null;
}

/**
 * Monte-Carlo tree search for a close adversarial example (see the module comment). Returns
 * the closest re-checked witness found, or null.
 */
export function mctsAttack(net: Network, x0: Float64Array, label: number, norm: Norm, box: InputBox, features: Feature[], rng: Rng, settings: Partial<MctsSettings> = {}, deadline = Infinity): AdversarialExample | null {
  const s = { ...MCTS_DEFAULTS, ...settings };
  const n = x0.length;
  const feats = features.map((f) => f.indices.filter((i) => box.hi[i] > box.lo[i])).filter((f) => f.length > 0);
  if (feats.length === 0) return null;
  let best: AdversarialExample | null = null;
  const root: Node = { player: 1, feature: -1, input: -1, sign: 0, visits: 0, reward: 0, children: null, parent: null };
  const x = new Float64Array(n);
  const apply = (v: Float64Array, i: number, sign: number) => { v[i] = Math.min(box.hi[i], Math.max(box.lo[i], v[i] + sign * s.tau)); };
  const expand = (node: Node): Node[] => {
    if (node.player === 1) return feats.map((_, f) => ({ player: 2, feature: f, input: -1, sign: 0, visits: 0, reward: 0, children: null, parent: node }));
    return feats[node.feature].flatMap((i) => [1, -1].map((sign) => ({ player: 1 as const, feature: node.feature, input: i, sign, visits: 0, reward: 0, children: null, parent: node })));
  };
  /** Random moves from v until the label flips or the distance passes the best so far; the reward is 1/(1 + distance) of a flip. */
  const playout = (v: Float64Array): number => {
    const cap = best ? best.distance : Infinity;
    for (let k = 0; k < s.maxMoves; k++) {
      const f = feats[rng.int(feats.length)];
      apply(v, f[rng.int(f.length)], rng.next() < 0.5 ? 1 : -1);
      const d = distance(v, x0, norm);
      if (d >= cap) return 0;
      if (k % 4 === 3 || k === s.maxMoves - 1) {
        if (runnerUp(forward(net, v, 1), label).margin > 0) {
          const w = checkAdversarial(net, v, x0, label, norm, box);
          if (w) { best = closer(best, w); return 1 / (1 + w.distance); }
        }
      }
    }
    return 0;
  };
  for (let it = 0; it < s.iterations && performance.now() < deadline; it++) {
    // Selection by UCT down to a leaf, replaying the moves on x.
    x.set(x0);
    let node = root;
    while (node.children && node.children.length > 0) {
      let pick = node.children[0], score = -Infinity;
      for (const c of node.children) {
        const u = c.visits === 0 ? Infinity : c.reward / c.visits + s.exploration * Math.sqrt(Math.log(node.visits + 1) / c.visits);
        if (u > score) { score = u; pick = c; }
      }
      node = pick;
      if (node.input >= 0) apply(x, node.input, node.sign);
    }
    node.children = expand(node);
    // Playouts from the leaf, then back-propagation of the mean reward.
    let total = 0;
    const v = new Float64Array(n);
    for (let p = 0; p < s.playouts; p++) { v.set(x); total += playout(v); }
    for (let up: Node | null = node; up; up = up.parent) { up.visits += s.playouts; up.reward += total; }
  }
  return best ? lineSearch(net, x0, best, label, norm, box, 30) : null;
}
