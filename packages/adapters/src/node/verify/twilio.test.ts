import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import type { WebhookRequest } from './scheme.js';
import { twilioScheme, TwilioOptionsSchema, type TwilioOptions } from './twilio.js';

/**
 * Every signature here is made by Twilio's own library (`getExpectedTwilioSignature`), and every
 * verdict on a request is checked against its validator (`validateRequest`,
 * `validateRequestWithBody`): the scheme accepts exactly what Twilio's code accepts.
 */

const TOKEN = 'b7c1e0a4d5f6071829304a5b6c7d8e9f';
const NEXT_TOKEN = '0f9e8d7c6b5a49382716f5e4d3c2b1a0';
const URL = 'https://rapport.example.com/v1/channels/twilio';
const OPTIONS: TwilioOptions = { secrets: [TOKEN, NEXT_TOKEN] };
const FORM = 'application/x-www-form-urlencoded';

/** An incoming SMS as Twilio posts it (the parameters of its Messaging webhook). */
const SMS: Record<string, string> = {
  ToCountry: 'US',
  ToState: 'CA',
  SmsMessageSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
  NumMedia: '0',
  SmsSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
  SmsStatus: 'received',
  Body: 'Is my order on its way? 😊 & thanks',
  To: '+15017122661',
  NumSegments: '1',
  MessageSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
  AccountSid: 'ACae0e8c3a2f9c5f4d3b2a1908f7e6d5c4',
  From: '+15558675310',
  ApiVersion: '2010-04-01',
};

/** A form post to the channel whose configured url (the gateway's `request.url`) is `url`. */
function post(
  params: Record<string, string>,
  signature: string | undefined,
  extra: Record<string, string> = {},
  url = URL,
): WebhookRequest {
  return {
    method: 'POST',
    url,
    headers: {
      'content-type': FORM,
      ...(signature !== undefined && { 'x-twilio-signature': signature }),
      ...extra,
    },
    rawBody: Buffer.from(new URLSearchParams(params).toString()),
    query: {},
    now: Date.parse('2026-12-06T09:00:00Z'),
  };
}

/** The scheme's verdict on a form post, after checking that Twilio's validator agrees with it. */
function verdictOn(
  params: Record<string, string>,
  signature: string,
  { options = OPTIONS, url = URL } = {},
) {
  const verdict = twilioScheme.verify(post(params, signature, {}, url), options);
  const twilioSays = options.secrets.some((token) =>
    twilio.validateRequest(token, signature, url, params),
  );
  expect(verdict.ok).toBe(twilioSays);
  return verdict;
}

const sign = (params: Record<string, string>, token = TOKEN, url = URL) =>
  twilio.getExpectedTwilioSignature(token, url, params);

describe('twilioScheme: X-Twilio-Signature over the URL and the sorted form parameters', () => {
  it('accepts a form post signed by Twilio’s library, with either token of a rotation', () => {
    expect(verdictOn(SMS, sign(SMS))).toEqual({ ok: true });
    expect(verdictOn(SMS, sign(SMS, NEXT_TOKEN))).toEqual({ ok: true });
  });

  it('reproduces the worked example of twilio-node’s own test suite', () => {
    // twilio-node, spec/unit/webhooks/webhooks.spec.js: token 12345, this URL and these
    // parameters sign as RSOYDt4T1cUTdK1PDd93/VVr8B8=.
    const params = {
      CallSid: 'CA1234567890ABCDE',
      Caller: '+14158675309',
      Digits: '1234',
      From: '+14158675309',
      To: '+18005551212',
    };
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    const options = { secrets: ['12345'] };
    expect(verdictOn(params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', { options, url })).toEqual({
      ok: true,
    });
  });

  it('refuses a wrong token, a value altered by one byte, an added parameter, another URL', () => {
    const wrongToken = sign(SMS, 'ffffffffffffffffffffffffffffffff');
    const altered = { ...SMS, Body: SMS.Body?.replace('order', 'ordes') ?? '' };
    const added = { ...SMS, MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC/Media/ME1' };
    const otherUrl = sign(SMS, TOKEN, 'https://rapport.example.com/v1/channels/other');
    for (const [params, signature] of [
      [SMS, wrongToken],
      [altered, sign(SMS)],
      [added, sign(SMS)],
      [SMS, otherUrl],
    ] as const) {
      expect(verdictOn(params, signature)).toEqual({
        ok: false,
        code: 'BAD_SIGNATURE',
        message:
          "X-Twilio-Signature does not match the channel's auth token and url (as given to Twilio)",
      });
    }
  });

  it('refuses a request without the header as MISSING_SIGNATURE', () => {
    expect(twilioScheme.verify(post(SMS, undefined), OPTIONS)).toEqual({
      ok: false,
      code: 'MISSING_SIGNATURE',
      message: 'missing X-Twilio-Signature header',
    });
  });

  it('signs the URL the provider was given, as the gateway passes it, not another', () => {
    // The gateway passes the channel's configured url; a proxy's internal address fails.
    const internal = 'http://10.0.0.7:8080/v1/channels/twilio';
    expect(twilioScheme.verify(post(SMS, sign(SMS), {}, internal), OPTIONS).ok).toBe(false);
    expect(
      twilioScheme.verify(post(SMS, sign(SMS, TOKEN, internal), {}, internal), OPTIONS),
    ).toEqual({ ok: true });
  });

  it('accepts the URL with or without its default port, as Twilio’s validator does', () => {
    const ported = 'https://rapport.example.com:443/v1/channels/twilio';
    expect(verdictOn(SMS, sign(SMS, TOKEN, ported))).toEqual({ ok: true });
    expect(verdictOn(SMS, sign(SMS), { url: ported })).toEqual({ ok: true });
    const otherPort = sign(SMS, TOKEN, 'https://rapport.example.com:8443/v1/channels/twilio');
    expect(verdictOn(SMS, otherPort).ok).toBe(false);
  });

  it('keeps the configured query string in the signed URL', () => {
    const url = `${URL}?customer=cus_42&note=o'clock`;
    expect(verdictOn(SMS, sign(SMS, TOKEN, url), { url })).toEqual({ ok: true });
    expect(verdictOn(SMS, sign(SMS), { url }).ok).toBe(false);
  });

  it('signs each distinct value of a repeated parameter, sorted, like Twilio’s validator', () => {
    const rawBody = Buffer.from(`${new URLSearchParams(SMS).toString()}&Tag=b&Tag=a&Tag=b`);
    const signature = sign({ ...SMS, Tag: ['b', 'a', 'b'] } as unknown as Record<string, string>);
    expect(twilioScheme.verify({ ...post(SMS, signature), rawBody }, OPTIONS)).toEqual({
      ok: true,
    });
  });

  it('verifies HMAC-SHA256 when Twilio’s signature settings header asks for it', () => {
    const settings = { 'x-twilio-webhooks-signature-settings': 'key=KS1,algorithm=HMAC_SHA256' };
    const sha256 = twilio.getExpectedTwilioSignature(TOKEN, URL, SMS, 'HMAC_SHA256');
    expect(twilioScheme.verify(post(SMS, sha256, settings), OPTIONS)).toEqual({ ok: true });
    expect(twilioScheme.verify(post(SMS, sign(SMS), settings), OPTIONS).ok).toBe(false);
    const unknown = { 'x-twilio-webhooks-signature-settings': 'key=KS1,algorithm=HMAC_MD5' };
    expect(twilioScheme.verify(post(SMS, sha256, unknown), OPTIONS)).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
    });
  });

  it('never puts the token or the signature in a refusal', () => {
    const signature = sign(SMS, 'ffffffffffffffffffffffffffffffff');
    const verdict = twilioScheme.verify(post(SMS, signature), OPTIONS);
    const text = JSON.stringify(verdict);
    for (const secret of [TOKEN, NEXT_TOKEN, signature]) expect(text).not.toContain(secret);
  });
});

describe('twilioScheme: a JSON body and its bodySHA256', () => {
  const body = '{"MessageSid":"SM1f0e8ae6ade43cb3c0ce4525424e404f","MessageStatus":"delivered"}';

  function json(raw: string, signature: string): WebhookRequest {
    const bodySHA256 = twilio.getExpectedBodyHash(body);
    return {
      ...post({}, signature),
      headers: { 'content-type': 'application/json', 'x-twilio-signature': signature },
      rawBody: Buffer.from(raw),
      query: { bodySHA256 },
    };
  }

  const signedUrl = `${URL}?bodySHA256=${twilio.getExpectedBodyHash(body)}`;
  const signature = twilio.getExpectedTwilioSignature(TOKEN, signedUrl, {});

  it('accepts the body Twilio hashed, under the URL that carries the hash', () => {
    expect(twilio.validateRequestWithBody(TOKEN, signature, signedUrl, body)).toBe(true);
    expect(twilioScheme.verify(json(body, signature), OPTIONS)).toEqual({ ok: true });
  });

  it('refuses a body altered by one byte, though the URL and signature are intact', () => {
    const altered = body.replace('delivered', 'delivereD');
    expect(twilio.validateRequestWithBody(TOKEN, signature, signedUrl, altered)).toBe(false);
    expect(twilioScheme.verify(json(altered, signature), OPTIONS)).toEqual({
      ok: false,
      code: 'BAD_SIGNATURE',
      message: 'the body does not match its bodySHA256 query parameter',
    });
  });

  it('takes the hash from the URL when the channel has no configured url', () => {
    expect(twilioScheme.verify({ ...json(body, signature), url: signedUrl }, OPTIONS)).toEqual({
      ok: true,
    });
  });

  it('refuses a JSON body without its hash, though the bare URL is genuinely signed', () => {
    // A signature of the URL alone exists wherever Twilio called it without a body: it must not
    // authorise any body posted beside it.
    const bare = twilio.getExpectedTwilioSignature(TOKEN, URL, {});
    const unhashed = { ...json(body, bare), query: {} };
    expect(twilioScheme.verify(unhashed, OPTIONS)).toEqual({
      ok: false,
      code: 'BAD_SIGNATURE',
      message:
        'a body that is not a form is signed only through its bodySHA256 query parameter, which is missing',
    });
  });

  it('refuses a wrong token over the right hash', () => {
    const wrong = twilio.getExpectedTwilioSignature(
      'ffffffffffffffffffffffffffffffff',
      signedUrl,
      {},
    );
    expect(twilioScheme.verify(json(body, wrong), OPTIONS).ok).toBe(false);
  });
});

describe('TwilioOptionsSchema', () => {
  it('takes one or two tokens, and nothing else (the url is the channel’s, not the scheme’s)', () => {
    expect(TwilioOptionsSchema.safeParse({ secrets: [TOKEN] }).success).toBe(true);
    for (const options of [
      { secrets: [] },
      { secrets: [TOKEN, NEXT_TOKEN, TOKEN] },
      {},
      { secrets: [TOKEN], authToken: TOKEN },
    ]) {
      expect(TwilioOptionsSchema.safeParse(options).success).toBe(false);
    }
  });
});
