/**
 * lipcert as an installed package: `npm pack` the project (dist/ is built by the global setup),
 * install the tarball into a fresh temporary project (dependencies from the npm cache that
 * `npm ci` filled), then import `lipcert` by name from plain JavaScript and run `verify` on the
 * bundled example, and run the installed `lipcert` binary. A file missing from `files`, a wrong
 * `exports` path or a missing runtime dependency fails here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/benchmarks.js';

const DIR = mkdtempSync(join(tmpdir(), 'lipcert-pack-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });

const USER_SCRIPT = `
import { readModel, parseVnnlib, verify, computeBounds, regionToBatch, ballRegion, VERIFY_DEFAULTS } from 'lipcert';
import { readFileSync } from 'node:fs';
const root = 'node_modules/lipcert/examples/';
const net = readModel(root + 'mnist-relu-64-32.onnx');
const digits = JSON.parse(readFileSync(root + 'mnist-test-digits.json', 'utf8'));
const x = digits.images[0], label = digits.labels[0], eps = 0.001;
const decl = [];
for (let i = 0; i < 784; i++) decl.push('(declare-const X_' + i + ' Real)');
for (let j = 0; j < 10; j++) decl.push('(declare-const Y_' + j + ' Real)');
for (let i = 0; i < 784; i++) decl.push('(assert (>= X_' + i + ' ' + Math.max(0, x[i] - eps) + '))', '(assert (<= X_' + i + ' ' + Math.min(1, x[i] + eps) + '))');
const others = [];
for (let j = 0; j < 10; j++) if (j !== label) others.push('(>= Y_' + j + ' Y_' + label + ')');
decl.push('(assert (or ' + others.join(' ') + '))');
const prop = parseVnnlib(decl.join('\\n'));
const verdict = await verify(net, prop, { timeout: 30, settings: { workers: 1 } });
const b = await computeBounds({ net, region: regionToBatch(ballRegion(x, eps, 'inf', '0:1'), 784) }, 'crown');
console.log(JSON.stringify({ result: verdict.result, batch: VERIFY_DEFAULTS.batch, outputs: b.lower.length }));
`;

describe('the packed package', () => {
  it('installs from its tarball, imports by name and verifies; its binary runs', () => {
    npm(['pack', '--ignore-scripts', '--pack-destination', DIR], REPO_ROOT);
    const tgz = readdirSync(DIR).find((f) => f.endsWith('.tgz'));
    expect(tgz).toBeDefined();
    const proj = join(DIR, 'user');
    execFileSync('mkdir', ['-p', proj]);
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'lipcert-user', version: '1.0.0', private: true, type: 'module' }));
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund', join(DIR, tgz!)], proj);
    writeFileSync(join(proj, 'use.mjs'), USER_SCRIPT);
    const out = JSON.parse(execFileSync(process.execPath, ['use.mjs'], { cwd: proj, encoding: 'utf8' }).trim());
    expect(out).toEqual({ result: 'unsat', batch: 64, outputs: 10 });
    // A CommonJS-free import of the entry by name, as the acceptance runs it.
    execFileSync(process.execPath, ['-e', "import('lipcert').then((m) => { if (typeof m.verify !== 'function') process.exit(3); })"], { cwd: proj });
    const version = execFileSync(join(proj, 'node_modules', '.bin', 'lipcert'), ['--version'], { cwd: proj, encoding: 'utf8' }).trim();
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  }, 180_000);
});
