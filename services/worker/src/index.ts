export { buildWorkflowBundle } from './bundle';
export {
  DEFAULT_PLAYBOOKS_FILE,
  engagementSettings,
  loadPlaybooks,
  PlaybooksError,
} from './settings';
export { startWorker, type StartedWorker, type StartWorkerOptions } from './start';
