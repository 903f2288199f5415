import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The folder holding lipcert's package.json, found upwards from this module: the same answer
 * from the TypeScript sources, the compiled dist/ and the bundled CLI (dist/cli/main.js), whose
 * modules sit at different depths. Used to find the bundled examples.
 */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lipcert') return (cached = dir);
      } catch {
        // not ours (unreadable): keep looking upwards
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('lipcert: cannot find its own package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}
