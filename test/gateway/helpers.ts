import { createLogger } from '@rapport/lifecycle';
import { startGateway, type StartedGateway } from '@rapport/gateway';
import { createKafka, readTopic, type RapportKafka } from '@rapport/kafka';
import type { Config } from '@rapport/config';
import { TEST_WRITE_KEY, testConfig, uniqueNames, type UniqueNames } from '../harness/index.js';

export interface TestGateway {
  readonly config: Config;
  readonly names: UniqueNames;
  readonly gateway: StartedGateway;
  /** `fetch` against the gateway with the test write key unless headers say otherwise. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Every record on a topic now, in partition then offset order. */
  records(topic: string): Promise<{ key: string; value: unknown; partition: number }[]>;
}

export async function startTestGateway(
  label: string,
  overrides: Record<string, string> = {},
): Promise<TestGateway> {
  const names = uniqueNames(label);
  const config = testConfig(names, overrides);
  const gateway = await startGateway(config, createLogger(config, 'gateway'), { port: 0 });
  const kafka = createKafka(config.kafka);
  return {
    config,
    names,
    gateway,
    post: (path, body, headers = {}) =>
      fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TEST_WRITE_KEY}`,
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    records: (topic) => topicRecords(kafka, topic),
  };
}

/** Every record on a topic now, in partition then offset order, the values parsed. */
export async function topicRecords(kafka: RapportKafka, topic: string) {
  const found: { key: string; value: unknown; partition: number }[] = [];
  for await (const record of readTopic(kafka, topic)) {
    found.push({
      key: record.key ?? '',
      value: JSON.parse(record.value ?? 'null') as unknown,
      partition: record.partition,
    });
  }
  return found;
}

let sequence = 0;
/** A valid canonical event; each call a new eventId. */
export function event(customerId: string, overrides: Record<string, unknown> = {}) {
  sequence += 1;
  return {
    eventId: `evt-${process.pid}-${sequence}`,
    customerId,
    channel: 'support',
    type: 'support.ticket_opened',
    direction: 'inbound',
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    ...overrides,
  };
}
