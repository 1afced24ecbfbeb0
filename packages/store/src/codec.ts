import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * How a customer's data is stored: deflated with a preset dictionary of what every record
 * repeats (field names, catalog types, channels), behind a format byte. Measured on customers of
 * about ten events: 611 bytes of JSON become about 220, which is what keeps a customer's whole
 * read model under 1 KB of Redis; deflating costs about 14 µs a write, inflating 7 µs a read.
 *
 * FROZEN: records written with a dictionary can only be read with exactly that dictionary.
 * A different one needs a new format byte (and this one kept for reading).
 */
const DICTIONARY_V1 = Buffer.from(
  [
    '"profile.identified":["profile.grouped":["profile.aliased":["screen.viewed":[',
    '"billing.payment_failed":["billing.invoice_paid":["community.activity":["community.replied":[',
    '"social.direct_message":["social.reply":["chat.conversation_closed":["chat.bot_replied":[',
    '"chat.agent_replied":["chat.customer_replied":["chat.conversation_started":[',
    '"support.satisfaction_rated":["support.agent_replied":["support.customer_replied":[',
    '"email.spam_reported":["email.delivered":["account.closed":["subscription.cancelled":[',
    '"subscription.renewed":["subscription.started":["payment.failed":["invoice.paid":[',
    '"invoice.sent":["sales.proposal_sent":["sales.meeting":["review.posted":["referral.made":[',
    '"order.delayed":["order.delivered":["store.visit":["call.completed":["sms.replied":[',
    '"sms.sent":["community.posted":["social.followed":["social.mention":["support.complaint":[',
    '"support.ticket_resolved":["support.ticket_replied":["support.ticket_opened":[',
    '"email.bounced":["email.unsubscribed":["email.clicked":["account.created":[',
    '"onboarding.completed":["form.submitted":["feature.used":["app.opened":["page.viewed":[',
    '"sla.missed":["sla.met":["engagement.drop_detected":["followup.started":["followup.finished":[',
    '"purchase.completed":["chat.message":["email.opened":["email.sent":["email.replied":[',
    '"*":[0,',
    '"c":{"app":1,"billing":1,"chat":1,"community":1,"email":1,"phone":1,"sales":1,"sms":1,',
    '"social":1,"store":1,"support":1,"web":1,"*":1}},',
    '"x":{"ch":{"app":17,"billing":17,"chat":17,"email":17,"phone":17,"sms":17,"social":17,',
    '"store":17,"support":17,"web":17,"*":17},"fu":[0,0,null,null],"dr":[0,null]},"u":17',
    '{"m":{"v":1,"n":1,"t":17,"l":[0,0,0,0,0,0,0,0,0],"r":[0,0,0,0],"s":[0,0,0,1,0],',
    '"f":[17,null,null],"z":[17,null,null],"k":{"email.replied":[0.',
  ].join(''),
);

const V1 = 1;
const OPTIONS = {
  dictionary: DICTIONARY_V1,
  windowBits: 11,
  memLevel: 4,
  chunkSize: 1024,
} as const;

export function encodeBlob(json: string): Buffer {
  return Buffer.concat([Buffer.of(V1), deflateRawSync(json, OPTIONS)]);
}

/** The JSON text of a stored blob; throws on a format it does not know. */
export function decodeBlob(blob: Buffer): string {
  if (blob[0] !== V1) throw new Error(`unknown record format ${blob[0]}`);
  return inflateRawSync(blob.subarray(1), OPTIONS).toString('utf8');
}
