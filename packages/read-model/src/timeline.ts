import { anyName, ByteReader, ByteWriter, exactCount, utf8Text } from '@rapport/model';
import { instantMs, type StampedInteraction } from '@rapport/schema';
import type { LogEntry } from './logs.js';
import { TimelineEntrySchema, type TimelineEntry } from './views.js';

/**
 * A timeline entry in binary, about 34 bytes where its JSON took about 200 (read-side.md §1),
 * giving back exactly the event the JSON did: every field, every instant spelled as it came.
 *
 * A varint of flags first, what most events need in its low 7 bits so that they spend one byte
 * on it; then the eventId, channel, type, occurredAt and receivedAt; then what the flags
 * announce (a source spelled out, the optional fields). FROZEN, like the codes below: an entry
 * is read with the layout it was written with, so another layout needs another entry format.
 */
const FLAGS = {
  outbound: { shift: 0, width: 1 },
  occurredAt: { shift: 1, width: 2 },
  sentiment: { shift: 3, width: 2 },
  source: { shift: 5, width: 2 },
  // Rapport stamps receivedAt itself, nearly always as toISOString writes it (FORM.iso, 0).
  receivedAt: { shift: 7, width: 2 },
  initiator: { shift: 9, width: 2 },
  expectsResponse: { shift: 11, width: 2 },
  outcome: { shift: 13, width: 2 },
  appeal: { shift: 15, width: 2 },
  threadId: { shift: 17, width: 1 },
  value: { shift: 18, width: 1 },
} as const;
type Flag = keyof typeof FLAGS;
/** Flags past these bits are a layout this reader does not know. */
const FLAG_BITS = Math.max(...Object.values(FLAGS).map(({ shift, width }) => shift + width));

/** The enumerations' codes: 0 for none, else the index + 1. */
const INITIATORS = ['customer', 'business'] as const;
const ANSWERS = [false, true] as const;
const OUTCOMES = ['kept', 'broken'] as const;
const APPEALS = ['ethos', 'pathos', 'logos'] as const;
/** Who stamps most events: the gateway's HTTP routes, the engine, Segment's routes. */
const SOURCES = ['http', 'engine', 'segment'] as const;

/** A sentiment in hundredths (a zigzag varint) when that gives it back exactly, else a number. */
const SENTIMENT = { none: 0, hundredths: 1, number: 2 } as const;

/**
 * How an instant is spelled: as `toISOString` writes its millisecond (the gateway's stamps), or
 * that without the fraction, or (an offset, microseconds) as its own text. occurredAt is stored
 * as its millisecond (or second), receivedAt as the milliseconds since it: few bytes for a live
 * event.
 */
const FORM = { iso: 0, seconds: 1, text: 2 } as const;
type Form = (typeof FORM)[keyof typeof FORM];

/** What most ids are made of (UUIDs, ULIDs, most providers' ids): packed 6 bits a character. */
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ID_CODES = new Map([...ID_ALPHABET].map((character, code) => [character, code]));
const PACKABLE = /^[\w-]*$/;

const encoder = new TextEncoder();
const writer = new ByteWriter();

/** The timeline's entry of an event: the event without its customer and properties. */
export function encodeTimelineEntry(event: StampedInteraction): Buffer {
  const occurredMs = instantMs(event.occurredAt);
  const occurred = formOf(event.occurredAt, occurredMs);
  // receivedAt is stored relative to occurredAt's millisecond, which a valid event always has.
  const received = Number.isFinite(occurredMs)
    ? formOf(event.receivedAt, instantMs(event.receivedAt))
    : FORM.text;
  const source = codeOf(SOURCES, event.source);
  const sentiment =
    event.sentiment === undefined
      ? SENTIMENT.none
      : exactCount(event.sentiment, 100, true) === undefined
        ? SENTIMENT.number
        : SENTIMENT.hundredths;
  writer
    .reset()
    .uint(
      flag('outbound', event.direction === 'outbound' ? 1 : 0) +
        flag('occurredAt', occurred) +
        flag('receivedAt', received) +
        flag('sentiment', sentiment) +
        flag('source', source) +
        flag('initiator', codeOf(INITIATORS, event.initiator)) +
        flag('expectsResponse', codeOf(ANSWERS, event.expectsResponse)) +
        flag('outcome', codeOf(OUTCOMES, event.outcome)) +
        flag('appeal', codeOf(APPEALS, event.appeal)) +
        flag('threadId', event.threadId === undefined ? 0 : 1) +
        flag('value', event.value === undefined ? 0 : 1),
    );
  writeId(event.eventId);
  writer.word(event.channel).word(event.type);
  if (occurred === FORM.text) writer.text(event.occurredAt);
  else writer.uint(occurred === FORM.seconds ? occurredMs / 1000 : occurredMs);
  if (received === FORM.text) writer.text(event.receivedAt);
  else writer.int(instantMs(event.receivedAt) - occurredMs);
  if (source === 0) writer.text(event.source);
  if (event.sentiment !== undefined) {
    if (sentiment === SENTIMENT.hundredths) writer.int(exactCount(event.sentiment, 100, true) ?? 0);
    else writer.number(event.sentiment);
  }
  if (event.threadId !== undefined) writeId(event.threadId);
  if (event.value !== undefined) writer.number(event.value);
  return Buffer.from(writer.written());
}

/** A stored entry back as the event; throws if it is neither form or not a valid entry. */
export function decodeTimelineEntry({ legacy, bytes }: LogEntry): TimelineEntry {
  if (legacy) return TimelineEntrySchema.parse(JSON.parse(utf8Text(bytes)));
  const reader = new ByteReader(bytes);
  const flags = reader.uint();
  if (flags >= 2 ** FLAG_BITS) {
    throw new Error(`flags ${flags} this reader does not know`);
  }
  const field = (name: Flag) => Math.floor(flags / 2 ** FLAGS[name].shift) % 2 ** FLAGS[name].width;
  const eventId = readId(reader);
  const channel = reader.word(anyName);
  const type = reader.word(anyName);
  const occurredForm = formAt(field('occurredAt'));
  const occurredAt =
    occurredForm === FORM.text
      ? reader.text()
      : spelled(occurredForm, reader.uint() * (occurredForm === FORM.seconds ? 1000 : 1));
  const receivedForm = formAt(field('receivedAt'));
  const receivedAt =
    receivedForm === FORM.text
      ? reader.text()
      : spelled(receivedForm, instantMs(occurredAt) + reader.int());
  const source = field('source');
  const entry: Record<string, unknown> = {
    eventId,
    channel,
    type,
    direction: field('outbound') === 1 ? 'outbound' : 'inbound',
    occurredAt,
    receivedAt,
    source: source === 0 ? reader.text() : SOURCES[source - 1],
  };
  const sentiment = field('sentiment');
  if (sentiment === SENTIMENT.hundredths) entry['sentiment'] = reader.int() / 100;
  else if (sentiment === SENTIMENT.number) entry['sentiment'] = reader.number();
  if (field('threadId') === 1) entry['threadId'] = readId(reader);
  if (field('value') === 1) entry['value'] = reader.number();
  optional(entry, 'initiator', INITIATORS, field('initiator'));
  optional(entry, 'expectsResponse', ANSWERS, field('expectsResponse'));
  optional(entry, 'outcome', OUTCOMES, field('outcome'));
  optional(entry, 'appeal', APPEALS, field('appeal'));
  reader.end();
  // The schema checks every field and puts them in the order the JSON's parse did.
  return TimelineEntrySchema.parse(entry);
}

const flag = (name: Flag, value: number) => value * 2 ** FLAGS[name].shift;

function codeOf<T>(codes: readonly T[], value: T | undefined): number {
  return value === undefined ? 0 : codes.indexOf(value) + 1;
}

function optional<T>(
  entry: Record<string, unknown>,
  key: string,
  codes: readonly T[],
  code: number,
) {
  if (code === 0) return;
  if (code > codes.length) throw new Error(`${key}: unknown code ${code}`);
  entry[key] = codes[code - 1];
}

function formOf(text: string, ms: number): Form {
  if (!Number.isFinite(ms)) return FORM.text;
  if (spelled(FORM.iso, ms) === text) return FORM.iso;
  return ms % 1000 === 0 && spelled(FORM.seconds, ms) === text ? FORM.seconds : FORM.text;
}

function formAt(code: number): Form {
  if (code !== FORM.iso && code !== FORM.seconds && code !== FORM.text) {
    throw new Error(`unknown instant form ${code}`);
  }
  return code;
}

function spelled(form: Form, ms: number): string {
  const iso = new Date(ms).toISOString();
  return form === FORM.seconds ? `${iso.slice(0, 19)}Z` : iso;
}

/** An id: its length × 2 + 1 and its characters packed, or its UTF-8's length × 2 and the UTF-8. */
function writeId(id: string): void {
  if (!PACKABLE.test(id)) {
    const utf8 = encoder.encode(id);
    writer.uint(utf8.length * 2).bytes(utf8);
    return;
  }
  writer.uint(id.length * 2 + 1);
  let bits = 0;
  let pending = 0;
  for (const character of id) {
    pending = (pending << 6) | (ID_CODES.get(character) ?? 0);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      writer.byte((pending >> bits) & 0xff);
      pending &= (1 << bits) - 1;
    }
  }
  if (bits > 0) writer.byte((pending << (8 - bits)) & 0xff);
}

function readId(reader: ByteReader): string {
  const header = reader.uint();
  const length = Math.floor(header / 2);
  if (header % 2 === 0) return utf8Text(reader.bytes(length, 'an id'), 'an id');
  const packed = reader.bytes(Math.ceil((length * 6) / 8), 'an id');
  let id = '';
  let bits = 0;
  let pending = 0;
  let at = 0;
  while (id.length < length) {
    if (bits < 6) {
      pending = (pending << 8) | (packed[at++] ?? 0);
      bits += 8;
    }
    bits -= 6;
    id += ID_ALPHABET[(pending >> bits) & 0b11_1111];
    pending &= (1 << bits) - 1;
  }
  return id;
}
