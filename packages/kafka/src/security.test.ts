import { describe, expect, it } from 'vitest';
import { kafkaSecurity } from './security.js';

const ca = Buffer.from('ca');
const cert = Buffer.from('cert');
const key = Buffer.from('key');

describe('kafkaSecurity', () => {
  it('adds nothing for a plaintext cluster without SASL', () => {
    expect(kafkaSecurity({})).toEqual({});
  });

  it("maps TLS to Node's tls options: the CA to trust, the client certificate and key", () => {
    expect(kafkaSecurity({ tls: {} })).toEqual({ ssl: {} });
    expect(kafkaSecurity({ tls: { ca, client: { cert, key } } })).toEqual({
      ssl: { ca, cert, key },
    });
  });

  it('passes SASL as kafkajs takes it', () => {
    const sasl = { mechanism: 'scram-sha-256', username: 'u', password: 'p' } as const;
    expect(kafkaSecurity({ sasl })).toEqual({ sasl });
  });
});
