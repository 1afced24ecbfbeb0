import { createInteractionProducer, createKafka, type InteractionProducer } from '@rapport/kafka';
import type { StampedInteraction } from '@rapport/schema';
import { connectWithoutRetries } from '@rapport/workflows/client';
import { Client } from '@temporalio/client';
import { testInfra } from '../harness/index.js';
import { realTimeSettings, startRig, workflowBundle, type Rig } from '../workflows/helpers.js';

/** A worker on the shared dev server, a client, and a producer to this file's topic. */
export interface Stack {
  readonly rig: Rig;
  readonly producer: InteractionProducer;
  produce(events: readonly StampedInteraction[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(
  label: string,
  overrides: Record<string, string> = {},
  temporalAddress = testInfra().temporalAddress,
) {
  await workflowBundle();
  // `describe` bounds its queries with a deadline, and `until` polls anyway.
  const connection = await connectWithoutRetries({ address: temporalAddress });
  const client = new Client({ connection, namespace: testInfra().temporalNamespace });
  const rig = await startRig({
    label,
    client,
    temporalAddress,
    settings: realTimeSettings,
    overrides,
  });
  const producer = createInteractionProducer(createKafka(rig.config.kafka), rig.config.kafka);
  await producer.connect();
  const stack: Stack = {
    rig,
    producer,
    produce: (events) => producer.publish(events, { timeoutMs: 10_000 }),
    async stop() {
      await rig.stop();
      await producer.disconnect();
      await connection.close();
    },
  };
  return stack;
}
