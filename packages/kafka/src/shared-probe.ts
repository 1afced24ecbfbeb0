/**
 * A probe whose callers share the call in flight: the customers of a batch and the partitions
 * of a consumer that fail together ask whether their environment answers at once, and one
 * round of checks (a health check, a namespace, a PING) answers them all.
 */
export function sharedProbe(probe: () => Promise<unknown>): () => Promise<unknown> {
  let inFlight: Promise<unknown> | undefined;
  return () => {
    inFlight ??= probe().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
