import type { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import type { Issue } from '@rapport/schema';
import { CliError } from '../cli-errors.js';

/** A CSV data record as an object of column name to cell text. */
export type Row = Readonly<Record<string, string>>;

/** One data record of a CSV file: a row object, or the raw text of a record that has none. */
export type CsvRecord =
  | { readonly line: number; readonly row: Row }
  | { readonly line: number; readonly raw: string; readonly issues: readonly Issue[] };

export interface CsvReadOptions {
  /** Called with the header before any row; throws to refuse the file. */
  readonly checkHeader?: (columns: readonly string[]) => void;
}

/**
 * A quoted field that never closes would otherwise swallow the rest of the file into memory. No
 * row the gateway accepts comes near this: it refuses events over 32 KB.
 */
export const MAX_RECORD_BYTES = 1024 * 1024;

/**
 * The data records of a CSV stream with the header's names, one at a time, so a file of any size
 * is read in constant memory (the caller's awaiting is the backpressure). Line numbers are where
 * each record starts in the file, header = line 1, as an editor shows them.
 *
 * A record with the wrong number of cells comes back as raw text with an issue. A quoting error
 * ends the read with an error naming the first line not read: csv-parse cannot resynchronise after
 * one (measured: it either swallows the rest of the file into one field or stops emitting
 * records), and a silent stop would drop rows.
 */
export async function* readCsvRecords(
  input: Readable,
  options: CsvReadOptions = {},
): AsyncGenerator<CsvRecord, void, undefined> {
  const parser = input.pipe(
    parse({
      bom: true,
      raw: true,
      relax_column_count: true,
      // Quotes inside unquoted cells (`12" screen`) are common in spreadsheet exports.
      relax_quotes: true,
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_BYTES,
    }),
  );
  // A failing file stream (not found, unreadable) must end the iteration, not hang it.
  input.once('error', (error) => parser.destroy(error));
  const chunks: AsyncIterable<unknown> = parser;
  let columns: readonly string[] | undefined;
  /** Line breaks before the current record: the record's raw text, counted, is the file. */
  let linesBefore = 0;
  try {
    for await (const chunk of chunks) {
      if (!isParsedRecord(chunk)) throw new TypeError('csv-parse emitted an unexpected chunk');
      const { record, raw } = chunk;
      const line = linesBefore + 1 + lineBreaks(LEADING_BREAKS.exec(raw)?.[0] ?? '');
      linesBefore += lineBreaks(raw);
      if (columns === undefined) {
        columns = header(record);
        options.checkHeader?.(columns);
        continue;
      }
      if (record.length === columns.length) {
        yield { line, row: Object.fromEntries(columns.map((name, i) => [name, record[i] ?? ''])) };
      } else {
        const message = `expected ${columns.length} cells as in the header, found ${record.length}`;
        yield { line, raw: bare(raw), issues: [{ path: '', message }] };
      }
    }
  } catch (error) {
    if (!isCsvError(error)) throw error;
    // The parser reads ahead: records it had parsed when it failed are dropped with it.
    throw new CliError(
      'INPUT_INVALID',
      `malformed CSV: ${error.message}; reading stopped, rows from line ${linesBefore + 1} on were not imported`,
      { cause: error },
    );
  }
}

/** What the parser emits with `raw` on (and no casting options: cells are text). */
interface ParsedRecord {
  readonly record: readonly string[];
  readonly raw: string;
}

function isParsedRecord(chunk: unknown): chunk is ParsedRecord {
  if (typeof chunk !== 'object' || chunk === null) return false;
  if (!('record' in chunk && 'raw' in chunk)) return false;
  const { record, raw } = chunk;
  return (
    Array.isArray(record) &&
    record.every((cell) => typeof cell === 'string') &&
    typeof raw === 'string'
  );
}

function header(record: readonly string[]): string[] {
  const names = record.map((name) => name.trim());
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (repeated.length > 0) {
    throw new CliError(
      'INPUT_INVALID',
      `the header names ${[...new Set(repeated)].map((name) => JSON.stringify(name)).join(', ')} more than once`,
    );
  }
  return names;
}

/**
 * Line numbers are counted here rather than taken from csv-parse's `info.lines`, which counts a
 * CRLF inside a quoted cell twice. A record's raw text holds the empty lines skipped before it,
 * its cells, and the first character of its line end (csv-parse leaves the `\n` of a CRLF out),
 * so counting CRLF, CR and LF alike over the raw texts counts the file's lines.
 */
const LINE_BREAK = /\r\n|\r|\n/g;
const LEADING_BREAKS = /^[\r\n]+/;

function lineBreaks(text: string): number {
  return text.match(LINE_BREAK)?.length ?? 0;
}

/** The record as written: without the empty lines before it and its line end. */
const bare = (raw: string) => raw.replace(LEADING_BREAKS, '').replace(/\r?\n?$/, '');

function isCsvError(error: unknown): error is CsvError {
  return error instanceof Error && 'code' in error && String(error.code).startsWith('CSV_');
}
