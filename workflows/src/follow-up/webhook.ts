import { createHmac, timingSafeEqual } from 'node:crypto';
import { redactUrl, WebhookUrlSchema } from '@rapport/config';
import { CodedError } from '@rapport/schema';
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
  /** The receiver refused the request (4xx) or redirected it: it will fare the same again. */
  | 'WEBHOOK_REJECTED'
  /** The URL breaks the webhook URL rule; start-up refuses such URLs, so this is a backstop. */
  | 'WEBHOOK_URL_INVALID'
  /** The receiver failed (5xx, 408, 429): worth retrying. */
  | 'WEBHOOK_FAILED'
  /** No answer (connection refused, timeout): worth retrying. */
  | 'WEBHOOK_UNREACHABLE';

/**
 * Its message names the target by origin only (`redactUrl`), and it has no cause: an activity's
 * failure, cause chain included, is written into the workflow's history and logged.
 */
export class WebhookError extends CodedError<WebhookErrorCode> {
  constructor(code: WebhookErrorCode, message: string) {
    super(code, message, {
      retriable: code === 'WEBHOOK_FAILED' || code === 'WEBHOOK_UNREACHABLE',
    });
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
  const target = `webhook ${redactUrl(delivery.url)}`;
  const allowed = WebhookUrlSchema.safeParse(delivery.url);
  if (!allowed.success) {
    const reasons = allowed.error.issues.map((issue) => issue.message).join('; ');
    throw new WebhookError('WEBHOOK_URL_INVALID', `${target} refused: ${reasons}`);
  }
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
      // A redirect would carry the customer data and the signature wherever the receiver
      // points, over http too. Node's fetch (undici), unlike a browser's, hands back the 3xx
      // answer itself rather than an opaque redirect.
      redirect: 'manual',
      signal: delivery.signal === undefined ? timeout : AbortSignal.any([timeout, delivery.signal]),
    });
  } catch (error) {
    throw new WebhookError('WEBHOOK_UNREACHABLE', `${target} unreachable: ${reasonOf(error)}`);
  }
  // Nothing in the answer is used. It is not quoted either: a receiver may echo the request's
  // path (Express's 404 says `Cannot POST /<path>`), which is often the token.
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return response.status;
  if (response.status >= 300 && response.status < 400) {
    throw new WebhookError(
      'WEBHOOK_REJECTED',
      `${target} answered ${response.status}: the receiver redirected, and redirects are not followed`,
    );
  }
  const code =
    response.status >= 400 && response.status < 500 && !RETRIABLE_CLIENT_ERRORS.has(response.status)
      ? 'WEBHOOK_REJECTED'
      : 'WEBHOOK_FAILED';
  throw new WebhookError(code, `${target} answered ${response.status}`);
}

/**
 * Why fetch got no answer, e.g. `fetch failed: connect ECONNREFUSED 127.0.0.1:9`. The messages
 * of fetch that quote the URL (one that does not parse, or carries a password) cannot occur:
 * `WebhookUrlSchema` refuses those URLs first.
 */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}
