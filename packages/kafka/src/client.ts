import type { Config } from '@rapport/config';
import { connect, isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Kafka, type ISocketFactory } from 'kafkajs';
import { describeError, KafkaUnavailableError } from './errors.js';
import {
  kafkajsLevel,
  kafkajsLogCreator,
  silentLogger,
  type KafkaLogger,
  type KafkaLogLevel,
} from './logger.js';
import { kafkaSecurity } from './security.js';

export type KafkaConfig = Config['kafka'];

/** One connection to a cluster, shared by the producer, consumers and admin calls of a service. */
export interface RapportKafka {
  readonly clientId: string;
  readonly brokers: readonly string[];
  /** Resolves when a broker answers a metadata request; rejects with KafkaUnavailableError. */
  ping(): Promise<void>;
}

export interface CreateKafkaOptions {
  /** kafkajs's own log lines, at this level and above (default `warn`). */
  readonly logLevel?: KafkaLogLevel;
  /** Where kafkajs's lines and this package's lines go; nothing is logged without one. */
  readonly logger?: KafkaLogger;
}

interface Internals {
  readonly client: Kafka;
  readonly logger: KafkaLogger;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly poisonAttempts: number;
  readonly stallAfterMs: number;
}

/** kafkajs stays behind the RapportKafka handle: only this package reaches the client. */
const internals = new WeakMap<RapportKafka, Internals>();

/**
 * Client-wide retry policy (connecting, metadata, admin calls; the producer narrows it further).
 * Every field is set because kafkajs swaps in a different set of defaults when
 * NODE_ENV=test (vitest sets it), and the tests should exercise what production runs.
 * About 3 s of back-off in all: long enough to ride out a leader election, short enough that a
 * service started against a dead broker says so promptly.
 */
export const CLIENT_RETRY = {
  initialRetryTime: 100,
  maxRetryTime: 1_000,
  factor: 0.2,
  multiplier: 2,
  retries: 4,
} as const;

/** A broker that accepted the connection but has not answered in this long is treated as gone. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * kafkajs's own socket factory, with Nagle's algorithm off (as the Java client and the broker have
 * it): a request larger than one segment otherwise leaves its tail waiting for the broker's
 * delayed acknowledgement. Over TLS it names the broker's host for SNI, as kafkajs's does
 * (clusters behind one TLS endpoint route on it); SNI takes no IP addresses.
 */
const noDelaySocket: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? connectTls({ host, port, ...(isIP(host) === 0 && { servername: host }), ...ssl }, onConnect)
    : connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.setNoDelay(true);
  return socket;
};

export function createKafka(config: KafkaConfig, options: CreateKafkaOptions = {}): RapportKafka {
  const logger = options.logger ?? silentLogger;
  const client = new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    logLevel: kafkajsLevel(options.logger === undefined ? 'silent' : (options.logLevel ?? 'warn')),
    logCreator: kafkajsLogCreator(logger),
    retry: CLIENT_RETRY,
    requestTimeout: REQUEST_TIMEOUT_MS,
    socketFactory: noDelaySocket,
    ...kafkaSecurity(config),
  });
  const kafka: RapportKafka = {
    clientId: config.clientId,
    brokers: [...config.brokers],
    ping: () => ping(client, config.brokers),
  };
  internals.set(kafka, {
    client,
    logger,
    sessionTimeoutMs: config.sessionTimeoutMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    poisonAttempts: config.poisonAttempts,
    stallAfterMs: config.stallAfterMs,
  });
  return kafka;
}

export function internalsOf(kafka: RapportKafka): Internals {
  const found = internals.get(kafka);
  if (found === undefined) throw new TypeError('not a RapportKafka: create it with createKafka()');
  return found;
}

async function ping(client: Kafka, brokers: readonly string[]): Promise<void> {
  const admin = client.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    throw new KafkaUnavailableError(
      `no Kafka broker answered at ${brokers.join(',')}: ${describeError(error)}`,
      { cause: error },
    );
  } finally {
    await admin.disconnect();
  }
}
