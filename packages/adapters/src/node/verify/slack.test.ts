import { createHmac } from 'node:crypto';
import { verifySlackRequest } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { signedRequestKey } from './freshness.js';
import type { Verdict, WebhookRequest } from './scheme.js';
import { slackScheme, SlackOptionsSchema } from './slack.js';

const SECRET = 'slack-signing-secret';
const NEXT = 'slack-signing-secret-rotated';
const OPTIONS = SlackOptionsSchema.parse({ secrets: [SECRET, NEXT] });
const NOW = Date.parse('2024-05-01T12:00:00Z');
const BODY = JSON.stringify({
  type: 'event_callback',
  team_id: 'T061EG9R6',
  event_id: 'Ev0PV52K21',
  event: { type: 'message', user: 'U2147483697', text: 'Hello', ts: '1714564800.000100' },
});

/** How Slack signs: `v0=` and the hex HMAC-SHA256 of `v0:<timestamp>:<body>`. */
function signed(secret = SECRET, body = BODY, sentAt = NOW) {
  const timestamp = String(Math.floor(sentAt / 1000));
  const digest = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': timestamp };
}

function request(headers: Record<string, string>, body = BODY, now = NOW): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://rapport.example/v1/channels/slack',
    headers,
    rawBody: Buffer.from(body),
    query: {},
    now,
  };
}

const verify = (headers: Record<string, string>, body = BODY, now = NOW) =>
  slackScheme.verify(request(headers, body, now), OPTIONS);

const refusal = (verdict: Verdict) => (verdict.ok ? undefined : verdict.code);

/** Slack's own check, from its official Bolt framework: throws what it refuses. */
function bolt(headers: Record<string, string>, body = BODY, now = NOW, secret = SECRET) {
  verifySlackRequest({
    signingSecret: secret,
    body,
    headers: {
      'x-slack-signature': headers['x-slack-signature'] as string,
      'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
    },
    nowMilliseconds: now,
  });
}

describe('slackScheme (X-Slack-Signature v0)', () => {
  /**
   * The worked example of "Verifying requests from Slack" (docs.slack.dev/authentication/
   * verifying-requests-from-slack): a slash command signed at 1531420618 with the signing secret
   * 8f742231b10e8888abcd99yyyzzz85a5.
   */
  it('names a copy by what was signed, however its signature is spelled', () => {
    const body = '{"type":"event_callback","event_id":"Ev1"}';
    const timestamp = '1531420618';
    const hex = createHmac('sha256', 'a-signing-secret-of-slack')
      .update(`v0:${timestamp}:${body}`)
      .digest('hex');
    const options = SlackOptionsSchema.parse({ secrets: ['a-signing-secret-of-slack'] });
    const verdictWith = (signature: string) =>
      slackScheme.verify(
        request(
          { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
          body,
          1_531_420_618_000,
        ),
        options,
      );
    const lower = verdictWith(`v0=${hex}`);
    const upper = verdictWith(`v0=${hex.toUpperCase()}`);
    expect(lower.ok && upper.ok).toBe(true);
    expect(lower.ok && lower.replay?.key).toBe(upper.ok && upper.replay?.key);
  });

  it("accepts the docs' worked example", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = {
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    };
    const options = SlackOptionsSchema.parse({ secrets: ['8f742231b10e8888abcd99yyyzzz85a5'] });
    expect(slackScheme.verify(request(headers, body, 1_531_420_618_000), options)).toEqual({
      ok: true,
      replay: { key: signedRequestKey('1531420618', Buffer.from(body)), ttlMs: 600_000 },
    });
  });

  it("accepts what Slack's Bolt accepts, under either secret during a rotation", () => {
    for (const secret of [SECRET, NEXT]) {
      const headers = signed(secret);
      expect(() => bolt(headers, BODY, NOW, secret)).not.toThrow();
      expect(verify(headers).ok).toBe(true);
    }
  });

  it('refuses what Bolt refuses: a wrong secret, a body changed by one byte', () => {
    const wrong = signed('wrong');
    expect(() => bolt(wrong)).toThrow(/signature mismatch/);
    expect(refusal(verify(wrong))).toBe('BAD_SIGNATURE');

    const altered = BODY.replace('Hello', 'Jello');
    expect(() => bolt(signed(), altered)).toThrow(/signature mismatch/);
    expect(refusal(verify(signed(), altered))).toBe('BAD_SIGNATURE');
  });

  it('refuses what Bolt refuses: a timestamp more than 5 minutes old, as stale', () => {
    const old = signed(SECRET, BODY, NOW - 301_000);
    expect(() => bolt(old)).toThrow(/stale/);
    expect(verify(old)).toEqual({
      ok: false,
      code: 'STALE_SIGNATURE',
      message:
        "X-Slack-Request-Timestamp is 301 s behind the gateway's clock; at most 300 s either way is accepted",
    });
    const edge = signed(SECRET, BODY, NOW - 300_000);
    expect(() => bolt(edge)).not.toThrow();
    expect(verify(edge).ok).toBe(true);
  });

  it('refuses a timestamp more than 5 minutes ahead too, which Bolt lets through', () => {
    const ahead = signed(SECRET, BODY, NOW + 301_000);
    expect(() => bolt(ahead)).not.toThrow();
    expect(refusal(verify(ahead))).toBe('STALE_SIGNATURE');
  });

  it('refuses what Bolt refuses: a missing signature or timestamp', () => {
    const { 'x-slack-signature': _signature, ...noSignature } = signed();
    const { 'x-slack-request-timestamp': _timestamp, ...noTimestamp } = signed();
    for (const headers of [noSignature, noTimestamp]) {
      expect(() => bolt(headers)).toThrow();
      expect(refusal(verify(headers))).toBe('MISSING_SIGNATURE');
    }
  });

  it('refuses a malformed signature or timestamp, even one that decodes to the right digest', () => {
    const headers = signed();
    for (const malformed of [
      `${headers['x-slack-signature']}00`,
      headers['x-slack-signature'].replace('v0=', 'v1='),
    ]) {
      expect(() => bolt({ ...headers, 'x-slack-signature': malformed })).toThrow();
      expect(refusal(verify({ ...headers, 'x-slack-signature': malformed }))).toBe('BAD_SIGNATURE');
    }
    const iso = { ...headers, 'x-slack-request-timestamp': '2024-05-01T12:00:00Z' };
    expect(verify(iso)).toMatchObject({ message: 'X-Slack-Request-Timestamp is not unix seconds' });
  });

  it('never puts the secret or the signature presented in a message', () => {
    const wrong = signed('wrong');
    const stale = signed(SECRET, BODY, NOW - 3_600_000);
    for (const headers of [wrong, stale]) {
      const verdict = JSON.stringify(verify(headers));
      expect(verdict).not.toContain(SECRET);
      expect(verdict).not.toContain(headers['x-slack-signature'].slice(3));
    }
  });

  it('takes one or two secrets, a whole tolerance in seconds, and nothing it does not know', () => {
    expect(SlackOptionsSchema.parse({ secrets: ['a'] })).toEqual({
      secrets: ['a'],
      toleranceSeconds: 300,
    });
    expect(SlackOptionsSchema.safeParse({ secrets: [] }).success).toBe(false);
    expect(SlackOptionsSchema.safeParse({ secrets: ['a', 'b', 'c'] }).success).toBe(false);
    expect(SlackOptionsSchema.safeParse({ secrets: ['a'], toleranceSeconds: 1.5 }).success).toBe(
      false,
    );
    expect(SlackOptionsSchema.safeParse({ secrets: ['a'], signingSecret: 'a' }).success).toBe(
      false,
    );
  });
});

describe('slackScheme.handshake (url_verification)', () => {
  /** The check as "Using the Slack Events API" shows it. */
  const CHECK = JSON.stringify({
    token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
    challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    type: 'url_verification',
  });
  const handshake = (body: string, verified = true) =>
    slackScheme.handshake?.(request(signed(SECRET, body), body), OPTIONS, verified);

  it('answers a verified check with its challenge, in plain text', () => {
    expect(verify(signed(SECRET, CHECK), CHECK).ok).toBe(true);
    expect(handshake(CHECK)).toEqual({
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      body: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    });
  });

  it('answers nothing unverified, and nothing to an event or a form', () => {
    expect(handshake(CHECK, false)).toBeUndefined();
    expect(handshake(BODY)).toBeUndefined();
    expect(handshake('payload=%7B%22type%22%3A%22url_verification%22%7D')).toBeUndefined();
    expect(handshake(JSON.stringify({ type: 'url_verification' }))).toBeUndefined();
  });
});
