import { compact, type EventDraft } from './adapter.js';

/**
 * Texts and calls between a customer's phone and one of the business's numbers, whichever
 * provider carries them (Twilio's SMS and WhatsApp, Meta's WhatsApp Cloud API): a customer texting
 * through either lands as the same customer, on the same conversation, as the same events.
 *
 * The customer is their number in E.164 (`+15558675310`), whatever channel prefix the provider
 * writes (`whatsapp:+15558675310`): it is one person, and the number is what a business's CRM
 * holds. The conversation is the pair of numbers, for texts and calls alike, so that a text back
 * answers a missed call.
 *
 * | text status | canonical type   | direction | on the conversation | notes                                   |
 * | ----------- | ---------------- | --------- | ------------------- | --------------------------------------- |
 * | received    | sms.replied      | inbound   | yes                 | initiated by the customer; expects one  |
 * | sent        | sms.sent         | outbound  | yes                 | the business's message: it answers      |
 * | delivered   | sms.delivered    | outbound  | no                  | value 0: evidence, not a second message |
 * | read        | sms.read         | inbound   | no                  | participation, initiated by the business|
 * | failed      | sms.failed       | outbound  | no                  | value 0, the provider's error code      |
 *
 * Only the message itself (received, sent) sits on the conversation: a receipt for the business's
 * earlier message, arriving after the customer's next text, must not count as its answer. A
 * failed message is not a broken promise (a number can be wrong or switched off), so it has no
 * outcome; the catalog has no type that would make it one.
 */

/** A number as providers write it: `+15558675310`, `whatsapp:+15558675310`, `client:alice`. */
export interface PhoneAddress {
  /** The E.164 number when there is one, else the whole address. */
  readonly id: string;
  /** The channel prefix (`whatsapp`, `client`, `sip`), if any. */
  readonly network: string | undefined;
}

const E164 = /^\+[1-9]\d{1,14}$/;
const PREFIXED = /^([a-z][a-z0-9-]*):(.+)$/;

/**
 * A number behind a channel prefix is the same person as the bare number; anything else behind
 * one (a Twilio Client identity, a SIP URI) is only known by its whole address.
 */
export function phoneAddress(address: string): PhoneAddress {
  const match = PREFIXED.exec(address);
  if (match === null) return { id: address, network: undefined };
  const [, network, rest = ''] = match;
  return { id: E164.test(rest) ? rest : address, network };
}

/** Whether an address names someone: an E.164 number, or any prefixed address. */
export function isReachable(address: PhoneAddress): boolean {
  return E164.test(address.id) || address.network !== undefined;
}

/** One conversation per pair of numbers. */
export function conversation(customer: string, business: string): string {
  return `${customer}|${business}`;
}

export interface Text {
  /** The provider's id of the message. */
  readonly id: string;
  readonly customer: string;
  readonly business: string;
  /** `sms`, `mms`, `whatsapp`, … */
  readonly network: string;
  readonly occurredAt: string;
}

function about(text: Text) {
  return {
    customerId: text.customer,
    occurredAt: text.occurredAt,
    properties: compact({ network: text.network }),
  };
}

/** A customer's text: a request the business should answer, on the conversation. */
export function textReceived(text: Text): EventDraft {
  return {
    ...about(text),
    eventId: text.id,
    type: 'sms.replied',
    direction: 'inbound',
    initiator: 'customer',
    threadId: conversation(text.customer, text.business),
    expectsResponse: true,
  };
}

/** A customer opting out of the business's texts (Twilio's STOP keyword): warmth −1. */
export function textOptOut(text: Text): EventDraft {
  return {
    ...about(text),
    eventId: text.id,
    type: 'sms.unsubscribed',
    direction: 'inbound',
    initiator: 'customer',
  };
}

export type TextStatus = 'sent' | 'delivered' | 'read' | 'failed';

const STATUS_EVENTS = {
  sent: { type: 'sms.sent', direction: 'outbound' },
  delivered: { type: 'sms.delivered', direction: 'outbound', value: 0 },
  read: { type: 'sms.read', direction: 'inbound', initiator: 'business' },
  failed: { type: 'sms.failed', direction: 'outbound', value: 0 },
} as const;

/**
 * What became of the business's text. `reported` is the provider's word for the status (Twilio's
 * `undelivered` is a failure too): with the message id it makes the event id, so a provider's
 * retry of one status is one event and each status its own.
 */
export function textStatus(
  text: Text,
  status: TextStatus,
  reported: string,
  errorCode?: string,
): EventDraft {
  return {
    ...about(text),
    ...STATUS_EVENTS[status],
    eventId: `${text.id}:${reported}`,
    ...(status === 'sent' && { threadId: conversation(text.customer, text.business) }),
    properties: compact({ network: text.network, errorCode }),
  };
}
