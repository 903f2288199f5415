import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above this file). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where the third-party benchmark data lives: $LIPCERT_BENCHMARKS, else ../shared/benchmarks
 * beside the repository. Tests that need it skip, with a message, when it is absent.
 */
export const BENCHMARKS = process.env.LIPCERT_BENCHMARKS ? resolve(process.env.LIPCERT_BENCHMARKS) : resolve(REPO_ROOT, '..', 'shared', 'benchmarks');

/** True when the benchmark data is present; otherwise logs why dependent tests are skipped. */
export function haveBenchmarks(): boolean {
  const ok = existsSync(join(BENCHMARKS, 'acasxu'));
  if (!ok) console.warn(`[lipcert tests] benchmark data not found at ${BENCHMARKS} (set LIPCERT_BENCHMARKS): skipping the tests that need it`);
  return ok;
}

/** A path inside the benchmark data. */
export function bench(...parts: string[]): string {
  return join(BENCHMARKS, ...parts);
}
