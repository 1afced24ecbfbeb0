import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { run } from '@rapport/infra';

/** The part of `vegeta report -type=json` a benchmark prints; durations in nanoseconds. */
const VegetaReport = z.object({
  requests: z.number(),
  throughput: z.number(),
  latencies: z.object({
    '50th': z.number(),
    '99th': z.number(),
    max: z.number(),
  }),
  status_codes: z.record(z.string(), z.number()),
  errors: z.array(z.string()).nullable(),
});

export interface HttpLoad {
  readonly requests: number;
  /** Answers per second over the whole pass. */
  readonly perSecond: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * HTTP GETs from vegeta (`fetchVegeta`'s binary), a Go load generator in its own process, on
 * keep-alive connections. A `rate` per second is an open loop (requests leave on schedule
 * whatever the answers do, on as many connections as that takes); `{ connections }` is a closed
 * loop of that many callers, each asking again as soon as it has its answer. Not Node: a load
 * generator in the benchmark's process counts its own timers and event loop in every latency
 * (docs/performance.md, the read side). Rejects unless every answer was 200: a benchmark must not
 * time errors.
 */
export async function httpLoad(options: {
  readonly vegeta: string;
  readonly baseUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Paths, asked in turn. */
  readonly paths: readonly string[];
  readonly rate: number | { readonly connections: number };
  readonly seconds: number;
}): Promise<HttpLoad> {
  const { vegeta } = options;
  const dir = await mkdtemp(join(tmpdir(), 'rapport-vegeta-'));
  try {
    const headers = Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`);
    const targets = options.paths.map((path) =>
      [`GET ${options.baseUrl}${path}`, ...headers, ''].join('\n'),
    );
    await writeFile(join(dir, 'targets'), targets.join('\n'));
    const rate =
      typeof options.rate === 'number'
        ? [`-rate=${options.rate}/1s`]
        : ['-rate=0', `-max-workers=${options.rate.connections}`];
    await run(vegeta, [
      'attack',
      `-targets=${join(dir, 'targets')}`,
      `-duration=${options.seconds}s`,
      ...rate,
      `-output=${join(dir, 'results')}`,
    ]);
    const { stdout } = await run(vegeta, ['report', '-type=json', join(dir, 'results')]);
    const report = VegetaReport.parse(JSON.parse(stdout));
    const statuses = Object.keys(report.status_codes);
    if (statuses.some((status) => status !== '200') || (report.errors ?? []).length > 0) {
      throw new Error(
        `answers other than 200: ${JSON.stringify(report.status_codes)} ${report.errors?.slice(0, 3).join('; ') ?? ''}`,
      );
    }
    const ms = (ns: number) => ns / 1e6;
    return {
      requests: report.requests,
      perSecond: Math.round(report.throughput),
      p50: ms(report.latencies['50th']),
      p99: ms(report.latencies['99th']),
      max: ms(report.latencies.max),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
