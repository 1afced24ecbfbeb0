/**
 * A compact binary form for numbers and names, for what is stored once per customer and written
 * on every change: about as small as the JSON deflated with a dictionary, for far less CPU (no
 * text, no zlib set-up per call; docs/performance.md). Workflow-safe: typed arrays only, no Node
 * built-ins.
 *
 * Numbers carry a one-byte tag: zero, ±Infinity and null cost the tag alone, safe integers
 * (counts, epoch milliseconds) a varint, anything else its exact float64. Names are one byte when
 * they are in WORDS_V1, and their UTF-8 otherwise.
 */

/**
 * FROZEN: bytes written with this list can only be read with exactly this list; append-only
 * changes still break older readers, so a new list needs a new format version. The pooled key,
 * and the catalog's event types (the engine's derived ones among them) and channels as of
 * format 1.
 */
const WORDS_V1: readonly string[] = `
  * page.viewed form.submitted app.opened feature.used account.created onboarding.completed
  email.sent email.opened email.clicked email.replied email.unsubscribed email.bounced
  support.ticket_opened support.ticket_replied support.ticket_resolved support.complaint
  chat.message social.mention social.followed community.posted sms.sent sms.replied
  call.completed store.visit purchase.completed order.delivered order.delayed referral.made
  review.posted sales.meeting sales.proposal_sent invoice.sent invoice.paid payment.failed
  subscription.started subscription.renewed subscription.cancelled account.closed
  email.delivered email.spam_reported support.customer_replied support.agent_replied
  support.satisfaction_rated chat.conversation_started chat.customer_replied
  chat.agent_replied chat.bot_replied chat.conversation_closed social.reply
  social.direct_message community.replied community.activity billing.invoice_paid
  billing.payment_failed screen.viewed profile.identified profile.grouped profile.aliased
  sla.met sla.missed engagement.drop_detected followup.started followup.finished web app email
  support chat social phone store sms community sales billing
`
  .trim()
  .split(/\s+/);
/** 0 means the name's UTF-8 follows. */
const WORD_CODES = new Map(WORDS_V1.map((word, index) => [word, index + 1]));

const TAG = {
  zero: 0,
  float: 1,
  positive: 2,
  negative: 3,
  null: 4,
  infinity: 5,
  negativeInfinity: 6,
} as const;

/** The largest magnitude `int` takes: twice it must still be a safe integer. */
const MAX_ZIGZAG = Math.floor(Number.MAX_SAFE_INTEGER / 2);

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Thrown by ByteReader on bytes it cannot read; callers wrap it in their own typed error. */
export class BytesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BytesError';
  }
}

/** For `ByteReader.word`: every name spelled out is accepted (a schema checks them after). */
export const anyName = (_name: string): boolean => true;

/** Strict UTF-8 (`what` names the bytes in the BytesError of any that are not). */
export function utf8Text(bytes: Uint8Array, what = 'a text'): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new BytesError(`${what} that is not UTF-8`);
  }
}

/**
 * `value` as a whole count of 1/`scale` (hundredths: 100) when that count gives it back exactly
 * (k / scale is then the double nearest the decimal, as its JSON spelling was), a safe integer,
 * not negative unless `signed`; else undefined. What a varint (`uint`, or `int` when signed)
 * stores in a few bytes instead of a number's nine.
 */
export function exactCount(value: number, scale: number, signed = false): number | undefined {
  const count = Math.round(value * scale);
  return Number.isSafeInteger(count) && (signed || count >= 0) && count / scale === value
    ? count
    : undefined;
}

/**
 * Appends to one growing buffer; `reset` reuses it, so a writer kept per codec allocates
 * nothing per record (the caller copies what it keeps).
 */
export class ByteWriter {
  #bytes = new Uint8Array(1024);
  #view = new DataView(this.#bytes.buffer);
  #length = 0;

  reset(): this {
    this.#length = 0;
    return this;
  }

  /** What was written: a view of the writer's own buffer, valid until the next reset. */
  written(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  byte(value: number): this {
    this.#room(1);
    this.#bytes[this.#length++] = value;
    return this;
  }

  /** A non-negative safe integer, 7 bits a byte (LEB128). */
  uint(value: number): this {
    this.#room(8);
    let rest = value;
    while (rest >= 0x80) {
      this.#bytes[this.#length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#bytes[this.#length++] = rest;
    return this;
  }

  /**
   * A non-negative integer below 2^(8 × width) in exactly `width` bytes, little-endian: smaller
   * than a varint for values that use every bit (a hash, say), which a varint spends an eighth on.
   */
  fixed(value: number, width: number): this {
    if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** (8 * width)) {
      throw new BytesError(`${value} does not fit ${width} bytes`);
    }
    this.#room(width);
    for (let rest = value, at = 0; at < width; at++, rest = Math.floor(rest / 0x100)) {
      this.#bytes[this.#length++] = rest % 0x100;
    }
    return this;
  }

  /** A safe integer of either sign, zigzagged (0, -1, 1, -2… as 0, 1, 2, 3…) into a varint. */
  int(value: number): this {
    if (!Number.isSafeInteger(value) || Math.abs(value) > MAX_ZIGZAG) {
      throw new BytesError(`${value} is not an integer a zigzag varint holds`);
    }
    return this.uint(value < 0 ? -value * 2 - 1 : value * 2);
  }

  /** Any number, ±Infinity, or null; exact (see the tags above). */
  number(value: number | null): this {
    if (value === null) return this.byte(TAG.null);
    if (value === 0) return this.byte(TAG.zero);
    if (Number.isSafeInteger(value)) {
      return this.byte(value > 0 ? TAG.positive : TAG.negative).uint(Math.abs(value));
    }
    if (value === Number.POSITIVE_INFINITY) return this.byte(TAG.infinity);
    if (value === Number.NEGATIVE_INFINITY) return this.byte(TAG.negativeInfinity);
    this.byte(TAG.float).#room(8);
    this.#view.setFloat64(this.#length, value, true);
    this.#length += 8;
    return this;
  }

  word(word: string): this {
    const code = WORD_CODES.get(word);
    if (code !== undefined) return this.uint(code);
    return this.uint(0).text(word);
  }

  /** A text: its UTF-8's length, then the UTF-8. */
  text(text: string): this {
    const utf8 = encoder.encode(text);
    return this.uint(utf8.length).bytes(utf8);
  }

  /** Bytes as they are; the reader must know how many (a length written before them, say). */
  bytes(data: Uint8Array): this {
    this.#room(data.length);
    this.#bytes.set(data, this.#length);
    this.#length += data.length;
    return this;
  }

  #room(wanted: number): void {
    if (this.#length + wanted <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + wanted));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }
}

/** Reads what a ByteWriter wrote, in the same order; throws BytesError on anything else. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  byte(): number {
    const value = this.#bytes[this.#at];
    if (value === undefined) throw new BytesError(`ends early at byte ${this.#at}`);
    this.#at += 1;
    return value;
  }

  uint(): number {
    let value = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      if (scale > 2 ** 42) throw new BytesError(`a varint longer than 53 bits at ${this.#at}`);
    }
    if (!Number.isSafeInteger(value)) throw new BytesError(`${value} is not a safe integer`);
    return value;
  }

  fixed(width: number): number {
    let value = 0;
    for (let at = 0, scale = 1; at < width; at++, scale *= 0x100) value += this.byte() * scale;
    return value;
  }

  int(): number {
    const zigzag = this.uint();
    return zigzag % 2 === 1 ? -(zigzag + 1) / 2 : zigzag / 2;
  }

  number(): number | null {
    const tag = this.byte();
    switch (tag) {
      case TAG.zero:
        return 0;
      case TAG.positive:
        return this.uint();
      case TAG.negative:
        return -this.uint();
      case TAG.null:
        return null;
      case TAG.infinity:
        return Number.POSITIVE_INFINITY;
      case TAG.negativeInfinity:
        return Number.NEGATIVE_INFINITY;
      case TAG.float: {
        if (this.#at + 8 > this.#bytes.length) throw new BytesError('a float64 cut short');
        const value = this.#view.getFloat64(this.#at, true);
        this.#at += 8;
        return value;
      }
      default:
        throw new BytesError(`unknown number tag ${tag} at byte ${this.#at - 1}`);
    }
  }

  /** A number that must be finite and at least `min` (say which in the error). */
  finite(what: string, min = Number.NEGATIVE_INFINITY): number {
    const value = this.number();
    if (value === null || !Number.isFinite(value) || value < min) {
      throw new BytesError(`${what}: expected a finite number ≥ ${min}, got ${value}`);
    }
    return value;
  }

  /** A finite instant or null. */
  instant(what: string): number | null {
    const value = this.number();
    if (value !== null && !Number.isFinite(value)) {
      throw new BytesError(`${what}: expected an instant or null, got ${value}`);
    }
    return value;
  }

  /** A name; one spelled out (not in the word list) must pass `accept`. */
  word(accept: (name: string) => boolean): string {
    const code = this.uint();
    if (code > 0) {
      const word = WORDS_V1[code - 1];
      if (word === undefined) throw new BytesError(`unknown word code ${code}`);
      return word;
    }
    const name = this.text('a name');
    if (!accept(name)) throw new BytesError(`${JSON.stringify(name)} is not a valid name`);
    return name;
  }

  /** A text as `ByteWriter.text` wrote it; strict UTF-8 (`what` names it in the error). */
  text(what = 'a text'): string {
    return utf8Text(this.bytes(this.uint(), what), what);
  }

  /** The next `length` bytes, as a view of the reader's own (`what` names them in the error). */
  bytes(length: number, what = 'bytes'): Uint8Array {
    if (this.#at + length > this.#bytes.length) throw new BytesError(`${what} cut short`);
    const bytes = this.#bytes.subarray(this.#at, this.#at + length);
    this.#at += length;
    return bytes;
  }

  /** The bytes not read yet, as a view of the reader's own; the reader is then at its end. */
  rest(): Uint8Array {
    return this.bytes(this.#bytes.length - this.#at);
  }

  /** Throws unless every byte was read: trailing bytes mean a format this reader does not know. */
  end(): void {
    if (this.#at !== this.#bytes.length) {
      throw new BytesError(`${this.#bytes.length - this.#at} bytes left over`);
    }
  }
}
