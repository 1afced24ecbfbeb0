import { createModel } from '@rapport/model';
import { describe, expect, it } from 'vitest';
import { encodeData } from './codec.js';
import { StoreError } from './errors.js';
import { EMPTY_EXTRAS } from './extras.js';
import { decodeRecord } from './record.js';

const model = createModel();

describe('customer records', () => {
  const state = model.apply(model.empty(), {
    type: 'email.replied',
    channel: 'email',
    direction: 'inbound',
    occurredAt: '2026-01-05T10:00:00.000Z',
  });

  it('round-trips the state, extras, revision and positions', () => {
    const data = encodeData(state, EMPTY_EXTRAS, 1_700_000_000_000);
    const stored = decodeRecord(model, 'k', [Buffer.from('4'), Buffer.from('0:17,3:9'), data]);
    expect(stored?.revision).toBe(4);
    expect([...(stored?.offsets ?? [])]).toEqual([
      [0, 17],
      [3, 9],
    ]);
    expect(model.toJSON(stored?.state ?? model.empty())).toEqual(model.toJSON(state));
    expect(stored?.extras).toEqual(EMPTY_EXTRAS);
  });

  it('is undefined for a customer never written', () => {
    expect(decodeRecord(model, 'k', [null, null, null])).toBeUndefined();
  });

  it('refuses what it cannot read, naming the key', () => {
    const data = encodeData(state, EMPTY_EXTRAS, 0);
    const text = (...values: string[]) => values.map((value) => Buffer.from(value));
    for (const fields of [
      [...text('x', '0:1'), data],
      [...text('1', '0-1'), data],
      text('1', '0:1', '{"m":{},"x":{},"u":0}'),
      [...text('1', '0:1'), Buffer.of(1, 0, 0)],
      [...text('1', '0:1'), data.subarray(0, 10)],
      [...text('1', '0:1')],
    ]) {
      expect(() => decodeRecord(model, 'rapport:0:{c}', fields)).toThrow(StoreError);
    }
    expect(() => decodeRecord(model, 'rapport:0:{c}', [...text('x', ''), data])).toThrow(
      /rapport:0:\{c\}/,
    );
  });
});
