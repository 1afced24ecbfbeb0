import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENERIC_SIGNATURE } from '../adapter.js';
import { signatureHeader } from './signature.js';

describe('signatureHeader', () => {
  const body = '{"id":"p-1"}';
  const hmac = (encoding: 'hex' | 'base64') =>
    createHmac('sha256', 's3cret').update(body).digest(encoding);

  it('signs the body as the gateway checks it: HMAC-SHA256 in the adapter’s header', () => {
    expect(signatureHeader(GENERIC_SIGNATURE, 's3cret', body)).toEqual({
      'x-rapport-signature': hmac('hex'),
    });
    expect(
      signatureHeader(
        { header: 'x-community-signature', encoding: 'base64', prefix: 'sha256=' },
        's3cret',
        body,
      ),
    ).toEqual({ 'x-community-signature': `sha256=${hmac('base64')}` });
  });
});
