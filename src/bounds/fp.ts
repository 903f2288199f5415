/**
 * Floating-point error terms (see the README, "Floating point"). A length-n dot product
 * computed in float64 differs from the exact one by at most γ_n·Σ|a_i·b_i| with
 * γ_n = n·u/(1 − n·u), u = 2⁻⁵³. `gamma` returns γ_{n+3} inflated by 1e-4 relative: the three
 * extra terms and the factor cover the rounding of the error computation itself (the sums of
 * absolute values and the final additions), so callers can use the value as computed.
 */
export const UNIT_ROUNDOFF = 2 ** -53;

export function gamma(n: number): number {
  const nu = (n + 3) * UNIT_ROUNDOFF;
  return (nu / (1 - nu)) * 1.0001;
}

/** max(|l|, |u|) elementwise. */
export function magnitude(lo: Float64Array, hi: Float64Array, out = new Float64Array(lo.length)): Float64Array {
  for (let i = 0; i < lo.length; i++) {
    const a = Math.abs(lo[i]), b = Math.abs(hi[i]);
    out[i] = a > b ? a : b;
  }
  return out;
}
