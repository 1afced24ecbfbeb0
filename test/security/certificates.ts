import { join } from 'node:path';
import { run } from '@rapport/infra';

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/** Paths of PEM files: a private CA, and a server and a client certificate it signed. */
export interface Certificates {
  readonly ca: string;
  readonly server: KeyPair;
  readonly client: KeyPair;
}

/**
 * What a deployment with its own CA hands Rapport, made with openssl into `dir`. The server's
 * certificate names 127.0.0.1 and localhost, where the tests' servers listen. EC keys, made in
 * milliseconds; valid for a day.
 */
export async function makeCertificates(dir: string): Promise<Certificates> {
  const ca = { cert: join(dir, 'ca.pem'), key: join(dir, 'ca.key') };
  await openssl(ca, '/CN=Rapport test CA');
  const signed = async (name: string, subject: string, extensions: readonly string[]) => {
    const pair = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
    await openssl(pair, subject, [
      ...['-CA', ca.cert, '-CAkey', ca.key],
      ...['-addext', 'basicConstraints=critical,CA:FALSE'],
      ...extensions.flatMap((extension) => ['-addext', extension]),
    ]);
    return pair;
  };
  return {
    ca: ca.cert,
    server: await signed('server', '/CN=127.0.0.1', ['subjectAltName=IP:127.0.0.1,DNS:localhost']),
    client: await signed('client', '/CN=rapport', []),
  };
}

/** A new key and its certificate: self-signed, or signed by the CA given in `args`. */
async function openssl(pair: KeyPair, subject: string, args: readonly string[] = []) {
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-noenc'],
    ...['-days', '1', '-subj', subject, '-keyout', pair.key, '-out', pair.cert, ...args],
  ]);
}
