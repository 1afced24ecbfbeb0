import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { parseWith } from '@rapport/schema';
import type { WebhookRequest } from './scheme.js';
import { stripeScheme } from './stripe.js';

const OLD = 'whsec_test_0ld5ecret0ld5ecret0ld5ecret';
const NEW = 'whsec_test_n3wSecretn3wSecretn3wSecret';
const NOW = Date.UTC(2026, 11, 6, 9, 0, 0);
const PAYLOAD = '{"id":"evt_1","type":"invoice.paid","data":{"object":{"amount_paid":4900}}}';
const options = stripeScheme.options.parse({ secrets: [OLD, NEW] });

/** Signed by Stripe's own library, as its test helper documents for webhook tests. */
const header = (secret: string, signedAtMs = NOW, payload = PAYLOAD) =>
  Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    timestamp: Math.floor(signedAtMs / 1000),
  });

function request(headers: Record<string, string>, body = PAYLOAD, now = NOW): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://rapport.example.com/v1/channels/billing',
    headers,
    rawBody: Buffer.from(body),
    query: {},
    now,
  };
}

const verify = (headers: Record<string, string>, body?: string, now?: number) =>
  stripeScheme.verify(request(headers, body, now), options);
const codeOf = (headers: Record<string, string>, body?: string, now?: number) => {
  const verdict = verify(headers, body, now);
  return verdict.ok ? 'ok' : verdict.code;
};

/** What Stripe's own verifier says of the same request: the reference this scheme must match. */
function stripeSays(signature: string, body = PAYLOAD, now = NOW): 'ok' | 'refused' {
  try {
    Stripe.webhooks.constructEvent(body, signature, OLD, 300, undefined, now);
    return 'ok';
  } catch {
    return 'refused';
  }
}

describe('the Stripe scheme', () => {
  it('accepts what Stripe’s library signs, with either secret of a rotation', () => {
    expect(verify({ 'stripe-signature': header(OLD) }).ok).toBe(true);
    expect(verify({ 'stripe-signature': header(NEW) }).ok).toBe(true);
    expect(stripeSays(header(OLD))).toBe('ok');
  });

  it('accepts any v1 of the header: Stripe signs with every secret of its own rotation', () => {
    const wrong = header('whsec_test_unknown').split(',v1=')[1] ?? '';
    const both = `${header(NEW)},v1=${wrong},v0=ignored`;
    expect(verify({ 'stripe-signature': both }).ok).toBe(true);
    expect(verify({ 'stripe-signature': `${header(NEW).split(',')[1]},t=${NOW / 1000}` }).ok).toBe(
      true,
    );
  });

  it('refuses a missing, malformed or wrong signature, and a body altered by one byte', () => {
    expect(codeOf({})).toBe('MISSING_SIGNATURE');
    expect(codeOf({ 'stripe-signature': ' ' })).toBe('MISSING_SIGNATURE');
    const signature = header(OLD);
    const [t = '', v1 = ''] = signature.split(',');
    for (const malformed of [v1, t, `${t},${t},${v1}`, `t=soon,${v1}`, 'garbage']) {
      expect(codeOf({ 'stripe-signature': malformed }), malformed).toBe('BAD_SIGNATURE');
    }
    expect(codeOf({ 'stripe-signature': header('whsec_test_unknown') })).toBe('BAD_SIGNATURE');
    const altered = PAYLOAD.replace('4900', '4901');
    expect(codeOf({ 'stripe-signature': signature }, altered)).toBe('BAD_SIGNATURE');
    expect(stripeSays(signature, altered)).toBe('refused');
    // Another spelling of the same digest is not Stripe's: compared as text, as Stripe does.
    expect(codeOf({ 'stripe-signature': signature.toUpperCase().replace('T=', 't=') })).toBe(
      'BAD_SIGNATURE',
    );
  });

  it('refuses a genuine signature older than five minutes, or as far ahead, as stale', () => {
    const limit = 300_000;
    expect(codeOf({ 'stripe-signature': header(OLD, NOW - limit) })).toBe('ok');
    expect(stripeSays(header(OLD, NOW - limit))).toBe('ok');
    expect(codeOf({ 'stripe-signature': header(OLD, NOW - limit - 1_000) })).toBe(
      'STALE_SIGNATURE',
    );
    expect(stripeSays(header(OLD, NOW - limit - 1_000))).toBe('refused');
    expect(codeOf({ 'stripe-signature': header(OLD, NOW + limit + 1_000) })).toBe(
      'STALE_SIGNATURE',
    );
    // A wrong signature is wrong whenever it was made.
    expect(codeOf({ 'stripe-signature': header('whsec_x', NOW - 3_600_000) })).toBe(
      'BAD_SIGNATURE',
    );
  });

  it('takes a channel’s own tolerance', () => {
    const strict = stripeScheme.options.parse({ secrets: [OLD], toleranceSeconds: 60 });
    const verdict = stripeScheme.verify(
      request({ 'stripe-signature': header(OLD, NOW - 61_000) }),
      strict,
    );
    expect(verdict.ok ? 'ok' : verdict.code).toBe('STALE_SIGNATURE');
  });

  it('names a request by its timestamp and body until it would be stale anyway, everywhere', () => {
    const signedAt = NOW - 100_000;
    const signature = header(NEW, signedAt);
    const first = verify({ 'stripe-signature': signature });
    const again = verify({ 'stripe-signature': signature }, PAYLOAD, NOW + 5_000);
    const resigned = verify({ 'stripe-signature': header(NEW, signedAt + 1_000) });
    expect(first.ok && first.replay?.key).toBe(again.ok && again.replay?.key);
    expect(first.ok && first.replay?.key).not.toBe(resigned.ok && resigned.replay?.key);
    // Kept a whole tolerance past the instant it turns stale, for gateways whose clocks lag.
    expect(first.ok && first.replay?.ttlMs).toBe(signedAt + 600_000 - NOW);
  });

  it('never quotes a secret or the signature it was given', () => {
    const signature = header('whsec_test_unknown');
    const cases = [{}, { 'stripe-signature': signature }, { 'stripe-signature': 'v1=abc' }];
    for (const headers of cases) {
      const verdict = verify(headers);
      expect(verdict.ok).toBe(false);
      const message = verdict.ok ? '' : verdict.message;
      for (const secret of [OLD, NEW, signature, signature.split('v1=')[1] ?? '', 'abc']) {
        expect(message).not.toContain(secret);
      }
    }
  });

  it('needs one or two secrets, and nothing it does not know', () => {
    const issues = (raw: unknown) => {
      const parsed = parseWith(stripeScheme.options, raw);
      return parsed.ok ? [] : parsed.issues.map((issue) => issue.path);
    };
    expect(issues({ secrets: [OLD] })).toEqual([]);
    expect(issues({ secrets: [] })).toEqual(['secrets']);
    expect(issues({ secrets: [OLD, NEW, 'whsec_third'] })).toEqual(['secrets']);
    expect(issues({ secrets: [OLD], secret: OLD, toleranceSeconds: 0 })).toEqual([
      'toleranceSeconds',
      'secret',
    ]);
  });
});
