/**
 * `lipcert COMMAND --help` shows one real example per command, and the example runs as printed
 * (from the repository root; examples on ../shared/benchmarks are skipped when it is absent).
 */
import { execFile, execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { REPO_ROOT } from '../helpers/benchmarks.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const help = (args: string[]) => execFileSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

/** The command names listed by `lipcert --help`. */
function commands(): string[] {
  const text = help(['--help']);
  const section = text.split(/\nCommands:\n/)[1].split(/\n\n/)[0];
  return section.split('\n').filter((l) => /^  lipcert \S/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
}

/** The example line of a command's help, its shell line continuations joined. */
function exampleOf(cmd: string): string | null {
  const text = help([cmd, '--help']);
  const at = text.indexOf('Example (');
  if (at < 0) return null;
  // The description may wrap over several lines: the command is the first line starting with `lipcert`.
  const rest = text.slice(at).replace(/ \\\n\s*/g, ' ').split('\n');
  const line = rest.find((l) => /^\s+lipcert /.test(l));
  return line ? line.trim() : null;
}

describe('command help', () => {
  const cmds = commands();
  it('lists the commands', () => {
    expect(cmds).toEqual(expect.arrayContaining(['info', 'eval', 'convert', 'bounds', 'verify', 'demo']));
  });
  for (const cmd of cmds) {
    it(`${cmd} --help shows an example that runs`, async () => {
      const line = exampleOf(cmd);
      expect(line, `${cmd} --help has no example`).not.toBeNull();
      expect(line!.startsWith(`lipcert ${cmd} `) || line === `lipcert ${cmd}`, line!).toBe(true);
      // Examples name ../shared/benchmarks as seen from the repository root (not $LIPCERT_BENCHMARKS).
      if (line!.includes('../shared/') && !existsSync(resolve(REPO_ROOT, '../shared/benchmarks'))) {
        console.warn(`[help.test] ../shared/benchmarks not found beside the repository: not running the ${cmd} example`);
        return;
      }
      // As a user pastes it into a shell at the repository root, `lipcert` being the built CLI.
      const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${line!.slice('lipcert '.length)} --quiet`;
      const code = await new Promise<number>((resolve) => {
        execFile('bash', ['-c', script], { cwd: REPO_ROOT, maxBuffer: 64 << 20 }, (err) => resolve(err ? ((err as { code?: number }).code ?? -1) : 0));
      });
      expect(code, line!).toBe(0);
    }, 120_000);
  }
});
