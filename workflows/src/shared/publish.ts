import { proxyActivities } from '@temporalio/workflow';
import type { EngagementActivities } from '../customer-engagement/activities.js';

/**
 * The one proxy of `publishDerived`, for both workflows: Kafka down means wait for it, retried
 * until it answers and never given up, so nothing decided is lost.
 */
export const { publishDerived } = proxyActivities<EngagementActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
