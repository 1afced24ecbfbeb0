import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { readDurations } from './durations.js';

/**
 * Longest file first, by the durations committed in test/durations.json; a file not measured yet
 * first of all. Files go to the workers in this order, each taking the next as it finishes, so a
 * long file started last would be a tail the others wait on: vitest's own order needs its cache,
 * which a fresh clone lacks, and falls back to the files' sizes.
 */
export default class LongestFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const durations = readDurations();
    const duration = (file: TestSpecification) =>
      durations[durationKey(file)] ?? Number.POSITIVE_INFINITY;
    return Promise.resolve(files.toSorted((a, b) => duration(b) - duration(a)));
  }
}

export function durationKey(file: {
  project: { name: string; config: { root: string } };
  moduleId: string;
}): string {
  return `${file.project.name}:${relative(file.project.config.root, file.moduleId)}`;
}
