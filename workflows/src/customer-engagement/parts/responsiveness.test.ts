import type { StampedInteraction } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import { Responsiveness } from './responsiveness.js';

/** What a snapshot is after continue-as-new: its JSON. */
const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2027, 0, 4, 9);
const SLA = { defaultMs: 4 * HOUR, byChannel: { chat: 15 * MINUTE } };

let sequence = 0;
function message(
  at: number,
  fields: Partial<StampedInteraction> & Pick<StampedInteraction, 'direction'>,
): StampedInteraction {
  sequence += 1;
  return {
    eventId: `m${sequence}`,
    customerId: 'c1',
    channel: 'support',
    type: 'support.ticket_opened',
    occurredAt: new Date(at).toISOString(),
    receivedAt: new Date(at).toISOString(),
    source: 'http',
    ...fields,
  };
}
const request = (at: number, threadId: string, channel = 'support') =>
  message(at, { direction: 'inbound', threadId, channel, expectsResponse: true });
const reply = (at: number, threadId: string) =>
  message(at, { direction: 'outbound', threadId, type: 'support.ticket_replied' });

describe('Responsiveness', () => {
  it("opens a request for an inbound message expecting a response, by its channel's deadline", () => {
    const sla = new Responsiveness(SLA);
    const ticket = request(T0, 't1');
    const chat = request(T0 + MINUTE, 't2', 'chat');
    expect(sla.observe(ticket)).toBeUndefined();
    expect(sla.observe(chat)).toBeUndefined();
    expect(sla.open).toEqual([
      {
        threadId: 't1',
        requestEventId: ticket.eventId,
        channel: 'support',
        openedAt: T0,
        deadline: T0 + 4 * HOUR,
      },
      {
        threadId: 't2',
        requestEventId: chat.eventId,
        channel: 'chat',
        openedAt: T0 + MINUTE,
        deadline: T0 + 16 * MINUTE,
      },
    ]);
    expect(sla.nextDeadline()).toBe(T0 + 16 * MINUTE);
  });

  it('opens none without a thread, without expectsResponse, or while the thread waits', () => {
    const sla = new Responsiveness(SLA);
    sla.observe(message(T0, { direction: 'inbound', expectsResponse: true }));
    sla.observe(message(T0, { direction: 'inbound', threadId: 't' }));
    sla.observe(message(T0, { direction: 'outbound', threadId: 't', expectsResponse: true }));
    expect(sla.open).toEqual([]);
    const first = request(T0, 't');
    sla.observe(first);
    sla.observe(request(T0 + HOUR, 't'));
    expect(sla.open.map((open) => [open.requestEventId, open.deadline])).toEqual([
      [first.eventId, T0 + 4 * HOUR],
    ]);
  });

  it("the business's next message on the thread answers it, met at the reply", () => {
    const sla = new Responsiveness(SLA);
    const ticket = request(T0, 't1');
    sla.observe(ticket);
    sla.observe(request(T0, 't2'));
    expect(sla.observe(reply(T0 + HOUR, 'other'))).toBeUndefined();
    const answer = reply(T0 + 2 * HOUR, 't1');
    expect(sla.observe(answer)).toEqual({
      request: expect.objectContaining({ requestEventId: ticket.eventId }) as unknown,
      met: true,
      at: T0 + 2 * HOUR,
      replyEventId: answer.eventId,
    });
    expect(sla.observe(reply(T0 + 3 * HOUR, 't1'))).toBeUndefined(); // answered once
    expect(sla.open.map((open) => open.threadId)).toEqual(['t2']);
  });

  it('a deadline reached unanswered is a miss at the deadline, earliest first', () => {
    const sla = new Responsiveness(SLA);
    const late = request(T0, 'slow');
    const soon = request(T0 + MINUTE, 'fast', 'chat');
    sla.observe(late);
    sla.observe(soon);
    expect(sla.expireNext()).toEqual({
      request: expect.objectContaining({ requestEventId: soon.eventId }) as unknown,
      met: false,
      at: T0 + 16 * MINUTE,
    });
    expect(sla.nextDeadline()).toBe(T0 + 4 * HOUR);
    expect(sla.expireNext()).toMatchObject({ met: false, at: T0 + 4 * HOUR });
    expect(sla.nextDeadline()).toBeNull();
    expect(sla.expireNext()).toBeUndefined();
    // The thread may wait again.
    sla.observe(request(T0 + 5 * HOUR, 'slow'));
    expect(sla.nextDeadline()).toBe(T0 + 9 * HOUR);
  });

  it('is carried by its open requests, copied both ways', () => {
    const sla = new Responsiveness(SLA);
    sla.observe(request(T0, 't1'));
    const open = sla.open;
    const restored = new Responsiveness(SLA, throughJson(open));
    expect(restored.open).toEqual(open);
    open[0]!.deadline = 0;
    expect(sla.nextDeadline()).toBe(T0 + 4 * HOUR);
    expect(restored.expireNext()).toMatchObject({ at: T0 + 4 * HOUR });
    expect(sla.open).toHaveLength(1);
  });
});
