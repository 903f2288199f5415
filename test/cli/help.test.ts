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

/** The example of a command's help, its shell line continuations joined, split into words (double quotes honoured). */
function exampleOf(cmd: string): string[] | null {
  const text = help([cmd, '--help']);
  const at = text.indexOf('Example (');
  if (at < 0) return null;
  const body = text.slice(text.indexOf('\n', at) + 1).replace(/ \\\n\s*/g, ' ').split('\n')[0].trim();
  return (body.match(/"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^"(.*)"$/, '$1'));
}

describe('command help', () => {
  const cmds = commands();
  it('lists the commands', () => {
    expect(cmds).toEqual(expect.arrayContaining(['info', 'eval', 'convert', 'bounds', 'verify', 'demo']));
  });
  for (const cmd of cmds) {
    it(`${cmd} --help shows an example that runs`, async () => {
      const words = exampleOf(cmd);
      expect(words, `${cmd} --help has no example`).not.toBeNull();
      expect(words![0]).toBe('lipcert');
      expect(words![1]).toBe(cmd);
      // Examples name ../shared/benchmarks as seen from the repository root (not $LIPCERT_BENCHMARKS).
      if (words!.some((w) => w.includes('../shared/')) && !existsSync(resolve(REPO_ROOT, '../shared/benchmarks'))) {
        console.warn(`[help.test] ../shared/benchmarks not found beside the repository: not running the ${cmd} example`);
        return;
      }
      const code = await new Promise<number>((resolve) => {
        execFile(process.execPath, [CLI, ...words!.slice(1), '--quiet'], { cwd: REPO_ROOT, maxBuffer: 64 << 20 }, (err) => resolve(err ? ((err as { code?: number }).code ?? -1) : 0));
      });
      expect(code, `lipcert ${words!.slice(1).join(' ')}`).toBe(0);
    }, 120_000);
  }
});
