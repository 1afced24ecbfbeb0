import { WORKFLOWS_PATH } from '@rapport/workflows';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';

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
 * built ahead of time (RAPPORT_WORKFLOW_BUNDLE, from `pnpm --filter @rapport/worker bundle`)
 * skips this; tests build one per file and share it between their workers.
 */
export function buildWorkflowBundle(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
}
