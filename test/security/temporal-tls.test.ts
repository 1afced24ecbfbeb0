import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { loadConfig, type Config } from '@rapport/config';
import { probeTemporal } from '@rapport/infra';
import { connectWithoutRetries } from '@rapport/workflows/client';
import { temporalConnectionOptions } from '@rapport/workflows/connection';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, testInfra } from '../harness/index.js';
import { makeCertificates, type Certificates } from './certificates.js';

/**
 * The dev server speaks no TLS, so the test's Temporal sits behind a TLS front of its own, as
 * a deployment's would: the private CA's server certificate, a client certificate required,
 * HTTP/2 offered (gRPC), and the bytes passed on to the shared dev server.
 */
async function tlsFront(certificates: Certificates, port: number, target: string): Promise<Server> {
  const [host = '', targetPort = ''] = target.split(':');
  const server = createServer(
    {
      cert: await readFile(certificates.server.cert),
      key: await readFile(certificates.server.key),
      ca: await readFile(certificates.ca),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (client) => {
      const upstream = connect(Number(targetPort), host);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    },
  );
  server.on('tlsClientError', () => undefined); // A refused client is what one test wants.
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('Temporal over mutual TLS', () => {
  let dir: string;
  let certificates: Certificates;
  let front: Server;
  let address: string;
  const configFor = (env: Record<string, string> = {}): Config =>
    loadConfig({
      RAPPORT_TEMPORAL_ADDRESS: address,
      RAPPORT_TEMPORAL_TLS: 'true',
      RAPPORT_TEMPORAL_TLS_CA_FILE: certificates.ca,
      RAPPORT_TEMPORAL_TLS_CERT_FILE: certificates.client.cert,
      RAPPORT_TEMPORAL_TLS_KEY_FILE: certificates.client.key,
      ...env,
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rapport-temporal-tls-'));
    certificates = await makeCertificates(dir);
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    front = await tlsFront(certificates, port, testInfra().temporalAddress);
  });

  afterAll(async () => {
    await new Promise((resolve) => front.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('serves clients (the bridge, `rapport workflow`) and the health probe', async () => {
    const config = configFor();
    const connection = await connectWithoutRetries(temporalConnectionOptions(config.temporal));
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    } finally {
      await connection.close();
    }
    await probeTemporal(config.temporal, 5_000);
  });

  it('serves the worker, whose connection is the SDK core', async () => {
    const config = configFor();
    const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    } finally {
      await connection.close();
    }
  });

  it('is refused without the client certificate', async () => {
    const { temporal } = configFor();
    const { client: _client, ...withoutCertificate } = temporal.tls ?? {};
    const options = temporalConnectionOptions({ ...temporal, tls: withoutCertificate });
    // TLS 1.3: the server refuses after the client's half of the handshake, so the client sees
    // either its alert (CertificateRequired) or the connection closed, depending on timing.
    await expect(NativeConnection.connect(options)).rejects.toThrow(/Failed to call GetSystemInfo/);
  });
});
