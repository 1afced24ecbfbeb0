import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { publishFailure } from './errors.js';

// Not among the names Node finds in kafkajs's CommonJS exports: read from its default export.
const { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;

/** A broker's answer as kafkajs raises it, after its retries (it keeps the answer as `cause`). */
const answered = (type: string, code: number) => {
  // What kafkajs makes of the broker's error code, which its class reads the fields from.
  const known = Object.assign(new Error(`the broker says ${type}`), {
    type,
    code,
    retriable: false,
  });
  const answer = new KafkaJSProtocolError(known);
  return new KafkaJSNumberOfRetriesExceeded(answer, { retryCount: 3, retryTime: 1_000 });
};

describe('publishFailure', () => {
  it('calls records the broker refuses for what they are rejected: a retry would fail again', () => {
    const failure = publishFailure(answered('MESSAGE_TOO_LARGE', 10));
    expect(failure).toMatchObject({ code: 'KAFKA_REJECTED', retriable: false });
    expect(failure.message).toBe('Kafka refused the records: the broker says MESSAGE_TOO_LARGE');
  });

  it("calls the idempotent producer's lost state after a failover unavailable, for a retry", () => {
    for (const [type, code] of [
      ['OUT_OF_ORDER_SEQUENCE_NUMBER', 45],
      ['UNKNOWN_PRODUCER_ID', 59],
      ['INVALID_PRODUCER_EPOCH', 47],
      ['UNKNOWN', -1],
    ] as const) {
      expect(publishFailure(answered(type, code)), type).toMatchObject({
        code: 'KAFKA_UNAVAILABLE',
        retriable: true,
      });
    }
  });
});
