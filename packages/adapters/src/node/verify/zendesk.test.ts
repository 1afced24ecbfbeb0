import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedRequestKey } from './freshness.js';
import type { Verdict, WebhookRequest } from './scheme.js';
import { zendeskScheme, ZendeskOptionsSchema } from './zendesk.js';

/**
 * The worked example of Zendesk's "Verifying webhook authenticity" page
 * (developer.zendesk.com/documentation/event-connectors/webhooks/verifying/): signing secret
 * `HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=`, body `{"say": "hello"}`, timestamp
 * `2021-07-25T10:00:00Z`, published signature `tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw=`.
 *
 * That published signature is the HMAC of BODY + TIMESTAMP, the order the page stated when it was
 * written. The page now states `base64(HMACSHA256(TIMESTAMP + BODY))`, which is what Zendesk sends
 * and what every verifier in use computes; the example was never updated. So the scheme follows
 * the formula, and the example's inputs are checked against the formula's digest, computed apart
 * from this code: `printf '%s' '2021-07-25T10:00:00Z{"say": "hello"}' | openssl dgst -sha256
 * -hmac 'HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=' -binary | base64`.
 */
const EXAMPLE = {
  secret: 'HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=',
  body: '{"say": "hello"}',
  timestamp: '2021-07-25T10:00:00Z',
  published: 'tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw=',
  timestampThenBody: 'Rry/4TtIdFyawtXXp8QdI6tlAUUQ/5kL1OTp5qo/ZIk=',
};
const SENT = Date.parse(EXAMPLE.timestamp);

const SECRET = 'zendesk-signing-secret';
const NEXT = 'zendesk-signing-secret-rotated';
const OPTIONS = ZendeskOptionsSchema.parse({ secrets: [SECRET, NEXT] });
const BODY = '{"type":"zen:event-type:ticket.created","id":"e-1"}';

const sign = (secret: string, timestamp: string, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}${body}`).digest('base64');

function request(headers: Record<string, string>, body = BODY, now = SENT): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://rapport.example/v1/channels/zendesk',
    headers,
    rawBody: Buffer.from(body),
    query: {},
    now,
  };
}

function signed(secret = SECRET, body = BODY, timestamp = EXAMPLE.timestamp) {
  return {
    'x-zendesk-webhook-signature': sign(secret, timestamp, body),
    'x-zendesk-webhook-signature-timestamp': timestamp,
  };
}

const verify = (headers: Record<string, string>, body = BODY, now = SENT) =>
  zendeskScheme.verify(request(headers, body, now), OPTIONS);

const refusal = (verdict: Verdict) => (verdict.ok ? undefined : verdict.code);

describe('zendeskScheme (X-Zendesk-Webhook-Signature)', () => {
  const example = ZendeskOptionsSchema.parse({ secrets: [EXAMPLE.secret] });
  const exampleRequest = (signature: string) =>
    request(
      {
        'x-zendesk-webhook-signature': signature,
        'x-zendesk-webhook-signature-timestamp': EXAMPLE.timestamp,
      },
      EXAMPLE.body,
    );

  it("accepts the docs' worked example signed as the docs' formula says: timestamp, then body", () => {
    expect(zendeskScheme.verify(exampleRequest(EXAMPLE.timestampThenBody), example)).toEqual({
      ok: true,
      replay: {
        key: signedRequestKey(EXAMPLE.timestamp, Buffer.from(EXAMPLE.body)),
        ttlMs: 600_000,
      },
    });
  });

  it("refuses the example's published signature, made over body then timestamp", () => {
    const bodyThenTimestamp = createHmac('sha256', EXAMPLE.secret)
      .update(`${EXAMPLE.body}${EXAMPLE.timestamp}`)
      .digest('base64');
    expect(bodyThenTimestamp).toBe(EXAMPLE.published);
    expect(refusal(zendeskScheme.verify(exampleRequest(EXAMPLE.published), example))).toBe(
      'BAD_SIGNATURE',
    );
  });

  it('accepts either secret during a rotation', () => {
    expect(verify(signed(SECRET)).ok).toBe(true);
    expect(verify(signed(NEXT)).ok).toBe(true);
  });

  it('refuses a wrong secret, a body or a timestamp changed by one byte, a malformed header', () => {
    expect(refusal(verify(signed('wrong')))).toBe('BAD_SIGNATURE');
    expect(refusal(verify(signed(), BODY.replace('e-1', 'e-2')))).toBe('BAD_SIGNATURE');
    const moved = { ...signed(), 'x-zendesk-webhook-signature-timestamp': '2021-07-25T10:00:01Z' };
    expect(refusal(verify(moved))).toBe('BAD_SIGNATURE');
    const signature = sign(SECRET, EXAMPLE.timestamp, BODY);
    for (const malformed of [`${signature}AA`, signature.slice(1), `sha256=${signature}`]) {
      const headers = { ...signed(), 'x-zendesk-webhook-signature': malformed };
      expect(refusal(verify(headers))).toBe('BAD_SIGNATURE');
    }
    const unix = { ...signed(), 'x-zendesk-webhook-signature-timestamp': '1627207200' };
    expect(verify(unix)).toMatchObject({
      code: 'BAD_SIGNATURE',
      message: 'X-Zendesk-Webhook-Signature-Timestamp is not an RFC 3339 instant',
    });
  });

  it('refuses a request without either header as missing', () => {
    const { 'x-zendesk-webhook-signature': _signature, ...noSignature } = signed();
    const { 'x-zendesk-webhook-signature-timestamp': _timestamp, ...noTimestamp } = signed();
    expect(refusal(verify(noSignature))).toBe('MISSING_SIGNATURE');
    expect(refusal(verify(noTimestamp))).toBe('MISSING_SIGNATURE');
    expect(refusal(verify({}))).toBe('MISSING_SIGNATURE');
  });

  it('accepts a timestamp up to 5 minutes either side of the clock, and refuses one beyond as stale', () => {
    expect(verify(signed(), BODY, SENT + 300_000).ok).toBe(true);
    expect(verify(signed(), BODY, SENT - 300_000).ok).toBe(true);
    expect(verify(signed(), BODY, SENT + 300_001)).toEqual({
      ok: false,
      code: 'STALE_SIGNATURE',
      message:
        "X-Zendesk-Webhook-Signature-Timestamp is 300 s behind the gateway's clock; at most 300 s either way is accepted",
    });
    expect(refusal(verify(signed(), BODY, SENT - 300_001))).toBe('STALE_SIGNATURE');
    const wide = ZendeskOptionsSchema.parse({ secrets: [SECRET], toleranceSeconds: 900 });
    expect(zendeskScheme.verify(request(signed(), BODY, SENT + 600_000), wide).ok).toBe(true);
  });

  it('remembers a fresh request only while it could still be replayed', () => {
    const verdict = verify(signed(), BODY, SENT + 299_000);
    expect(verdict.ok && verdict.replay?.ttlMs).toBe(301_000);
  });

  it('never puts the secret or the signature presented in a message', () => {
    const cases = [
      [signed('wrong'), SENT],
      [signed(), SENT + 10_000_000],
    ] as const;
    for (const [headers, now] of cases) {
      const verdict = JSON.stringify(verify(headers, BODY, now));
      expect(verdict).not.toContain(SECRET);
      expect(verdict).not.toContain(headers['x-zendesk-webhook-signature']);
    }
  });

  it('takes one or two secrets, a whole tolerance in seconds, and nothing it does not know', () => {
    expect(ZendeskOptionsSchema.parse({ secrets: ['a'] })).toEqual({
      secrets: ['a'],
      toleranceSeconds: 300,
    });
    expect(ZendeskOptionsSchema.safeParse({ secrets: [] }).success).toBe(false);
    expect(ZendeskOptionsSchema.safeParse({ secrets: ['a', 'b', 'c'] }).success).toBe(false);
    expect(ZendeskOptionsSchema.safeParse({ secrets: ['a'], toleranceSeconds: 0 }).success).toBe(
      false,
    );
    expect(ZendeskOptionsSchema.safeParse({ secrets: ['a'], tolerance: 60 }).success).toBe(false);
  });
});
