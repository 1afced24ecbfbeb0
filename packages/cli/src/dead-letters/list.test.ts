import { describe, expect, it } from 'vitest';
import { describeListed, matchesSource } from './list.js';

describe('matchesSource', () => {
  it('matches a source exactly, or every channel under a prefix', () => {
    expect(matchesSource('csv', undefined)).toBe(true);
    expect(matchesSource('csv', 'csv')).toBe(true);
    expect(matchesSource('webhook:email', 'webhook')).toBe(true);
    expect(matchesSource('webhook:email', 'webhook:email')).toBe(true);
    expect(matchesSource('webhook:emails', 'webhook:email')).toBe(false);
    expect(matchesSource('csv2', 'csv')).toBe(false);
  });
});

describe('describeListed', () => {
  it('shows where, when, who, why, the context and a truncated original', () => {
    const text = describeListed({
      partition: 2,
      offset: '17',
      source: 'csv',
      timestampMs: 0,
      ok: true,
      letter: {
        reason: {
          code: 'ADAPTER_REJECTED',
          message: 'line 3: 1 issue(s), first at value: Too small',
        },
        source: 'csv',
        receivedAt: '2024-05-01T12:00:00.000Z',
        original: 'x'.repeat(150),
        context: { file: '/data/visits.csv', line: 3 },
      },
    });
    expect(text.split('\n')).toEqual([
      '2/17  2024-05-01T12:00:00.000Z  csv  ADAPTER_REJECTED  line 3: 1 issue(s), first at value: Too small',
      '    file=/data/visits.csv line=3',
      `    original: ${'x'.repeat(100)}… (150 chars)`,
    ]);
  });

  it('shows a record that is not a dead letter rather than hiding it', () => {
    expect(
      describeListed({
        partition: 0,
        offset: '4',
        source: '(unreadable)',
        timestampMs: 0,
        ok: false,
        issues: [{ path: '', message: 'the value is not JSON' }],
        raw: 'garbage',
      }),
    ).toBe('0/4  (not a dead letter: (value): the value is not JSON)\n    garbage');
  });
});
