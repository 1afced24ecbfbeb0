import { createHmac, timingSafeEqual } from 'node:crypto';
import { redactUrl } from '@rapport/config';
import type { Notification } from '../notification.js';
import { postJson } from './post.js';

export const SIGNATURE_HEADER = 'x-rapport-signature';
export const TIMESTAMP_HEADER = 'x-rapport-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * HMAC-SHA256 over `<timestamp>.<body>`, hex, prefixed `sha256=`. The timestamp (Unix seconds)
 * is signed too, so a receiver can refuse replays of an old request; the body is signed as the
 * exact bytes sent.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): constant-time check of a request's signature. */
export function verifyWebhook(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface WebhookDelivery {
  readonly url: string;
  readonly secret: string;
  readonly idempotencyKey: string;
  readonly notification: Notification;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * One attempt at the generic webhook: the notification as JSON, signed, with the idempotency
 * key; resolves with the status on 2xx, throws WebhookError otherwise.
 */
export function postWebhook(delivery: WebhookDelivery): Promise<number> {
  const body = JSON.stringify(delivery.notification);
  const timestamp = String(Math.floor(Date.now() / 1000));
  return postJson({
    target: `webhook ${redactUrl(delivery.url)}`,
    url: delivery.url,
    body,
    headers: {
      [IDEMPOTENCY_HEADER]: delivery.idempotencyKey,
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: signWebhook(delivery.secret, timestamp, body),
    },
    timeoutMs: delivery.timeoutMs,
    signal: delivery.signal,
  });
}
