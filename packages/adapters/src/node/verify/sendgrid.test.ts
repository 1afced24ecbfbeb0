import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import sendgrid from '@sendgrid/eventwebhook';
import { parseWith } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import sample from '../../samples/sendgrid-events.json' with { type: 'json' };
import type { WebhookRequest } from './scheme.js';
import { SendGridOptionsSchema, sendgridScheme } from './sendgrid.js';

const { EventWebhook, EventWebhookHeader } = sendgrid;
const library = new EventWebhook();

const SIGNATURE = EventWebhookHeader.SIGNATURE().toLowerCase();
const TIMESTAMP = EventWebhookHeader.TIMESTAMP().toLowerCase();

/** A key pair like the one SendGrid makes, and its public half as SendGrid shows it. */
function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKey,
    shown: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}
const current = keyPair();
const next = keyPair();
const wrong = keyPair();

const NOW = Date.parse('2024-05-01T12:00:00Z');
// SendGrid posts a JSON array, one event per line, ending in CRLF.
const BODY = `[${sample.map((event) => JSON.stringify(event)).join(',\r\n')}]\r\n`;

/** Signed as SendGrid documents: ECDSA with SHA-256 over the timestamp header, then the body. */
function signed(privateKey: KeyObject, body = BODY, seconds = Math.floor(NOW / 1000)) {
  const timestamp = String(seconds);
  const signature = sign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64');
  return { body, timestamp, signature };
}

function requestOf(
  { body, timestamp, signature }: ReturnType<typeof signed>,
  now = NOW,
): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://rapport.example.com/v1/channels/sendgrid',
    headers: { 'content-type': 'application/json', [SIGNATURE]: signature, [TIMESTAMP]: timestamp },
    rawBody: Buffer.from(body),
    query: {},
    now,
  };
}

function optionsOf(raw: unknown) {
  const parsed = parseWith(SendGridOptionsSchema, raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

const options = optionsOf({ publicKeys: [current.shown, next.shown] });
const verdictOf = (request: WebhookRequest, using = options) =>
  sendgridScheme.verify(request, using);

/** What SendGrid's own library says of a request, with the key as SendGrid shows it. */
function libraryAccepts(shown: string, { body, timestamp, signature }: ReturnType<typeof signed>) {
  return library.verifySignature(
    library.convertPublicKeyToECDSA(shown),
    body,
    signature,
    timestamp,
  );
}

describe('sendgridScheme', () => {
  it('accepts what SendGrid’s library accepts, under either key of a rotation', () => {
    for (const { privateKey, shown } of [current, next]) {
      const request = signed(privateKey);
      expect(libraryAccepts(shown, request)).toBe(true);
      expect(verdictOf(requestOf(request))).toMatchObject({ ok: true });
    }
  });

  it('accepts the request SendGrid signed in its library’s own test', () => {
    // @sendgrid/eventwebhook's eventwebhook.spec.js: a real SendGrid key, signature and payload.
    const shown =
      'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==';
    const recorded = {
      timestamp: '1600112502',
      signature:
        'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=',
      body: `${JSON.stringify([
        {
          email: 'hello@world.com',
          event: 'dropped',
          reason: 'Bounced Address',
          sg_event_id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
          sg_message_id:
            'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
          'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
          timestamp: 1600112492,
        },
      ])}\r\n`,
    };
    expect(libraryAccepts(shown, recorded)).toBe(true);
    const request = requestOf(recorded, 1600112502_000 + 30_000);
    expect(verdictOf(request, optionsOf({ publicKeys: [shown] }))).toMatchObject({ ok: true });
  });

  it('refuses what SendGrid’s library refuses: another key, one byte changed', () => {
    const byWrongKey = signed(wrong.privateKey);
    expect(libraryAccepts(current.shown, byWrongKey)).toBe(false);
    expect(verdictOf(requestOf(byWrongKey))).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });

    const good = signed(current.privateKey);
    const altered = { ...good, body: good.body.replace('"cus_42"', '"cus_43"') };
    expect(libraryAccepts(current.shown, altered)).toBe(false);
    expect(verdictOf(requestOf(altered))).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });

    const otherTime = { ...good, timestamp: String(Number(good.timestamp) + 1) };
    expect(libraryAccepts(current.shown, otherTime)).toBe(false);
    expect(verdictOf(requestOf(otherTime))).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });

  it('refuses a genuine request signed longer ago, or further ahead, than the tolerance', () => {
    const minutesAgo = (minutes: number) =>
      requestOf(signed(current.privateKey, BODY, Math.floor(NOW / 1000) - minutes * 60));
    expect(verdictOf(minutesAgo(4))).toMatchObject({ ok: true });
    const stale = verdictOf(minutesAgo(6));
    expect(stale).toMatchObject({ ok: false, code: 'STALE_SIGNATURE' });
    expect(verdictOf(minutesAgo(-6))).toMatchObject({ ok: false, code: 'STALE_SIGNATURE' });
    const patient = optionsOf({ publicKeys: [current.shown], toleranceSeconds: 600 });
    expect(verdictOf(minutesAgo(6), patient)).toMatchObject({ ok: true });
  });

  it('refuses a request without its headers, or with malformed ones', () => {
    const good = requestOf(signed(current.privateKey));
    const without = (name: string) =>
      verdictOf({ ...good, headers: { ...good.headers, [name]: undefined } });
    expect(without(SIGNATURE)).toMatchObject({ ok: false, code: 'MISSING_SIGNATURE' });
    expect(without(TIMESTAMP)).toMatchObject({ ok: false, code: 'MISSING_SIGNATURE' });
    const withHeader = (name: string, value: string) =>
      verdictOf({ ...good, headers: { ...good.headers, [name]: value } });
    expect(withHeader(TIMESTAMP, '1714564800.5')).toMatchObject({ code: 'BAD_SIGNATURE' });
    expect(withHeader(SIGNATURE, 'not base64!')).toMatchObject({ code: 'BAD_SIGNATURE' });
    expect(withHeader(SIGNATURE, Buffer.alloc(70, 1).toString('base64'))).toMatchObject({
      code: 'BAD_SIGNATURE',
    });
  });

  it('names a replay by what was signed, until the request would be stale', () => {
    const request = signed(current.privateKey);
    const first = verdictOf(requestOf(request));
    const again = verdictOf(requestOf(request, NOW + 60_000));
    expect(first.ok && again.ok && first.replay?.key === again.replay?.key).toBe(true);
    expect(first).toMatchObject({ ok: true, replay: { ttlMs: 600_000 } });
    const resigned = verdictOf(requestOf(signed(current.privateKey)));
    expect(resigned.ok && first.ok && resigned.replay?.key === first.replay?.key).toBe(true);
  });

  it('never quotes the signature or a key in its messages', () => {
    const request = signed(wrong.privateKey);
    const verdict = verdictOf(requestOf(request));
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) {
      expect(verdict.message).not.toContain(request.signature);
      expect(verdict.message).not.toContain(current.shown);
    }
  });

  it('takes the key as SendGrid shows it, or as PEM, and refuses any other', () => {
    const pem = `-----BEGIN PUBLIC KEY-----\n${current.shown}\n-----END PUBLIC KEY-----\n`;
    expect(parseWith(SendGridOptionsSchema, { publicKeys: [pem] }).ok).toBe(true);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const notP256 = [
      'c2VjcmV0',
      rsa.export({ format: 'der', type: 'spki' }).toString('base64'),
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
        .publicKey.export({ format: 'der', type: 'spki' })
        .toString('base64'),
    ];
    for (const key of notP256) {
      const parsed = parseWith(SendGridOptionsSchema, { publicKeys: [key] });
      expect(parsed).toMatchObject({ ok: false, issues: [{ path: 'publicKeys.0' }] });
      expect(JSON.stringify(parsed)).not.toContain(key);
    }
    expect(parseWith(SendGridOptionsSchema, { publicKeys: [] }).ok).toBe(false);
    expect(parseWith(SendGridOptionsSchema, { publicKey: current.shown }).ok).toBe(false);
  });
});
