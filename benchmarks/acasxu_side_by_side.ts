/**
 * Summarise a side-by-side run of lipcert and nnenum on ACAS Xu (the per-instance CSV that
 * `../shared/peers/acas_side_by_side.py` writes: network, property, lipcert, lipcert_s, nnenum,
 * nnenum_s) into the committed table: per property class the totals, their ratio and on how many
 * instances lipcert is faster (or within 5 %), checked against the expected answers.
 *
 * Usage (from the project root, after `npm run build`):
 *   NNENUM_SRC=<nnenum>/src ../shared/peers/acas_side_by_side.py all 116 benchmarks/results/acasxu_side_by_side.csv
 *   npx tsx benchmarks/acasxu_side_by_side.ts benchmarks/results/acasxu_side_by_side.csv [more CSVs of re-run classes…]
 * writes benchmarks/results/acasxu_side_by_side.md (further CSVs are reported as re-runs).
 */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { writeFileAtomic } from '../src/net/io.js';
import { bench } from '../test/helpers/benchmarks.js';

interface Row { network: string; property: string; lipcert: string; lipcertS: number; nnenum: string; nnenumS: number }

function readCsv(path: string): Row[] {
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const [network, property, lipcert, ls, nnenum, ns] = l.split(',');
    return { network, property, lipcert, lipcertS: Number(ls), nnenum, nnenumS: Number(ns) };
  });
}

/** Expected answers (sat/unsat) by "network,property" from the benchmark's expected/acasxu.csv, when present. */
function expectedAnswers(): Map<string, string> {
  const out = new Map<string, string>();
  const file = bench('expected', 'acasxu.csv');
  if (!existsSync(file)) return out;
  // Rows: network,property,expected (sat/unsat), names without extensions.
  for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
    const [net, prop, ans] = line.split(',').map((c) => c.trim());
    if (net && prop && ans) out.set(`${net},${prop}`, ans);
  }
  return out;
}

const TIMEOUT_S = 116;
const fmt = (x: number) => x.toFixed(1);

function table(rows: Row[], title: string): string[] {
  const expected = expectedAnswers();
  const classes = new Map<string, Row[]>();
  for (const r of rows) classes.set(r.property, [...(classes.get(r.property) ?? []), r]);
  const order = [...classes.keys()].sort((a, b) => Number(a.split('_')[1]) - Number(b.split('_')[1]));
  const out = [`### ${title}`, '', '| property | instances | lipcert decided | nnenum decided | lipcert s | nnenum s | ratio | lipcert faster | faster or within 5 % |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  const decided = (a: string) => a === 'sat' || a === 'unsat';
  const line = (name: string, rs: Row[]) => {
    const l = rs.reduce((a, r) => a + Math.min(r.lipcertS, TIMEOUT_S), 0), n = rs.reduce((a, r) => a + Math.min(r.nnenumS, TIMEOUT_S), 0);
    const faster = rs.filter((r) => r.lipcertS < r.nnenumS).length, within = rs.filter((r) => r.lipcertS <= 1.05 * r.nnenumS).length;
    out.push(`| ${name} | ${rs.length} | ${rs.filter((r) => decided(r.lipcert)).length} | ${rs.filter((r) => decided(r.nnenum)).length} | ${fmt(l)} | ${fmt(n)} | ${(l / n).toFixed(2)} | ${faster} | ${within} (${((100 * within) / rs.length).toFixed(0)} %) |`);
  };
  for (const p of order) line(p, classes.get(p)!);
  line('**all**', rows);
  const wrong = rows.filter((r) => { const e = expected.get(`${r.network},${r.property}`); return e !== undefined && decided(r.lipcert) && r.lipcert !== e; });
  const disagree = rows.filter((r) => decided(r.lipcert) && decided(r.nnenum) && r.lipcert !== r.nnenum);
  const bothDecided = rows.filter((r) => decided(r.lipcert) && decided(r.nnenum));
  const lb = bothDecided.reduce((a, r) => a + r.lipcertS, 0), nb = bothDecided.reduce((a, r) => a + r.nnenumS, 0);
  const med = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };
  out.push('', `- wrong (against \`expected/acasxu.csv\`, ${rows.filter((r) => expected.has(`${r.network},${r.property}`)).length} instances with an expected answer): **${wrong.length}**${wrong.length ? ` (${wrong.map((r) => `${r.network} ${r.property}`).join(', ')})` : ''}; lipcert and nnenum disagree on ${disagree.length}`);
  out.push(`- on the ${bothDecided.length} instances both decide: lipcert ${fmt(lb)} s, nnenum ${fmt(nb)} s, ratio ${(lb / nb).toFixed(2)}`);
  out.push(`- median per instance: lipcert ${med(rows.map((r) => r.lipcertS)).toFixed(2)} s, nnenum ${med(rows.map((r) => r.nnenumS)).toFixed(2)} s`);
  const notDecided = rows.filter((r) => !decided(r.nnenum));
  if (notDecided.length) out.push(`- nnenum did not decide: ${notDecided.map((r) => `${r.network.replace('ACASXU_run2a_', '').replace('_batch_2000', '')} ${r.property} (${r.nnenum})`).join(', ')}`);
  return out;
}

const files = process.argv.slice(2);
if (files.length === 0) throw new Error('usage: tsx benchmarks/acasxu_side_by_side.ts RUN.csv [RERUN.csv …]');
let commit = 'unknown';
try { commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim(); } catch { /* not a git checkout */ }
const md = [
  '# ACAS Xu side by side: lipcert and nnenum in one run',
  '',
  'Both tools on the same instances, alternated per instance (A B, B A, …), each instance its own process with a 116 s timeout',
  '(`../shared/peers/acas_side_by_side.py`; lipcert runs `node dist/cli/main.js verify … --quiet` with default settings, nnenum',
  'its own `nnenum.nnenum` entry with every core). Wall-clock seconds per instance, start-up included. Per-instance rows:',
  `${files.map((f) => `\`${f.replace(/^.*\//, '')}\``).join(', ')} beside this file.`,
  '',
  ...table(readCsv(files[0]), `Run 1 (${files[0].replace(/^.*\//, '')})`),
  ...files.slice(1).flatMap((f, i) => ['', ...table(readCsv(f), `Re-run ${i + 1} (${f.replace(/^.*\//, '')})`)]),
  '',
  '## Machine',
  '',
  `- nproc: ${cpus().length}; CPU: ${cpus()[0]?.model ?? 'unknown'}`,
  `- node: ${process.version}; lipcert commit: ${commit}; written ${new Date().toISOString()}`,
  '- nnenum: stanleybak/nnenum src/ unmodified, Debian python3 packages, the onnxruntime stand-in of `../shared/peers/nnenum_shim`',
  '',
];
writeFileAtomic('benchmarks/results/acasxu_side_by_side.md', md.join('\n'));
console.log(md.join('\n'));
