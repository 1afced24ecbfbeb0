import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Notification } from '../notification.js';
import { WebhookError } from './post.js';
import { receiver } from './testing.js';
import {
  IDEMPOTENCY_HEADER,
  postWebhook,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from './webhook.js';

describe('webhook signatures', () => {
  it('sign HMAC-SHA256 over the timestamp and the exact body', () => {
    const body = '{"type":"followup.notify"}';
    const expected = createHmac('sha256', 'secret-secret-16')
      .update(`1700000000.${body}`)
      .digest('hex');
    expect(signWebhook('secret-secret-16', '1700000000', body)).toBe(`sha256=${expected}`);
  });

  it('verify only the same secret, timestamp and bytes', () => {
    const signature = signWebhook('secret-secret-16', '1700000000', '{}');
    expect(verifyWebhook('secret-secret-16', '1700000000', '{}', signature)).toBe(true);
    expect(verifyWebhook('another-secret-16', '1700000000', '{}', signature)).toBe(false);
    expect(verifyWebhook('secret-secret-16', '1700000001', '{}', signature)).toBe(false);
    expect(verifyWebhook('secret-secret-16', '1700000000', '{ }', signature)).toBe(false);
    expect(verifyWebhook('secret-secret-16', '1700000000', '{}', 'sha256=00')).toBe(false);
  });
});

/** What a receiver's URL carries that must never show up in an error. */
const TOKEN = 'tok3n-5b1f0c2e';
const QUERY = 'q-s3cret-77aa';
const notification: Notification = {
  type: 'followup.notify',
  followUpId: 'followup:c-1:threshold:0',
  customerId: 'c-1',
  playbook: 'cooling-active',
  step: 0,
  message: 'Engagement is falling.',
  trigger: 'threshold',
  stage: 'active',
  dropAt: '2026-01-01T00:00:00.000Z',
};

const pathsOf = ({ received }: { received: { path: string }[] }) =>
  received.map((request) => request.path);

function post(url: string) {
  return postWebhook({
    url,
    secret: 'secret-secret-16',
    idempotencyKey: `${notification.followUpId}:0`,
    notification,
    timeoutMs: 2_000,
  });
}

async function failure(attempt: Promise<unknown>): Promise<WebhookError> {
  const error = await attempt.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof WebhookError)) throw new Error(`expected WebhookError: ${String(error)}`);
  // An activity's failure is written into history and logged whole: message, stack and causes.
  const written = `${error.message} ${error.stack ?? ''} ${String(error.cause)}`;
  expect(written).not.toContain(TOKEN);
  expect(written).not.toContain(QUERY);
  expect(written).not.toContain('/hooks/');
  return error;
}

describe('postWebhook', () => {
  it('does not follow a redirect: a 302 fails for good and its target hears nothing', async () => {
    const elsewhere = await receiver((_, response) => response.writeHead(200).end());
    const redirecting = await receiver((_, response) =>
      response.writeHead(302, { location: `${elsewhere.url}/collect/${TOKEN}` }).end(),
    );
    const error = await failure(post(`${redirecting.url}/hooks/${TOKEN}?key=${QUERY}`));
    expect(error).toMatchObject({ code: 'WEBHOOK_REJECTED', retriable: false });
    expect(error.message).toBe(
      `webhook ${redirecting.url}/… answered 302: the receiver redirected, and redirects are not followed`,
    );
    expect(pathsOf(redirecting)).toEqual([`/hooks/${TOKEN}?key=${QUERY}`]);
    expect(pathsOf(elsewhere)).toEqual([]);
  });

  it('refuses plain http to another host at send time, before any request', async () => {
    const error = await failure(post(`http://hooks.example.com/hooks/${TOKEN}?key=${QUERY}`));
    expect(error).toMatchObject({ code: 'WEBHOOK_URL_INVALID', retriable: false });
    expect(error.message).toBe(
      'webhook http://hooks.example.com/… refused: expected https (plain http only to a loopback host: 127.0.0.0/8, ::1 or localhost)',
    );
  });

  it('does not quote an answer, which may echo the token', async () => {
    // Express's 404 page says `Cannot POST /<path>`.
    const echoing = await receiver((request, response) =>
      response.writeHead(404).end(`Cannot POST ${request.url ?? ''}`),
    );
    const error = await failure(post(`${echoing.url}/hooks/${TOKEN}?key=${QUERY}`));
    expect(error).toMatchObject({ code: 'WEBHOOK_REJECTED', retriable: false });
    expect(error.message).toBe(`webhook ${echoing.url}/… answered 404`);
  });

  it('names an unreachable receiver by its origin, retriable', async () => {
    const gone = await receiver((_, response) => response.end());
    await gone.close();
    const error = await failure(post(`${gone.url}/hooks/${TOKEN}?key=${QUERY}`));
    expect(error).toMatchObject({ code: 'WEBHOOK_UNREACHABLE', retriable: true });
    expect(error.message).toMatch(
      new RegExp(`^webhook ${gone.url}/… unreachable: fetch failed: connect ECONNREFUSED`),
    );
  });

  it('posts the notification, signed, with its idempotency key, plain http to a loopback receiver', async () => {
    const ok = await receiver((_, response) => response.writeHead(204).end());
    await expect(post(`${ok.url}/hooks/${TOKEN}`)).resolves.toBe(204);
    const [request] = ok.received;
    expect(request?.path).toBe(`/hooks/${TOKEN}`);
    expect(JSON.parse(request?.body ?? '')).toEqual(notification);
    const header = (name: string) => String(request?.headers[name]);
    expect(header(IDEMPOTENCY_HEADER)).toBe(`${notification.followUpId}:0`);
    expect(
      verifyWebhook(
        'secret-secret-16',
        header(TIMESTAMP_HEADER),
        request?.body ?? '',
        header(SIGNATURE_HEADER),
      ),
    ).toBe(true);
  });
});
