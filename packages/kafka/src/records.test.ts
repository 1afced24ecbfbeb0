import { StampedInteractionSchema } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeUtf8, parsedRecord, parseRecord, type ConsumedRecord } from './records.js';

const record = (bytes: Buffer | null): ConsumedRecord => ({
  topic: 't',
  partition: 0,
  offset: '7',
  key: 'cus_1',
  value: bytes === null ? null : bytes.toString('utf8'),
  bytes,
  timestampMs: 0,
});

describe('parseRecord', () => {
  const schema = z.object({ n: z.number() });

  it('parses JSON with the schema', () => {
    expect(parseRecord(schema, record(Buffer.from('{"n":1}')))).toEqual({
      ok: true,
      value: { n: 1 },
    });
  });

  it('reports tombstones, non-UTF-8 bytes, non-JSON and schema issues as data', () => {
    const issuesOf = (value: Buffer | null) => {
      const result = parseRecord(schema, record(value));
      return result.ok ? [] : result.issues.map((issue) => issue.message);
    };
    expect(issuesOf(null)).toEqual([expect.stringContaining('tombstone')]);
    expect(issuesOf(Buffer.from([0xff, 0xfe, 0x00]))).toEqual([
      expect.stringContaining('not UTF-8'),
    ]);
    expect(issuesOf(Buffer.from('{"n":'))).toEqual([expect.stringContaining('not JSON')]);
    expect(issuesOf(Buffer.from('{"n":"x"}'))).toHaveLength(1);
  });

  it('names the failing field of a stamped interaction', () => {
    const result = parseRecord(StampedInteractionSchema, record(Buffer.from('{"eventId":"e"}')));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path)).toContain('customerId');
  });
});

describe('parsedRecord', () => {
  it('keeps every field of the record but its text and bytes, which the parsed value replaces', () => {
    const { value: _text, bytes: _bytes, ...rest } = record(Buffer.from('{"n":1}'));
    expect(parsedRecord(record(Buffer.from('{"n":1}')), { n: 1 })).toStrictEqual({
      ...rest,
      value: { n: 1 },
    });
  });
});

describe('decodeUtf8', () => {
  it('is strict: a lossy decode would corrupt the original kept in a dead letter', () => {
    expect(decodeUtf8(Buffer.from('héllo'))).toBe('héllo');
    expect(decodeUtf8(Buffer.from([0xc3]))).toBeUndefined();
  });
});
