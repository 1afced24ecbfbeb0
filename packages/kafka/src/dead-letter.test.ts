import { describe, expect, it } from 'vitest';
import { DeadLetterSchema, deadLetterKey, failedLetter, poisonLetter } from './dead-letter.js';
import type { ConsumedRecord } from './records.js';

const origin = { source: 'projector', groupId: 'g', receivedAt: '2024-05-01T00:00:00.000Z' };
const record = (key: string | null, bytes: Buffer | null): ConsumedRecord => ({
  topic: 'rapport.interactions.v1',
  partition: 3,
  offset: '42',
  key,
  value: bytes === null ? null : bytes.toString('utf8'),
  bytes,
  timestampMs: 0,
});
const issues = [{ path: 'occurredAt', message: 'Invalid ISO datetime' }];

describe('poisonLetter', () => {
  it('keeps the text verbatim, the reason, the customer and where it was read', () => {
    const letter = poisonLetter(record('cus_1', Buffer.from('{"bad":true}')), issues, origin);
    expect(DeadLetterSchema.parse(letter)).toEqual(letter);
    expect(letter).toMatchObject({
      reason: { code: 'INVALID_RECORD', issues },
      source: 'projector',
      original: '{"bad":true}',
      customerId: 'cus_1',
      context: { topic: 'rapport.interactions.v1', partition: 3, offset: '42', groupId: 'g' },
    });
    expect(letter.reason.message).toContain('occurredAt');
    expect(letter.context).not.toHaveProperty('encoding');
  });

  it('keeps bytes that are not UTF-8 as base64, and says so', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x81]);
    const letter = poisonLetter(record(null, bytes), issues, origin);
    expect(Buffer.from(letter.original, 'base64')).toEqual(bytes);
    expect(letter.context).toMatchObject({ encoding: 'base64' });
    expect(letter).not.toHaveProperty('customerId');
  });

  it('marks a tombstone, and drops a key that is not a valid customer id', () => {
    const letter = poisonLetter(record('bad\u0000key', null), issues, origin);
    expect(letter.original).toBe('');
    expect(letter.context).toMatchObject({ tombstone: 'true' });
    expect(letter).not.toHaveProperty('customerId');
  });
});

describe('failedLetter', () => {
  it('keeps the bytes and where they were read, with the attempts and the last error, bounded', () => {
    const letter = failedLetter(
      record('cus_1', Buffer.from('{"ok":true}')),
      5,
      'WRONGTYPE Operation against a key holding the wrong kind of value',
      origin,
    );
    expect(DeadLetterSchema.parse(letter)).toEqual(letter);
    expect(letter).toMatchObject({
      reason: {
        code: 'HANDLER_FAILED',
        message:
          'projector failed on rapport.interactions.v1/3@42 5 times while its environment ' +
          'answered: WRONGTYPE Operation against a key holding the wrong kind of value',
      },
      original: '{"ok":true}',
      customerId: 'cus_1',
      context: { topic: 'rapport.interactions.v1', partition: 3, offset: '42', groupId: 'g' },
    });
    expect(letter.reason).not.toHaveProperty('issues');
    const long = failedLetter(record('cus_1', Buffer.from('{}')), 5, 'x'.repeat(10_000), origin);
    expect(long.reason.message.length).toBe(2_000);
  });
});

describe('deadLetterKey', () => {
  const letter = {
    reason: { code: 'ADAPTER_REJECTED', message: 'x' },
    source: 'webhook:email',
    receivedAt: '2024-05-01T00:00:00.000Z',
    original: '{"a":1}',
  };

  it('is the customer when known, else a stable hash of the payload', () => {
    expect(deadLetterKey({ ...letter, customerId: 'cus_9' })).toBe('cus_9');
    expect(deadLetterKey(letter)).toMatch(/^[0-9a-f]{64}$/);
    expect(deadLetterKey(letter)).toBe(deadLetterKey({ ...letter, source: 'csv' }));
    expect(deadLetterKey(letter)).not.toBe(deadLetterKey({ ...letter, original: '{"a":2}' }));
  });
});
