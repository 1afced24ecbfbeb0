import { describe, expect, it } from 'vitest';
import recorded from './samples/segment-batch.json' with { type: 'json' };
import { fromSegment, type SegmentContext } from './segment.js';
import { eventsOf, issuesOf, pathsOf } from './testing.js';

/** The gateway received the batch at noon; the sending device's clock ran two minutes fast. */
const SEGMENT: SegmentContext = {
  receivedAt: '2024-05-01T12:00:00.000Z',
  defaultChannel: 'product',
};
const BY_CUSTOMER = { direction: 'inbound', initiator: 'customer' };
const [trackCall] = recorded.batch;

describe('fromSegment', () => {
  it('maps a recorded batch to exactly these events, one per call, in order', () => {
    expect(eventsOf(fromSegment(recorded, SEGMENT))).toEqual([
      {
        ...BY_CUSTOMER,
        eventId: 'node-next-1714564890000-8c1f0a2e',
        customerId: 'cus_42',
        channel: 'product',
        type: 'track.order_completed',
        occurredAt: '2024-05-01T11:59:30.000Z',
        value: 99.5,
        properties: { orderId: 'o-5001', revenue: 99.5, currency: 'USD' },
      },
      {
        ...BY_CUSTOMER,
        eventId: 'node-next-1714564891000-0b7d5e13',
        customerId: 'cus_42',
        channel: 'product',
        type: 'profile.identified',
        occurredAt: '2024-05-01T11:59:31.000Z',
        properties: { email: 'ada@example.com', plan: 'pro' },
      },
      {
        ...BY_CUSTOMER,
        eventId: 'ajs-next-5d0b4c0a5f0f4bb7a3e2a1d9c8b7a6f5',
        customerId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
        channel: 'web',
        type: 'page.viewed',
        // Its own sentAt wins over the batch's: 12:00:00 − (12:01:05 − 12:01:00).
        occurredAt: '2024-05-01T11:59:55.000Z',
        properties: {
          name: 'Pricing',
          path: '/pricing',
          referrer: 'https://www.google.com/',
          search: '',
          title: 'Pricing | Acme',
          url: 'https://acme.example/pricing',
        },
      },
      {
        ...BY_CUSTOMER,
        eventId: 'ios-7E1F2C9A-5B3D-4E6F-8A7B-9C0D1E2F3A4B',
        customerId: 'cus_42',
        channel: 'app',
        type: 'screen.viewed',
        occurredAt: '2024-05-01T11:59:40.000Z',
        properties: { name: 'Home', variant: 'b' },
      },
      {
        ...BY_CUSTOMER,
        eventId: 'node-next-1714564905000-4e2a9c71',
        customerId: 'cus_42',
        channel: 'product',
        type: 'profile.grouped',
        occurredAt: '2024-05-01T11:59:45.000Z',
        properties: { name: 'Acme Inc', employees: 120, groupId: 'acme-inc' },
      },
      {
        ...BY_CUSTOMER,
        eventId: 'node-next-1714564910000-9f3b1d28',
        customerId: 'cus_42',
        channel: 'product',
        type: 'profile.aliased',
        occurredAt: '2024-05-01T11:59:50.000Z',
        properties: { previousId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d' },
      },
      {
        ...BY_CUSTOMER,
        eventId: 'node-next-1714564915000-1a2b3c4d',
        customerId: 'cus_42',
        channel: 'product',
        type: 'referral.made',
        occurredAt: '2024-05-01T11:59:55.000Z',
        value: 5,
        properties: { rapportType: 'referral.made', value: 5, revenue: -10 },
      },
    ]);
  });

  it("takes a single call's type from the endpoint, over the body's", () => {
    const untyped = { ...trackCall, type: undefined };
    const asPage = { ...trackCall, name: 'Checkout' };
    expect(eventsOf(fromSegment(untyped, { ...SEGMENT, type: 'track' }))[0]?.type).toBe(
      'track.order_completed',
    );
    expect(eventsOf(fromSegment(asPage, { ...SEGMENT, type: 'page' }))[0]?.type).toBe(
      'page.viewed',
    );
  });

  it('uses the client time without sentAt, and the receipt time without either', () => {
    const timeOf = (call: object) =>
      eventsOf(fromSegment(call, { ...SEGMENT, type: 'track' }))[0]?.occurredAt;
    expect(timeOf({ ...trackCall })).toBe('2024-05-01T12:01:30.000Z');
    expect(timeOf({ ...trackCall, timestamp: undefined })).toBe(SEGMENT.receivedAt);
    expect(
      timeOf({
        ...trackCall,
        timestamp: undefined,
        originalTimestamp: '2024-05-01T11:00:00+01:00',
      }),
    ).toBe('2024-05-01T11:00:00+01:00');
  });

  it('slugifies event names and channels', () => {
    const mapped = (call: object) => eventsOf(fromSegment({ ...trackCall, ...call }, SEGMENT))[0];
    expect(mapped({ event: 'Commande passée!' })?.type).toBe('track.commande_passee');
    expect(mapped({ context: { channel: 'Point of Sale' } })?.channel).toBe('point_of_sale');
    expect(mapped({ channel: 'server' })?.channel).toBe('product');
    expect(mapped({ properties: { revenue: -3 } })?.value).toBeUndefined();
  });

  it('reports every bad call of a batch at its index', () => {
    const [track, identify, page] = recorded.batch;
    const result = fromSegment(
      {
        batch: [
          track,
          { ...identify, type: 'shout' },
          { ...page, anonymousId: null },
          { ...track, messageId: undefined },
          { ...track, timestamp: '2024-05-01T12:01:30' },
          { ...track, properties: { rapportType: 'Referral' } },
        ],
      },
      SEGMENT,
    );
    expect(issuesOf(result)).toEqual([
      {
        path: 'batch.1.type',
        message: 'expected one of track, identify, page, screen, group, alias',
      },
      { path: 'batch.2.userId', message: 'userId or anonymousId is required' },
      { path: 'batch.3.messageId', message: 'Invalid input: expected string, received undefined' },
      { path: 'batch.4.timestamp', message: 'Invalid ISO datetime' },
      {
        path: 'batch.5.properties.rapportType',
        message: 'expected dotted lowercase such as "email.replied"',
      },
    ]);
  });

  it('reports canonical problems at the Segment field they came from', () => {
    const result = fromSegment(
      {
        batch: [
          { ...trackCall, event: '¡¡¡' },
          { ...trackCall, context: { channel: '@@' } },
          { ...trackCall, properties: { value: 2e12 } },
          { ...trackCall, properties: { blob: 'x'.repeat(40_000) } },
        ],
        sentAt: '2024-05-01T12:02:00.000Z',
      },
      SEGMENT,
    );
    expect(pathsOf(result)).toEqual([
      'batch.0.event',
      'batch.1.context.channel',
      'batch.2.properties.value',
      'batch.3.properties',
    ]);
    expect(issuesOf(result)[0]?.message).toMatch(/^type: expected dotted lowercase/);
  });

  it('refuses a body that is not a call', () => {
    expect(pathsOf(fromSegment([], { ...SEGMENT, type: 'track' }))).toEqual(['']);
    expect(pathsOf(fromSegment({ batch: 'no' }, SEGMENT))).toEqual(['batch']);
  });

  it('throws on a receivedAt that is not an instant, a bug in the caller', () => {
    expect(() => fromSegment(trackCall, { ...SEGMENT, receivedAt: 'now' })).toThrow(RangeError);
  });
});
