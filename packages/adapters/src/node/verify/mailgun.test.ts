import { createHmac } from 'node:crypto';
import { parseWith } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import routeReply from '../../samples/mailgun-route-reply.json' with { type: 'json' };
import webhooks from '../../samples/mailgun-webhooks.json' with { type: 'json' };
import { MailgunOptionsSchema, mailgunScheme } from './mailgun.js';
import type { WebhookRequest } from './scheme.js';

/**
 * Mailgun publishes no signing library; its documentation's worked example is the algorithm and
 * its reference code ("Securing Webhooks"), reproduced here as written there (Node.js sample).
 */
const documented = (signingKey: string, timestamp: string, token: string) =>
  createHmac('sha256', signingKey).update(timestamp.concat(token)).digest('hex');

const KEY = 'key-7e55ba35b11a7b2d5a0b5e1a1b3e1e23';
const NEXT = 'key-0c9f1b6e4a7d4e2b8f3a5c1d9e7b6a40';
const DOCS_TIMESTAMP = '1529006854';
const DOCS_TOKEN = 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0';

const options = (() => {
  const parsed = parseWith(MailgunOptionsSchema, { secrets: [KEY, NEXT] });
  if (!parsed.ok) throw new Error('options');
  return parsed.value;
})();

function requestOf(body: string, contentType: string, now: number): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://rapport.example.com/v1/channels/mailgun',
    headers: { 'content-type': contentType },
    rawBody: Buffer.from(body),
    query: {},
    now,
  };
}

/** A webhook as Mailgun posts it: JSON, the signature beside the event. */
function webhook(key: string, timestamp: string, token = DOCS_TOKEN) {
  const signature = { timestamp, token, signature: documented(key, timestamp, token) };
  return JSON.stringify({ signature, 'event-data': webhooks[1]!['event-data'] });
}

const AT_DOCS = Number(DOCS_TIMESTAMP) * 1000;
const verdictOf = (body: string, now = AT_DOCS, contentType = 'application/json') =>
  mailgunScheme.verify(requestOf(body, contentType, now), options);

describe('mailgunScheme', () => {
  it('computes what the documentation’s own code computes', () => {
    // The documentation's Python sample (hmac.new(key, f"{timestamp}{token}", sha256)) gives this.
    expect(documented(KEY, DOCS_TIMESTAMP, DOCS_TOKEN)).toBe(
      '161fcbd1c9450090e053df851f394a697a02f67be574837e7662bcfe8efe7e53',
    );
    expect(verdictOf(webhook(KEY, DOCS_TIMESTAMP))).toEqual({
      ok: true,
      replay: { key: DOCS_TOKEN, ttlMs: 600_000 },
    });
  });

  it('accepts either key of a rotation, and a subaccount’s parent signature', () => {
    expect(verdictOf(webhook(NEXT, DOCS_TIMESTAMP))).toMatchObject({ ok: true });
    const parent = JSON.stringify({
      signature: {
        timestamp: DOCS_TIMESTAMP,
        token: DOCS_TOKEN,
        signature: documented('key-of-the-subaccount', DOCS_TIMESTAMP, DOCS_TOKEN),
        'parent-signature': documented(KEY, DOCS_TIMESTAMP, DOCS_TOKEN),
      },
      'event-data': {},
    });
    expect(verdictOf(parent)).toMatchObject({ ok: true });
  });

  it('accepts a timestamp written as a number, as Mailgun’s table types it', () => {
    const body = JSON.stringify({
      signature: {
        timestamp: Number(DOCS_TIMESTAMP),
        token: DOCS_TOKEN,
        signature: documented(KEY, DOCS_TIMESTAMP, DOCS_TOKEN),
      },
    });
    expect(verdictOf(body)).toMatchObject({ ok: true });
  });

  it('refuses another key, a changed timestamp or token, and a malformed signature', () => {
    expect(verdictOf(webhook('key-not-ours', DOCS_TIMESTAMP))).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
    });
    const genuine = webhook(KEY, DOCS_TIMESTAMP);
    for (const altered of [
      genuine.replace(DOCS_TIMESTAMP, '1529006855'),
      genuine.replace(DOCS_TOKEN, `${DOCS_TOKEN.slice(0, -1)}1`),
      genuine.replace(/"signature":"[0-9a-f]+"/, '"signature":"zz"'),
    ]) {
      expect(verdictOf(altered, AT_DOCS)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    }
  });

  it('keeps the token as the replay key, since the event itself is not signed', () => {
    // Mailgun signs the timestamp and token only: a changed event verifies, and the gateway
    // refuses it as a replay of the token once the genuine request has arrived.
    const genuine = webhook(KEY, DOCS_TIMESTAMP);
    const changed = genuine.replace('john@example.com', 'jane@example.com');
    expect(verdictOf(changed)).toEqual(verdictOf(genuine));
  });

  it('refuses a genuine request signed longer ago, or further ahead, than the tolerance', () => {
    const body = webhook(KEY, DOCS_TIMESTAMP);
    expect(verdictOf(body, AT_DOCS + 299_000)).toMatchObject({ ok: true });
    expect(verdictOf(body, AT_DOCS + 301_000)).toMatchObject({
      ok: false,
      code: 'STALE_SIGNATURE',
    });
    expect(verdictOf(body, AT_DOCS - 301_000)).toMatchObject({ code: 'STALE_SIGNATURE' });
  });

  it('refuses a body without a signature', () => {
    for (const body of [
      JSON.stringify({ 'event-data': webhooks[1]!['event-data'] }),
      JSON.stringify({ signature: { timestamp: DOCS_TIMESTAMP, token: DOCS_TOKEN } }),
      'not json',
      '',
    ]) {
      expect(verdictOf(body)).toMatchObject({ ok: false, code: 'MISSING_SIGNATURE' });
    }
  });

  it('verifies a route’s forwarded message (a form)', () => {
    // The recorded route post is signed with this key (its `signature` field).
    const routeOptions = { secrets: ['sample-signing-key'], toleranceSeconds: 300 };
    const now = Number(routeReply.timestamp) * 1000;
    const form = new URLSearchParams(routeReply).toString();
    const urlencoded = requestOf(form, 'application/x-www-form-urlencoded', now);
    expect(mailgunScheme.verify(urlencoded, routeOptions)).toMatchObject({
      ok: true,
      replay: { key: routeReply.token },
    });

    const tampered = form.replace(routeReply.token, 'b'.repeat(50));
    expect(
      mailgunScheme.verify(
        requestOf(tampered, 'application/x-www-form-urlencoded', now),
        routeOptions,
      ),
    ).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    const unsigned = form.replace(/&?signature=[0-9a-f]+/, '');
    expect(
      mailgunScheme.verify(
        requestOf(unsigned, 'application/x-www-form-urlencoded', now),
        routeOptions,
      ),
    ).toMatchObject({ ok: false, code: 'MISSING_SIGNATURE' });
  });

  it('never quotes a key or the signature in its messages', () => {
    const body = webhook('key-not-ours', DOCS_TIMESTAMP);
    const verdict = verdictOf(body);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) {
      expect(verdict.message).not.toMatch(/[0-9a-f]{64}/);
      expect(verdict.message).not.toContain(KEY);
    }
  });

  it('takes one or two signing keys', () => {
    expect(parseWith(MailgunOptionsSchema, { secrets: [] }).ok).toBe(false);
    expect(parseWith(MailgunOptionsSchema, { secrets: ['a', 'b', 'c'] }).ok).toBe(false);
    expect(parseWith(MailgunOptionsSchema, { secret: KEY }).ok).toBe(false);
  });
});
