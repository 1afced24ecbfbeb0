import { connect, type Socket } from 'node:net';
import type { Config } from '@rapport/config';
import { kafkaSecurity } from '@rapport/kafka';
import { connectRedis } from '@rapport/read-model';
import { temporalConnectionOptions } from '@rapport/workflows/connection';
import { Connection } from '@temporalio/client';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Health probes use the same clients the services use, so "healthy" means "a Rapport service can
 * talk to it", not merely "the port is open". Each probe answers within `timeoutMs` and throws
 * with the client's own reason otherwise.
 */
export async function probeKafka(
  kafka: Pick<Config['kafka'], 'brokers' | 'tls' | 'sasl'>,
  timeoutMs: number,
): Promise<void> {
  const admin = new Kafka({
    clientId: 'rapport-probe',
    brokers: [...kafka.brokers],
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
    ...kafkaSecurity(kafka),
  }).admin();
  try {
    await withTimeout(admin.connect(), timeoutMs, `no answer from ${kafka.brokers.join(',')}`);
    const cluster = await withTimeout(
      admin.describeCluster(),
      timeoutMs,
      'describeCluster timed out',
    );
    if (cluster.brokers.length === 0) throw new Error('the cluster has no brokers yet');
    // A fresh broker answers metadata before its group coordinator exists (it creates
    // __consumer_offsets on first use); ready means consumer groups work too.
    await withTimeout(
      admin.describeGroups(['rapport-probe']),
      timeoutMs,
      'no group coordinator yet',
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function probeRedis(
  redisConfig: Pick<Config['redis'], 'url' | 'ca' | 'cluster' | 'clusterNodes'>,
  timeoutMs: number,
): Promise<void> {
  const redis = connectRedis(redisConfig, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // A refused AUTH (a wrong password) comes as an error event, and connect() then rejects with
  // only "Connection is closed.": the event's error is the reason to report.
  let refused: unknown;
  redis.on('error', (error) => {
    refused ??= error;
  });
  try {
    await redis.connect().catch((error: unknown) => {
      throw refused ?? error;
    });
    await withTimeout(redis.ping(), timeoutMs, 'PING timed out');
  } finally {
    redis.disconnect();
  }
}

export async function probeTemporal(
  temporal: Pick<Config['temporal'], 'address' | 'tls' | 'apiKey'>,
  timeoutMs: number,
): Promise<void> {
  const connection = await Connection.connect({
    ...temporalConnectionOptions(temporal),
    connectTimeout: timeoutMs,
  });
  try {
    await withTimeout(
      connection.workflowService.getSystemInfo({}),
      timeoutMs,
      'GetSystemInfo timed out',
    );
  } finally {
    await connection.close();
  }
}

/**
 * Whether a server listens at host:port, asked before a freshly launched server is probed with
 * its client. While nothing listens on a port inside the ephemeral range, a connection to it can
 * be given that very port as its source and connect to itself (TCP's simultaneous open), and the
 * server then cannot bind its port. Such a connection is reset at once, leaving no TIME_WAIT to
 * hold the port, and counts as nothing listening.
 */
export function listening(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    socket.on('error', () => {
      clearTimeout(timer); // Refused: nothing listens yet.
      resolve(false);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      const self = isSelfConnection(socket);
      if (self) socket.resetAndDestroy();
      else socket.destroy();
      resolve(!self);
    });
  });
}

export function isSelfConnection(socket: Socket): boolean {
  return socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
