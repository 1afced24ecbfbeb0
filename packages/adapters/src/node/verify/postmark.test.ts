import { parseWith } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import { PostmarkOptionsSchema, postmarkScheme, type PostmarkOptions } from './postmark.js';
import type { WebhookRequest } from './scheme.js';

/**
 * Postmark has no signing library: it sends the credentials of the webhook URL
 * (`https://user:password@host/…`) as HTTP Basic authentication. The worked example is RFC 7617's
 * own: user "Aladdin", password "open sesame", `Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==`.
 */
const RFC_7617 = 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==';

function optionsOf(raw: unknown): PostmarkOptions {
  const parsed = parseWith(PostmarkOptionsSchema, raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

/**
 * RFC 7617's pair, for the decoding alone: its password is too short for a channel (the schema
 * refuses it, below), so these options are not parsed.
 */
const single: PostmarkOptions = { credentials: [{ username: 'Aladdin', password: 'open sesame' }] };
const rotating = optionsOf({
  credentials: [
    { username: 'Aladdin', password: 'open sesame, said Ali Baba' },
    { username: 'postmark', password: 'the next password' },
  ],
});

function requestOf(authorization: string | undefined): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://rapport.example.com/v1/channels/postmark',
    headers: { 'content-type': 'application/json', authorization },
    rawBody: Buffer.from('{"RecordType":"Delivery"}'),
    query: {},
    now: Date.parse('2024-05-01T12:00:00Z'),
  };
}

/** What an HTTP client sends for `https://<username>:<password>@…`. */
const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

describe('postmarkScheme', () => {
  it('accepts the credentials of RFC 7617’s worked example', () => {
    expect(basic('Aladdin', 'open sesame')).toBe(RFC_7617);
    expect(postmarkScheme.verify(requestOf(RFC_7617), single)).toEqual({ ok: true });
    // The scheme's name is case-insensitive (RFC 7617 § 2).
    const shouted = RFC_7617.replace('Basic', 'BASIC');
    expect(postmarkScheme.verify(requestOf(shouted), single)).toEqual({ ok: true });
  });

  it('accepts either pair during a rotation, with a colon in the password', () => {
    const current = basic('Aladdin', 'open sesame, said Ali Baba');
    expect(postmarkScheme.verify(requestOf(current), rotating)).toEqual({ ok: true });
    const next = basic('postmark', 'the next password');
    expect(postmarkScheme.verify(requestOf(next), rotating)).toEqual({ ok: true });
    const colon = optionsOf({ username: 'hooks', password: 'a:b:c:d:e:f:g:h:i' });
    const presented = basic('hooks', 'a:b:c:d:e:f:g:h:i');
    expect(postmarkScheme.verify(requestOf(presented), colon)).toEqual({ ok: true });
  });

  it('refuses wrong or mixed credentials', () => {
    for (const [username, password] of [
      ['Aladdin', 'open sesame, said Ali Baba!'],
      ['aladdin', 'open sesame, said Ali Baba'],
      ['Aladdin', 'the next password'],
      ['Aladdin', 'open sesame'],
      ['', ''],
    ] as const) {
      expect(postmarkScheme.verify(requestOf(basic(username, password)), rotating)).toMatchObject({
        ok: false,
        code: 'BAD_SIGNATURE',
      });
    }
  });

  it('refuses a request without Basic credentials', () => {
    expect(postmarkScheme.verify(requestOf(undefined), single)).toMatchObject({
      ok: false,
      code: 'MISSING_SIGNATURE',
    });
    for (const authorization of [
      'Bearer dev-write-key',
      'Basic',
      'Basic not base64!',
      `Basic ${Buffer.from('no colon').toString('base64')}`,
    ]) {
      expect(postmarkScheme.verify(requestOf(authorization), single)).toMatchObject({
        ok: false,
        code: 'BAD_SIGNATURE',
      });
    }
  });

  it('never quotes the credentials in its messages', () => {
    const verdict = postmarkScheme.verify(requestOf(basic('Aladdin', 'guess')), single);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.message).not.toMatch(/Aladdin|sesame|guess/);
  });

  it('takes a username and password, or one or two pairs, and says what is missing', () => {
    expect(parseWith(PostmarkOptionsSchema, { username: 'a' })).toMatchObject({
      ok: false,
      issues: [{ path: 'password' }],
    });
    expect(
      parseWith(PostmarkOptionsSchema, {
        username: 'a',
        password: 'the current password',
        credentials: [{ username: 'c', password: 'the next password' }],
      }),
    ).toMatchObject({ ok: false, issues: [{ path: 'credentials' }] });
    expect(parseWith(PostmarkOptionsSchema, {}).ok).toBe(false);
    expect(parseWith(PostmarkOptionsSchema, { credentials: [] }).ok).toBe(false);
    expect(parseWith(PostmarkOptionsSchema, { secrets: ['x'] }).ok).toBe(false);
    const parsed = parseWith(PostmarkOptionsSchema, { username: 'a', password: '' });
    expect(JSON.stringify(parsed)).toContain('expected a password');
  });

  it('takes a password of 16 characters or more, naming the field and never the value', () => {
    const password = '15 characters..';
    expect(password).toHaveLength(15);
    for (const [raw, path] of [
      [{ username: 'Aladdin', password }, 'password'],
      [
        {
          credentials: [
            { username: 'Aladdin', password: 'open sesame, said Ali Baba' },
            { username: 'next', password },
          ],
        },
        'credentials.1.password',
      ],
    ] as const) {
      const parsed = parseWith(PostmarkOptionsSchema, raw);
      expect(parsed).toEqual({
        ok: false,
        issues: [{ path, message: 'expected a password of at least 16 characters' }],
      });
      expect(JSON.stringify(parsed)).not.toContain(password);
    }
    expect(parseWith(PostmarkOptionsSchema, { username: 'a', password: `${password}.` }).ok).toBe(
      true,
    );
  });

  it('takes a username without a colon, which HTTP Basic could never present', () => {
    const username = 'postmark:hooks';
    for (const [raw, path] of [
      [{ username, password: 'the next password' }, 'username'],
      [{ credentials: [{ username, password: 'the next password' }] }, 'credentials.0.username'],
    ] as const) {
      const parsed = parseWith(PostmarkOptionsSchema, raw);
      expect(parsed).toMatchObject({ ok: false, issues: [{ path }] });
      if (!parsed.ok) expect(parsed.issues[0]?.message).toMatch(/^expected a username without ":"/);
      expect(JSON.stringify(parsed)).not.toContain(username);
    }
    // Why: not even the request made with it would match, the username ending at the first colon.
    const options: PostmarkOptions = { credentials: [{ username, password: 'the next password' }] };
    const presented = basic(username, 'the next password');
    expect(postmarkScheme.verify(requestOf(presented), options).ok).toBe(false);
    expect(
      parseWith(PostmarkOptionsSchema, { username: '', password: 'the next password' }),
    ).toMatchObject({
      ok: false,
      issues: [{ path: 'username', message: 'expected a username' }],
    });
  });
});
