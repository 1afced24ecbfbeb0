/** Segment's limits, which existing clients already respect: 500 KB a request, 32 KB an event. */
export const LIMITS = {
  requestBytes: 500 * 1024,
  eventBytes: 32 * 1024,
  batchEvents: 2_500,
} as const;
