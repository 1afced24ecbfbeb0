import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Seconds per test file (`<project>:<path>`) in a whole run: `durations.json`, refreshed below. */
const durations = JSON.parse(
  readFileSync(new URL('./durations.json', import.meta.url), 'utf8'),
) as Record<string, number>;

/**
 * Longest files first. Three files run at a time (vitest.config.ts), so a run ends when its last
 * long file does: a 40 s file started last stretches the run by most of that. Vitest orders by the
 * durations it cached in the previous run, which a fresh clone (CI) does not have; durations.json
 * stands in for that cache (`pnpm test:durations` rewrites it from the cache after a whole run).
 * Files not in it keep vitest's own order, after the listed ones.
 */
export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const root = this.ctx.config.root;
    const seconds = (spec: TestSpecification) =>
      durations[`${spec.project.name}:${relative(root, spec.moduleId)}`] ?? 0;
    // Array.prototype.sort is stable: files of equal weight keep vitest's order.
    return ordered.sort((a, b) => seconds(b) - seconds(a));
  }
}
