/** Print the one JSON object of a --json run (stdout, one line). */
export function printJson(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** Format a number for text output: shortest round-trip digits. */
export function fmt(v: number): string {
  return String(v);
}
