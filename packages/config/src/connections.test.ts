import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, SECRET_VARIABLES } from './config.js';
import { refusal } from './testing.js';

/** Servers of one's own: the embedded ones take neither TLS nor credentials. */
const KAFKA = { RAPPORT_KAFKA_BROKERS: 'kafka.example.com:9093' };
const TEMPORAL = { RAPPORT_TEMPORAL_ADDRESS: 'rapport.a1b2c.tmprl.cloud:7233' };

const pem = (label: string) =>
  `-----BEGIN ${label}-----\nMIIB${label.length}\n-----END ${label}-----\n`;

describe('encrypted, authenticated connections to the engines', () => {
  let dir: string;
  const files = { ca: '', cert: '', key: '', notPem: '', missing: '', folder: '' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rapport-config-'));
    Object.assign(files, {
      ca: join(dir, 'ca.pem'),
      cert: join(dir, 'client.pem'),
      key: join(dir, 'client.key'),
      notPem: join(dir, 'notes.txt'),
      missing: join(dir, 'missing.pem'),
      folder: join(dir, 'folder'),
    });
    await writeFile(files.ca, pem('CERTIFICATE'));
    await writeFile(files.cert, pem('CERTIFICATE'));
    await writeFile(files.key, pem('PRIVATE KEY'));
    await writeFile(files.notPem, 'token=file-contents-never-shown\n');
    await mkdir(files.folder);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('connects in plaintext without credentials by default', () => {
    const config = loadConfig({});
    expect(config.kafka).not.toHaveProperty('tls');
    expect(config.kafka).not.toHaveProperty('sasl');
    expect(config.redis).not.toHaveProperty('ca');
    expect(config.temporal).not.toHaveProperty('tls');
    expect(config.temporal).not.toHaveProperty('apiKey');
  });

  it('reads Kafka TLS: on alone (system CAs), with a private CA, with a client certificate', () => {
    expect(loadConfig({ ...KAFKA, RAPPORT_KAFKA_TLS: 'true' }).kafka.tls).toEqual({});
    expect(loadConfig({ ...KAFKA, RAPPORT_KAFKA_TLS: 'false' }).kafka).not.toHaveProperty('tls');
    const config = loadConfig({
      ...KAFKA,
      RAPPORT_KAFKA_TLS: 'true',
      RAPPORT_KAFKA_TLS_CA_FILE: files.ca,
      RAPPORT_KAFKA_TLS_CERT_FILE: files.cert,
      RAPPORT_KAFKA_TLS_KEY_FILE: files.key,
    });
    expect(config.kafka.tls).toEqual({
      ca: Buffer.from(pem('CERTIFICATE')),
      client: { cert: Buffer.from(pem('CERTIFICATE')), key: Buffer.from(pem('PRIVATE KEY')) },
    });
    expect(refusal({ RAPPORT_KAFKA_TLS: 'maybe' })).toMatch(
      /RAPPORT_KAFKA_TLS: expected true or false; got "maybe"/,
    );
  });

  it('reads Kafka SASL, and refuses a mechanism without both credentials or the reverse', () => {
    const config = loadConfig({
      ...KAFKA,
      RAPPORT_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      RAPPORT_KAFKA_SASL_USERNAME: 'rapport',
      RAPPORT_KAFKA_SASL_PASSWORD: 'pw',
    });
    expect(config.kafka.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'rapport',
      password: 'pw',
    });
    const missing = refusal({ ...KAFKA, RAPPORT_KAFKA_SASL_MECHANISM: 'plain' });
    expect(missing).toMatch(
      /RAPPORT_KAFKA_SASL_USERNAME: required when RAPPORT_KAFKA_SASL_MECHANISM is set/,
    );
    expect(missing).toMatch(
      /RAPPORT_KAFKA_SASL_PASSWORD: required when RAPPORT_KAFKA_SASL_MECHANISM is set/,
    );
    expect(refusal({ RAPPORT_KAFKA_SASL_USERNAME: 'rapport' })).toMatch(
      /RAPPORT_KAFKA_SASL_MECHANISM: required with SASL credentials: plain, scram-sha-256, scram-sha-512/,
    );
    expect(refusal({ RAPPORT_KAFKA_SASL_MECHANISM: 'gssapi' })).toMatch(
      /RAPPORT_KAFKA_SASL_MECHANISM: .*"plain"\|"scram-sha-256"\|"scram-sha-512".*got "gssapi"/,
    );
  });

  it('reads the private CA of a rediss:// URL, and refuses one for a plain URL', () => {
    const config = loadConfig({
      RAPPORT_REDIS_URL: 'rediss://rapport:pw@redis.example.com:6380',
      RAPPORT_REDIS_TLS_CA_FILE: files.ca,
    });
    expect(config.redis.ca).toEqual(Buffer.from(pem('CERTIFICATE')));
    expect(refusal({ RAPPORT_REDIS_TLS_CA_FILE: files.ca })).toMatch(
      /RAPPORT_REDIS_TLS_CA_FILE: only used with TLS: set a rediss:\/\/ RAPPORT_REDIS_URL/,
    );
  });

  it('reads Temporal mutual TLS and the API key, which turns TLS on', () => {
    const config = loadConfig({
      ...TEMPORAL,
      RAPPORT_TEMPORAL_TLS: 'true',
      RAPPORT_TEMPORAL_TLS_CA_FILE: files.ca,
      RAPPORT_TEMPORAL_TLS_CERT_FILE: files.cert,
      RAPPORT_TEMPORAL_TLS_KEY_FILE: files.key,
    });
    expect(config.temporal.tls).toEqual({
      ca: Buffer.from(pem('CERTIFICATE')),
      client: { cert: Buffer.from(pem('CERTIFICATE')), key: Buffer.from(pem('PRIVATE KEY')) },
    });
    const cloud = loadConfig({ ...TEMPORAL, RAPPORT_TEMPORAL_API_KEY: 'key-123' }).temporal;
    expect(cloud).toMatchObject({ tls: {}, apiKey: 'key-123' });
  });

  it('refuses half a client certificate, naming the half that is missing', () => {
    expect(
      refusal({ RAPPORT_TEMPORAL_TLS: 'true', RAPPORT_TEMPORAL_TLS_CERT_FILE: files.cert }),
    ).toMatch(/RAPPORT_TEMPORAL_TLS_KEY_FILE: required with RAPPORT_TEMPORAL_TLS_CERT_FILE/);
    expect(refusal({ RAPPORT_KAFKA_TLS: 'true', RAPPORT_KAFKA_TLS_KEY_FILE: files.key })).toMatch(
      /RAPPORT_KAFKA_TLS_CERT_FILE: required with RAPPORT_KAFKA_TLS_KEY_FILE/,
    );
  });

  it('refuses certificate files for a connection whose TLS is off', () => {
    expect(refusal({ RAPPORT_KAFKA_TLS_CA_FILE: files.ca })).toMatch(
      /RAPPORT_KAFKA_TLS_CA_FILE: only used with TLS: set RAPPORT_KAFKA_TLS=true/,
    );
    expect(refusal({ RAPPORT_TEMPORAL_TLS_CA_FILE: files.ca })).toMatch(
      /RAPPORT_TEMPORAL_TLS_CA_FILE: only used with TLS: set RAPPORT_TEMPORAL_TLS=true/,
    );
  });

  it('refuses TLS or credentials towards an embedded server, naming the endpoint to set', () => {
    const kafka = refusal({ RAPPORT_KAFKA_TLS: 'true' });
    expect(kafka).toMatch(/RAPPORT_KAFKA_TLS: for a server of your own: set RAPPORT_KAFKA_BROKERS/);
    expect(
      refusal({
        RAPPORT_KAFKA_SASL_MECHANISM: 'plain',
        RAPPORT_KAFKA_SASL_USERNAME: 'u',
        RAPPORT_KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toMatch(/RAPPORT_KAFKA_SASL_MECHANISM: for a server of your own: set RAPPORT_KAFKA_BROKERS/);
    expect(refusal({ RAPPORT_TEMPORAL_API_KEY: 'k' })).toMatch(
      /RAPPORT_TEMPORAL_API_KEY: for a server of your own: set RAPPORT_TEMPORAL_ADDRESS/,
    );
  });

  it('stops at start-up on a file that cannot be read or is no PEM, never showing its contents', () => {
    expect(refusal({ RAPPORT_KAFKA_TLS: 'true', RAPPORT_KAFKA_TLS_CA_FILE: files.missing })).toBe(
      `Invalid configuration:\n  RAPPORT_KAFKA_TLS_CA_FILE: cannot read the file (ENOENT); got ${JSON.stringify(files.missing)}`,
    );
    expect(
      refusal({ RAPPORT_TEMPORAL_TLS: 'on', RAPPORT_TEMPORAL_TLS_CA_FILE: files.folder }),
    ).toMatch(/RAPPORT_TEMPORAL_TLS_CA_FILE: cannot read the file \(EISDIR\)/);
    const notPem = refusal({
      RAPPORT_REDIS_URL: 'rediss://127.0.0.1:6380',
      RAPPORT_REDIS_TLS_CA_FILE: files.notPem,
    });
    expect(notPem).toMatch(/RAPPORT_REDIS_TLS_CA_FILE: expected a PEM file/);
    expect(notPem).not.toMatch(/file-contents-never-shown/);
  });

  it('never shows the Kafka password, the Temporal API key or the Redis URL in a refusal', () => {
    expect([...SECRET_VARIABLES]).toEqual(
      expect.arrayContaining(['KAFKA_SASL_PASSWORD', 'TEMPORAL_API_KEY', 'REDIS_URL']),
    );
    const secrets = {
      RAPPORT_KAFKA_SASL_PASSWORD: 'kafka-pw-3141',
      RAPPORT_TEMPORAL_API_KEY: 'temporal-key-2718',
      // Not a rediss:// or redis:// URL, so this variable's own value is what is refused.
      RAPPORT_REDIS_URL: 'https://rapport:redis-pw-1618@redis.example.com',
    };
    const message = refusal({ ...secrets, RAPPORT_TEMPORAL_TLS: 'maybe' });
    expect(message).toMatch(/RAPPORT_REDIS_URL: .*\(value hidden\)/);
    expect(message).toMatch(/RAPPORT_TEMPORAL_TLS: expected true or false/);
    for (const secret of Object.values(secrets)) expect(message).not.toContain(secret);
    // The credentials' own issue (no mechanism) names the variable to set, and no value.
    const sasl = refusal({ RAPPORT_KAFKA_SASL_PASSWORD: secrets.RAPPORT_KAFKA_SASL_PASSWORD });
    expect(sasl).toMatch(/RAPPORT_KAFKA_SASL_MECHANISM: required with SASL credentials/);
    expect(sasl).not.toContain(secrets.RAPPORT_KAFKA_SASL_PASSWORD);
  });
});
