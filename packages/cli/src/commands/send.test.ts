import { describe, expect, it } from 'vitest';
import { eventFromFlags, flagOf } from './send.js';

const DEFAULTS = { now: Date.parse('2024-05-01T12:00:00.000Z'), eventId: 'uuid-1' };
const REQUIRED = {
  customer: 'cus_1',
  type: 'phone.call_answered',
  direction: 'outbound',
  channel: 'phone',
};

describe('eventFromFlags', () => {
  it('fills eventId and occurredAt, and leaves absent flags out', () => {
    expect(eventFromFlags(REQUIRED, DEFAULTS)).toEqual({
      ok: true,
      value: {
        eventId: 'uuid-1',
        customerId: 'cus_1',
        channel: 'phone',
        type: 'phone.call_answered',
        direction: 'outbound',
        occurredAt: '2024-05-01T12:00:00.000Z',
      },
    });
  });

  it('reads numbers, booleans and JSON properties from their text', () => {
    const parsed = eventFromFlags(
      {
        ...REQUIRED,
        eventId: 'call-7',
        occurredAt: '2024-05-01T09:00:00+02:00',
        initiator: 'business',
        value: '12.5',
        sentiment: '-0.5',
        thread: 'case-3',
        expectsResponse: true,
        outcome: 'kept',
        appeal: 'logos',
        properties: '{"agent":"a-9","minutes":4}',
      },
      DEFAULTS,
    );
    expect(parsed.ok && parsed.value).toEqual({
      eventId: 'call-7',
      customerId: 'cus_1',
      channel: 'phone',
      type: 'phone.call_answered',
      direction: 'outbound',
      occurredAt: '2024-05-01T09:00:00+02:00',
      initiator: 'business',
      value: 12.5,
      sentiment: -0.5,
      threadId: 'case-3',
      expectsResponse: true,
      outcome: 'kept',
      appeal: 'logos',
      properties: { agent: 'a-9', minutes: 4 },
    });
  });

  it('returns the schema’s issues for bad or missing flags', () => {
    const parsed = eventFromFlags(
      { type: 'Call', direction: 'sideways', channel: 'phone', value: 'lots', sentiment: '2' },
      DEFAULTS,
    );
    expect(parsed.ok ? [] : parsed.issues.map((issue) => flagOf(issue.path)).sort()).toEqual([
      '--customer (customerId)',
      '--direction (direction)',
      '--sentiment (sentiment)',
      '--type (type)',
      '--value (value)',
    ]);
  });

  it('says when --properties is not JSON', () => {
    expect(eventFromFlags({ ...REQUIRED, properties: '{agent: 1}' }, DEFAULTS)).toEqual({
      ok: false,
      issues: [{ path: 'properties', message: expect.stringMatching(/^not JSON: /) as unknown }],
    });
  });
});
