// Rewrites test/harness/durations.json from vitest's cache of the last run (run the whole suite
// first): the files that took 3 s or more, longest first, in seconds.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const cacheDir = new URL('../../node_modules/.vite/vitest/', import.meta.url);
const ResultsSchema = z.object({
  results: z.array(z.tuple([z.string(), z.object({ duration: z.number().optional() })])),
});
const durations = readdirSync(cacheDir).flatMap((hash) => {
  const text = readFileSync(join(cacheDir.pathname, hash, 'results.json'), 'utf8');
  return ResultsSchema.parse(JSON.parse(text)).results.map(
    ([file, { duration = 0 }]) => [file, Math.round(duration / 100) / 10] as const,
  );
});
const slow = durations.filter(([, seconds]) => seconds >= 3).sort((a, b) => b[1] - a[1]);
writeFileSync(
  new URL('./durations.json', import.meta.url),
  `${JSON.stringify(Object.fromEntries(slow), null, 2)}\n`,
);
console.log(`durations.json: ${slow.length} files of 3 s or more`);
