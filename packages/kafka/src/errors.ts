import { CodedError } from '@rapport/schema';

export type KafkaErrorCode =
  /** Kafka did not acknowledge within the caller's deadline; it may still land (see producer.ts). */
  | 'KAFKA_PUBLISH_TIMEOUT'
  /** No broker answered, or the client gave up retrying; nothing is known to be written. */
  | 'KAFKA_UNAVAILABLE'
  /** The broker refused the records themselves (too large, not authorised): retrying won't help. */
  | 'KAFKA_REJECTED'
  /** A record that does not parse reached a consumer that has no dead-letter queue to put it in. */
  | 'KAFKA_POISON_MESSAGE';

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
 * A broker error code that kafkajs marks non-retriable (MESSAGE_TOO_LARGE, INVALID_RECORD, ...).
 * Matched by name: kafkajs spreads its error classes into `module.exports`, which Node's ESM
 * loader cannot see, so `import { KafkaJSProtocolError }` is undefined at run time under tsx.
 */
function isBrokerRefusal(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'KafkaJSProtocolError' &&
    'retriable' in error &&
    error.retriable === false
  );
}

function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof Error && current.cause !== undefined && current.cause !== current) {
    current = current.cause;
  }
  return current;
}
