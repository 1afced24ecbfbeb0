import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config } from '@rapport/config';
import { ChannelSchema, parseWith, type Interaction } from '@rapport/schema';
import { CliError, usageError } from '../cli-errors.js';
import { GatewayClient, type GatewayTarget, type RetryPolicy } from '../clients/gateway.js';
import { DeadLetterSink } from '../clients/kafka.js';
import { batched } from './batches.js';
import { readCsvRecords, type CsvRecord, type Row } from './csv-records.js';
import { ImportMeter, type ImportCounts, type ImportProgress } from './progress.js';
import { RejectedRows } from './rejects.js';
import { createRowMapper, loadCsvMapping, type RowMapper } from './row-mapping.js';
import { sendBatches } from './send-batches.js';

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

/** A row on its way to the gateway, with where it came from should the gateway refuse it. */
interface PendingRow {
  readonly line: number;
  readonly row: Row;
  readonly event: Interaction;
  readonly bytes: number;
}

/**
 * Streams a CSV file through the gateway: records are read one at a time, mapped and checked
 * locally, batched, and sent with a bounded number of requests in flight, so a file of any size
 * takes constant memory and the gateway's pace (rate limits, Kafka acknowledgements) sets the
 * speed. Every row ends up accepted, a duplicate, or rejected; rejected rows go to the
 * dead-letter topic and to the rejects file, each with its line number and issues.
 */
export async function importCsv(config: Config, options: ImportOptions): Promise<ImportSummary> {
  const startedMs = performance.now();
  const now = options.now ?? Date.now;
  const { channel } = options;
  if (channel !== undefined && !parseWith(ChannelSchema, channel).ok) {
    throw usageError(`--channel "${channel}" is not a lowercase slug such as "store"`);
  }
  const csv = await loadCsvMapping(options.mappingFile);
  const file = resolve(options.file);
  const totalBytes = await sizeOf(file);
  const input = createReadStream(file);
  const meter = new ImportMeter(input, totalBytes, startedMs, options.onProgress);
  const { counts } = meter;
  const rejectsFile = resolve(options.rejectsFile ?? `${options.file}.rejects.jsonl`);
  const deadLetters = new DeadLetterSink(config);
  const rejects = new RejectedRows({ file, channel, rejectsFile, deadLetters, counts, now });
  const client = new GatewayClient(options.target, { source: 'csv', retry: options.retry });
  const stop = new AbortController();

  let failure: { readonly error: unknown } | undefined;
  try {
    const records = readCsvRecords(input, {
      checkHeader: (columns) => {
        if (csv.canonicalColumns) requireChannel(columns, channel);
        rejects.headerAccepted();
      },
    });
    const rows = mappedRows(records, createRowMapper(csv, channel), {
      now,
      counts,
      rejects,
      signal: stop.signal,
    });
    await sendBatches(
      batched(rows, options.batchSize ?? 500),
      async (batch) => {
        await sendRows(client, batch, counts, rejects);
        meter.report();
      },
      { maxInFlight: options.maxInFlight ?? 4, stop },
    );
  } catch (error) {
    failure = { error };
  } finally {
    input.destroy();
    await rejects.close().catch((error: unknown) => {
      failure ??= { error };
    });
  }
  meter.report();
  if (failure !== undefined) throw stoppedAt(failure.error, counts);
  return {
    file,
    rows: counts.rows,
    accepted: counts.accepted,
    duplicates: counts.duplicates,
    rejected: counts.rejected,
    rejectsFile,
    deadLetterTopic: deadLetters.topic,
    elapsedMs: meter.elapsedMs(),
  };
}

/**
 * The rows of the records that map to an event, in order; the others are rejected with their
 * issues. Ends once `signal` aborts (a request failed), so reading stops at the next record.
 */
async function* mappedRows(
  records: AsyncIterable<CsvRecord>,
  mapRow: RowMapper,
  stage: {
    readonly now: () => number;
    readonly counts: ImportCounts;
    readonly rejects: RejectedRows;
    readonly signal: AbortSignal;
  },
): AsyncGenerator<PendingRow, void, undefined> {
  for await (const record of records) {
    if (stage.signal.aborted) return;
    stage.counts.rows += 1;
    stage.counts.line = record.line;
    if ('raw' in record) {
      await stage.rejects.reject(record.line, { raw: record.raw }, record.issues, 'CSV_MALFORMED');
      continue;
    }
    const mapped = mapRow(record.row, stage.now());
    if (!mapped.ok) {
      await stage.rejects.reject(
        record.line,
        { row: record.row },
        mapped.issues,
        'ADAPTER_REJECTED',
      );
      continue;
    }
    yield { line: record.line, row: record.row, event: mapped.event, bytes: mapped.bytes };
  }
}

/** Sends one batch; the rows the gateway refuses are rejected with its issues. */
async function sendRows(
  client: GatewayClient,
  batch: readonly PendingRow[],
  counts: ImportCounts,
  rejects: RejectedRows,
): Promise<void> {
  const sent = await client.submitBatch(batch);
  counts.accepted += sent.accepted;
  counts.duplicates += sent.duplicates;
  for (const { item, issues } of sent.refused) {
    await rejects.reject(item.line, { row: item.row }, issues, 'GATEWAY_REJECTED');
  }
}

/** With canonical columns and no `--channel`, every row must say its channel. */
function requireChannel(columns: readonly string[], channel: string | undefined): void {
  if (channel === undefined && !columns.includes('channel')) {
    throw usageError('the file has no channel column: pass --channel <slug> (store, phone, ...)');
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    throw new CliError('INPUT_INVALID', `cannot read ${file}`, { cause: error });
  }
}

/** A failure part-way, with what was done before it and what to do about it. */
function stoppedAt(failure: unknown, counts: ImportCounts): unknown {
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
