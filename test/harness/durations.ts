import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * How long each test file took in a whole run, by `project:path` from the workspace's root:
 * committed, so that a fresh clone, which has no vitest cache, still plans the files' order
 * (`sequencer.ts`). `pnpm test:durations` measures them again.
 */
export const DURATIONS_FILE = fileURLToPath(new URL('../durations.json', import.meta.url));
/** What the paths in it are relative to. */
export const WORKSPACE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const DurationsSchema = z.record(z.string(), z.number().nonnegative());
export type Durations = z.infer<typeof DurationsSchema>;

/** A file's key in them: its project's name and its path from the project's root. */
export function durationKey(file: {
  project: { name: string; config: { root: string } };
  moduleId: string;
}): string {
  return `${file.project.name}:${relative(file.project.config.root, file.moduleId)}`;
}

export function readDurations(): Durations {
  return existsSync(DURATIONS_FILE)
    ? DurationsSchema.parse(JSON.parse(readFileSync(DURATIONS_FILE, 'utf8')))
    : {};
}

/** One line per file, longest first, so a new measurement's diff reads as the ranking it changed. */
export function writeDurations(durations: Durations): void {
  const sorted = Object.entries(durations).toSorted(([, a], [, b]) => b - a);
  writeFileSync(DURATIONS_FILE, `${JSON.stringify(Object.fromEntries(sorted), null, 2)}\n`);
}
