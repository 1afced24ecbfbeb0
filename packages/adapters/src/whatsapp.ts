import { z } from 'zod';
import { IdSchema } from '@rapport/schema';
import { isRecord, rule } from './adapter.js';
import { listAt, parseAt, type Drafted } from './gather.js';
import { textReceived, textStatus, type Text, type TextStatus } from './phone.js';
import { UnixSecondsSchema } from './wire.js';

/**
 * WhatsApp Cloud API webhooks (`object: "whatsapp_business_account"`, field `messages`;
 * developers.facebook.com/docs/whatsapp/cloud-api/webhooks): a customer's messages and the
 * statuses of the business's, as texts on `sms` like Twilio's WhatsApp (see phone.ts), so a
 * business moving between the two keeps its customers and conversations.
 *
 * | item                                   | canonical type | notes                                |
 * | -------------------------------------- | -------------- | ------------------------------------ |
 * | `messages[]` (text, media, button, …)  | sms.replied    | inbound, expects a response          |
 * | `statuses[]` sent                      | sms.sent       | outbound, on the conversation        |
 * | `statuses[]` delivered                 | sms.delivered  | value 0                              |
 * | `statuses[]` read                      | sms.read       | inbound participation                |
 * | `statuses[]` failed                    | sms.failed     | value 0, the first error's code      |
 *
 * The customer is `+<wa_id>` (WhatsApp ids are the phone number's digits), the business its
 * `display_phone_number`. Reactions, system notices (a customer changed number) and the
 * `request_welcome` of a first-time chat are not messages and produce nothing.
 */

const NOT_MESSAGES = new Set(['reaction', 'system', 'request_welcome']);
const STATUSES: readonly string[] = ['sent', 'delivered', 'read', 'failed'] satisfies TextStatus[];
const isStatus = (status: string | undefined): status is TextStatus =>
  status !== undefined && STATUSES.includes(status);

/** WhatsApp writes numbers as digits (`16505551111`), sometimes formatted; ours are E.164. */
const NumberSchema = z
  .string()
  .transform((text) => text.replace(/[^\d]/g, ''))
  .pipe(z.string().regex(/^[1-9]\d{1,14}$/, 'expected a phone number'))
  .transform((digits) => `+${digits}`);

/** Unix seconds as a string, as WhatsApp writes them. */
const TimestampSchema = z
  .string()
  .regex(/^\d{1,11}$/, 'expected unix seconds')
  .transform(Number)
  .pipe(UnixSecondsSchema);

const ChangeSchema = z.object({
  value: z.object({ metadata: z.object({ display_phone_number: NumberSchema }) }),
});

const MessageSchema = z.object({ id: IdSchema, from: NumberSchema, timestamp: TimestampSchema });

const StatusSchema = z.object({
  id: IdSchema,
  recipient_id: NumberSchema,
  timestamp: TimestampSchema,
  errors: z.array(z.object({ code: z.number().int() })).optional(),
});

const message = (business: string) =>
  rule(MessageSchema, (received) =>
    textReceived({
      id: received.id,
      customer: received.from,
      business,
      network: 'whatsapp',
      occurredAt: received.timestamp,
    }),
  );

const status = (business: string, reported: TextStatus) =>
  rule(StatusSchema, (update) => {
    const text: Text = {
      id: update.id,
      customer: update.recipient_id,
      business,
      network: 'whatsapp',
      occurredAt: update.timestamp,
    };
    const code = update.errors?.[0]?.code;
    return textStatus(text, reported, reported, code === undefined ? undefined : String(code));
  });

function kindOf(item: unknown, key: string): string | undefined {
  return isRecord(item) && typeof item[key] === 'string' ? item[key] : undefined;
}

/** The events of one `whatsapp_business_account` entry. */
export function whatsAppEvents(entry: unknown, at: string): Drafted[] {
  if (!isRecord(entry)) return [];
  const drafted: Drafted[] = [];
  for (const change of listAt(entry, 'changes', at)) {
    if (!isRecord(change.item) || change.item.field !== 'messages') continue;
    const head = parseAt(ChangeSchema, change.item, change.at);
    if (!head.ok) {
      drafted.push({ at: change.at, channel: 'sms', drafted: head });
      continue;
    }
    const business = head.value.value.metadata.display_phone_number;
    const value = isRecord(change.item.value) ? change.item.value : {};
    const valueAt = `${change.at}.value`;
    for (const { at: itemAt, item } of listAt(value, 'messages', valueAt)) {
      const type = kindOf(item, 'type');
      if (type === undefined || NOT_MESSAGES.has(type)) continue;
      drafted.push({ at: itemAt, channel: 'sms', drafted: message(business)(item, itemAt) });
    }
    for (const { at: itemAt, item } of listAt(value, 'statuses', valueAt)) {
      const reported = kindOf(item, 'status');
      if (!isStatus(reported)) continue;
      drafted.push({
        at: itemAt,
        channel: 'sms',
        drafted: status(business, reported)(item, itemAt),
      });
    }
  }
  return drafted;
}
