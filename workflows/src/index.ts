export { createActivities, type Activities, type ActivityDeps } from './activities.js';
export {
  CUSTOMER_ENGAGEMENT_WORKFLOW,
  deliverToSurvivor,
  describeCustomer,
  describeCustomerAt,
  describeCustomerWorkflow,
  mergedCustomer,
  mergedInto,
  requestFollowUp,
  sendToSurvivor,
  signalCustomer,
  signalCustomerWorkflow,
  survivorOf,
  type CustomerDescription,
  type MergedCustomer,
} from './client.js';
export { Engagement, type Action } from './customer-engagement/engine.js';
export type { Detection } from './customer-engagement/parts/drop-detector.js';
export { createFollowUpActivities } from './follow-up/activities.js';
export {
  DestinationSchema,
  destinationName,
  route,
  type Destination,
  type DestinationDeps,
  type StepDestinations,
} from './follow-up/destinations/dispatch.js';
export { WebhookError, type WebhookErrorCode } from './follow-up/destinations/post.js';
export { SlackMessageSchema, type SlackMessage } from './follow-up/destinations/slack.js';
export type { customerEngagement } from './customer-engagement/workflow.js';
export {
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from './follow-up/destinations/webhook.js';
export { NotificationSchema, type Notification } from './follow-up/notification.js';
export type { followUp, FollowUpResult } from './follow-up/workflow.js';
export {
  AbsorbSchema,
  absorbSignal,
  CustomerEngagementInputSchema,
  CustomerViewSchema,
  CustomerWorkflowSchema,
  DeliverySchema,
  DropRecordSchema,
  EventsSignalSchema,
  eventsSignal,
  FollowUpInputSchema,
  FollowUpProgressSchema,
  FollowUpRecordSchema,
  FollowUpRequestSchema,
  FollowUpWithStepsSchema,
  followUpFinishedSignal,
  followUpsQuery,
  HeldDeliverySchema,
  LATEST_FOLLOW_UPS,
  MergedResultSchema,
  MergeIntoSchema,
  mergeIntoSignal,
  OffsetSchema,
  progressQuery,
  reengagedSignal,
  SnapshotSchema,
  stateQuery,
  StepResultSchema,
  type Absorb,
  type CustomerEngagementInput,
  type CustomerView,
  type CustomerWorkflow,
  type Delivery,
  type DropRecord,
  type EventsSignal,
  type FollowUpInput,
  type FollowUpProgress,
  type FollowUpRecord,
  type FollowUpRequest,
  type FollowUpWithSteps,
  type HeldDelivery,
  type MergedResult,
  type MergeInto,
  type Snapshot,
  type StepResult,
} from './shared/definitions.js';
export { customerWorkflowId, derivedEventId, followUpWorkflowId } from './shared/ids.js';
export type {
  ActivityMetrics,
  NotifyDestination,
  NotifyOutcome,
} from './shared/activity-metrics.js';
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
} from './shared/settings.js';
export { WORKFLOW_PRELOAD_PATH, WORKFLOWS_PATH } from './workflows-path.js';
