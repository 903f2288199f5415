#!/usr/bin/env node
/**
 * Bundle the CLI into one file after `tsc` (npm run build): dist/cli/main.js (the `bin`) and
 * its bounding worker dist/cli/bound_worker.js, each from the TypeScript sources. One file loads
 * in about 0.13 s less than the ~120 modules tsc emits (measured on ACAS Xu 5_7 prop_3, whose
 * whole run is then 0.32 s instead of 0.47 s; docs/architecture.md). The API (dist/index.js and
 * the rest of dist/) stays unbundled. Packages that load files beside themselves (WebAssembly
 * solvers, plotting, onnxruntime) stay external and load from node_modules.
 */
import { build } from 'esbuild';
import { renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  absWorkingDir: root,
  external: ['highs', 'glpk.js', 'vega', 'vega-lite', '@resvg/resvg-js', 'onnxruntime-node'],
  // CommonJS dependencies inside an ES module bundle call require().
  banner: { js: "import { createRequire as __lipcertCreateRequire } from 'node:module'; const require = __lipcertCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  // Written below, each file atomically (a process starting meanwhile sees the old or the new file, never half of one).
  write: false,
};
const results = await Promise.all([
  // The worker pool looks for bound_worker.js beside the module that holds it (the bundle).
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli/main.js' }),
  build({ ...common, entryPoints: ['src/search/bound_worker.ts'], outfile: 'dist/cli/bound_worker.js' }),
]);
for (const { outputFiles } of results) {
  for (const f of outputFiles) {
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents, { mode: 0o755 });
    renameSync(tmp, f.path);
  }
}
