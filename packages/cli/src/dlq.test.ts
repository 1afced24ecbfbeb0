import { createHmac } from 'node:crypto';
import { GENERIC_SIGNATURE } from '@rapport/adapters';
import { describe, expect, it } from 'vitest';
import { signatureHeader } from '@rapport/gateway';
import { describeListed, matchesSource } from './dlq.js';

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

describe('signatureHeader', () => {
  const body = '{"id":"p-1"}';
  const hmac = (encoding: 'hex' | 'base64') =>
    createHmac('sha256', 's3cret').update(body).digest(encoding);

  it('signs the body as the gateway checks it: HMAC-SHA256 in the adapter’s header', () => {
    expect(signatureHeader(GENERIC_SIGNATURE, 's3cret', body)).toEqual({
      'x-rapport-signature': hmac('hex'),
    });
    expect(
      signatureHeader(
        { header: 'x-community-signature', encoding: 'base64', prefix: 'sha256=' },
        's3cret',
        body,
      ),
    ).toEqual({ 'x-community-signature': `sha256=${hmac('base64')}` });
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
