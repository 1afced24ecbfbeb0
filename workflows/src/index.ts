export { createActivities, type Activities, type ActivityDeps } from './activities';
export {
  CUSTOMER_ENGAGEMENT_WORKFLOW,
  describeCustomer,
  describeCustomerAt,
  signalCustomer,
  type CustomerDescription,
} from './client';
export { Engagement, type Detection } from './customer-engagement/engine';
export { createFollowUpActivities } from './follow-up/activities';
export type { customerEngagement } from './customer-engagement/workflow';
export {
  IDEMPOTENCY_HEADER,
  NotificationSchema,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhook,
  WebhookError,
  type Notification,
  type WebhookErrorCode,
} from './follow-up/webhook';
export type { followUp, FollowUpResult } from './follow-up/workflow';
export {
  CustomerEngagementInputSchema,
  CustomerViewSchema,
  DeliverySchema,
  DropRecordSchema,
  EventsSignalSchema,
  eventsSignal,
  FollowUpInputSchema,
  FollowUpProgressSchema,
  FollowUpRecordSchema,
  followUpFinishedSignal,
  followUpsQuery,
  OffsetSchema,
  progressQuery,
  reengagedSignal,
  SnapshotSchema,
  stateQuery,
  type CustomerEngagementInput,
  type CustomerView,
  type Delivery,
  type DropRecord,
  type EventsSignal,
  type FollowUpInput,
  type FollowUpProgress,
  type FollowUpRecord,
  type Snapshot,
} from './shared/definitions';
export { customerWorkflowId, derivedEventId, followUpWorkflowId } from './shared/ids';
export {
  choosePlaybook,
  EngagementSettingsSchema,
  FollowUpOutcomeSchema,
  PlaybookSchema,
  StepSchema,
  TriggerSchema,
  type EngagementSettings,
  type EngagementSettingsInput,
  type FollowUpOutcome,
  type Playbook,
  type Step,
  type Trigger,
} from './shared/settings';
export { buildWorkflowBundle, WORKFLOWS_PATH } from './worker/bundle';
export {
  DEFAULT_PLAYBOOKS_FILE,
  engagementSettings,
  loadPlaybooks,
  PlaybooksError,
} from './worker/settings';
export { startWorker, type StartedWorker, type StartWorkerOptions } from './worker/start';
