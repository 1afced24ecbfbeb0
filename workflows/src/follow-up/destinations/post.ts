import { WebhookUrlSchema } from '@rapport/config';
import { CodedError } from '@rapport/schema';

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

/** One JSON POST to a URL that may carry a token (the signed webhook, a Slack incoming webhook). */
export interface JsonPost {
  /** How errors name the receiver: its kind and origin, never the URL's path or query. */
  readonly target: string;
  readonly url: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** One attempt; resolves with the status on 2xx, throws WebhookError otherwise. */
export async function postJson(post: JsonPost): Promise<number> {
  const { target } = post;
  const allowed = WebhookUrlSchema.safeParse(post.url);
  if (!allowed.success) {
    const reasons = allowed.error.issues.map((issue) => issue.message).join('; ');
    throw new WebhookError('WEBHOOK_URL_INVALID', `${target} refused: ${reasons}`);
  }
  const timeout = AbortSignal.timeout(post.timeoutMs);
  let response: Response;
  try {
    response = await fetch(post.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...post.headers },
      body: post.body,
      // A redirect would carry the customer data (and a signature) wherever the receiver
      // points, over http too. Node's fetch (undici), unlike a browser's, hands back the 3xx
      // answer itself rather than an opaque redirect.
      redirect: 'manual',
      signal: post.signal === undefined ? timeout : AbortSignal.any([timeout, post.signal]),
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
