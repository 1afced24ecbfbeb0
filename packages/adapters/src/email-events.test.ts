import { parseWith } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import { addressIn, conversationOf, isAutomatic, MailDateSchema } from './email-events.js';

describe('email headers', () => {
  it('reads a Date header only with its zone', () => {
    const read = (text: string) => parseWith(MailDateSchema, text);
    expect(read('Fri, 1 Aug 2014 16:45:32 -04:00')).toEqual({
      ok: true,
      value: '2014-08-01T20:45:32.000Z',
    });
    expect(read('Wed, 1 May 2024 14:20:00 +0200 (CEST)')).toMatchObject({
      value: '2024-05-01T12:20:00.000Z',
    });
    expect(read('1 May 2024 12:20:00 GMT')).toMatchObject({ value: '2024-05-01T12:20:00.000Z' });
    for (const local of ['Fri, 1 Aug 2014 16:45:32', 'Fri, 01-Aug-2014 16:45:32', 'soon']) {
      expect(read(local)).toMatchObject({ ok: false });
    }
  });

  it('finds the address in a From header', () => {
    expect(addressIn('"Lee, Bob" <Bob@Example.com>')).toBe('Bob@Example.com');
    expect(addressIn(' bob@example.com ')).toBe('bob@example.com');
  });

  it('threads by the root of References, else In-Reply-To, else the message', () => {
    const messageId = 'self@example.com';
    expect(conversationOf({ references: '<a@x>\r\n <b@x>', inReplyTo: '<b@x>', messageId })).toBe(
      'a@x',
    );
    expect(conversationOf({ references: '', inReplyTo: '<b@x>', messageId })).toBe('b@x');
    expect(conversationOf({ inReplyTo: ' ', messageId })).toBe(messageId);
  });

  it('tells automatic mail by Auto-Submitted', () => {
    expect(isAutomatic('auto-replied')).toBe(true);
    expect(isAutomatic('auto-generated; type=vacation')).toBe(true);
    expect(isAutomatic('No')).toBe(false);
    expect(isAutomatic(undefined)).toBe(false);
  });
});
