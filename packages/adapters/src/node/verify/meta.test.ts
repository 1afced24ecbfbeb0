import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { metaScheme, MetaOptionsSchema, type MetaOptions } from './meta.js';
import type { WebhookRequest } from './scheme.js';

/**
 * Meta publishes no library that signs webhooks, and its documentation gives no secret with a
 * digest, so the fixed vectors below are Meta's documented sample payloads signed by an
 * implementation nobody here wrote: `printf '%s' '<payload>' | openssl dgst -sha256 -hmac
 * '<secret>'` (OpenSSL 3). The handshake is the sample verification request of the same page.
 */

const SECRET = '6c1b0f3e9d8a4c27b5e2f91a07d3c864';
const NEXT_SECRET = '9e2d4a61c0b8f7e35d1a6c2b4f90e387';
const OPTIONS: MetaOptions = { secrets: [SECRET], verifyToken: 'meatyhamhock' };

/**
 * developers.facebook.com/docs/graph-api/webhooks/getting-started, "Event Notifications", the
 * sample payload (a User's photo updated), as Meta sends it: compact.
 */
const DOCS_SAMPLE =
  '{"entry":[{"time":1520383571,"changes":[{"field":"photos","value":{"verb":"update","object_id":"10211885744794461"}}],"id":"10210299214172187","uid":"10210299214172187"}],"object":"user"}';
const DOCS_SAMPLE_SIGNATURE =
  'sha256=ff3f628d29292caef6679af710b58f5129f6ae569cee0a62e511f1ba2151c380';

/** Meta signs "an escaped unicode version of the payload": the bytes it sends, escapes and all. */
const ESCAPED =
  '{"object":"page","entry":[{"id":"1234567890","time":1714557600000,"messaging":[{"sender":{"id":"7201954361234567"},"recipient":{"id":"1234567890"},"timestamp":1714557599000,"message":{"mid":"m_esc","text":"Gr\\u00fc\\u00dfe"}}]}]}';
const ESCAPED_SIGNATURE = 'sha256=edce7cc33e8377f5f785739cd1d4d089463a4ae201c6cde362dbf83508d00710';

function post(body: string, signature?: string): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://rapport.example.com/v1/channels/meta',
    headers: {
      'content-type': 'application/json',
      ...(signature !== undefined && { 'x-hub-signature-256': signature }),
    },
    rawBody: Buffer.from(body),
    query: {},
    now: Date.parse('2026-12-06T09:00:00Z'),
  };
}

function get(query: Record<string, string>): WebhookRequest {
  return { ...post(''), method: 'GET', headers: {}, query };
}

const BAD = {
  ok: false,
  code: 'BAD_SIGNATURE',
  message: "X-Hub-Signature-256 does not match the channel's app secret",
};

describe('metaScheme: X-Hub-Signature-256', () => {
  it('accepts the documentation’s sample payload signed by OpenSSL', () => {
    expect(metaScheme.verify(post(DOCS_SAMPLE, DOCS_SAMPLE_SIGNATURE), OPTIONS)).toEqual({
      ok: true,
    });
  });

  it('verifies the raw bytes Meta sent, \\u escapes included, not a re-serialised body', () => {
    expect(metaScheme.verify(post(ESCAPED, ESCAPED_SIGNATURE), OPTIONS)).toEqual({ ok: true });
    const reserialised = JSON.stringify(JSON.parse(ESCAPED));
    expect(reserialised).toContain('Grüße');
    expect(metaScheme.verify(post(reserialised, ESCAPED_SIGNATURE), OPTIONS)).toEqual(BAD);
  });

  it('accepts either app secret during a reset', () => {
    const rotating = { ...OPTIONS, secrets: [NEXT_SECRET, SECRET] };
    expect(metaScheme.verify(post(DOCS_SAMPLE, DOCS_SAMPLE_SIGNATURE), rotating).ok).toBe(true);
    const byNext = `sha256=${createHmac('sha256', NEXT_SECRET).update(DOCS_SAMPLE).digest('hex')}`;
    expect(metaScheme.verify(post(DOCS_SAMPLE, byNext), rotating).ok).toBe(true);
    expect(metaScheme.verify(post(DOCS_SAMPLE, byNext), OPTIONS)).toEqual(BAD);
  });

  it('refuses a wrong secret and a body altered by one byte', () => {
    const wrong = { ...OPTIONS, secrets: [NEXT_SECRET] };
    expect(metaScheme.verify(post(DOCS_SAMPLE, DOCS_SAMPLE_SIGNATURE), wrong)).toEqual(BAD);
    const altered = DOCS_SAMPLE.replace('"update"', '"updatf"');
    expect(metaScheme.verify(post(altered, DOCS_SAMPLE_SIGNATURE), OPTIONS)).toEqual(BAD);
  });

  it('refuses a missing header, and a malformed one without decoding it', () => {
    expect(metaScheme.verify(post(DOCS_SAMPLE), OPTIONS)).toEqual({
      ok: false,
      code: 'MISSING_SIGNATURE',
      message: 'missing X-Hub-Signature-256 header',
    });
    for (const malformed of [
      `${DOCS_SAMPLE_SIGNATURE}zz`,
      DOCS_SAMPLE_SIGNATURE.replace('sha256=', 'sha1='),
      DOCS_SAMPLE_SIGNATURE.slice('sha256='.length),
    ]) {
      expect(metaScheme.verify(post(DOCS_SAMPLE, malformed), OPTIONS)).toEqual({
        ok: false,
        code: 'BAD_SIGNATURE',
        message: 'X-Hub-Signature-256 is not "sha256=" followed by 64 hex digits',
      });
    }
  });

  it('never puts the secret or the signature in a refusal', () => {
    const verdict = metaScheme.verify(post(`${DOCS_SAMPLE} `, DOCS_SAMPLE_SIGNATURE), OPTIONS);
    const text = JSON.stringify(verdict);
    expect(verdict.ok).toBe(false);
    for (const secret of [SECRET, DOCS_SAMPLE_SIGNATURE.slice(7)]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('metaScheme: the subscription handshake', () => {
  // The same page, "Verification Requests", its sample request.
  const docsRequest = {
    'hub.mode': 'subscribe',
    'hub.challenge': '1158201444',
    'hub.verify_token': 'meatyhamhock',
  };

  it('answers the challenge verbatim, as plain text, when the verify token matches', () => {
    expect(metaScheme.handshake?.(get(docsRequest), OPTIONS, false)).toEqual({
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      body: '1158201444',
    });
  });

  it('answers 403 to a wrong or missing token and to another mode, never echoing the challenge', () => {
    for (const query of [
      { ...docsRequest, 'hub.verify_token': 'meatyhamhocks' },
      { ...docsRequest, 'hub.verify_token': '' },
      { 'hub.mode': 'subscribe', 'hub.challenge': '1158201444' },
      { ...docsRequest, 'hub.mode': 'unsubscribe' },
    ]) {
      const answer = metaScheme.handshake?.(get(query), OPTIONS, false);
      expect(answer?.status).toBe(403);
      expect(answer?.body).not.toContain('1158201444');
      expect(answer?.body).not.toContain('meatyhamhock');
    }
  });

  it('answers 400 to a good token without a challenge', () => {
    const { 'hub.challenge': _challenge, ...query } = docsRequest;
    expect(metaScheme.handshake?.(get(query), OPTIONS, false)?.status).toBe(400);
  });

  it('leaves event notifications and other GETs alone', () => {
    expect(metaScheme.handshake?.(post(DOCS_SAMPLE, DOCS_SAMPLE_SIGNATURE), OPTIONS, true)).toBe(
      undefined,
    );
    expect(metaScheme.handshake?.(get({}), OPTIONS, false)).toBe(undefined);
  });
});

describe('MetaOptionsSchema', () => {
  it('takes one or two app secrets and a verify token', () => {
    expect(MetaOptionsSchema.safeParse(OPTIONS).success).toBe(true);
    for (const options of [
      { secrets: [SECRET] },
      { secrets: [], verifyToken: 'x' },
      { secrets: [SECRET], verifyToken: '' },
      { ...OPTIONS, verify_token: 'meatyhamhock' },
    ]) {
      expect(MetaOptionsSchema.safeParse(options).success).toBe(false);
    }
  });
});
