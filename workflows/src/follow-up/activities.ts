import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ActivityMetrics } from '../shared/activity-metrics.js';
import { activityFailure } from '../shared/failures.js';
import { NotificationSchema, postWebhook } from './webhook.js';

/**
 * Per playbook name, by step index, the URL a step of the playbook file posts to instead of
 * `RAPPORT_FOLLOWUP_WEBHOOK_URL`. It stays in the worker: a webhook URL often carries a token,
 * and whatever a workflow holds (its input, an activity's input or result) is written into its
 * history. A notification names its step, which is all this lookup needs.
 */
export type StepUrls = ReadonlyMap<string, ReadonlyMap<number, string>>;

export interface FollowUpActivityDeps {
  readonly webhook: {
    /** Where steps without a URL of their own post; such steps are skipped when unset. */
    readonly url: string | undefined;
    readonly stepUrls: StepUrls;
    /** Signs every post. */
    readonly secret: string | undefined;
  };
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

export type NotifyResult =
  | { readonly delivered: true; readonly status: number }
  | { readonly delivered: false; readonly reason: string };

export function createFollowUpActivities(deps: FollowUpActivityDeps) {
  return {
    /**
     * Posts a notification to the follow-up webhook, signed (HMAC-SHA256) and with an
     * idempotency key, to the step's own URL or else the configured one. A 4xx answer or a
     * redirect fails for good (non-retryable); anything else is retried by Temporal with
     * back-off. Nothing to post to is an expected outcome, returned as data.
     */
    async notify(request: NotifyRequest): Promise<NotifyResult> {
      const { idempotencyKey, notification } = NotifyRequestSchema.parse(request);
      const target =
        deps.webhook.stepUrls.get(notification.playbook)?.get(notification.step) ??
        deps.webhook.url;
      if (target === undefined || deps.webhook.secret === undefined) {
        deps.metrics?.notified('skipped');
        const missing = target === undefined ? 'URL' : 'SECRET';
        return { delivered: false, reason: `RAPPORT_FOLLOWUP_WEBHOOK_${missing} is not set` };
      }
      try {
        const status = await postWebhook({
          url: target,
          secret: deps.webhook.secret,
          idempotencyKey,
          notification,
          timeoutMs: deps.requestTimeoutMs ?? 10_000,
          signal: Context.current().cancellationSignal,
        });
        deps.metrics?.notified('delivered');
        return { delivered: true, status };
      } catch (error) {
        deps.metrics?.notified('failed');
        throw activityFailure(error);
      }
    },
  };
}

export type FollowUpActivities = ReturnType<typeof createFollowUpActivities>;
