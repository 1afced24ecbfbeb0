import { fileURLToPath } from 'node:url';

const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const beside = (name: string) => fileURLToPath(new URL(`./${name}.${extension}`, import.meta.url));

/**
 * The workflows barrel: every workflow type a worker serves, the entry its bundler starts from.
 * Beside this module: `workflows.ts` when it runs from source (tsx, vitest), `workflows.js` when
 * it runs compiled from dist/.
 */
export const WORKFLOWS_PATH = beside('workflows');

/** What every workflow bundle loads once per worker thread and shares (preload.ts). */
export const WORKFLOW_PRELOAD_PATH = beside('preload');
