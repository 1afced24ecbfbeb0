import { CodedError } from '@rapport/schema';
import type { Pointer } from './generations.js';

export type StoreErrorCode =
  /** A stored value does not parse: written by something else, or by an incompatible version. */
  | 'STORE_RECORD_INVALID'
  /** A customer kept changing under the projector (concurrent writers) past the retry budget. */
  | 'STORE_CONFLICT'
  /** `rapport replay` moved readers to another generation while a batch was being projected. */
  | 'STORE_GENERATION_MOVED'
  /** A list cursor that this API did not issue, or issued for another query. */
  | 'STORE_CURSOR_INVALID'
  /** Writes did not reach the replicas asked for (RAPPORT_REDIS_WAIT_REPLICAS) in time. */
  | 'STORE_NOT_REPLICATED';

/** Every error this package throws. */
export class StoreError extends CodedError<StoreErrorCode> {}

/** The pointer names another generation now: a live projector must follow it (see Projection). */
export class GenerationMovedError extends StoreError {
  constructor(
    readonly from: string,
    readonly to: Pointer,
  ) {
    super(
      'STORE_GENERATION_MOVED',
      `readers moved from generation ${from} to ${to.generation} (consumer group ${to.groupId})`,
      { retriable: true },
    );
  }
}
