import type { Verdict } from '@rapport/adapters/node';
import type { ChannelResult } from '@rapport/schema';
import { ApiError } from './errors.js';
import type { IngestDeps } from './ingest.js';

type Replay = NonNullable<Extract<Verdict, { ok: true }>['replay']>;

/**
 * Answers a signed request once while its signature is fresh (schemes with a timestamp name it
 * by `replay`): a copy, whether replayed by someone who saw it or sent twice by a proxy, is
 * answered `asCopy` and publishes nothing, not even a second dead letter. A request whose answer
 * failed is released, so that the sender's retry of it is answered in full.
 */
export async function answerOnce(
  deps: IngestDeps,
  scope: string,
  replay: Replay,
  answer: () => Promise<ChannelResult>,
  asCopy: ChannelResult,
): Promise<ChannelResult> {
  const claim = await deps.guards.claimRequest(scope, replay.key);
  if (claim === 'in_flight') {
    throw new ApiError(
      409,
      'IN_FLIGHT',
      'the same request is being accepted now; retry shortly',
      [],
      1,
    );
  }
  if (claim === 'duplicate') {
    deps.metrics.events.inc({ source: scope, outcome: 'duplicate' }, asCopy.duplicates);
    return asCopy;
  }
  let result: ChannelResult;
  try {
    result = await answer();
  } catch (error) {
    await deps.guards.releaseRequest(scope, replay.key);
    throw error;
  }
  await deps.guards.confirmRequest(scope, replay.key, replay.ttlMs);
  return result;
}
