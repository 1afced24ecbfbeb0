/**
 * `pnpm bench:import`: rows/s and peak RSS of `rapport import` (the real command line,
 * measured by /usr/bin/time) on generated CSV files of growing size, against a gateway process of
 * its own on the shared (or native) Kafka and Redis. Beside each import, the baseline: the same
 * file only read and mapped (`--parse-only`, no HTTP), which bounds what the importer can reach
 * on this machine. Constant memory shows twice: peak RSS does not grow with the file, and the
 * largest file imports again with V8's old space capped at 40 MB.
 *
 * BENCH_ROWS=100000,1000000 (default) sets the sizes; files are generated once into the temp
 * folder and reused. One row in a thousand is invalid, so the rejects file and the DLQ work too.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { Config } from '@rapport/config';
import { readCsvRecords } from '../../packages/cli/src/csv-import/csv-records.js';
import { createRowMapper, loadCsvMapping } from '../../packages/cli/src/csv-import/row-mapping.js';
import { FROM_SOURCE } from '../harness/processes.js';
import { benchInfrastructure, deleteKeys, printTable, rate } from './infra.js';
import { startService } from './service.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SIZES = (process.env['BENCH_ROWS'] ?? '100000,1000000').split(',').map(Number);
const WRITE_KEY = 'bench-write-key';
const CUSTOMERS = 50_000;
const BAD_EVERY = 1_000;
const CAPPED_HEAP_MB = 40;

/** A CSV of offline visits, one invalid (sentiment 2) in every BAD_EVERY rows. */
async function generate(rows: number): Promise<string> {
  const file = join(tmpdir(), `rapport-bench-import-${rows}.csv`);
  if (
    await access(file).then(
      () => true,
      () => false,
    )
  )
    return file;
  const out = createWriteStream(file);
  const base = Date.parse('2025-01-01T00:00:00Z');
  const write = async (line: string) => {
    if (!out.write(line)) await once(out, 'drain');
  };
  await write('eventId,customerId,occurredAt,type,direction,value,sentiment,Store name\n');
  for (let i = 0; i < rows; i += 1) {
    const at = new Date(base + i * 1000).toISOString();
    const sentiment = i % BAD_EVERY === BAD_EVERY - 1 ? '2' : (((i % 21) - 10) / 10).toString();
    await write(
      `visit-${rows}-${i},cus_${i % CUSTOMERS},${at},store.visited,inbound,${i % 50},${sentiment},Store ${i % 40}\n`,
    );
  }
  out.end();
  await once(out, 'close');
  return file;
}

/** Baseline child: read and map every row, nothing sent. */
async function parseOnly(file: string): Promise<void> {
  const mapRow = createRowMapper(await loadCsvMapping(undefined), 'store');
  let rows = 0;
  const now = Date.now();
  for await (const record of readCsvRecords(createReadStream(file))) {
    if ('row' in record) mapRow(record.row, now);
    rows += 1;
  }
  console.log(`parsed ${rows} rows`);
}

interface Measured {
  readonly seconds: number;
  /** User + system CPU seconds of the process: what it costs beside waiting for the gateway. */
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly code: number | null;
  readonly summary: string;
}

/** Runs `node [nodeArgs] [FROM_SOURCE] args` under /usr/bin/time: that one process's figures. */
async function timed(
  nodeArgs: readonly string[],
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Measured> {
  const command = [process.execPath, ...nodeArgs, ...FROM_SOURCE, ...args];
  const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S %M', ...command], {
    cwd: repoRoot,
    env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  if (!match) throw new Error(`no timing from /usr/bin/time:\n${stderr}`);
  return {
    seconds: Number(match[1]),
    cpuSeconds: Number(match[2]) + Number(match[3]),
    peakRssMb: Math.round(Number(match[4]) / 1024),
    code,
    summary: /\d+ rows: [^(]*/.exec(stdout)?.[0]?.trim() ?? stdout.trim().slice(0, 80),
  };
}

function gatewayEnv(config: Config, runId: string, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
    RAPPORT_REDIS_URL: config.redis.url,
    RAPPORT_TOPIC_INTERACTIONS: `bench.${runId}.interactions`,
    RAPPORT_TOPIC_DLQ: `bench.${runId}.dlq`,
    RAPPORT_REDIS_KEY_PREFIX: `bench:${runId}:`,
    RAPPORT_WRITE_KEYS: WRITE_KEY,
    // The importer's speed is measured, not the default 5,000 events/s per key limit.
    RAPPORT_RATE_LIMIT_PER_SECOND: '10000000',
    RAPPORT_DEDUP_WINDOW_SECONDS: '900',
    RAPPORT_GATEWAY_PORT: String(port),
    RAPPORT_LOG_LEVEL: 'warn',
  };
}

/** Leaves the shared servers as they were: the run's topics and dedup keys go. */
async function cleanUp(config: Config, runId: string): Promise<void> {
  const admin = new Kafka({ brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [`bench.${runId}.interactions`, `bench.${runId}.dlq`] });
  await admin.disconnect();
  const redis = new Redis(config.redis.url);
  await deleteKeys(redis, `bench:${runId}:`);
  await redis.quit();
}

async function main(): Promise<void> {
  const { config, stop } = await benchInfrastructure();
  const runId = randomUUID().slice(0, 8);
  const port = 28_180;
  const env = gatewayEnv(config, runId, port);
  const gateway = await startService('gateway', env, port);
  const table: (string | number)[][] = [
    ['rows', 'file MB', 'run', 's', 'rows/s', 'CPU s', 'peak RSS MB', 'exit', 'outcome'],
  ];
  const record = (rows: number, mb: number, name: string, run: Measured) =>
    table.push([
      rows,
      mb,
      name,
      run.seconds,
      rate(rows, run.seconds * 1000),
      run.cpuSeconds.toFixed(1),
      run.peakRssMb,
      String(run.code),
      run.summary,
    ]);
  try {
    for (const [index, rows] of SIZES.entries()) {
      const file = await generate(rows);
      const mb = Math.round((await stat(file)).size / 1024 ** 2);
      const rejects = `${file}.${runId}.rejects.jsonl`;
      const importArgs = (suffix: string) => [
        'packages/cli/src/main.ts',
        'import',
        file,
        '--channel',
        'store',
        '--gateway',
        gateway.url,
        '--key',
        WRITE_KEY,
        '--rejects',
        `${rejects}${suffix}`,
      ];
      record(
        rows,
        mb,
        'read + map only',
        await timed([], ['test/bench/import-csv.ts', '--parse-only', file], env),
      );
      record(rows, mb, 'rapport import', await timed([], importArgs(''), env));
      // Constant memory, shown rather than inferred: the largest file again (all duplicates now)
      // with V8's old space capped far below what holding the file would need.
      if (index === SIZES.length - 1) {
        const capped = await timed(
          [`--max-old-space-size=${CAPPED_HEAP_MB}`],
          importArgs('.capped'),
          env,
        );
        record(rows, mb, `again, heap ≤ ${CAPPED_HEAP_MB} MB`, capped);
      }
      await rm(rejects, { force: true });
      await rm(`${rejects}.capped`, { force: true });
    }
  } finally {
    await gateway.stop();
    await cleanUp(config, runId);
    await stop();
  }
  printTable(
    'rapport import beside reading and mapping alone (figures of the CLI process; the gateway runs apart)',
    table,
  );
}

if (process.argv[2] === '--parse-only') await parseOnly(process.argv[3] ?? '');
else await main();
