import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Build dist/ once before the suites that spawn the CLI (they run compiled JavaScript). */
export default function setup(): void {
  execSync('npx tsc -p tsconfig.build.json', { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
}
