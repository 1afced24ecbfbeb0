export { buildWorkflowBundle } from './bundle.js';
export {
  DEFAULT_PLAYBOOKS_FILE,
  engagementSettings,
  loadPlaybooks,
  PlaybooksError,
} from './settings.js';
export { startWorker, type StartedWorker, type StartWorkerOptions } from './start.js';
