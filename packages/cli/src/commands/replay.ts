import { loadModelParams, type Config } from '@rapport/config';
import { createInteractionProducer, createKafka } from '@rapport/kafka';
import { createModel } from '@rapport/model';
import {
  connectReadModel,
  rebuildGeneration,
  type RebuildProgress,
  type RebuildResult,
} from '@rapport/read-model';
import { defineCommand } from '../command.js';

const USAGE = `Usage: rapport replay [--keep-old]

Rebuilds the whole read model from the start of the interaction log into a fresh generation,
beside the live one, while the live one keeps serving. Once it has caught up with the live
projectors it switches readers and projectors over, then deletes the old generation. The new
generation's indexes have RAPPORT_REDIS_INDEX_SHARDS shards: how a new count takes effect.

  --keep-old   keep the replaced generation's keys (delete them later by hand)`;

export interface ReplayOptions {
  readonly keepOld: boolean;
  /** Progress lines (a terminal gets one line redrawn in place). */
  readonly out: ProgressOutput;
}

export interface ReplayResult extends RebuildResult {
  readonly seconds: number;
}

export const replayCommand = defineCommand({
  name: 'replay',
  synopsis: 'replay',
  summary: "Rebuild the read model from the log's start, then switch readers to it.",
  usage: USAGE,
  flags: { 'keep-old': { type: 'boolean', default: false } },
  async run({ flags, config }) {
    const result = await replay(config, { keepOld: flags['keep-old'], out: process.stderr });
    console.log(
      `rapport: replayed ${result.events.toLocaleString('en-US')} events in ${result.seconds.toFixed(1)} s ` +
        `into generation ${result.to.generation}; readers moved from generation ${result.from.generation}` +
        (result.droppedKeys > 0
          ? `, ${result.droppedKeys.toLocaleString('en-US')} old keys deleted`
          : '') +
        `; its indexes have ${result.to.shards} shard(s) (RAPPORT_REDIS_INDEX_SHARDS)`,
    );
    return 0;
  },
});

/** `rapport replay`: the read model's rebuild (rebuildGeneration), with a progress bar. */
export async function replay(config: Config, options: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now();
  const kafka = createKafka(config.kafka);
  const producer = createInteractionProducer(kafka, config.kafka);
  const model = createModel(await loadModelParams(config.model.file));
  const readModel = connectReadModel(config, model);
  try {
    await producer.connect();
    const result = await rebuildGeneration(kafka, readModel, model, {
      topic: config.kafka.topics.interactions,
      dlq: { producer, source: 'replay' },
      keepOld: options.keepOld,
      onProgress: (progress) => drawProgress(options.out, progress),
    });
    return { ...result, seconds: (performance.now() - started) / 1000 };
  } finally {
    await producer.disconnect();
    await readModel.close();
  }
}

interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const BAR = 30;
/** Outside a terminal (a CI log), one line this often instead of a bar redrawn in place. */
const LINE_EVERY_MS = 2_000;
let lastLineMs = Number.NEGATIVE_INFINITY;

function drawProgress(out: ProgressOutput, { fraction, events, done }: RebuildProgress): void {
  if (!out.isTTY && !done && performance.now() - lastLineMs < LINE_EVERY_MS) return;
  lastLineMs = performance.now();
  const filled = Math.round(Math.min(1, fraction) * BAR);
  const line = `replay [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${events.toLocaleString('en-US')} events`;
  out.write(out.isTTY ? `\r${line}\u001b[K${done ? '\n' : ''}` : `${line}\n`);
}
