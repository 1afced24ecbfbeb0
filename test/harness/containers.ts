import type { ServiceName } from '@rapport/infra';
import { KafkaContainer } from '@testcontainers/kafka';
import { RedisContainer } from '@testcontainers/redis';
import {
  GenericContainer,
  getContainerRuntimeClient,
  type StartedTestContainer,
} from 'testcontainers';

/** Images for the container path; the Kafka module drives Confluent's image (Kafka 3.9 inside). */
const IMAGES = {
  kafka: 'confluentinc/cp-kafka:7.9.1',
  temporal: 'temporalio/temporal:1.9.1',
  redis: 'redis:7.4',
};
const KAFKA_HOST_LISTENER_PORT = 9093;

export interface StartedContainers {
  readonly endpoints: Partial<{
    kafkaBrokers: string[];
    temporalAddress: string;
    redisUrl: string;
  }>;
  readonly stop: () => Promise<void>;
}

/**
 * Starts the missing servers as containers when a container runtime answers; undefined when none
 * does (these machines have no Docker engine), so the caller falls back to the native runners.
 */
export async function startContainers(
  missing: readonly ServiceName[],
): Promise<StartedContainers | undefined> {
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const started: StartedTestContainer[] = [];
  const endpoints: StartedContainers['endpoints'] = {};
  const stop = async () => {
    await Promise.all(started.map((container) => container.stop()));
  };
  try {
    await Promise.all(
      missing.map(async (name) => {
        const container = await startOne(name);
        started.push(container);
        const host = container.getHost();
        if (name === 'kafka') {
          endpoints.kafkaBrokers = [`${host}:${container.getMappedPort(KAFKA_HOST_LISTENER_PORT)}`];
        } else if (name === 'temporal') {
          endpoints.temporalAddress = `${host}:${container.getMappedPort(7233)}`;
        } else {
          endpoints.redisUrl = `redis://${host}:${container.getMappedPort(6379)}`;
        }
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoints, stop };
}

function startOne(name: ServiceName): Promise<StartedTestContainer> {
  switch (name) {
    case 'kafka':
      return new KafkaContainer(IMAGES.kafka).withKraft().start();
    case 'redis':
      return new RedisContainer(IMAGES.redis).start();
    case 'temporal':
      return new GenericContainer(IMAGES.temporal)
        .withCommand(['server', 'start-dev', '--ip', '0.0.0.0', '--headless'])
        .withExposedPorts(7233)
        .start();
  }
}
