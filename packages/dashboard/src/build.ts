import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { APP_SOURCE_DIR, ASSETS_DIR } from './paths.js';

/**
 * Builds the browser app into static assets: one script, one stylesheet (uPlot's included) and the
 * page. Everything is bundled, so the page loads nothing from anywhere but the query API that
 * serves it: it works offline, and its Content-Security-Policy can be `'self'` only.
 */
export async function buildDashboard(outdir = ASSETS_DIR): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { app: join(APP_SOURCE_DIR, 'src/main.tsx') },
    outdir,
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(APP_SOURCE_DIR, 'tsconfig.json'),
    logLevel: 'warning',
    legalComments: 'linked',
  });
  await copyFile(join(APP_SOURCE_DIR, 'index.html'), join(outdir, 'index.html'));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  await buildDashboard();
  console.log(
    `dashboard: built into ${ASSETS_DIR} in ${Math.round(performance.now() - started)} ms`,
  );
}
