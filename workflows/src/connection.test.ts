import { describe, expect, it } from 'vitest';
import { temporalConnectionOptions } from './connection.js';

const ca = Buffer.from('ca');
const cert = Buffer.from('cert');
const key = Buffer.from('key');

describe('temporalConnectionOptions', () => {
  it('is the address alone for a plaintext server', () => {
    expect(temporalConnectionOptions({ address: 'temporal:7233' })).toEqual({
      address: 'temporal:7233',
    });
  });

  it("maps TLS to the SDK's root CA and client certificate pair", () => {
    expect(
      temporalConnectionOptions({ address: 't:7233', tls: { ca, client: { cert, key } } }),
    ).toEqual({
      address: 't:7233',
      tls: { serverRootCACertificate: ca, clientCertPair: { crt: cert, key } },
    });
    expect(temporalConnectionOptions({ address: 't:7233', tls: {} })).toEqual({
      address: 't:7233',
      tls: {},
    });
  });

  it('passes the API key, which the SDK sends as a bearer token', () => {
    expect(
      temporalConnectionOptions({ address: 'ns.tmprl.cloud:7233', tls: {}, apiKey: 'k' }),
    ).toEqual({ address: 'ns.tmprl.cloud:7233', tls: {}, apiKey: 'k' });
  });
});
