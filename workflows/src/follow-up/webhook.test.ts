import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './webhook';

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
