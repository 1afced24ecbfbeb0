/**
 * Sends batches as they come with at most `maxInFlight` requests at once: enough to keep the
 * gateway busy, few enough to bound memory, and the awaiting is the backpressure on reading. The
 * first failure aborts `stop` (reading ends at the next record) and, like a failure to read, is
 * thrown once the requests in flight are answered.
 */
export async function sendBatches<B>(
  batches: AsyncIterable<B>,
  send: (batch: B) => Promise<void>,
  options: { readonly maxInFlight: number; readonly stop: AbortController },
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    options.stop.abort();
  };
  try {
    for await (const batch of batches) {
      while (inFlight.size >= options.maxInFlight) await Promise.race(inFlight);
      if (options.stop.signal.aborted) break;
      const sending: Promise<void> = send(batch)
        .catch(fail)
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
  } catch (error) {
    fail(error);
  } finally {
    await Promise.all(inFlight);
  }
  if (failure !== undefined) throw failure.error;
}
