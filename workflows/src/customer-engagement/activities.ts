import type { InteractionProducer } from '@rapport/kafka';
import { StampedInteractionSchema, type StampedInteraction } from '@rapport/schema';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { ActivityMetrics } from '../shared/activity-metrics.js';
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
  };
}

export type EngagementActivities = ReturnType<typeof createEngagementActivities>;
