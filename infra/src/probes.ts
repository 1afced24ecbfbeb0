import { Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Health probes use the same clients the services use, so "healthy" means "a Rapport service can
 * talk to it", not merely "the port is open". Each probe answers within `timeoutMs` and throws
 * with the client's own reason otherwise.
 */
export async function probeKafka(brokers: readonly string[], timeoutMs: number): Promise<void> {
  const admin = new Kafka({
    clientId: 'rapport-probe',
    brokers: [...brokers],
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await withTimeout(admin.connect(), timeoutMs, `no answer from ${brokers.join(',')}`);
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

export async function probeRedis(url: string, timeoutMs: number): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined); // The rejected connect() below carries the reason.
  try {
    await redis.connect();
    await withTimeout(redis.ping(), timeoutMs, 'PING timed out');
  } finally {
    redis.disconnect();
  }
}

export async function probeTemporal(address: string, timeoutMs: number): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
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
