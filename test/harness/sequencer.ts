import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { durationKey, readDurations } from './durations.js';

/**
 * A file this long starts servers or a stack of its own (brokers, services, the fuzzer) and keeps
 * the cores busy: two of them at once each run far longer than alone (docs/performance.md).
 */
export const LONG_FILE_MS = 20_000;

/**
 * Orders the files as the workers should take them, by the durations committed in
 * test/durations.json: vitest's own order needs its cache, which a fresh clone lacks, and falls
 * back to the files' sizes, which left the fuzzer for the end. Each project's files are planned
 * apart (`planFiles`), since each project runs in a pool of its own.
 */
export default class Planned extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const durations = readDurations();
    const workers = this.ctx.config.maxWorkers;
    const projects = [...new Set(files.map((file) => file.project.name))];
    return Promise.resolve(
      projects.flatMap((project) =>
        planFiles(
          files.filter((file) => file.project.name === project),
          workers,
          (file) => durations[durationKey(file)],
        ),
      ),
    );
  }
}

/**
 * The order in which `workers` workers, each taking the next file as it finishes, run the long
 * files one at a time beside the others, longest first, as their durations predict. Files not
 * measured yet go first, as they came.
 */
export function planFiles<File>(
  files: readonly File[],
  workers: number,
  durationOf: (file: File) => number | undefined,
): File[] {
  const measured = files.filter((file) => durationOf(file) !== undefined);
  const duration = (file: File) => durationOf(file) ?? 0;
  const longestFirst = measured.toSorted((a, b) => duration(b) - duration(a));
  const long = longestFirst.filter((file) => duration(file) >= LONG_FILE_MS);
  const short = longestFirst.filter((file) => duration(file) < LONG_FILE_MS);
  const order = files.filter((file) => durationOf(file) === undefined);
  /** When each worker is next free, and until when it runs a long file. */
  const lanes = Array.from({ length: Math.max(1, workers) }, () => ({ free: 0, longUntil: 0 }));
  while (long.length > 0 || short.length > 0) {
    const lane = lanes.reduce((earliest, next) => (next.free < earliest.free ? next : earliest));
    const longRunning = lanes.some((other) => other.longUntil > lane.free);
    const next = (longRunning ? undefined : long.shift()) ?? short.shift() ?? long.shift();
    if (next === undefined) break;
    const end = lane.free + duration(next);
    if (duration(next) >= LONG_FILE_MS) lane.longUntil = end;
    lane.free = end;
    order.push(next);
  }
  return order;
}
