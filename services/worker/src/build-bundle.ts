import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { buildWorkflowBundle } from './bundle.js';

// Builds the workflow bundle ahead of time for RAPPORT_WORKFLOW_BUNDLE (container images).
const target = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const started = performance.now();
const { code } = await buildWorkflowBundle();
await mkdir(dirname(target), { recursive: true });
await writeFile(target, code);
console.log(
  `workflow bundle: ${target} (${(code.length / 1024).toFixed(0)} KiB, ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s)`,
);
