import { once } from 'node:events';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import type { DeadLetter } from '@rapport/kafka';
import type { Issue } from '@rapport/schema';
import { CliError } from '../cli-errors.js';
import type { DeadLetterSink } from '../clients/kafka.js';
import type { Row } from './csv-records.js';
import type { ImportCounts } from './progress.js';

/** Why a row was rejected, as the dead letter's `reason.code`. */
export type RejectCode = 'ADAPTER_REJECTED' | 'GATEWAY_REJECTED' | 'CSV_MALFORMED';

/** What was rejected: the row, or the raw text of a record that has none. */
export type RejectedOriginal = { readonly row: Row } | { readonly raw: string };

/** The dead letter of a rejected row: the row as JSON (or its raw text), where it was, and why. */
function rowLetter(rejected: {
  readonly file: string;
  readonly line: number;
  readonly channel: string | undefined;
  readonly original: RejectedOriginal;
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

/**
 * A row's cells, checked as a list of entries: zod's records skip a `__proto__` key, and a CSV
 * header may name any column.
 */
const CellsSchema = z.array(z.tuple([z.string(), z.string()]));

/** A row as rowLetter keeps it in a dead letter's `original`; `undefined` for anything else. */
export function parseRow(text: string): Row | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const cells = CellsSchema.safeParse(Object.entries(value));
  // fromEntries, not assignment: a column named `__proto__` must stay a column.
  return cells.success ? Object.fromEntries(cells.data) : undefined;
}

export interface RejectedRowsOptions {
  /** The CSV file and the `--channel` it was read with, as the dead letters record them. */
  readonly file: string;
  readonly channel: string | undefined;
  readonly rejectsFile: string;
  readonly deadLetters: DeadLetterSink;
  /** Where each rejected row is counted. */
  readonly counts: ImportCounts;
  readonly now: () => number;
}

/**
 * Where an import's rejected rows go: one JSON line each in the rejects file and a dead letter
 * each on the dead-letter topic, with the line number and the issues.
 */
export class RejectedRows {
  readonly #options: RejectedRowsOptions;
  readonly #file: RejectsFile;

  constructor(options: RejectedRowsOptions) {
    this.#options = options;
    this.#file = new RejectsFile(options.rejectsFile);
  }

  /** The header was accepted: from now on the rejects file is this run's, even if left empty. */
  headerAccepted(): void {
    this.#file.started = true;
  }

  async reject(
    line: number,
    original: RejectedOriginal,
    issues: readonly Issue[],
    code: RejectCode,
  ): Promise<void> {
    const { file, channel, deadLetters, counts, now } = this.#options;
    counts.rejected += 1;
    await this.#file.write(JSON.stringify({ line, code, issues, ...original }));
    await deadLetters.add(rowLetter({ file, line, channel, original, issues, code, now: now() }));
  }

  /** Publishes the dead letters still waiting, and closes the rejects file whatever happens. */
  async close(): Promise<void> {
    try {
      await this.#options.deadLetters.close();
    } finally {
      await this.#file.close();
    }
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
