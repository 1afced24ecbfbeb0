import { ByteWriter, createModel, encodeState, withoutExchanges, type State } from '@rapport/model';
import { describe, expect, it } from 'vitest';
import { decodeData, encodeData } from './codec.js';
import { EMPTY_EXTRAS, extrasFolder, type Extras } from './extras.js';
import { eventFingerprint } from './recent-events.js';

const model = createModel();
/**
 * The catalog V1_RECORD was folded with, before purchases were exchanges (docs/model.md §3): a
 * stored state keeps what it was folded with, so the customer is folded the same way here.
 */
const folding = createModel({ catalog: withoutExchanges({}) });
const fold = extrasFolder(model);
const events = [
  ['email.replied', 'email', 'inbound', '2026-01-05T10:00:00.000Z'],
  ['support.ticket_resolved', 'support', 'outbound', '2026-01-06T11:30:00.000Z'],
  ['purchase.completed', 'store', 'inbound', '2026-01-07T09:15:00.000Z'],
  ['acme.custom_thing', 'kiosk', 'inbound', '2026-01-08T08:00:00.000Z'],
  ['followup.started', 'email', 'outbound', '2026-01-09T08:00:00.000Z'],
] as const;
let state = model.empty();
let extras: Extras = EMPTY_EXTRAS;
for (const [type, channel, direction, occurredAt] of events) {
  const event = {
    type,
    channel,
    direction,
    occurredAt,
    ...(type === 'email.replied' ? { sentiment: 0.5 } : {}),
  };
  state = folding.apply(state, event);
  extras = fold(extras, event);
}

/**
 * The same customer as written by format 1 (JSON deflated with a dictionary) before format 2:
 * records already in Redis stay readable.
 */
const V1_RECORD = Buffer.from(
  'AX2US47DQAhE7zNCiH/BYeYoc/eo49hyHE/YQbMoSvX6KiZfYgoTWbLqpYujOzHTYQo1myQFR60BMkxGlITAYeox4ZU9' +
    'ZUbCkQWflhG4KqSut3F0alh7p413RaxXHrRlS8PSzPO4Xp2Ek5Kc9DCgUALbFK8OgG/dmymFzvm2dmuUMULCuzPCG2LP' +
    'Ez5l/9I9acOZM+ruHmJWa/H/D04ouFpGJds0ZXQ+3Vh5epL3c4HqjpYLH0f+z6ad812oGdnnOwJnt7bcn9zcEVgheM/P' +
    'FxYKstffAw==',
  'base64',
);

function encodedStateLength(folded: State): number {
  const writer = new ByteWriter();
  encodeState(writer, folded);
  return writer.written().length;
}

describe("the customer's data field", () => {
  it('round-trips state, extras, time and the latest events exactly, in under half the JSON', () => {
    const recent = ['e-1', 'e-2', 'e-3'].map(eventFingerprint);
    const blob = encodeData(state, extras, 1_767_000_000_000, recent);
    expect(blob[0]).toBe(5);
    const data = decodeData(model, blob);
    expect(model.toJSON(data.state)).toEqual(model.toJSON(state));
    expect(data.extras).toEqual(extras);
    expect(data.updatedAt).toBe(1_767_000_000_000);
    expect(data.recent).toEqual(recent);
    const json = JSON.stringify({ m: model.toJSON(state), x: extras, u: data.updatedAt });
    expect(blob.length).toBeLessThan(json.length / 2);
  });

  it('still reads format 4, its fingerprints as varints', () => {
    const recent = ['e-1', 'e-2', 'e-3'].map(eventFingerprint);
    const v5 = encodeData(state, extras, 1_767_000_000_000, recent);
    const fingerprints = v5.length - encodedStateLength(state) - recent.length * 6;
    const varints = new ByteWriter();
    for (const fingerprint of recent) varints.uint(fingerprint);
    const v4 = Buffer.concat([
      Buffer.of(4),
      v5.subarray(1, fingerprints),
      varints.written(),
      v5.subarray(v5.length - encodedStateLength(state)),
    ]);
    expect(decodeData(model, v4)).toEqual(decodeData(model, v5));
  });

  it('still reads formats 1, 2 and 3, to the same customer, remembering no events', () => {
    const v1 = decodeData(model, V1_RECORD);
    // Without fingerprints, format 4 is format 5 but for its first byte.
    const v4 = Buffer.concat([
      Buffer.of(4),
      encodeData(state, extras, 1_767_000_000_000).subarray(1),
    ]);
    expect(v1).toEqual(decodeData(model, v4));
    // Format 3 is format 4 without the latest events (none here: one byte, a zero count).
    const beforeState = v4.length - encodedStateLength(state);
    const v3 = Buffer.concat([
      Buffer.of(3),
      v4.subarray(1, beforeState - 1),
      v4.subarray(beforeState),
    ]);
    expect(decodeData(model, v3)).toEqual(decodeData(model, v4));
    // Format 2 is format 3 without the skipped drops (none here: two bytes, a zero and a null).
    const at = v3.length - encodedStateLength(state) - 2;
    const v2 = Buffer.concat([Buffer.of(2), v3.subarray(1, at), v3.subarray(at + 2)]);
    expect(decodeData(model, v2)).toEqual(decodeData(model, v4));
  });

  it('refuses an unknown format, bytes cut short and bytes left over', () => {
    const blob = encodeData(state, extras, 0);
    const unknown = Buffer.from(blob);
    unknown[0] = 9;
    expect(() => decodeData(model, unknown)).toThrow(/unknown record format 9/);
    expect(() => decodeData(model, blob.subarray(0, blob.length - 1))).toThrow(/ends early/);
    expect(() => decodeData(model, Buffer.concat([blob, Buffer.of(0)]))).toThrow(
      /format 5: 1 bytes left over/,
    );
  });
});

describe('the extras', () => {
  it('count the drops the engine acted on, and apart those it skipped as a backfill', () => {
    const drop = (decision: string, occurredAt: string) => ({
      type: 'engagement.drop_detected',
      channel: 'engine',
      direction: 'outbound' as const,
      occurredAt,
      properties: { trigger: 'silence', decision },
    });
    const folded = [
      drop('started', '2026-01-10T00:00:00.000Z'),
      drop('skipped_backfill', '2026-01-11T00:00:00.000Z'),
      drop('no_playbook', '2026-01-09T00:00:00.000Z'),
    ].reduce(fold, EMPTY_EXTRAS);
    expect(folded.dr).toEqual([2, Date.parse('2026-01-10T00:00:00.000Z')]);
    expect(folded.sk).toEqual([1, Date.parse('2026-01-11T00:00:00.000Z')]);
  });
});
