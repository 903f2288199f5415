/**
 * Plots: Vega-Lite specs compiled to Vega and rendered to SVG headless in Node (no browser, no
 * canvas). Loaded lazily by the commands that draw, so other commands do not pay for Vega.
 */
import { InputError } from '../net/op.js';
import { writeFileAtomic } from '../net/io.js';

/** Render a Vega-Lite spec (data inline) to an SVG string. */
export async function renderVegaLite(spec: Record<string, unknown>): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Render and write a plot atomically (no half-written file); `path` must end in .svg. */
export async function writePlot(path: string, spec: Record<string, unknown>): Promise<void> {
  if (!/\.svg$/i.test(path)) throw new InputError(`${path}: plots are written as SVG (the file name must end in .svg)`);
  const svg = await renderVegaLite(spec);
  writeFileAtomic(path, svg);
}
