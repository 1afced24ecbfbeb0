import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { loadConfig, type Config } from '@rapport/config';
import type { DeadLetter } from '@rapport/kafka';
import { ChannelSchema, parseWith, type Interaction, type Issue } from '@rapport/schema';
import { CliError, usageError } from './cli-errors.js';
import { GATEWAY_FLAGS, gatewayUsage, parseFlags, runCommand } from './command.js';
import { readCsvRecords } from './csv-rows.js';
import { DeadLetterSink } from './dead-letters.js';
import {
  GatewayClient,
  gatewayTarget,
  type GatewayTarget,
  type RetryPolicy,
} from './gateway-client.js';
import { progressReporter, rowsPerSecond, type ImportProgress } from './progress.js';
import { createRowMapper, loadCsvMapping } from './rows.js';
import { submitBatch } from './submit.js';
import type { Row } from './wire.js';

export interface ImportOptions {
  readonly file: string;
  /** `--channel`: the channel of rows that name none (see createRowMapper). */
  readonly channel?: string | undefined;
  /** `--mapping`: a declarative mapping file instead of the canonical-column default. */
  readonly mappingFile?: string | undefined;
  /** `--rejects`: default `<file>.rejects.jsonl`. */
  readonly rejectsFile?: string | undefined;
  readonly target: GatewayTarget;
  readonly retry?: RetryPolicy;
  /** Events per request (the gateway takes up to 2,500; 500 keeps each request small). */
  readonly batchSize?: number;
  /** Requests in flight at once: enough to keep the gateway busy, few enough to bound memory. */
  readonly maxInFlight?: number;
  readonly onProgress?: (progress: ImportProgress) => void;
  readonly now?: () => number;
}

export interface ImportSummary {
  readonly file: string;
  readonly rows: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly rejectsFile: string;
  readonly deadLetterTopic: string;
  readonly elapsedMs: number;
}

/** Why a row was rejected, as the dead letter's `reason.code`. */
export type RejectCode = 'ADAPTER_REJECTED' | 'GATEWAY_REJECTED' | 'CSV_MALFORMED';

/**
 * The gateway refuses requests over 500 KB; batches stop short of that whatever their count,
 * with room for the `{"batch":[...]}` around the events.
 */
const MAX_BATCH_BYTES = 400 * 1024;

interface Pending {
  readonly line: number;
  readonly row: Row;
  readonly event: Interaction;
}

/**
 * Streams a CSV file through the gateway: rows are read one at a time, mapped and checked locally,
 * and sent in batches with a bounded number of requests in flight, so a file of any size takes
 * constant memory and the gateway's pace (rate limits, Kafka acknowledgements) sets the speed.
 * Every row ends up accepted, a duplicate, or rejected; rejected rows go to the dead-letter
 * topic and to the rejects file, each with its line number and issues.
 */
export async function importCsv(config: Config, options: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 500;
  const maxInFlight = options.maxInFlight ?? 4;
  if (options.channel !== undefined && !parseWith(ChannelSchema, options.channel).ok) {
    throw usageError(`--channel "${options.channel}" is not a lowercase slug such as "store"`);
  }
  const csv = await loadCsvMapping(options.mappingFile);
  const mapRow = createRowMapper(csv, options.channel);
  const file = resolve(options.file);
  const totalBytes = await sizeOf(file);
  const rejects = new RejectsFile(resolve(options.rejectsFile ?? `${options.file}.rejects.jsonl`));
  const deadLetters = new DeadLetterSink(config);
  const client = new GatewayClient(options.target, { source: 'csv', retry: options.retry });
  const input = createReadStream(file);

  const counts = { rows: 0, accepted: 0, duplicates: 0, rejected: 0, line: 0 };
  const progress = (): ImportProgress => ({
    ...counts,
    bytesRead: input.bytesRead,
    totalBytes,
    elapsedMs: performance.now() - started,
  });
  const report = () => options.onProgress?.(progress());

  const reject = async (
    line: number,
    original: { row: Row } | { raw: string },
    issues: readonly Issue[],
    code: RejectCode,
  ) => {
    counts.rejected += 1;
    await rejects.write(JSON.stringify({ line, code, issues, ...original }));
    await deadLetters.add(
      rowLetter({ file, line, channel: options.channel, original, issues, code, now: now() }),
    );
  };

  const send = async (batch: readonly Pending[]) => {
    const result = await submitBatch(client, batch);
    counts.accepted += result.accepted;
    counts.duplicates += result.duplicates;
    for (const { item, issues } of result.refused) {
      await reject(item.line, { row: item.row }, issues, 'GATEWAY_REJECTED');
    }
    report();
  };

  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const dispatch = async (batch: readonly Pending[]) => {
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const sending: Promise<void> = send(batch)
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  };

  try {
    let batch: Pending[] = [];
    let batchBytes = 0;
    const checkHeader = (columns: readonly string[]) => {
      if (csv.canonicalColumns) requireChannel(columns, options.channel);
      rejects.started = true;
    };
    for await (const record of readCsvRecords(input, { checkHeader })) {
      if (failure !== undefined) break;
      counts.rows += 1;
      counts.line = record.line;
      if ('raw' in record) {
        await reject(record.line, { raw: record.raw }, record.issues, 'CSV_MALFORMED');
        continue;
      }
      const mapped = mapRow(record.row, now());
      if (!mapped.ok) {
        await reject(record.line, { row: record.row }, mapped.issues, 'ADAPTER_REJECTED');
        continue;
      }
      if (batchBytes + mapped.bytes > MAX_BATCH_BYTES && batch.length > 0) {
        await dispatch(batch);
        [batch, batchBytes] = [[], 0];
      }
      batch.push({ line: record.line, row: record.row, event: mapped.event });
      batchBytes += mapped.bytes;
      if (batch.length >= batchSize) {
        await dispatch(batch);
        [batch, batchBytes] = [[], 0];
        report();
      }
    }
    if (batch.length > 0 && failure === undefined) await dispatch(batch);
  } catch (error) {
    failure ??= error;
  } finally {
    input.destroy();
    await Promise.all(inFlight);
    await deadLetters.close().catch((error: unknown) => {
      failure ??= error;
    });
    await rejects.close();
  }
  report();
  if (failure !== undefined) throw stoppedAt(failure, counts);
  return {
    file,
    rows: counts.rows,
    accepted: counts.accepted,
    duplicates: counts.duplicates,
    rejected: counts.rejected,
    rejectsFile: rejects.path,
    deadLetterTopic: deadLetters.topic,
    elapsedMs: performance.now() - started,
  };
}

/** With canonical columns and no `--channel`, every row must say its channel. */
function requireChannel(columns: readonly string[], channel: string | undefined): void {
  if (channel === undefined && !columns.includes('channel')) {
    throw usageError('the file has no channel column: pass --channel <slug> (store, phone, ...)');
  }
}

/** The dead letter of a rejected row: the row as JSON (or its raw text), where it was, and why. */
export function rowLetter(rejected: {
  readonly file: string;
  readonly line: number;
  readonly channel: string | undefined;
  readonly original: { readonly row: Row } | { readonly raw: string };
  readonly issues: readonly Issue[];
  readonly code: RejectCode;
  readonly now: number;
}): DeadLetter {
  const { file, line, channel, original, issues, code } = rejected;
  const first = issues[0];
  return {
    reason: {
      code,
      message: `line ${line}: ${issues.length} issue(s), first at ${first?.path || '(row)'}: ${first?.message ?? ''}`,
      issues: issues.map(({ path, message }) => ({ path, message })),
    },
    source: 'csv',
    receivedAt: new Date(rejected.now).toISOString(),
    original: 'row' in original ? JSON.stringify(original.row) : original.raw,
    // The channel `--channel` gave, so a replay maps the row as the import did.
    context: { file, line, ...(channel === undefined ? {} : { channel }) },
  };
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    throw new CliError('INPUT_INVALID', `cannot read ${file}`, { cause: error });
  }
}

/**
 * One JSON line per rejected row. Opened at the first one; an import that got past the header
 * leaves the file even when empty, so it never shows a previous run's rejects.
 */
class RejectsFile {
  /** Set once the header was accepted: from then on the file is this run's. */
  started = false;
  #stream: Promise<Writable> | undefined;

  constructor(readonly path: string) {}

  async write(json: string): Promise<void> {
    this.#stream ??= this.#open();
    const stream = await this.#stream;
    if (!stream.write(`${json}\n`)) await once(stream, 'drain');
  }

  async close(): Promise<void> {
    if (this.#stream === undefined && this.started) this.#stream = this.#open();
    const stream = await this.#stream;
    if (stream === undefined) return;
    stream.end();
    await once(stream, 'close');
  }

  async #open(): Promise<Writable> {
    try {
      return (await open(this.path, 'w')).createWriteStream();
    } catch (error) {
      throw new CliError('INPUT_INVALID', `cannot write the rejects file ${this.path}`, {
        cause: error,
      });
    }
  }
}

/** A failure part-way, with what was done before it and what to do about it. */
function stoppedAt(
  failure: unknown,
  counts: { line: number; accepted: number; duplicates: number; rejected: number },
): unknown {
  if (!(failure instanceof CliError)) return failure;
  if (failure.code === 'USAGE') return failure;
  return new CliError(
    failure.code,
    `${failure.message}\n  stopped near line ${counts.line}: ${counts.accepted} accepted, ` +
      `${counts.duplicates} duplicates, ${counts.rejected} rejected so far; importing the same ` +
      'file again is safe (rows already accepted count as duplicates)',
    { retriable: failure.retriable, cause: failure },
  );
}

const USAGE = `Usage: rapport import <file.csv> [--channel <slug>] [--mapping <file>] [options]

Streams a CSV of offline interactions (store visits, phone calls, field sales) through the
gateway, in batches of 500 with at most 4 requests in flight, in constant memory.

  --channel SLUG    channel of the rows; required unless the file has a channel column.
                    With --mapping it replaces the mapping's channel.
  --mapping FILE    a declarative mapping (YAML or JSON, see packages/adapters/README.md)
                    applied to each row; default: columns named after the canonical fields
                    (packages/adapters/mappings/csv.yaml)
  --rejects FILE    where rejected rows go, one JSON line each with its line number and
                    issues (default <file.csv>.rejects.jsonl)
${gatewayUsage(20)}

Rejected rows also go to the dead-letter topic (\`rapport dlq list --source csv\`); fix the
mapping and \`rapport dlq replay --source csv --mapping FILE\`. Importing a file again is safe:
rows already accepted count as duplicates.

Exit code: 0 when every row was accepted or a duplicate, 1 when any row was rejected or the
import stopped, 2 on a usage error.`;

export function importCommand(args: readonly string[]): Promise<number> {
  return runCommand('import', USAGE, async () => {
    const { values, positionals } = parseFlags(args, {
      ...GATEWAY_FLAGS,
      channel: { type: 'string' },
      mapping: { type: 'string' },
      rejects: { type: 'string' },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw usageError('give exactly one CSV file');
    const config = loadConfig();
    const reporter = progressReporter(process.stderr);
    let last: ImportProgress | undefined;
    const summary = await importCsv(config, {
      file,
      channel: values.channel,
      mappingFile: values.mapping,
      rejectsFile: values.rejects,
      target: gatewayTarget(config, values),
      onProgress: (progress) => reporter.update((last = progress)),
    }).finally(() => {
      if (last !== undefined) reporter.done(last);
    });
    console.log(summaryLine(summary));
    if (summary.rejected > 0) {
      console.log(
        `rapport import: rejected rows are in ${summary.rejectsFile} and on ${summary.deadLetterTopic} (\`rapport dlq list --source csv\`)`,
      );
    }
    return summary.rejected === 0 ? 0 : 1;
  });
}

export function summaryLine(summary: ImportSummary): string {
  const seconds = (summary.elapsedMs / 1000).toFixed(1);
  const rate = rowsPerSecond(summary.rows, summary.elapsedMs).toLocaleString('en-US');
  return (
    `rapport import: ${summary.file}: ${summary.rows} rows: ${summary.accepted} accepted, ` +
    `${summary.duplicates} duplicates, ${summary.rejected} rejected in ${seconds} s (${rate} rows/s)`
  );
}
