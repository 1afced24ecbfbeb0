export { createActivities, type Activities, type ActivityDeps } from './activities';
export {
  CUSTOMER_ENGAGEMENT_WORKFLOW,
  describeCustomer,
  describeCustomerAt,
  signalCustomer,
  type CustomerDescription,
} from './client';
export { Engagement, type Detection } from './customer-engagement/engine';
export { createFollowUpActivities, type StepUrls } from './follow-up/activities';
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
export type { ActivityMetrics, NotifyOutcome } from './shared/activity-metrics';
export {
  choosePlaybook,
  CloseStepSchema,
  EngagementSettingsSchema,
  EscalateStepSchema,
  FollowUpOutcomeSchema,
  NotifyStepSchema,
  PlaybookSchema,
  PlaybooksSchema,
  StepSchema,
  TriggerSchema,
  type EngagementSettings,
  type EngagementSettingsInput,
  type FollowUpOutcome,
  type Playbook,
  type Step,
  type Trigger,
} from './shared/settings';
export { WORKFLOWS_PATH } from './workflows-path';
