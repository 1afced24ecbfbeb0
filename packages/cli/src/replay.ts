import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type Config } from '@rapport/config';
import {
  createInteractionProducer,
  createKafka,
  runBatchConsumer,
  type RunningConsumer,
} from '@rapport/kafka';
import { createModel } from '@rapport/model';
import { StampedInteractionSchema } from '@rapport/schema';
import { connectReadModel, Projection, type Pointer, type ReadModel } from '@rapport/read-model';
import { parseFlags, runCommand } from './command.js';

const USAGE = `Usage: rapport replay [--keep-old]

Rebuilds the whole read model from the start of the interaction log into a fresh generation,
beside the live one, while the live one keeps serving. Once it has caught up with the live
projectors it switches readers and projectors over, then deletes the old generation.

  --keep-old   keep the replaced generation's keys (delete them later by hand)`;

/** How long readers may still use the old generation after the switch (the API caches 1 s). */
const OLD_GENERATION_GRACE_MS = 5_000;
/** With no live projector to catch up with, the build is done once nothing new came for this long. */
const IDLE_MS = 3_000;
const POLL_MS = 250;

export interface ReplayOptions {
  readonly keepOld: boolean;
  /** Progress lines (a terminal gets one line redrawn in place). */
  readonly out: { write(text: string): unknown; readonly isTTY?: boolean };
}

export interface ReplayResult {
  readonly from: Pointer;
  readonly to: Pointer;
  readonly events: number;
  readonly seconds: number;
  readonly droppedKeys: number;
}

export async function replayCommand(args: readonly string[]): Promise<number> {
  return runCommand('replay', USAGE, async () => {
    const { values } = parseFlags(args, {
      'keep-old': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const result = await replay(loadConfig(), {
      keepOld: values['keep-old'],
      out: process.stderr,
    });
    console.log(
      `rapport: replayed ${result.events.toLocaleString('en-US')} events in ${result.seconds.toFixed(1)} s ` +
        `into generation ${result.to.generation}; readers moved from generation ${result.from.generation}` +
        (result.droppedKeys > 0
          ? `, ${result.droppedKeys.toLocaleString('en-US')} old keys deleted`
          : ''),
    );
    return 0;
  });
}

/**
 * The rebuild. The new generation is fed by a consumer group of its own from the log's start;
 * when its progress reaches the live projectors' (or nothing new comes, if none runs), the
 * pointer moves. Live projectors follow the pointer into that group, so they continue exactly
 * where the rebuild stopped: a generation is only ever written by its own group, and its
 * positions and the group's offsets always agree. Readers never see a half-built generation.
 */
export async function replay(config: Config, options: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now();
  const kafka = createKafka(config.kafka);
  const producer = createInteractionProducer(kafka, config.kafka);
  const model = createModel();
  const store = connectReadModel(config, model);
  let consumer: RunningConsumer | undefined;
  try {
    await producer.connect();
    const from = await store.pointer();
    const generation = await store.allocateGeneration();
    const to: Pointer = { generation, groupId: `${config.projector.groupId}.g${generation}` };
    const projection = (announce: boolean) =>
      new Projection(store, model, { ...to, follow: false, announce });
    // Nobody reads the new generation before the switch: announcing its changes would flood the
    // stream with history. After the switch its changes are news.
    let current = projection(false);
    let events = 0;
    consumer = await runBatchConsumer(kafka, {
      groupId: to.groupId,
      topic: config.kafka.topics.interactions,
      schema: StampedInteractionSchema,
      dlq: { producer, source: 'replay' },
      fromBeginning: true,
      partitionsConsumedConcurrently: 4,
      handleBatch: async (batch) => {
        await current.project(batch.partition, batch.records, Date.now());
        events += batch.records.length;
      },
    });
    await untilCaughtUp(store, from, to, options.out);
    await store.switchTo(to);
    current = projection(true);
    await consumer.stop(); // Commits where it got to: the live projectors take over from there.
    consumer = undefined;
    let droppedKeys = 0;
    if (!options.keepOld) {
      await sleep(OLD_GENERATION_GRACE_MS);
      droppedKeys = await store.dropGeneration(from.generation);
    }
    return { from, to, events, seconds: (performance.now() - started) / 1000, droppedKeys };
  } finally {
    await consumer?.stop();
    await producer.disconnect();
    await store.close();
  }
}

/**
 * Waits until the new generation's progress reaches the live one's on every partition, drawing
 * a progress bar; with no live progress (no projector ever ran), until the build goes idle.
 */
async function untilCaughtUp(
  store: ReadModel,
  live: Pointer,
  building: Pointer,
  out: ReplayOptions['out'],
): Promise<void> {
  let last = -1;
  let idleSince = performance.now();
  for (;;) {
    const [target, done] = await Promise.all([
      store.progress(live.generation, live.groupId),
      store.progress(building.generation, building.groupId),
    ]);
    const total = sum([...target.values()]);
    const reached = sum(
      [...target].map(([partition, offset]) => Math.min(done.get(partition) ?? -1, offset)),
    );
    const applied = sum([...done.values()]);
    if (applied !== last) [last, idleSince] = [applied, performance.now()];
    drawProgress(out, total > 0 ? reached / total : 0, applied);
    const caughtUp = [...target].every(
      ([partition, offset]) => (done.get(partition) ?? -1) >= offset,
    );
    const idle = performance.now() - idleSince > IDLE_MS;
    if ((total > 0 && caughtUp) || (total === 0 && idle)) {
      drawProgress(out, 1, applied, true);
      out.write(out.isTTY ? '\n' : '');
      return;
    }
    await sleep(POLL_MS);
  }
}

/** Offsets count from 0: the events up to an offset are offset + 1 (compaction aside). */
const sum = (offsets: readonly number[]) =>
  offsets.reduce((total, offset) => total + offset + 1, 0);

const BAR = 30;
/** Outside a terminal (a CI log), one line this often instead of a bar redrawn in place. */
const LINE_EVERY_MS = 2_000;
let lastLineMs = Number.NEGATIVE_INFINITY;

function drawProgress(
  out: ReplayOptions['out'],
  fraction: number,
  events: number,
  final = false,
): void {
  if (!out.isTTY && !final && performance.now() - lastLineMs < LINE_EVERY_MS) return;
  lastLineMs = performance.now();
  const filled = Math.round(Math.min(1, fraction) * BAR);
  const line = `replay [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${events.toLocaleString('en-US')} events`;
  out.write(out.isTTY ? `\r${line}\u001b[K` : `${line}\n`);
}
