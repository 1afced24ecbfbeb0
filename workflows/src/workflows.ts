// The one barrel of workflows the worker bundles: everything exported here is a workflow type.
export { customerEngagement } from './customer-engagement/workflow.js';
export { followUp } from './follow-up/workflow.js';
