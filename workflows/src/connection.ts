import type { Config } from '@rapport/config';
import type { TLSConfig } from '@temporalio/client';

/**
 * What both Connection.connect (clients) and NativeConnection.connect (the worker) take to reach
 * the configured Temporal: its address, TLS (the CA to trust, the client certificate for mutual
 * TLS) and the API key (Temporal Cloud), which the SDK sends as `Authorization: Bearer`.
 */
export interface TemporalConnectionOptions {
  readonly address: string;
  readonly tls?: TLSConfig;
  readonly apiKey?: string;
}

/** Temporal's connection options as configured: every connection of Rapport opens with them. */
export function temporalConnectionOptions({
  address,
  tls,
  apiKey,
}: Pick<Config['temporal'], 'address' | 'tls' | 'apiKey'>): TemporalConnectionOptions {
  return {
    address,
    ...(tls && {
      tls: {
        ...(tls.ca && { serverRootCACertificate: tls.ca }),
        ...(tls.client && { clientCertPair: { crt: tls.client.cert, key: tls.client.key } }),
      },
    }),
    ...(apiKey && { apiKey }),
  };
}
