import {
  createEngagementActivities,
  type EngagementActivityDeps,
} from './customer-engagement/activities.js';
import { createFollowUpActivities, type FollowUpActivityDeps } from './follow-up/activities.js';

export type ActivityDeps = EngagementActivityDeps & FollowUpActivityDeps;

/** Every activity the worker registers, built from its dependencies (Temporal samples' style). */
export function createActivities(deps: ActivityDeps) {
  return { ...createEngagementActivities(deps), ...createFollowUpActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
