import { WORKFLOW_PRELOAD_PATH, WORKFLOWS_PATH } from '@rapport/workflows';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundle } from '@temporalio/worker';

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
 * Workspace packages export their TypeScript under the `source` condition and their compiled
 * JavaScript by default (docs/development.md). The bundle resolves them the way the process that
 * builds it does: from source when the workflows are TypeScript (tsx, vitest), compiled otherwise.
 */
const resolveLike =
  (workflowsPath: string): NonNullable<BundleOptions['webpackConfigHook']> =>
  (config) =>
    workflowsPath.endsWith('.ts')
      ? { ...config, resolve: { ...config.resolve, conditionNames: ['source', '...'] } }
      : config;

/**
 * Bundles the workflow code (webpack, a few seconds on these machines). A worker given a bundle
 * built ahead of time (RAPPORT_WORKFLOW_BUNDLE, from `pnpm --filter @rapport/worker bundle`)
 * skips this; tests build one per file and share it between their workers, and may bundle
 * workflows of their own. Every bundle preloads zod once per worker thread (workflows' preload.ts):
 * a new workflow then costs about a third less CPU and half the memory (docs/performance.md).
 */
export function buildWorkflowBundle(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath,
    logger: quietLogger,
    webpackConfigHook: resolveLike(workflowsPath),
    preloadModules: [WORKFLOW_PRELOAD_PATH],
  });
}
