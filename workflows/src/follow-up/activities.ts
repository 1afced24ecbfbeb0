import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ActivityMetrics } from '../shared/activity-metrics.js';
import { activityFailure } from '../shared/failures.js';
import {
  destinationName,
  route,
  type Destination,
  type DestinationDeps,
  type StepDestinations,
} from './destinations/dispatch.js';
import { NotificationSchema } from './notification.js';

export interface FollowUpActivityDeps extends DestinationDeps {
  /** Steps of the playbook file that go elsewhere than the configured webhook. */
  readonly steps: StepDestinations;
  /** One attempt's limit; Temporal retries with back-off after it. Default 10 s. */
  readonly requestTimeoutMs?: number;
  readonly metrics?: Pick<ActivityMetrics, 'notified'>;
}

/**
 * Requests scheduled by earlier code also carried the target `url`. Parsing drops it, so such an
 * in-flight request still completes, posting where the worker's settings say the step posts now
 * (after a token was rotated, the new one).
 */
export const NotifyRequestSchema = z.object({
  /** The same on every attempt: the follow-up id and the step, so receivers de-duplicate. */
  idempotencyKey: z.string(),
  notification: NotificationSchema,
});
export type NotifyRequest = z.infer<typeof NotifyRequestSchema>;

/** `destination` names where it went (`webhook`, `slack:<name>`, `email:<name>`), never a URL. */
export type NotifyResult =
  | { readonly delivered: true; readonly destination: string }
  | { readonly delivered: false; readonly reason: string };

/** Steps the playbook file sends nowhere in particular go to the configured webhook. */
const DEFAULT_DESTINATION: Destination = { kind: 'webhook' };

export function createFollowUpActivities(deps: FollowUpActivityDeps) {
  return {
    /**
     * Sends a step's notification where the playbook file says the step goes: the signed
     * webhook (with an idempotency key), a Slack incoming webhook, or an email list (with a
     * stable Message-ID). A refusal that a retry cannot mend (a 4xx, a redirect, a permanent SMTP
     * reply) fails for good (non-retryable); anything else is retried by Temporal with back-off.
     * A destination that is not configured is an expected outcome, returned as data.
     */
    async notify(request: NotifyRequest): Promise<NotifyResult> {
      const { idempotencyKey, notification } = NotifyRequestSchema.parse(request);
      const destination =
        deps.steps.get(notification.playbook)?.get(notification.step) ?? DEFAULT_DESTINATION;
      const target = route(destination, deps);
      if ('missing' in target) {
        deps.metrics?.notified('skipped', destination.kind);
        return { delivered: false, reason: target.missing };
      }
      try {
        await target.send({
          notification,
          idempotencyKey,
          timeoutMs: deps.requestTimeoutMs ?? 10_000,
          signal: Context.current().cancellationSignal,
        });
        deps.metrics?.notified('delivered', destination.kind);
        return { delivered: true, destination: destinationName(destination) };
      } catch (error) {
        deps.metrics?.notified('failed', destination.kind);
        throw activityFailure(error);
      }
    },
  };
}

export type FollowUpActivities = ReturnType<typeof createFollowUpActivities>;
