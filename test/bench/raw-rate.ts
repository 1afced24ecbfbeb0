import type { Producer } from 'kafkajs';
import { rate } from './infra.js';
import { timedInFlight } from './load.js';

interface RawRecord {
  readonly key: string;
  readonly value: string;
}

/**
 * The baseline `bench:ingest` measures the gateway against: events/s of a plain kafkajs producer
 * (`rawProducer`: idempotent, one request in flight per broker) sending `records` to `topic` with
 * acks=-1, in batches of `batch` with `inFlight` sends at once.
 */
export async function rawProducerRate(
  producer: Producer,
  topic: string,
  records: readonly RawRecord[],
  batch: number,
  inFlight: number,
): Promise<number> {
  const batches = Array.from({ length: Math.ceil(records.length / batch) }, (_, index) =>
    records.slice(index * batch, (index + 1) * batch),
  );
  const ms = await timedInFlight(batches, inFlight, (messages) =>
    producer.send({ topic, acks: -1, messages: [...messages] }),
  );
  return rate(records.length, ms);
}
