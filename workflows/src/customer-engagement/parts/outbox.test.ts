import { describe, expect, it } from 'vitest';
import { derivedEventId } from '../../shared/ids.js';
import { Outbox } from './outbox.js';

/** What a snapshot is after continue-as-new: its JSON. */
const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const T0 = Date.UTC(2027, 0, 4, 9);
const verdict = (key: string) => ({
  type: 'sla.met' as const,
  key,
  occurredAt: T0,
  now: T0 + 60_000,
  channel: 'chat',
  threadId: 't1',
  properties: { requestEventId: key },
});

describe('Outbox', () => {
  it('publishes the derived event of a spec, with its deterministic id', () => {
    const outbox = new Outbox('c1');
    const event = outbox.publish(verdict('r1'));
    expect(event).toEqual({
      eventId: derivedEventId('sla.met', 'c1', 'r1'),
      customerId: 'c1',
      channel: 'chat',
      type: 'sla.met',
      direction: 'outbound',
      occurredAt: '2027-01-04T09:00:00.000Z',
      receivedAt: '2027-01-04T09:01:00.000Z',
      source: 'engine',
      threadId: 't1',
      properties: { requestEventId: 'r1' },
    });
    expect(outbox.publish(verdict('r1'))).toEqual(event); // the same spec, the same record
    const drop = outbox.publish({
      type: 'engagement.drop_detected',
      key: 'silence:0',
      occurredAt: T0,
      now: T0,
      properties: {},
    });
    expect(drop).toMatchObject({ channel: 'engine' });
    expect(drop).not.toHaveProperty('threadId');
  });

  it('hands out the oldest first and drops what was acknowledged', () => {
    const outbox = new Outbox('c1');
    const [a, b, c] = ['a', 'b', 'c'].map((key) => outbox.publish(verdict(key)));
    expect(outbox.size).toBe(3);
    expect(outbox.unpublished(2)).toEqual([a, b]);
    outbox.published(2);
    expect(outbox.size).toBe(1);
    expect(outbox.unpublished(10)).toEqual([c]);
    outbox.published(1);
    expect(outbox.unpublished(10)).toEqual([]);
  });

  it('is carried by its snapshot, a copy', () => {
    const outbox = new Outbox('c1');
    outbox.publish(verdict('a'));
    const snapshot = outbox.snapshot();
    outbox.published(1);
    expect(snapshot).toHaveLength(1);
    const restored = new Outbox('c1', throughJson(snapshot));
    expect(restored.unpublished(10)).toEqual(snapshot);
  });
});
