import type { InteractionProducer } from '@rapport/kafka';
import { StampedInteractionSchema, type StampedInteraction } from '@rapport/schema';
import { Context } from '@temporalio/activity';
import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { z } from 'zod';
import { mergedInto, sendToSurvivor, signalCustomer, signalCustomerWorkflow } from '../client.js';
import type { ActivityMetrics } from '../shared/activity-metrics.js';
import {
  absorbSignal,
  AbsorbSchema,
  DeliverySchema,
  FollowUpRequestSchema,
  followUpRequestSignal,
  mergeIntoSignal,
  type Absorb,
  type Delivery,
  type FollowUpRequest,
} from '../shared/definitions.js';
import { activityFailure } from '../shared/failures.js';
import type { EngagementSettings } from '../shared/settings.js';

export interface EngagementActivityDeps {
  readonly producer: Pick<InteractionProducer, 'publish'>;
  /** How long one publish waits for Kafka's acknowledgement before the attempt fails. */
  readonly publishTimeoutMs: number;
  readonly settings: EngagementSettings;
  readonly metrics?: Pick<ActivityMetrics, 'derivedPublished'>;
}

const DerivedBatchSchema = z.array(StampedInteractionSchema);

/** What a workflow merged away sends its survivor: its hand-over, forwarded events or requests. */
export type ToSurvivor =
  | { readonly kind: 'absorb'; readonly absorb: Absorb }
  | {
      readonly kind: 'events';
      readonly deliveries: readonly Delivery[];
      /** Set when the deliveries went through the sender's filter (EventsSignalSchema). */
      readonly forwardedBy?: string;
    }
  | { readonly kind: 'followUpRequest'; readonly request: FollowUpRequest };

const ToSurvivorSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('absorb'), absorb: AbsorbSchema }),
  z.object({
    kind: z.literal('events'),
    deliveries: z.array(DeliverySchema).min(1),
    forwardedBy: z.string().optional(),
  }),
  z.object({ kind: z.literal('followUpRequest'), request: FollowUpRequestSchema }),
]);

/** What became of a request to merge (askToMerge). */
export type MergeAsked =
  | { readonly outcome: 'asked' }
  | { readonly outcome: 'already_merged'; readonly mergedInto: string | null };

export function createEngagementActivities(deps: EngagementActivityDeps) {
  return {
    /** The worker's current settings; a local activity, run once per workflow run. */
    loadSettings(): Promise<EngagementSettings> {
      return Promise.resolve(deps.settings);
    },

    /**
     * Publishes derived events to the interaction log, where the projector and the customer's
     * own workflow pick them up. Each has a deterministic eventId, so an attempt that timed out
     * but landed and its retry are recognised as one event by every consumer.
     */
    async publishDerived(events: readonly StampedInteraction[]): Promise<void> {
      const parsed = DerivedBatchSchema.safeParse(events);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(
          `derived events do not match the schema: ${parsed.error.message}`,
          'DERIVED_EVENT_INVALID',
        );
      }
      try {
        await deps.producer.publish(parsed.data, { timeoutMs: deps.publishTimeoutMs });
        deps.metrics?.derivedPublished(parsed.data.length);
      } catch (error) {
        throw activityFailure(error);
      }
    },

    /**
     * Asks `from`'s workflow to merge into `into` (`mergeInto`), starting it for that if it is not
     * running (signalWithStart: no window between a missing workflow and its start). A workflow
     * that already completed was merged already: not started again, and what it merged into is
     * said.
     */
    async askToMerge({ from, into }: { from: string; into: string }): Promise<MergeAsked> {
      const { client, info } = Context.current();
      try {
        await signalCustomerWorkflow(client, info.taskQueue, from, mergeIntoSignal, { into });
        return { outcome: 'asked' };
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw refused(error);
        return { outcome: 'already_merged', mergedInto: await mergedInto(client, from) };
      }
    },

    /**
     * Sends to the survivor of `customerId`: the workflow of `customerId`, or, when that one has
     * completed (merged further: a chain), the one its result leads to. The id that took it.
     */
    async sendToSurvivor(customerId: string, message: ToSurvivor): Promise<string> {
      const parsed = ToSurvivorSchema.safeParse(message);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(
          `not a message for a survivor: ${parsed.error.message}`,
          'SURVIVOR_MESSAGE_INVALID',
        );
      }
      const sent = parsed.data;
      const { client, info } = Context.current();
      const queue = info.taskQueue;
      try {
        return await sendToSurvivor(client, customerId, (target) => {
          if (sent.kind === 'absorb') {
            return signalCustomerWorkflow(client, queue, target, absorbSignal, sent.absorb);
          }
          if (sent.kind === 'followUpRequest') {
            return signalCustomerWorkflow(
              client,
              queue,
              target,
              followUpRequestSignal,
              sent.request,
            );
          }
          return signalCustomer(
            client,
            queue,
            target,
            sent.deliveries,
            sent.forwardedBy === undefined ? {} : { forwardedBy: sent.forwardedBy },
          );
        });
      } catch (error) {
        throw refused(error);
      }
    },
  };
}

/** Temporal refusing the request itself (INVALID_ARGUMENT: a payload over its limit) is for good. */
function refused(error: unknown): unknown {
  const cause = error instanceof ServiceError ? error.cause : error;
  if (isGrpcServiceError(cause) && Number(cause.code) === 3) {
    return ApplicationFailure.create({
      type: 'SIGNAL_REFUSED',
      message: error instanceof Error ? error.message : String(error),
      nonRetryable: true,
    });
  }
  return error;
}

export type EngagementActivities = ReturnType<typeof createEngagementActivities>;
