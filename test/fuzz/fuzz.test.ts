import { describe, expect, it } from 'vitest';
import { testConfig, testEnvironment, uniqueNames } from '../harness/index.js';
import { fuzzSeed, fuzzServices, passed, summary } from './fuzz.js';

/** New cases are `pnpm fuzz`'s job (a new seed each run); the suite repeats the same ones. */
const SUITE_SEED = 20_261_206;

/**
 * A short pass of `pnpm fuzz` (test/fuzz/main.ts) in the test command: schemathesis with every
 * check against both services' `/openapi.json`, about 200 cases each. FUZZ_SEED=<the seed in the
 * message> replays a failing run.
 */
describe('the gateway and the query API against their OpenAPI documents', () => {
  it('pass schemathesis with every check', async () => {
    const names = uniqueNames('fuzz');
    const seed = fuzzSeed(SUITE_SEED);
    const results = await fuzzServices({
      env: testEnvironment(names, {
        RAPPORT_PROJECTOR_GROUP_ID: names.groupId('projector'),
        RAPPORT_LOG_LEVEL: 'error',
      }),
      cacheDir: testConfig(names).infra.cacheDir,
      casesPerService: 200,
      // `pnpm fuzz` also runs the documents' examples and chains of calls (stateful): here they
      // would double the time.
      phases: ['coverage', 'fuzzing'],
      seed,
    });
    console.log(summary(results, seed));
    const failed = results.filter((result) => !passed(result));
    expect(
      failed.map((result) => result.service),
      [summary(results, seed), ...failed.map((result) => result.output)].join('\n\n'),
    ).toEqual([]);
  }, 180_000);
});
