import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** What a follow-up webhook receives (JSON body). */
export const NotificationSchema = z.object({
  type: z.enum(['followup.notify', 'followup.escalate']),
  followUpId: z.string(),
  customerId: z.string(),
  playbook: z.string(),
  /** The step's position in the playbook. */
  step: z.int().min(0),
  message: z.string(),
  trigger: z.string(),
  stage: z.string(),
  /** The instant of the drop that started the follow-up (ISO-8601). */
  dropAt: z.string(),
});
export type Notification = z.infer<typeof NotificationSchema>;

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

export type WebhookErrorCode =
  /** The receiver refused the request (4xx): the same request will be refused again. */
  | 'WEBHOOK_REJECTED'
  /** The receiver failed (5xx, 408, 429): worth retrying. */
  | 'WEBHOOK_FAILED'
  /** No answer (connection refused, timeout): worth retrying. */
  | 'WEBHOOK_UNREACHABLE';

export class WebhookError extends Error {
  readonly retriable: boolean;
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
    options: { readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'WebhookError';
    this.retriable = code !== 'WEBHOOK_REJECTED';
  }
}

/** 4xx means "your request is wrong", except these, which mean "not now". */
const RETRIABLE_CLIENT_ERRORS = new Set([408, 425, 429]);

export interface WebhookDelivery {
  readonly url: string;
  readonly secret: string;
  readonly idempotencyKey: string;
  readonly notification: Notification;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** One attempt; resolves with the status on 2xx, throws WebhookError otherwise. */
export async function postWebhook(delivery: WebhookDelivery): Promise<number> {
  const body = JSON.stringify(delivery.notification);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const timeout = AbortSignal.timeout(delivery.timeoutMs);
  let response: Response;
  try {
    response = await fetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [IDEMPOTENCY_HEADER]: delivery.idempotencyKey,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signWebhook(delivery.secret, timestamp, body),
      },
      body,
      signal: delivery.signal === undefined ? timeout : AbortSignal.any([timeout, delivery.signal]),
    });
  } catch (error) {
    throw new WebhookError('WEBHOOK_UNREACHABLE', `webhook ${delivery.url}: ${String(error)}`, {
      cause: error,
    });
  }
  // Read the answer fully so the connection can be reused, and to quote it in errors.
  const answer = (await response.text().catch(() => '')).slice(0, 200);
  if (response.ok) return response.status;
  const code =
    response.status >= 400 && response.status < 500 && !RETRIABLE_CLIENT_ERRORS.has(response.status)
      ? 'WEBHOOK_REJECTED'
      : 'WEBHOOK_FAILED';
  throw new WebhookError(code, `webhook ${delivery.url} answered ${response.status}: ${answer}`);
}
