import { fileURLToPath } from 'node:url';

/** The workflows barrel: every workflow type a worker serves, the entry its bundler starts from. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows.ts', import.meta.url));
