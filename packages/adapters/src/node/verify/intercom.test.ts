import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { intercomScheme, IntercomOptionsSchema } from './intercom.js';
import type { Verdict, WebhookRequest } from './scheme.js';

const SECRET = 'intercom-client-secret';
const NEXT = 'intercom-client-secret-rotated';
const OPTIONS = IntercomOptionsSchema.parse({ secrets: [SECRET, NEXT] });
const BODY = '{"type":"notification_event","id":"notif_1","topic":"ping"}';

const sign = (secret: string, body: string) =>
  `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;

function request(headers: Record<string, string>, body = BODY): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://rapport.example/v1/channels/intercom',
    headers,
    rawBody: Buffer.from(body),
    query: {},
    now: Date.parse('2024-05-01T12:00:00Z'),
  };
}

const verify = (headers: Record<string, string>, body = BODY) =>
  intercomScheme.verify(request(headers, body), OPTIONS);

const refusal = (verdict: Verdict) => (verdict.ok ? undefined : verdict.code);

describe('intercomScheme (X-Hub-Signature)', () => {
  /**
   * Intercom's docs ("Signed notifications") give the construction, "the hexadecimal (40-byte)
   * representation of a SHA-1 signature computed using the HMAC algorithm as defined in RFC2104",
   * and an example header (`sha1=21ff2e149e0fdcac6f947740f6177f6434bda921`) but not the client
   * secret that made it, so no published request can be checked end to end. The RFC's own worked
   * example can: RFC 2202 §3, test case 2, HMAC-SHA1 of "what do ya want for nothing?" under the
   * key "Jefe" is effcdf6ae5eb2fa2d27416d5f184df9c259a7c79.
   */
  it('accepts the worked example of RFC 2202, the HMAC that Intercom cites, as a signed body', () => {
    const verdict = intercomScheme.verify(
      request(
        { 'x-hub-signature': 'sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79' },
        'what do ya want for nothing?',
      ),
      IntercomOptionsSchema.parse({ secrets: ['Jefe'] }),
    );
    // No timestamp is signed: nothing to refuse a replay by but the notification id.
    expect(verdict).toEqual({ ok: true });
  });

  it("reads Intercom's documented example header as a signature, which our secret does not make", () => {
    const documented = 'sha1=21ff2e149e0fdcac6f947740f6177f6434bda921';
    expect(verify({ 'x-hub-signature': documented })).toEqual({
      ok: false,
      code: 'BAD_SIGNATURE',
      message: 'X-Hub-Signature does not match the body under any configured client secret',
    });
  });

  it('accepts either secret during a rotation, and upper-case hex', () => {
    expect(verify({ 'x-hub-signature': sign(SECRET, BODY) })).toEqual({ ok: true });
    expect(verify({ 'x-hub-signature': sign(NEXT, BODY) })).toEqual({ ok: true });
    const upper = `sha1=${sign(SECRET, BODY).slice(5).toUpperCase()}`;
    expect(verify({ 'x-hub-signature': upper })).toEqual({ ok: true });
  });

  it('refuses a wrong secret, a body changed by one byte, and a malformed header', () => {
    const good = sign(SECRET, BODY);
    expect(refusal(verify({ 'x-hub-signature': sign('wrong', BODY) }))).toBe('BAD_SIGNATURE');
    expect(refusal(verify({ 'x-hub-signature': good }, BODY.replace('ping', 'pong')))).toBe(
      'BAD_SIGNATURE',
    );
    for (const malformed of [`${good}00`, good.slice(5), `sha256=${good.slice(5)}`, 'sha1=']) {
      expect(refusal(verify({ 'x-hub-signature': malformed }))).toBe('BAD_SIGNATURE');
    }
  });

  it('refuses a request without the header as missing', () => {
    expect(verify({})).toEqual({
      ok: false,
      code: 'MISSING_SIGNATURE',
      message: 'no X-Hub-Signature header',
    });
    expect(refusal(verify({ 'x-hub-signature': '' }))).toBe('MISSING_SIGNATURE');
  });

  it('never puts the secret or the signature presented in a message', () => {
    const presented = sign('wrong', BODY);
    const verdict = verify({ 'x-hub-signature': presented });
    expect(JSON.stringify(verdict)).not.toContain(SECRET);
    expect(JSON.stringify(verdict)).not.toContain(presented.slice(5));
  });

  it('takes one or two secrets and nothing it does not know', () => {
    expect(IntercomOptionsSchema.safeParse({ secrets: [] }).success).toBe(false);
    expect(IntercomOptionsSchema.safeParse({ secrets: ['a', 'b', 'c'] }).success).toBe(false);
    expect(IntercomOptionsSchema.safeParse({ secrets: [''] }).success).toBe(false);
    expect(IntercomOptionsSchema.safeParse({ secrets: ['a'], tolerance: 5 }).success).toBe(false);
  });
});
