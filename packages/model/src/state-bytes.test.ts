import { describe, expect, it } from 'vitest';
import { ByteReader, BytesError, ByteWriter } from './bytes.js';
import { ModelError } from './errors.js';
import { inbound, outbound } from './fixtures.js';
import { createModel } from './model.js';
import { decodeState, encodeState } from './state-bytes.js';

const model = createModel({ channels: { kiosk: { public: true } } });
const START = Date.UTC(2026, 0, 1);
const state = [
  inbound('email.replied', 'email', START, { sentiment: 0.25 }),
  outbound('support.ticket_resolved', 'support', START + 1000, { outcome: 'kept' }),
  inbound('acme.quest_completed', 'kiosk', START + 2000),
  inbound('purchase.completed', 'store', START + 3000),
].reduce((folded, event) => model.apply(folded, event), model.empty());

function encoded(): Uint8Array {
  const writer = new ByteWriter();
  encodeState(writer, state);
  return writer.written();
}

function decodeError(bytes: Uint8Array): ModelError {
  try {
    decodeState(new ByteReader(bytes));
  } catch (error) {
    if (error instanceof ModelError) return error;
    throw error;
  }
  throw new Error('expected a ModelError');
}

describe("the state's binary form", () => {
  it('round-trips names outside the word list, and is smaller than the JSON', () => {
    const bytes = encoded();
    const reader = new ByteReader(bytes);
    const restored = decodeState(reader);
    reader.end();
    expect(model.toJSON(restored)).toEqual(model.toJSON(state));
    expect(restored.channels.keys).toContain('kiosk');
    expect(bytes.length).toBeLessThan(JSON.stringify(model.toJSON(state)).length / 2);
  });

  it('refuses bytes cut short, an unknown layout and an unknown number tag', () => {
    const bytes = encoded();
    expect(decodeError(bytes.subarray(0, bytes.length - 1)).message).toMatch(/ends early/);
    const layout = bytes.slice();
    layout[0] = 9;
    expect(decodeError(layout).code).toBe('MODEL_STATE_INVALID');
    expect(decodeError(layout).message).toMatch(/unknown state layout 9/);
    const tag = bytes.slice();
    tag[2] = 0x7f; // t's tag (after the layout byte and a one-byte n)
    expect(decodeError(tag).message).toMatch(/unknown number tag 127/);
  });

  it('refuses what the JSON schema refuses: negative sums, bad names, counts below events', () => {
    const write = (fill: (writer: ByteWriter) => void) => {
      const writer = new ByteWriter();
      fill(writer);
      return writer.written();
    };
    const sums = (writer: ByteWriter, first: number, inbound = 0) => {
      writer.number(first);
      for (let i = 1; i < 18; i++) writer.number(i === 16 ? inbound : 0);
      for (let i = 0; i < 3; i++) writer.number(Number.POSITIVE_INFINITY);
      for (let i = 0; i < 3; i++) writer.number(Number.NEGATIVE_INFINITY);
    };
    const negative = write((w) => sums(w.byte(1).uint(1).number(START), -1));
    expect(decodeError(negative).message).toMatch(/sums\[0\]: expected a finite number ≥ 0/);
    const fewer = write((w) => sums(w.byte(1).uint(0).number(START), 0, 2));
    expect(decodeError(fewer).message).toMatch(/fewer events than interactions/);
    const badName = write((w) => {
      sums(w.byte(1).uint(1).number(START), 0);
      w.uint(1).word('Not A Type').number(1).number(0).number(0);
    });
    expect(decodeError(badName).message).toMatch(/"Not A Type" is not a valid name/);
  });

  it('reads layout 1, from before rhythms, as a state with no exchanges counted yet', () => {
    const writer = new ByteWriter().byte(1).uint(1).number(START).number(2);
    for (let i = 1; i < 18; i++) writer.number(i === 16 ? 1 : 0);
    for (let i = 0; i < 3; i++) writer.number(START);
    for (let i = 0; i < 3; i++) writer.number(i === 0 ? START : Number.NEGATIVE_INFINITY);
    writer.uint(0).uint(0);
    const decoded = decodeState(new ByteReader(writer.written()));
    const json = model.toJSON(decoded);
    expect([json.v, json.s, json.f, json.z]).toEqual([
      2,
      [0, 0, 0, 1, 0, 0],
      [START, START, START, null],
      [START, null, null, null],
    ]);
    expect(
      model.fromJSON({
        ...json,
        v: 1,
        s: [0, 0, 0, 1, 0],
        f: json.f.slice(0, 3),
        z: json.z.slice(0, 3),
      }),
    ).toEqual(decoded);
    expect(model.at(decoded, START).rhythm).toMatchObject({ exchanges: 0, lastExchange: null });
  });

  it('leaves trailing bytes for the caller to refuse', () => {
    const reader = new ByteReader(new Uint8Array([...encoded(), 0]));
    decodeState(reader);
    expect(() => reader.end()).toThrow(BytesError);
  });
});
