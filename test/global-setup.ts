import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Build dist/ once before the suites that spawn the CLI (they run compiled JavaScript: the bundled CLI, as users do). */
export default function setup(): void {
  execSync('npm run --silent build', { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
}
