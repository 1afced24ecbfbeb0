import type { StampedInteraction } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../shared/definitions.js';
import { DeliveryFilter, offsetAfter } from './delivery-filter.js';

/** What a snapshot is after continue-as-new: its JSON. */
const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const event = (eventId: string): StampedInteraction => ({
  eventId,
  customerId: 'c1',
  channel: 'email',
  type: 'email.sent',
  direction: 'outbound',
  occurredAt: '2027-01-04T09:00:00.000Z',
  receivedAt: '2027-01-04T09:00:00.000Z',
  source: 'http',
});
const at = (partition: number, offset: number, eventId: string): Delivery => ({
  partition,
  offset: String(offset),
  event: event(eventId),
});

describe('DeliveryFilter', () => {
  it('takes a delivery once: a redelivery is at or below its partition watermark', () => {
    const filter = new DeliveryFilter();
    expect(filter.arrival(at(0, 5, 'a'))).toBe('new');
    expect(filter.arrival(at(0, 5, 'b'))).toBe('repeat');
    expect(filter.arrival(at(0, 4, 'c'))).toBe('repeat');
    expect(filter.arrival(at(1, 0, 'd'))).toBe('new'); // partitions are independent
    expect(filter.arrival(at(0, 6, 'e'))).toBe('new');
    expect(filter.snapshot().watermarks).toEqual({ 0: '6', 1: '0' });
  });

  it('takes an eventId once: the log can hold an event twice, at another offset', () => {
    const filter = new DeliveryFilter();
    expect(filter.arrival(at(0, 1, 'a'))).toBe('new');
    expect(filter.arrival(at(0, 2, 'a'))).toBe('repeat');
    expect(filter.arrival(at(1, 7, 'a'))).toBe('repeat');
    expect(filter.snapshot()).toMatchObject({ watermarks: { 0: '2', 1: '7' }, recentIds: ['a'] });
  });

  it("knows the log's copy of an event it decided itself", () => {
    const filter = new DeliveryFilter();
    filter.decided('engine:sla.met:1');
    expect(filter.arrival(at(0, 1, 'engine:sla.met:1'))).toBe('decided');
    expect(filter.arrival(at(0, 2, 'engine:sla.met:1'))).toBe('decided');
    expect(filter.snapshot()).toMatchObject({ recentIds: [], decidedIds: ['engine:sla.met:1'] });
  });

  it('remembers the latest 512 ids', () => {
    const filter = new DeliveryFilter();
    for (let index = 0; index <= 512; index += 1) filter.arrival(at(0, index, `e${index}`));
    expect(filter.snapshot().recentIds).toHaveLength(512);
    expect(filter.arrival(at(0, 1_000, 'e1'))).toBe('repeat');
    expect(filter.arrival(at(0, 1_001, 'e0'))).toBe('new'); // forgotten
  });

  it('is carried by its snapshot', () => {
    const filter = new DeliveryFilter();
    filter.arrival(at(0, 3, 'a'));
    filter.decided('d');
    const restored = new DeliveryFilter(throughJson(filter.snapshot()));
    expect(restored.snapshot()).toEqual(filter.snapshot());
    expect(restored.arrival(at(0, 3, 'x'))).toBe('repeat');
    expect(restored.arrival(at(0, 4, 'a'))).toBe('repeat');
    expect(restored.arrival(at(0, 5, 'd'))).toBe('decided');
    // A snapshot of before decided ids were kept.
    expect(new DeliveryFilter({ watermarks: {}, recentIds: ['a'] }).snapshot().decidedIds).toEqual(
      [],
    );
  });
});

describe('DeliveryFilter, merged ids', () => {
  const of = (customerId: string, partition: number, offset: number, eventId: string) => {
    const delivery = at(partition, offset, eventId);
    return { ...delivery, event: { ...delivery.event, customerId } };
  };

  it('keys an alias delivery by its id and partition, its own by partition as before', () => {
    const filter = new DeliveryFilter();
    expect(filter.arrival(of('c1', 0, 5, 'a'), { own: 'c1' })).toBe('new');
    expect(filter.arrival(of('anon', 0, 2, 'b'), { own: 'c1' })).toBe('new');
    expect(filter.arrival(of('anon', 0, 2, 'c'), { own: 'c1' })).toBe('repeat');
    expect(filter.arrival(of('c1', 0, 3, 'd'), { own: 'c1' })).toBe('repeat');
    expect(filter.snapshot().watermarks).toEqual({ 0: '5', 'anon/0': '2' });
  });

  it('absorbs another filter: its own keys under its id, its aliases kept, the later offset', () => {
    const filter = new DeliveryFilter({ watermarks: { 0: '9', 'x/1': '3' }, recentIds: ['a'] });
    filter.absorb('anon', {
      watermarks: { 0: '4', 2: '7', 'x/1': '8' },
      recentIds: ['b', 'a'],
      decidedIds: ['d'],
    });
    expect(filter.snapshot()).toEqual({
      watermarks: { 0: '9', 'x/1': '8', 'anon/0': '4', 'anon/2': '7' },
      recentIds: ['b', 'a'],
      decidedIds: ['d'],
    });
    expect(filter.arrival(of('anon', 0, 4, 'z'), { own: 'c1' })).toBe('repeat');
    expect(filter.arrival(of('anon', 0, 5, 'b'), { own: 'c1' })).toBe('repeat');
    expect(filter.arrival(of('anon', 0, 6, 'd'), { own: 'c1' })).toBe('decided');
  });

  it('keeps its own ids first when the united rings overflow', () => {
    const ours = Array.from({ length: 500 }, (_, index) => `o${index}`);
    const theirs = Array.from({ length: 50 }, (_, index) => `t${index}`);
    const filter = new DeliveryFilter({ watermarks: {}, recentIds: ours });
    filter.absorb('anon', { watermarks: {}, recentIds: theirs });
    expect(filter.snapshot().recentIds).toEqual([...theirs.slice(-12), ...ours]);
  });

  it('takes a forwarded delivery below the watermark by its eventId', () => {
    const filter = new DeliveryFilter();
    expect(filter.arrival(of('anon', 0, 9, 'late'), { own: 'c1' })).toBe('new');
    expect(filter.arrival(of('anon', 0, 7, 'early'), { own: 'c1', forwarded: true })).toBe('new');
    expect(filter.arrival(of('anon', 0, 7, 'early'), { own: 'c1', forwarded: true })).toBe(
      'repeat',
    );
    expect(filter.snapshot().watermarks).toEqual({ 'anon/0': '9' });
  });
});

describe('offsetAfter', () => {
  it('orders 64-bit decimal offsets', () => {
    expect(offsetAfter('10', '9')).toBe(true);
    expect(offsetAfter('9', '10')).toBe(false);
    expect(offsetAfter('9223372036854775807', '9223372036854775806')).toBe(true);
    expect(offsetAfter('5', '5')).toBe(false);
    expect(offsetAfter('0', '0')).toBe(false);
  });
});
