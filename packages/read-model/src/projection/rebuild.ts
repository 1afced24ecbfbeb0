import { setTimeout as sleep } from 'node:timers/promises';
import type { DeadLetterTarget, RapportKafka } from '@rapport/kafka';
import type { Model } from '@rapport/model';
import type { Generations, Pointer } from '../generations.js';
import type { ReadModel } from '../read-model.js';
import { projectFromLog, type LogProjection } from './from-log.js';

export interface RebuildOptions {
  readonly topic: string;
  readonly dlq: DeadLetterTarget;
  /** Keep the replaced generation's keys (to delete later by hand). */
  readonly keepOld: boolean;
  /**
   * How long readers may still use the replaced generation before its keys go (default 5 s,
   * the API's 1 s pointer cache with room); a test with no reader of it needs no wait.
   */
  readonly oldGenerationGraceMs?: number;
  /** Called as the build advances: the share of the live progress reached, and events applied. */
  readonly onProgress?: (progress: RebuildProgress) => void;
}

export interface RebuildProgress {
  /** 0 to 1; 0 while there is no live progress to compare with. */
  readonly fraction: number;
  readonly events: number;
  readonly done: boolean;
}

export interface RebuildResult {
  readonly from: Pointer;
  readonly to: Pointer;
  readonly events: number;
  readonly droppedKeys: number;
}

/** How long readers may still use the old generation after the switch (the API caches 1 s). */
const OLD_GENERATION_GRACE_MS = 5_000;
/** With no live projector to catch up with, the build is done once nothing new came for this long. */
const IDLE_MS = 3_000;
const POLL_MS = 250;

/**
 * Rebuilds the whole read model from the start of the log into a new generation beside the live
 * one. The new generation is fed by a consumer group of its own; when its progress reaches the
 * live projectors' (or nothing new comes, if none runs), the pointer moves. Live projectors
 * follow the pointer into that group, so they continue exactly where the rebuild stopped.
 * Readers never see a half-built generation.
 */
export async function rebuildGeneration(
  kafka: RapportKafka,
  readModel: ReadModel,
  model: Model,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const { generations } = readModel;
  const from = await generations.pointer();
  const to = await generations.allocate();
  let projection: LogProjection | undefined;
  try {
    let events = 0;
    projection = await projectFromLog(kafka, readModel, model, {
      topic: options.topic,
      into: to,
      follow: false,
      // Nobody reads the new generation before the switch: announcing its changes would flood
      // the stream with history. After the switch its changes are news.
      announce: false,
      dlq: options.dlq,
      now: Date.now,
      onProjected: ({ result }) => {
        events += result?.events ?? 0;
      },
    });
    await untilCaughtUp(generations, from, to, options.onProgress);
    await generations.switchTo(to);
    projection.announceChanges();
    await projection.stop(); // Commits where it got to: the live projectors take over from there.
    projection = undefined;
    let droppedKeys = 0;
    if (!options.keepOld) {
      await sleep(options.oldGenerationGraceMs ?? OLD_GENERATION_GRACE_MS);
      droppedKeys = await generations.drop(from.generation);
    }
    return { from, to, events, droppedKeys };
  } finally {
    await projection?.stop();
  }
}

/**
 * Waits until the new generation's progress reaches the live one's on every partition; with no
 * live progress (no projector ever ran), until the build goes idle.
 */
async function untilCaughtUp(
  generations: Generations,
  live: Pointer,
  building: Pointer,
  onProgress: RebuildOptions['onProgress'],
): Promise<void> {
  let last = -1;
  let idleSince = performance.now();
  for (;;) {
    const [target, done] = await Promise.all([
      generations.progress(live.generation, live.groupId),
      generations.progress(building.generation, building.groupId),
    ]);
    const total = sum([...target.values()]);
    const reached = sum(
      [...target].map(([partition, offset]) => Math.min(done.get(partition) ?? -1, offset)),
    );
    const applied = sum([...done.values()]);
    if (applied !== last) [last, idleSince] = [applied, performance.now()];
    const caughtUp = [...target].every(
      ([partition, offset]) => (done.get(partition) ?? -1) >= offset,
    );
    const idle = performance.now() - idleSince > IDLE_MS;
    const finished = (total > 0 && caughtUp) || (total === 0 && idle);
    onProgress?.({
      fraction: finished ? 1 : total > 0 ? reached / total : 0,
      events: applied,
      done: finished,
    });
    if (finished) return;
    await sleep(POLL_MS);
  }
}

/** Offsets count from 0: the events up to an offset are offset + 1 (compaction aside). */
const sum = (offsets: readonly number[]) =>
  offsets.reduce((total, offset) => total + offset + 1, 0);
