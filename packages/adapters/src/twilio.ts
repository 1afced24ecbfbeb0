import { z } from 'zod';
import { IdSchema, instantMs, type ParseResult } from '@rapport/schema';
import {
  itemsOf,
  rule,
  type AdaptContext,
  type ChannelAdapter,
  type EventDraft,
} from './adapter.js';
import { gather, parseAt, type Drafted } from './gather.js';
import {
  conversation,
  isReachable,
  phoneAddress,
  textOptOut,
  textReceived,
  textStatus,
  type Text,
  type TextStatus,
} from './phone.js';
import { instantAt } from './wire.js';

/**
 * Twilio: the Messaging webhooks (an incoming message, SMS or WhatsApp, and the status callbacks
 * of the business's messages) and Voice status callbacks, as the form Twilio posts (every value a
 * string). Texts land on `sms` (see phone.ts), calls on `phone`; both on the conversation of the
 * two numbers.
 *
 * | webhook                                     | canonical type   | direction | notes                        |
 * | ------------------------------------------- | ---------------- | --------- | ---------------------------- |
 * | incoming message (`SmsStatus=received`)     | sms.replied      | inbound   | expects a response           |
 * | incoming `STOP` (`OptOutType=STOP`)         | sms.unsubscribed | inbound   | warmth −1                    |
 * | incoming `START`, `HELP`                    | sms.replied      | inbound   | Twilio answers: no request   |
 * | `MessageStatus` sent                        | sms.sent         | outbound  |                              |
 * | `MessageStatus` delivered                   | sms.delivered    | outbound  | value 0                      |
 * | `MessageStatus` read (WhatsApp)             | sms.read         | inbound   | initiated by the business    |
 * | `MessageStatus` undelivered, failed         | sms.failed       | outbound  | value 0, `ErrorCode`         |
 * | `CallStatus` completed                      | call.completed   | either    | `durationSeconds`            |
 * | `CallStatus` busy, no-answer, canceled (in) | call.missed      | inbound   | expects a response           |
 *
 * Every other status (queued, sending, accepted, ringing, in-progress, an outbound call nobody
 * answered, a failed call) produces nothing. A call's direction is Twilio's `Direction`: `inbound`
 * is the customer calling, `outbound-api` the business; `outbound-dial` legs (a `<Dial>` from a
 * call already reported) and SIP trunking produce nothing, so a forwarded call counts once.
 * Callers without a number (withheld, anonymous) produce nothing: they would all be one customer.
 *
 * Ids are Twilio's: the MessageSid for an incoming message, `<MessageSid>:<status>` and
 * `<CallSid>:<status>` for callbacks, so a retried callback is one event and each status its own.
 * Messaging webhooks carry no time, so a text is dated when the gateway received it (Twilio posts
 * at once); a call is dated at its start: the callback's `Timestamp` (its end) less its duration.
 */

/**
 * What Twilio writes for a withheld caller ID: "anonymous" or "restricted" (not numbers: caught by
 * `isReachable`), or +266696687, which spells ANONYMOUS on a keypad.
 */
const ANONYMOUS = '+266696687';

const AddressSchema = z.string().min(1).transform(phoneAddress);

const MessageSchema = z.object({ MessageSid: IdSchema, From: AddressSchema, To: AddressSchema });

const IncomingSchema = MessageSchema.extend({ OptOutType: z.string().optional() });

const StatusSchema = MessageSchema.extend({ ErrorCode: z.string().min(1).optional() });

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RFC_2822 =
  /^(?:[A-Z][a-z]{2}, )?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** Twilio's callback times are RFC 2822 (`Tue, 10 Aug 2010 03:45:01 +0000`); epoch milliseconds. */
const Rfc2822Schema = z.string().transform((text, context) => {
  const [, day, month, year, hour, minute, second, sign, offsetHours, offsetMinutes] =
    RFC_2822.exec(text) ?? [];
  const monthIndex = MONTHS.indexOf(month ?? '');
  if (monthIndex >= 0) {
    const offset = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
    const utc = Date.UTC(
      Number(year),
      monthIndex,
      Number(day),
      Number(hour),
      Number(minute),
      Number(second),
    );
    const ms = utc - (sign === '-' ? -offset : offset);
    if (instantAt(ms) !== undefined) return ms;
  }
  context.addIssue({
    code: 'custom',
    message:
      'expected an RFC 2822 time from 1970 to 2100, such as "Tue, 10 Aug 2010 03:45:01 +0000"',
  });
  return z.NEVER;
});

const CallSchema = z.object({
  CallSid: IdSchema,
  CallStatus: z.string(),
  From: AddressSchema,
  To: AddressSchema,
  Direction: z.string(),
  CallDuration: z.string().regex(/^\d+$/, 'expected whole seconds').transform(Number).optional(),
  Timestamp: Rfc2822Schema.optional(),
});
type Call = z.infer<typeof CallSchema>;

/** The kind of a form: a call's status, else a message's. */
const KindSchema = z
  .object({
    CallSid: z.string().optional(),
    CallStatus: z.string().optional(),
    MessageStatus: z.string().optional(),
    SmsStatus: z.string().optional(),
  })
  .transform((form) =>
    form.CallSid !== undefined && form.CallStatus !== undefined
      ? `call:${form.CallStatus}`
      : `message:${form.MessageStatus ?? form.SmsStatus ?? ''}`,
  );

type Form = z.infer<typeof MessageSchema>;

/** A text as its sender wrote it: the customer's incoming one is From them; callbacks are To them. */
function text(form: Form, fromCustomer: boolean, receivedAt: string): Text | undefined {
  const [customer, business] = fromCustomer ? [form.From, form.To] : [form.To, form.From];
  if (!isReachable(customer)) return undefined;
  return {
    id: form.MessageSid,
    customer: customer.id,
    business: business.id,
    network: customer.network ?? 'sms',
    occurredAt: receivedAt,
  };
}

type Build = (
  item: unknown,
  at: string,
  context: AdaptContext,
) => ParseResult<EventDraft | undefined>;

/** A rule that also knows when the form was received: Twilio's messaging webhooks carry no time. */
function received<T>(
  schema: z.ZodType<T>,
  build: (form: T, receivedAt: string) => EventDraft | undefined,
): Build {
  return (item, at, { receivedAt }) => rule(schema, (form) => build(form, receivedAt))(item, at);
}

const incoming = received(IncomingSchema, (form, receivedAt) => {
  const message = text(form, true, receivedAt);
  if (message === undefined) return undefined;
  const keyword = form.OptOutType?.toUpperCase();
  if (keyword === 'STOP') return textOptOut(message);
  // Twilio answers START and HELP itself: the customer is not waiting on the business.
  if (keyword === 'START' || keyword === 'HELP') {
    return {
      ...textReceived(message),
      expectsResponse: undefined,
      properties: { network: message.network, keyword },
    };
  }
  return textReceived(message);
});

/** A callback on the business's text; `reported` is Twilio's word for the status. */
const statusCallback = (status: TextStatus, reported: string = status) =>
  received(StatusSchema, (form, receivedAt) => {
    const sent = text(form, false, receivedAt);
    return sent && textStatus(sent, status, reported, form.ErrorCode);
  });

/** Who is the customer on a call, by Twilio's `Direction`; other legs are reported elsewhere. */
function caller(call: Call) {
  if (call.Direction === 'inbound') {
    return { customer: call.From, business: call.To, inbound: true };
  }
  if (call.Direction === 'outbound-api') {
    return { customer: call.To, business: call.From, inbound: false };
  }
  return undefined;
}

/** What every call event says: who, when it started, which way, on which conversation. */
function onCall(call: Call, receivedAt: string) {
  const parties = caller(call);
  if (parties === undefined) return undefined;
  const { customer, business, inbound } = parties;
  if (!isReachable(customer) || customer.id === ANONYMOUS) return undefined;
  const end = call.Timestamp ?? instantMs(receivedAt);
  const event = {
    eventId: `${call.CallSid}:${call.CallStatus}`,
    customerId: customer.id,
    occurredAt: instantAt(end - (call.CallDuration ?? 0) * 1000) ?? receivedAt,
    direction: inbound ? 'inbound' : 'outbound',
    initiator: inbound ? 'customer' : 'business',
    threadId: conversation(customer.id, business.id),
  } as const;
  return { inbound, event };
}

const completed = received(CallSchema, (call, receivedAt) => {
  const on = onCall(call, receivedAt);
  return (
    on && {
      ...on.event,
      type: 'call.completed',
      properties: { durationSeconds: call.CallDuration ?? 0 },
    }
  );
});

/** An inbound call nobody took is the customer asking: it waits for a call or a text back. */
const missed = received(CallSchema, (call, receivedAt) => {
  const on = onCall(call, receivedAt);
  if (on?.inbound !== true) return undefined;
  return {
    ...on.event,
    type: 'call.missed',
    expectsResponse: true,
    properties: { callStatus: call.CallStatus },
  };
});

const RULES: ReadonlyMap<string, { channel: string; build: Build }> = new Map(
  Object.entries({
    'message:received': { channel: 'sms', build: incoming },
    'message:sent': { channel: 'sms', build: statusCallback('sent') },
    'message:delivered': { channel: 'sms', build: statusCallback('delivered') },
    'message:read': { channel: 'sms', build: statusCallback('read') },
    'message:undelivered': { channel: 'sms', build: statusCallback('failed', 'undelivered') },
    'message:failed': { channel: 'sms', build: statusCallback('failed') },
    'call:completed': { channel: 'phone', build: completed },
    'call:busy': { channel: 'phone', build: missed },
    'call:no-answer': { channel: 'phone', build: missed },
    'call:canceled': { channel: 'phone', build: missed },
  }),
);

export const twilioAdapter: ChannelAdapter = {
  channel: 'sms',
  adapt(body, context) {
    const drafted: Drafted[] = [];
    for (const { at, item } of itemsOf(body)) {
      const kind = parseAt(KindSchema, item, at);
      if (!kind.ok) {
        drafted.push({ at, channel: 'sms', drafted: kind });
        continue;
      }
      const found = RULES.get(kind.value);
      if (found !== undefined) {
        drafted.push({ at, channel: found.channel, drafted: found.build(item, at, context) });
      }
    }
    return gather(drafted);
  },
};
