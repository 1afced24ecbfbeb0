import { CodedError } from '@rapport/schema';

export type KafkaErrorCode =
  /** Kafka did not acknowledge within the caller's deadline; it may still land (see producer.ts). */
  | 'KAFKA_PUBLISH_TIMEOUT'
  /** No broker answered, or the client gave up retrying; nothing is known to be written. */
  | 'KAFKA_UNAVAILABLE'
  /** The broker refused the records themselves (too large, not authorised): retrying won't help. */
  | 'KAFKA_REJECTED'
  /** A record to dead-letter reached a consumer that has no dead-letter topic to put it in. */
  | 'KAFKA_POISON_MESSAGE'
  /** A partition's records have waited longer than RAPPORT_STALL_AFTER without it advancing. */
  | 'KAFKA_PARTITION_STALLED'
  /** An existing topic is replicated less than configured, which Kafka cannot change in place. */
  | 'KAFKA_TOPIC_MISMATCH';

/** Every error this package throws. */
export class KafkaError extends CodedError<KafkaErrorCode> {}

/** A publish that was not acknowledged: the caller answers 503 and the client retries. */
export class KafkaPublishError extends KafkaError {
  constructor(
    code: 'KAFKA_PUBLISH_TIMEOUT' | 'KAFKA_UNAVAILABLE' | 'KAFKA_REJECTED',
    message: string,
    options: { readonly cause?: unknown } = {},
  ) {
    super(code, message, { ...options, retriable: code !== 'KAFKA_REJECTED' });
  }
}

/** Start-up provisioning or a readiness probe could not reach the cluster. */
export class KafkaUnavailableError extends KafkaError {
  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super('KAFKA_UNAVAILABLE', message, { ...options, retriable: true });
  }
}

/** Start-up found a topic that does not match the configuration and cannot be fixed in place. */
export class KafkaTopicMismatchError extends KafkaError {
  constructor(message: string) {
    super('KAFKA_TOPIC_MISMATCH', message, { retriable: false });
  }
}

/** Why a publish failed, from kafkajs's error chain (it wraps the broker's answer in `cause`). */
export function publishFailure(error: unknown): KafkaPublishError {
  const root = rootCause(error);
  const detail = root instanceof Error ? root.message : String(root);
  if (isBrokerRefusal(root)) {
    return new KafkaPublishError('KAFKA_REJECTED', `Kafka refused the records: ${detail}`, {
      cause: error,
    });
  }
  return new KafkaPublishError('KAFKA_UNAVAILABLE', `Kafka is unavailable: ${detail}`, {
    cause: error,
  });
}

/** A readable one-liner for any error kafkajs throws, naming the broker's reason when there is one. */
export function describeError(error: unknown): string {
  const root = rootCause(error);
  const outer = error instanceof Error ? error.message : String(error);
  const inner = root instanceof Error ? root.message : String(root);
  return outer === inner ? outer : `${outer} (${inner})`;
}

/**
 * The broker's answers about the records themselves, or about the client's right to write them:
 * the same records would be refused again. kafkajs marks more codes non-retriable than these, the
 * idempotent producer's own state among them (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID:
 * a partition's new leader, after a broker failed, may not know the sequence numbers its producer
 * had reached). Those are about the moment, and the producer that replaces a failed one starts
 * afresh, so a client told to retry succeeds; one told it never will would drop the events.
 */
const REFUSALS: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'INVALID_TOPIC_EXCEPTION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'POLICY_VIOLATION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
]);

/**
 * A broker error code among REFUSALS. Matched by name: kafkajs spreads its error classes into
 * `module.exports`, which Node's ESM loader cannot see, so `import { KafkaJSProtocolError }` is
 * undefined at run time under tsx.
 */
function isBrokerRefusal(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'KafkaJSProtocolError' &&
    'type' in error &&
    typeof error.type === 'string' &&
    REFUSALS.has(error.type)
  );
}

function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof Error && current.cause !== undefined && current.cause !== current) {
    current = current.cause;
  }
  return current;
}
