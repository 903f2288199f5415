/**
 * Settings, nnenum style: each analysis has one settings object whose defaults are documented
 * next to each field, optional named presets, and user overrides merged on top. Unknown keys
 * are an error (a typo must not silently fall back to a default).
 */
import { InputError } from '../net/op.js';

/** Merge `overrides` (and the named preset, if any) over `defaults`. Throws InputError for an unknown key or preset. */
export function resolveSettings<T extends object>(
  what: string,
  defaults: T,
  presets: Record<string, Partial<T>> = {},
  preset?: string,
  overrides: Partial<T> = {},
): T {
  let base: T = { ...defaults };
  if (preset !== undefined) {
    const p = presets[preset];
    if (!p) throw new InputError(`unknown ${what} preset '${preset}' (known: ${Object.keys(presets).join(', ') || 'none'})`);
    base = { ...base, ...p };
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in defaults)) throw new InputError(`unknown ${what} setting '${k}'`);
    if (v !== undefined) (base as Record<string, unknown>)[k] = v;
  }
  return base;
}

/** Settings shared by every command. */
export interface GlobalSettings {
  /** Seed of the one random generator used wherever randomness is needed (sampling, attacks). Default 0. */
  seed: number;
}

export const GLOBAL_DEFAULTS: GlobalSettings = { seed: 0 };
