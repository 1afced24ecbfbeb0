import type { Config } from '@rapport/config';
import {
  createInteractionProducer,
  DeadLetterSchema,
  parseRecord,
  provisionTopics,
  runBatchConsumer,
  type BatchRetry,
  type ConsumedBatch,
  type RunningConsumer,
} from '@rapport/kafka';
import { StampedInteractionSchema, type StampedInteraction } from '@rapport/schema';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { testInfra, uniqueNames } from '../harness/index.js';
import {
  committedOffsets,
  eventually,
  withInspectingAdmin,
  kafkaFor,
  readAll,
  recordingLogger,
  stamped,
  type LogLine,
} from './helpers.js';

type Batch = ConsumedBatch<StampedInteraction>;

interface StartOptions {
  readonly log?: ReturnType<typeof recordingLogger>;
  readonly retry?: BatchRetry;
  readonly probe?: () => Promise<unknown>;
}

/** Provisioned topics, a connected producer, and the consumers a test starts (stopped after). */
async function setup(label: string, partitions: number, overrides: Partial<Config['kafka']> = {}) {
  const names = uniqueNames(label);
  const logger = recordingLogger();
  const { config, kafka } = kafkaFor(names, partitions, logger, overrides);
  await provisionTopics(kafka, config);
  const producer = createInteractionProducer(kafka, config);
  await producer.connect();
  running.push({ stop: () => producer.disconnect() });
  const topic = config.topics.interactions;
  const groupId = names.groupId('g');
  const start = async (
    handleBatch: (batch: Batch) => Promise<void>,
    { log = logger, retry, probe }: StartOptions = {},
  ) => {
    const consumer = await runBatchConsumer(kafka, {
      groupId,
      topic,
      schema: StampedInteractionSchema,
      handleBatch,
      dlq: { producer, source: 'projector' },
      logger: log,
      ...(retry && { retry }),
      ...(probe && { probe }),
    });
    running.push(consumer);
    return consumer;
  };
  const publish = (events: StampedInteraction[]) => producer.publish(events, { timeoutMs: 10_000 });
  return { names, logger, config, kafka, topic, groupId, start, publish };
}

type Setup = Awaited<ReturnType<typeof setup>>;

const running: Pick<RunningConsumer, 'stop'>[] = [];
/** Back-off short enough that the bounded attempts of a test take a second, not a minute. */
const FAST_RETRY = { initialMs: 50, maxMs: 200, pollMs: 50 };
afterEach(async () => {
  await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
});

const offsets = (batch: Batch) => batch.records.map((record) => record.offset);
const deadLetters = async (t: Pick<Setup, 'kafka' | 'config'>) =>
  (await readAll(t.kafka, t.config.topics.dlq)).map((record) => {
    const parsed = parseRecord(DeadLetterSchema, record);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return { key: record.key, letter: parsed.value };
  });
const messages = (lines: readonly LogLine[], event: string) =>
  lines.filter((line) => line.fields.event === event);

describe('runBatchConsumer (real broker)', () => {
  it('commits only the finished run from the batch start; the rest comes again after a restart', async () => {
    const t = await setup('kafka-consumer-contiguous', 1);
    const events = Array.from({ length: 10 }, (_, seq) => stamped('c-1', seq));
    await t.publish(events);

    // Finishes 0, 1, 2 and 4 (not 3), then fails: the commit may only reach 3.
    const failing = await t.start((batch) => {
      for (const record of batch.records) {
        if (['0', '1', '2', '4'].includes(record.offset)) batch.markDone(record);
      }
      return Promise.reject(new Error('downstream unavailable'));
    });
    await eventually(async () => {
      expect((await committedOffsets(t.groupId, t.topic)).get(0)).toBe('3');
      expect(messages(t.logger.lines, 'BATCH_FAILED').length).toBeGreaterThanOrEqual(2);
    });
    await failing.stop();
    expect((await committedOffsets(t.groupId, t.topic)).get(0)).toBe('3');

    const seen: StampedInteraction[] = [];
    const seenOffsets: string[] = [];
    await t.start((batch) => {
      seenOffsets.push(...offsets(batch));
      seen.push(...batch.records.map((record) => record.value));
      return Promise.resolve();
    });
    await eventually(() => expect(seenOffsets).toEqual(['3', '4', '5', '6', '7', '8', '9']));
    expect(seen).toEqual(events.slice(3));
    await eventually(async () =>
      expect((await committedOffsets(t.groupId, t.topic)).get(0)).toBe('10'),
    );
  });

  it('heartbeats while a failing batch backs off: a rebalance completes at once, not after the back-off', async () => {
    // A long session: what moves the partition below is the failing member's heartbeat hearing
    // of the rebalance, not its eviction.
    const t = await setup('kafka-consumer-backoff', 2, {
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 1_000,
    });
    const customers = Array.from({ length: 6 }, (_, index) => `c-${index}`);
    await t.publish(customers.map((customer) => stamped(customer, 0)));
    const logA = recordingLogger();
    const logB = recordingLogger();
    // A fails every batch and waits 20 s before each retry.
    await t.start(() => Promise.reject(new Error('downstream unavailable')), {
      log: logA,
      retry: { initialMs: 20_000, maxMs: 20_000, pollMs: 100 },
    });
    await eventually(() => expect(messages(logA.lines, 'BATCH_FAILED')).toHaveLength(1));

    const handled = new Set<string>();
    const joining = Date.now();
    // Resolves once the group's rebalance is done, which waits for A to rejoin.
    await t.start(
      (batch) => {
        for (const offset of offsets(batch)) handled.add(`${batch.partition}@${offset}`);
        return Promise.resolve();
      },
      { log: logB },
    );
    expect(Date.now() - joining).toBeLessThan(6_000);
    expect(messages(logA.lines, 'REBALANCING').length).toBeGreaterThan(0);
    // B owns a partition and handles its records, which A failed and never committed.
    const [join] = messages(logB.lines, 'GROUP_JOIN');
    const owned = (join?.fields.partitions as number[] | undefined) ?? [];
    expect(owned).toHaveLength(1);
    const offsetsOf = await withInspectingAdmin((admin) => admin.fetchTopicOffsets(t.topic));
    const expected = offsetsOf
      .filter((p) => owned.includes(p.partition))
      .flatMap((p) =>
        Array.from({ length: Number(p.high) }, (_, offset) => `${p.partition}@${offset}`),
      );
    expect(expected.length).toBeGreaterThan(0);
    await eventually(() => expect([...handled].sort()).toEqual(expected.sort()));
    expect(messages(logA.lines, 'CRASH')).toEqual([]);
  });

  it('stops at once while a failing batch backs off, leaving its records uncommitted', async () => {
    const t = await setup('kafka-consumer-stop-backoff', 1);
    await t.publish(Array.from({ length: 3 }, (_, seq) => stamped('c-1', seq)));
    const consumer = await t.start(
      (batch) => {
        batch.markDone(batch.records[0] as Batch['records'][number]);
        return Promise.reject(new Error('downstream unavailable'));
      },
      { retry: { initialMs: 20_000, maxMs: 20_000, pollMs: 250 } },
    );
    await eventually(() => expect(messages(t.logger.lines, 'BATCH_FAILED')).toHaveLength(1));
    const stopping = Date.now();
    await consumer.stop();
    expect(Date.now() - stopping).toBeLessThan(3_000);
    expect(messages(t.logger.lines, 'BATCH_FAILED')).toHaveLength(1);
    expect((await committedOffsets(t.groupId, t.topic)).get(0)).toBe('1');
  });

  it('dead-letters poison with the reason and the original bytes, and moves on', async () => {
    const t = await setup('kafka-consumer-poison', 1);
    const raw = new Kafka({
      clientId: t.names.id,
      brokers: testInfra().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await raw.connect();
    const good = [stamped('c-1', 0), stamped('c-1', 1)];
    const binary = Buffer.from([0xff, 0x00, 0x9c]);
    await raw.send({
      topic: t.topic,
      messages: [
        { key: 'c-1', value: JSON.stringify(good[0]) },
        { key: 'c-2', value: 'not json {' },
        { key: 'c-3', value: JSON.stringify({ eventId: 'e-3', customerId: 'c-3' }) },
        { key: null, value: binary },
        { key: 'c-4', value: null },
        { key: 'c-1', value: JSON.stringify(good[1]) },
      ],
    });
    await raw.disconnect();

    const handled: StampedInteraction[] = [];
    await t.start((batch) => {
      handled.push(...batch.records.map((record) => record.value));
      return Promise.resolve();
    });
    await eventually(async () =>
      expect((await committedOffsets(t.groupId, t.topic)).get(0)).toBe('6'),
    );
    expect(handled).toEqual(good);

    const letters = await deadLetters(t);
    const byOffset = new Map(letters.map((entry) => [entry.letter.context?.offset, entry]));
    expect([...byOffset.keys()].sort()).toEqual(['1', '2', '3', '4']);
    expect(byOffset.get('1')).toMatchObject({
      key: 'c-2',
      letter: {
        reason: { code: 'INVALID_RECORD' },
        source: 'projector',
        original: 'not json {',
        customerId: 'c-2',
        context: { topic: t.topic, partition: 0, groupId: t.groupId },
      },
    });
    expect(byOffset.get('1')?.letter.reason.message).toContain('not JSON');
    expect(byOffset.get('2')?.letter.reason.issues?.map((issue) => issue.path)).toContain(
      'occurredAt',
    );
    const binaryLetter = byOffset.get('3')?.letter;
    expect(binaryLetter?.context).toMatchObject({ encoding: 'base64' });
    expect(Buffer.from(binaryLetter?.original ?? '', 'base64')).toEqual(binary);
    expect(byOffset.get('4')?.letter.context).toMatchObject({ tombstone: 'true' });
  });

  it('dead-letters a record the handler keeps failing on while its environment answers; the partition goes on', async () => {
    const t = await setup('kafka-consumer-refused', 1, { poisonAttempts: 2 });
    const events = Array.from({ length: 12 }, (_, seq) => stamped(`c-${seq % 3}`, seq));
    const refused = new Set([events[4]?.eventId, events[9]?.eventId]);
    await t.publish(events);
    const handled: string[] = [];
    let probes = 0;
    const consumer = await t.start(
      (batch) => {
        // A handler that fails the whole batch for one record, as a projection does.
        if (batch.records.some((record) => refused.has(record.value.eventId))) {
          return Promise.reject(
            new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
          );
        }
        handled.push(...batch.records.map((record) => record.value.eventId));
        return Promise.resolve();
      },
      { retry: FAST_RETRY, probe: () => Promise.resolve(probes++) },
    );
    await eventually(async () =>
      expect((await committedOffsets(t.groupId, t.topic)).get(0)).toBe('12'),
    );
    expect(handled.sort()).toEqual(
      events
        .filter((e) => !refused.has(e.eventId))
        .map((e) => e.eventId)
        .sort(),
    );
    const letters = await deadLetters(t);
    expect(letters.map(({ letter }) => letter.context?.['offset']).sort()).toEqual(['4', '9']);
    for (const { key, letter } of letters) {
      const offset = Number(letter.context?.['offset']);
      expect({ key, letter }).toMatchObject({
        key: events[offset]?.customerId,
        letter: {
          reason: { code: 'HANDLER_FAILED' },
          source: 'projector',
          customerId: events[offset]?.customerId,
          context: { topic: t.topic, partition: 0, groupId: t.groupId },
        },
      });
      expect(JSON.parse(letter.original)).toEqual(events[offset]);
      expect(letter.reason.message).toMatch(/failed on .*@\d+ 2 times .*: WRONGTYPE Operation/);
    }
    expect(messages(t.logger.lines, 'ISOLATING').length).toBeGreaterThan(0);
    expect(messages(t.logger.lines, 'DEAD_LETTERED')).toHaveLength(2);
    expect(probes).toBeGreaterThan(0);
    expect(consumer.waiting()).toEqual([]);
    await expect(consumer.ready()).resolves.toBeUndefined();
  });

  it('waits out an environment that does not answer, dead-letters nothing meanwhile, and says the partition is stalled', async () => {
    const t = await setup('kafka-consumer-outage', 1, { poisonAttempts: 2, stallAfterMs: 1_000 });
    const events = Array.from({ length: 7 }, (_, seq) => stamped('c-1', seq));
    const poison = events[3]?.eventId;
    await t.publish(events);
    let down = true;
    const handled: string[] = [];
    const consumer = await t.start(
      (batch) => {
        if (down) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
        if (batch.records.some((record) => record.value.eventId === poison)) {
          return Promise.reject(new Error('refused for good'));
        }
        handled.push(...batch.records.map((record) => record.value.eventId));
        return Promise.resolve();
      },
      {
        retry: FAST_RETRY,
        probe: () =>
          down ? Promise.reject(new Error('Redis does not answer')) : Promise.resolve(),
      },
    );
    await eventually(async () => {
      expect(messages(t.logger.lines, 'ENVIRONMENT_DOWN').length).toBeGreaterThanOrEqual(3);
      await expect(consumer.ready()).rejects.toThrow(
        new RegExp(`^stalled: ${t.topic}/0 for \\d+ s$`),
      );
    });
    expect(consumer.waiting()).toMatchObject([{ topic: t.topic, partition: 0, stalled: true }]);
    expect(messages(t.logger.lines, 'ISOLATING')).toEqual([]);
    expect(await deadLetters(t)).toEqual([]);
    // Nothing committed (kafkajs's -1).
    expect((await committedOffsets(t.groupId, t.topic)).get(0)).toBe('-1');

    down = false;
    await eventually(async () =>
      expect((await committedOffsets(t.groupId, t.topic)).get(0)).toBe('7'),
    );
    // The one record that still fails alone, the environment answering, and it alone.
    expect(handled.sort()).toEqual(
      events
        .filter((e) => e.eventId !== poison)
        .map((e) => e.eventId)
        .sort(),
    );
    const letters = await deadLetters(t);
    expect(letters.map(({ letter }) => [letter.reason.code, letter.context?.['offset']])).toEqual([
      ['HANDLER_FAILED', '3'],
    ]);
    await expect(consumer.ready()).resolves.toBeUndefined();
  });

  it('stops gracefully: finishes the batch in flight, commits it, then takes nothing more', async () => {
    const t = await setup('kafka-consumer-stop', 1);
    await t.publish(Array.from({ length: 5 }, (_, seq) => stamped('c-1', seq)));
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    const finished: string[] = [];
    const consumer = await t.start(async (batch) => {
      entered();
      for (const record of batch.records) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await batch.heartbeat();
        finished.push(record.offset);
      }
    });
    await inFlight;
    await consumer.stop();
    expect(finished).toEqual(['0', '1', '2', '3', '4']);
    expect((await committedOffsets(t.groupId, t.topic)).get(0)).toBe('5');
    expect(messages(t.logger.lines, 'STOPPED')).toHaveLength(1);

    await t.publish([stamped('c-1', 5)]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(finished).toHaveLength(5);
  });

  it('splits the partitions between two members on a rebalance, without loss or duplicates', async () => {
    const t = await setup('kafka-consumer-rebalance', 4);
    const customers = Array.from({ length: 12 }, (_, index) => `c-${index}`);
    const wave = (seq: number) => customers.map((customer) => stamped(customer, seq));
    const handled = new Map<string, string[]>();
    const handler = (member: string) => (batch: Batch) => {
      for (const offset of offsets(batch)) {
        const key = `${batch.partition}@${offset}`;
        handled.set(key, [...(handled.get(key) ?? []), member]);
      }
      return Promise.resolve();
    };
    const logA = recordingLogger();
    const logB = recordingLogger();
    const assignment = (log: typeof logA) => {
      const joins = messages(log.lines, 'GROUP_JOIN');
      const last = joins[joins.length - 1]?.fields.partitions;
      return Array.isArray(last) ? last.map(Number) : [];
    };

    await t.start(handler('a'), { log: logA });
    await eventually(() => expect(assignment(logA)).toEqual([0, 1, 2, 3]));
    await t.publish([...wave(0), ...wave(1)]);
    await eventually(() => expect(handled.size).toBe(24));

    await t.start(handler('b'), { log: logB });
    await eventually(() => {
      const a = assignment(logA);
      const b = assignment(logB);
      expect(b.length).toBeGreaterThan(0);
      expect([...a, ...b].sort()).toEqual([0, 1, 2, 3]);
    });
    expect(messages(logA.lines, 'REBALANCING').length).toBeGreaterThan(0);

    await t.publish([...wave(2), ...wave(3)]);
    await eventually(() => expect(handled.size).toBe(48));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const duplicates = [...handled].filter(([, members]) => members.length > 1);
    expect(duplicates).toEqual([]);
    const members = new Set([...handled.values()].flat());
    expect(members).toEqual(new Set(['a', 'b']));
  });
});
