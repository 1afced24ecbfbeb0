import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig, type Config } from '@rapport/config';
import {
  ensureRunning,
  InfraError,
  kafkaBroker,
  provideInfrastructure,
  stopProcess,
} from '@rapport/infra';
import {
  createInteractionProducer,
  createKafka,
  KafkaUnavailableError,
  provisionTopics,
  readTopic,
} from '@rapport/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, uniqueNames } from '../harness/index.js';
import { stamped } from '../kafka/helpers.js';
import { makeCertificates, type Certificates } from './certificates.js';

const USER = 'rapport';
const PASSWORD = 'kafka-scram-secret-4c2e';
const WRONG_PASSWORD = 'not-the-password-1f0d';
const SCRAM_LOGIN = 'org.apache.kafka.common.security.scram.ScramLoginModule required';
/** The broker's own login on the inter-broker listener: the same user. */
const BROKER_LOGIN = `${SCRAM_LOGIN} username="${USER}" password="${PASSWORD}";`;

/**
 * A broker of this file's own, started by the native runner with two client listeners, both
 * SCRAM-SHA-512 only: SASL_PLAINTEXT, and SASL_SSL (the private CA's server certificate, a
 * client certificate required). The broker talks to itself on the first as the same user; the
 * user is written into the metadata log by the storage format, as KRaft keeps SCRAM users there.
 */
describe('Kafka with SASL/SCRAM-SHA-512, and TLS', () => {
  let dir: string;
  let certificates: Certificates;
  let saslPort: number;
  let tlsPort: number;
  let broker: Config;

  /** The configuration of a client of this broker, on topics of its own. */
  const clientConfig = (label: string, env: Record<string, string>): Config => {
    const names = uniqueNames(label);
    return loadConfig({
      RAPPORT_RUN_DIR: dir,
      RAPPORT_KAFKA_BROKERS: `127.0.0.1:${saslPort}`,
      RAPPORT_KAFKA_CLIENT_ID: names.id,
      RAPPORT_TOPIC_INTERACTIONS: names.topic('interactions'),
      RAPPORT_TOPIC_DLQ: names.topic('dlq'),
      RAPPORT_TOPIC_PARTITIONS: '2',
      RAPPORT_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      RAPPORT_KAFKA_SASL_USERNAME: USER,
      RAPPORT_KAFKA_SASL_PASSWORD: PASSWORD,
      ...env,
    });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rapport-kafka-sasl-'));
    certificates = await makeCertificates(dir);
    // Kafka's PEM key store is one file: the key, then its certificate.
    const keyStore = join(dir, 'server-keystore.pem');
    const { key, cert } = certificates.server;
    await writeFile(keyStore, `${await readFile(key, 'utf8')}${await readFile(cert, 'utf8')}`);
    saslPort = await freePort();
    tlsPort = await freePort();
    const controllerPort = await freePort();
    broker = loadConfig({
      RAPPORT_RUN_DIR: dir,
      RAPPORT_KAFKA_BROKERS: `127.0.0.1:${saslPort}`,
      RAPPORT_EMBEDDED_KAFKA_PORT: String(saslPort),
      RAPPORT_EMBEDDED_KAFKA_CONTROLLER_PORT: String(controllerPort),
      RAPPORT_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      RAPPORT_KAFKA_SASL_USERNAME: USER,
      RAPPORT_KAFKA_SASL_PASSWORD: PASSWORD,
    });
    const listeners = `SASL_PLAINTEXT://127.0.0.1:${saslPort},SASL_SSL://127.0.0.1:${tlsPort}`;
    const scramBroker = kafkaBroker({
      properties: {
        listeners: `${listeners},CONTROLLER://127.0.0.1:${controllerPort}`,
        'advertised.listeners': listeners,
        'listener.security.protocol.map':
          'CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
        'inter.broker.listener.name': 'SASL_PLAINTEXT',
        'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
        'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
        'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': BROKER_LOGIN,
        'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': `${SCRAM_LOGIN};`,
        'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
        'listener.name.sasl_ssl.ssl.keystore.location': keyStore,
        'listener.name.sasl_ssl.ssl.truststore.type': 'PEM',
        'listener.name.sasl_ssl.ssl.truststore.location': certificates.ca,
        'listener.name.sasl_ssl.ssl.client.auth': 'required',
      },
      formatArgs: ['--add-scram', `SCRAM-SHA-512=[name=${USER},password=${PASSWORD}]`],
    });
    // Healthy means the runner's probe, with the configured SASL, got a group coordinator.
    await ensureRunning(scramBroker, broker, 'test', () => {});
  }, 120_000);

  afterAll(async () => {
    await stopProcess(dir, 'kafka');
    await rm(dir, { recursive: true, force: true });
  });

  /** Topics provisioned, events published, and the same events read back, all through config. */
  async function roundTrip(config: Config): Promise<void> {
    const kafka = createKafka(config.kafka);
    await provisionTopics(kafka, config.kafka);
    const producer = createInteractionProducer(kafka, config.kafka);
    await producer.connect();
    const events = [stamped('c-1', 0), stamped('c-2', 0), stamped('c-1', 1)];
    try {
      await producer.publish(events, { timeoutMs: 10_000 });
    } finally {
      await producer.disconnect();
    }
    const read: (string | null)[] = [];
    const topic = config.kafka.topics.interactions;
    for await (const record of readTopic(kafka, topic, { untilHighWatermark: true })) {
      read.push(record.value);
    }
    expect(read.sort()).toEqual(events.map((event) => JSON.stringify(event)).sort());
  }

  it('provisions, publishes and reads back over SASL_PLAINTEXT', async () => {
    await roundTrip(clientConfig('kafka-scram', {}));
  });

  it('does the same over SASL_SSL with the private CA and a client certificate', async () => {
    await roundTrip(
      clientConfig('kafka-scram-tls', {
        RAPPORT_KAFKA_BROKERS: `127.0.0.1:${tlsPort}`,
        RAPPORT_KAFKA_TLS: 'true',
        RAPPORT_KAFKA_TLS_CA_FILE: certificates.ca,
        RAPPORT_KAFKA_TLS_CERT_FILE: certificates.client.cert,
        RAPPORT_KAFKA_TLS_KEY_FILE: certificates.client.key,
      }),
    );
  });

  it('refuses a wrong password with a clear failure that does not show it', async () => {
    const config = clientConfig('kafka-scram-wrong', {
      RAPPORT_KAFKA_SASL_PASSWORD: WRONG_PASSWORD,
    });
    const refused: unknown = await createKafka(config.kafka)
      .ping()
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KafkaUnavailableError);
    expect(String(refused)).toMatch(/SASL SCRAM SHA512 authentication failed/);
    // Everything a log line could print: the message, the stack, every property and cause.
    expect(inspect(refused, { depth: 10 })).not.toContain(WRONG_PASSWORD);

    // `rapport up` with RAPPORT_KAFKA_BROKERS given checks it first and stops, naming the variable.
    const up: unknown = await provideInfrastructure(config, { profile: 'test', docker: 'never' })
      .then(() => 'started')
      .catch((error: unknown) => error);
    expect(up).toBeInstanceOf(InfraError);
    expect(String(up)).toMatch(/RAPPORT_KAFKA_BROKERS.*SASL SCRAM SHA512 authentication failed/s);
    expect(inspect(up, { depth: 10 })).not.toContain(WRONG_PASSWORD);
  });
});
