import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';

/** The workflows barrel: every workflow type the worker serves. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows.ts', import.meta.url));

const quiet = () => undefined;
const quietLogger = {
  log: quiet,
  trace: quiet,
  debug: quiet,
  info: quiet,
  warn: quiet,
  error: quiet,
};

/**
 * Bundles the workflow code (webpack, a few seconds on these machines). A worker given a bundle
 * built ahead of time (RAPPORT_WORKFLOW_BUNDLE, from `pnpm --filter @rapport/workflows bundle`)
 * skips this; tests build one per file and share it between their workers.
 */
export function buildWorkflowBundle(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
}
