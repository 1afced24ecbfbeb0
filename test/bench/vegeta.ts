import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { run } from '@rapport/infra';

/** The part of `vegeta report -type=json` a benchmark prints; durations in nanoseconds. */
const VegetaReport = z.object({
  requests: z.number(),
  /** Requests sent per second: below the rate asked for when vegeta itself could not keep up. */
  rate: z.number(),
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
  const headers = Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`);
  const targets = options.paths.map((path) =>
    [`GET ${options.baseUrl}${path}`, ...headers, ''].join('\n'),
  );
  const report = await attack(options, (file) => writeFile(file, targets.join('\n')));
  if (Object.keys(report.statuses).some((status) => status !== '200') || report.errors.length > 0) {
    throw new Error(
      `answers other than 200: ${JSON.stringify(report.statuses)} ${report.errors.slice(0, 3).join('; ')}`,
    );
  }
  return report;
}

/** An open-loop pass's figures, and every answer's status: a pipeline past its limit refuses some. */
export interface PostLoad extends HttpLoad {
  /** Requests sent per second (vegeta's own rate: below the one asked for if it fell behind). */
  readonly sentPerSecond: number;
  /** Answers slower than `slowerThanMs`, when asked for (else 0). */
  readonly slow: number;
  /** Answers by status code (`0`: no answer, a timeout or a refused connection). */
  readonly statuses: Readonly<Record<string, number>>;
  readonly errors: readonly string[];
}

/**
 * POSTs of JSON bodies from vegeta at `rate` per second for `seconds`, open loop, one body per
 * request in the order given (each used once: events carry ids the gateway de-duplicates by).
 * The targets are written to a file before the attack and read lazily by vegeta as it sends, so a
 * pass of a million bodies does not sit in its memory. Answers other than 2xx are counted, not
 * thrown: past its limit a service refusing some requests is what a benchmark measures.
 */
export async function postLoad(options: {
  readonly vegeta: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly bodies: Iterable<string>;
  readonly rate: number;
  readonly seconds: number;
  /** Called once the targets are written, as vegeta starts sending. */
  readonly sending?: () => Promise<void>;
  /** Counts the answers slower than this (`PostLoad.slow`). */
  readonly slowerThanMs?: number;
}): Promise<PostLoad> {
  const header = Object.fromEntries(
    Object.entries({ 'content-type': 'application/json', ...options.headers }).map(
      ([name, value]) => [name, [value]],
    ),
  );
  return attack({ ...options, targetFlags: ['-format=json', '-lazy'] }, async (file) => {
    const out = createWriteStream(file);
    for (const body of options.bodies) {
      const target = {
        method: 'POST',
        url: options.url,
        header,
        body: Buffer.from(body).toString('base64'),
      };
      if (!out.write(`${JSON.stringify(target)}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  });
}

/** Vegeta's `-rate`: a whole count per period, so 2.5 a second is 2,500 in 1,000 s. */
const ratePerSecond = (rate: number): string =>
  Number.isInteger(rate) ? `${rate}/1s` : `${Math.round(rate * 1000)}/1000s`;

/** `vegeta attack` on the targets `writeTargets` puts in a file, then its JSON report. */
async function attack(
  {
    vegeta,
    rate,
    seconds,
    targetFlags = [],
    sending,
    slowerThanMs,
  }: {
    readonly vegeta: string;
    readonly rate: number | { readonly connections: number };
    readonly seconds: number;
    readonly targetFlags?: readonly string[];
    readonly sending?: () => Promise<void>;
    readonly slowerThanMs?: number;
  },
  writeTargets: (file: string) => Promise<unknown>,
): Promise<PostLoad> {
  const dir = await mkdtemp(join(tmpdir(), 'rapport-vegeta-'));
  try {
    await writeTargets(join(dir, 'targets'));
    await sending?.();
    const pace =
      typeof rate === 'number'
        ? [`-rate=${ratePerSecond(rate)}`]
        : ['-rate=0', `-max-workers=${rate.connections}`];
    await run(vegeta, [
      'attack',
      `-targets=${join(dir, 'targets')}`,
      ...targetFlags,
      `-duration=${seconds}s`,
      ...pace,
      `-output=${join(dir, 'results')}`,
    ]);
    const { stdout } = await run(vegeta, ['report', '-type=json', join(dir, 'results')]);
    const report = VegetaReport.parse(JSON.parse(stdout));
    const slow =
      slowerThanMs === undefined
        ? 0
        : slowCount(
            (await run(vegeta, ['report', `-type=hist[0,${slowerThanMs}ms]`, join(dir, 'results')]))
              .stdout,
          );
    const ms = (ns: number) => ns / 1e6;
    return {
      requests: report.requests,
      perSecond: Math.round(report.throughput),
      // Not rounded to a whole request: a low step sends a few requests a second.
      sentPerSecond: report.rate,
      p50: ms(report.latencies['50th']),
      p99: ms(report.latencies['99th']),
      max: ms(report.latencies.max),
      slow,
      statuses: report.status_codes,
      errors: report.errors ?? [],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The count in the last bucket of `vegeta report -type=hist[0,t]`: the answers slower than t. */
function slowCount(histogram: string): number {
  const last = histogram
    .split('\n')
    .filter((line) => line.startsWith('['))
    .at(-1);
  const count = /\]\s+(\d+)\s/.exec(last ?? '')?.[1];
  if (count === undefined) throw new Error(`not a vegeta histogram: ${histogram}`);
  return Number(count);
}
