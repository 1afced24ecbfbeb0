import {
  anyName,
  ByteReader,
  BytesError,
  ByteWriter,
  decodeState,
  encodeState,
  type Model,
  type State,
} from '@rapport/model';
import { parseWith } from '@rapport/schema';
import { inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { ExtrasSchema, type Extras } from './extras.js';

/** What a customer's `d` field holds. */
export interface RecordData {
  readonly state: State;
  readonly extras: Extras;
  /** When the projector wrote it (epoch ms). */
  readonly updatedAt: number;
  /** Fingerprints of the customer's latest eventIds, oldest first (recent-events.ts). */
  readonly recent: readonly number[];
}

/**
 * Formats of the `d` field, named by its first byte; all about as small (sizes and costs:
 * docs/read-side.md §1 and §9).
 *
 * - V1 (read only): `{m, x, u}` as JSON, deflated with DICTIONARY_V1: zlib's set-up per call
 *   made it the costliest part of a write and of a read.
 * - V2 (read only): binary (ByteWriter): u, the extras, then the model's encodeState.
 * - V3 (read only): V2 with the skipped drops after the detected ones.
 * - V4 (read only): V3 with the latest events' fingerprints before the state, as varints.
 * - V5 (written): V4 with each fingerprint in its 6 bytes: a varint spent 7 on their 48 bits.
 */
const V1 = 1;
const V2 = 2;
const V3 = 3;
const V4 = 4;
const V5 = 5;
/** Bytes of a fingerprint (recent-events.ts). */
const FINGERPRINT_BYTES = 6;

/**
 * One writer reused for every record; each result is copied out of it into Node's shared pool
 * of small buffers, so a write does not make an ArrayBuffer of its own (each one is work for
 * the garbage collector's young-generation pauses).
 */
const writer = new ByteWriter();

export function encodeData(
  state: State,
  extras: Extras,
  updatedAt: number,
  recent: readonly number[] = [],
): Buffer {
  writer.reset().byte(V5).uint(updatedAt);
  const channels = Object.entries(extras.ch);
  writer.uint(channels.length);
  for (const [channel, at] of channels) writer.word(channel).number(at);
  const [started, finished, lastStarted, lastFinished] = extras.fu;
  writer.uint(started).uint(finished).number(lastStarted).number(lastFinished);
  writer.uint(extras.dr[0]).number(extras.dr[1]);
  writer.uint(extras.sk[0]).number(extras.sk[1]);
  writer.uint(recent.length);
  for (const fingerprint of recent) writer.fixed(fingerprint, FINGERPRINT_BYTES);
  encodeState(writer, state);
  return Buffer.from(writer.written());
}

/** Reads either format; throws on anything else (the caller names the key). */
export function decodeData(model: Model, blob: Buffer): RecordData {
  if (blob[0] === V5 || blob[0] === V4 || blob[0] === V3 || blob[0] === V2) {
    return decodeBinary(blob);
  }
  if (blob[0] === V1) return decodeV1(model, blob);
  throw new Error(`unknown record format ${blob[0]}`);
}

/** V5; V4, fingerprints as varints; V3, without them (none); V2, without skipped drops either. */
function decodeBinary(blob: Buffer): RecordData {
  const version = blob[0];
  const reader = new ByteReader(blob.subarray(1));
  try {
    const updatedAt = reader.uint();
    const ch: Record<string, number> = {};
    for (let count = reader.uint(); count > 0; count--) {
      ch[reader.word(anyName)] = reader.finite('a channel instant');
    }
    const fu: Extras['fu'] = [
      reader.uint(),
      reader.uint(),
      reader.instant('last follow-up started'),
      reader.instant('last follow-up finished'),
    ];
    const dr: Extras['dr'] = [reader.uint(), reader.instant('last drop')];
    const sk: Extras['sk'] =
      version === V2 ? [0, null] : [reader.uint(), reader.instant('last skipped drop')];
    const recent: number[] = [];
    if (version === V4 || version === V5) {
      for (let count = reader.uint(); count > 0; count--) {
        recent.push(version === V5 ? reader.fixed(FINGERPRINT_BYTES) : reader.uint());
      }
    }
    const state = decodeState(reader);
    reader.end();
    return { state, extras: { ch, fu, dr, sk }, updatedAt, recent };
  } catch (error) {
    if (error instanceof BytesError) throw new Error(`format ${version}: ${error.message}`);
    throw error;
  }
}

/**
 * FROZEN: records written with a dictionary can only be read with exactly that dictionary.
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
const V1_OPTIONS = { dictionary: DICTIONARY_V1, windowBits: 11 } as const;

/** V1's JSON; the state inside is validated by the model's fromJSON. */
const DataV1Schema = z.strictObject({ m: z.unknown(), x: ExtrasSchema, u: z.number() });

function decodeV1(model: Model, blob: Buffer): RecordData {
  const json: unknown = JSON.parse(inflateRawSync(blob.subarray(1), V1_OPTIONS).toString('utf8'));
  const parsed = parseWith(DataV1Schema, json);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  return {
    state: model.fromJSON(parsed.value.m),
    extras: parsed.value.x,
    updatedAt: parsed.value.u,
    recent: [],
  };
}
