import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import { durationKey, readDurations, WORKSPACE_ROOT, writeDurations } from './durations.js';

/**
 * Records each passing file's duration in test/durations.json (`pnpm test:durations`). A file
 * this run left out, or that failed, keeps its last measurement; a file that is gone, its line.
 */
export default class DurationsReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const durations = readDurations();
    for (const key of Object.keys(durations)) {
      if (!existsSync(join(WORKSPACE_ROOT, key.slice(key.indexOf(':') + 1)))) delete durations[key];
    }
    for (const testModule of testModules) {
      if (testModule.state() !== 'passed') continue;
      durations[durationKey(testModule)] = Math.round(testModule.diagnostic().duration / 100) * 100;
    }
    writeDurations(durations);
  }
}
