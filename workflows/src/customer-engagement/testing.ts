import { PROFILE_MERGED, type StampedInteraction } from '@rapport/schema';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** Where the engine's unit tests begin: a Monday morning. */
export const T0 = Date.UTC(2027, 0, 4, 9);

/** What a test names of an event; the rest is an email from the customer's side. */
export type EventFields = Partial<StampedInteraction> &
  Pick<StampedInteraction, 'type' | 'direction'>;

/** A stamped event as the log holds it, at `at` (epoch ms), for the engine's unit tests. */
export function stamped(
  eventId: string,
  customerId: string,
  at: number,
  fields: EventFields,
): StampedInteraction {
  const instant = new Date(at).toISOString();
  return {
    eventId,
    customerId,
    channel: 'email',
    occurredAt: instant,
    receivedAt: instant,
    source: 'http',
    ...fields,
  };
}

/** The identity link `from` → `into`, as the gateway publishes it (an event of the survivor). */
export function linkFields(from: string, into: string): EventFields {
  return {
    type: PROFILE_MERGED,
    direction: 'inbound',
    channel: 'identity',
    properties: { from, into, via: 'api', asked: { from, into } },
  };
}

export const EMAIL_IN = { type: 'email.replied', direction: 'inbound' } as const;

/** A chat message the customer expects an answer to, in `threadId`. */
export const chatRequest = (threadId: string) =>
  ({
    type: 'chat.message',
    direction: 'inbound',
    channel: 'chat',
    threadId,
    expectsResponse: true,
  }) as const;

/** The business's answer in `threadId`. */
export const chatReply = (threadId: string) =>
  ({ type: 'chat.message', direction: 'outbound', channel: 'chat', threadId }) as const;
