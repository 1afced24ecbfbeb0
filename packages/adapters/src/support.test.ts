import { describe, expect, it } from 'vitest';
import recorded from './samples/zendesk-ticket-events.json' with { type: 'json' };
import { supportAdapter } from './support.js';
import { CONTEXT, eventsOf, issuesOf, pathsOf } from './testing.js';

const ON_TICKET = { customerId: '8447388090494', channel: 'support', threadId: '5158' };

/** Zendesk posts one event per request; the sample holds a ticket's recorded life. */
const adaptAll = (payloads: readonly unknown[]) =>
  payloads.flatMap((payload) => eventsOf(supportAdapter.adapt(payload, CONTEXT)));

describe('supportAdapter (Zendesk ticket events)', () => {
  it("maps a ticket's recorded life to exactly these events", () => {
    expect(adaptAll(recorded)).toEqual([
      {
        ...ON_TICKET,
        eventId: 'cbe4028c-7239-495d-b020-f22348516046',
        type: 'support.ticket_opened',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:30:00Z',
        expectsResponse: true,
        properties: { via: 'web_form' },
      },
      {
        ...ON_TICKET,
        eventId: '0c0a4a53-5a4e-4d56-8a2b-0f8b3c8b2a01',
        type: 'support.agent_replied',
        direction: 'outbound',
        occurredAt: '2024-05-01T09:55:00Z',
        properties: { commentId: '29843029385774' },
      },
      {
        ...ON_TICKET,
        eventId: 'a7d8f5a2-42f4-4b1c-9e7a-3b7c0f8e2d02',
        type: 'support.customer_replied',
        direction: 'inbound',
        occurredAt: '2024-05-01T10:05:30Z',
        expectsResponse: true,
        properties: { commentId: '29843029385775' },
      },
      {
        ...ON_TICKET,
        eventId: '9b2f6e7d-2c1a-4f3b-9d8e-7a6b5c4d3e04',
        type: 'support.ticket_resolved',
        direction: 'outbound',
        occurredAt: '2024-05-01T11:00:00Z',
        outcome: 'kept',
      },
      {
        ...ON_TICKET,
        eventId: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a06',
        type: 'support.satisfaction_rated',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T13:15:00Z',
        sentiment: 1,
        properties: { score: 'good' },
      },
    ]);
  });

  it('reads numeric ids of older payloads as strings and a bad rating as negative', () => {
    const [rating] = adaptAll([
      {
        type: 'zen:event-type:ticket.satisfaction_rated',
        id: 'r-2',
        time: '2024-05-02T08:00:00+02:00',
        detail: { id: 5158, requester_id: 8447388090494 },
        event: { score: 'bad' },
      },
    ]);
    expect(rating).toMatchObject({
      ...ON_TICKET,
      sentiment: -1,
      occurredAt: '2024-05-02T08:00:00+02:00',
    });
  });

  it('produces nothing for a rating merely offered', () => {
    const offered = { ...recorded[7], event: { score: 'offered' } };
    expect(adaptAll([offered])).toEqual([]);
  });

  it('reports a malformed event at its fields', () => {
    const result = supportAdapter.adapt(
      {
        type: 'zen:event-type:ticket.comment_added',
        id: 'x',
        time: '2024-05-01 09:30',
        detail: { id: '5158' },
        event: { comment: { id: '1', is_public: 'yes', author: { id: '2', is_staff: true } } },
      },
      CONTEXT,
    );
    expect(pathsOf(result).sort()).toEqual([
      'detail.requester_id',
      'event.comment.is_public',
      'time',
    ]);
    expect(issuesOf(supportAdapter.adapt({ id: 'x' }, CONTEXT))).toEqual([
      { path: 'type', message: 'Invalid input: expected string, received undefined' },
    ]);
  });
});
