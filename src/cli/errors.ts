/** Exit codes of the CLI: 0 success, 1 internal error, 2 bad input. */
export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;

/** Errors that are the user's input's fault (by class name, so no module must be loaded to test it). */
const INPUT_ERRORS = new Set(['InputError', 'VnnlibError', 'MissingSemanticsError']);

/** True for an error caused by the user's input (file, option, shape), reported with exit code 2. */
export function isInputError(e: unknown): boolean {
  return e instanceof Error && INPUT_ERRORS.has(e.name);
}

/** One line for stderr: no stack trace (set LIPCERT_DEBUG=1 for one). */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}
