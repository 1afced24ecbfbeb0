import { fileURLToPath } from 'node:url';

/**
 * The workflows barrel: every workflow type a worker serves, the entry its bundler starts from.
 * Beside this module: `workflows.ts` when it runs from source (tsx, vitest), `workflows.js` when
 * it runs compiled from dist/.
 */
const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
export const WORKFLOWS_PATH = fileURLToPath(new URL(`./workflows.${extension}`, import.meta.url));
