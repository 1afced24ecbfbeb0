import { describe, expect, it } from 'vitest';
import { parseApiError, parseCounts, parseRow, retryAfterMs } from './wire.js';

describe('gateway answers', () => {
  it('reads counts, with deadLettered on webhook routes, and nothing else', () => {
    expect(parseCounts({ accepted: 3, duplicates: 1 })).toEqual({ accepted: 3, duplicates: 1 });
    expect(parseCounts({ accepted: 0, duplicates: 0, deadLettered: 1 })).toEqual({
      accepted: 0,
      duplicates: 0,
      deadLettered: 1,
    });
    for (const body of [
      null,
      [],
      { accepted: '3', duplicates: 0 },
      { accepted: -1, duplicates: 0 },
    ]) {
      expect(parseCounts(body)).toBeUndefined();
    }
    expect(parseCounts({ accepted: 1, duplicates: 0, deadLettered: 'no' })).toBeUndefined();
  });

  it('reads the one error shape, issues optional', () => {
    const issues = [{ path: 'batch.2.value', message: 'Too small' }];
    expect(parseApiError({ error: { code: 'VALIDATION_FAILED', message: 'bad', issues } })).toEqual(
      {
        code: 'VALIDATION_FAILED',
        message: 'bad',
        issues,
      },
    );
    expect(
      parseApiError({ error: { code: 'RATE_LIMITED', message: 'slow down' } })?.issues,
    ).toEqual([]);
    expect(
      parseApiError({ error: { code: 'X', message: 'm', issues: [{ path: 1 }] } }),
    ).toBeUndefined();
    expect(parseApiError({ message: 'Bad Gateway' })).toBeUndefined();
  });

  it('reads Retry-After in seconds', () => {
    expect(retryAfterMs('1')).toBe(1000);
    expect(retryAfterMs(' 5 ')).toBe(5000);
    expect(retryAfterMs('0.5')).toBe(500);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
  });
});

describe('parseRow', () => {
  it('reads an object of text cells, keeping any column name', () => {
    expect(parseRow('{"eventId":"e1","__proto__":"x"}')).toEqual(
      Object.fromEntries([
        ['eventId', 'e1'],
        ['__proto__', 'x'],
      ]),
    );
  });

  it('refuses anything else', () => {
    for (const text of ['not json', '"text"', '["a"]', '{"n":1}', 'null']) {
      expect(parseRow(text)).toBeUndefined();
    }
  });
});
