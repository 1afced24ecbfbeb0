import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  adapterFromMapping,
  parseChannelMapping,
  type ChannelAdapter,
  type ChannelMapping,
} from '@rapport/adapters';
import {
  ChannelSchema,
  futureIssues,
  INGEST_LIMITS,
  parseWith,
  type Interaction,
  type Issue,
} from '@rapport/schema';
import { CliError } from '../cli-errors.js';
import type { Row } from './csv-records.js';

/** The mapping for CSV files whose columns are named after the canonical fields. */
export const DEFAULT_CSV_MAPPING = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'adapters',
  'mappings',
  'csv.yaml',
);

export interface CsvMapping {
  readonly mapping: ChannelMapping;
  /**
   * The default mapping reads canonical column names, so a `channel` column means the channel; a
   * custom mapping decides what every column means, and its `channel` is the channel.
   */
  readonly canonicalColumns: boolean;
}

/** `--mapping <file>`, else the default CSV mapping; a broken file is an error naming its fields. */
export async function loadCsvMapping(file: string | undefined): Promise<CsvMapping> {
  const path = file ?? DEFAULT_CSV_MAPPING;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError('INPUT_INVALID', `cannot read the mapping ${path}`, {
      cause: error,
    });
  }
  const parsed = parseChannelMapping(text, basename(path));
  if (!parsed.ok) {
    throw new CliError('INPUT_INVALID', `invalid mapping:\n  ${parsed.errors.join('\n  ')}`);
  }
  return { mapping: parsed.mapping, canonicalColumns: file === undefined };
}

export type MappedRow =
  /** `bytes`: the event's JSON size, for the importer to keep requests under the gateway's cap. */
  | { readonly ok: true; readonly event: Interaction; readonly bytes: number }
  | { readonly ok: false; readonly issues: readonly Issue[] };

export type RowMapper = (row: Row, nowMs: number) => MappedRow;

/**
 * Maps one CSV row to its event with the gateway's own functions (the channel adapter built from
 * the mapping, which ends in `parseInteraction`), plus the gateway's five-minute rule and size
 * limit, so that the gateway refuses nothing the importer let through.
 *
 * The channel: with canonical columns, a row's `channel` cell, else `channel` (`--channel`); with a
 * custom mapping, `channel` when given, else the mapping's own.
 */
export function createRowMapper(csv: CsvMapping, channel: string | undefined): RowMapper {
  let adapter: ChannelAdapter | undefined;
  const adapterFor = (slug: string) => {
    // One adapter per channel in use; rows of one file nearly always share it.
    if (adapter?.channel !== slug) adapter = adapterFromMapping({ ...csv.mapping, channel: slug });
    return adapter;
  };
  const channelOf = (row: Row): string | undefined =>
    csv.canonicalColumns ? (nonEmpty(row['channel']) ?? channel) : (channel ?? csv.mapping.channel);

  return (row, nowMs) => {
    const slug = channelOf(row);
    if (slug === undefined) {
      return failed('channel', 'empty: fill the channel column or pass --channel');
    }
    const checked = parseWith(ChannelSchema, slug);
    if (!checked.ok) return failed('channel', checked.issues[0]?.message ?? 'invalid');
    const adapted = adapterFor(slug).adapt(row, { receivedAt: new Date(nowMs).toISOString() });
    if (!adapted.ok) return { ok: false, issues: adapted.issues };
    const [event, ...more] = adapted.events;
    if (event === undefined || more.length > 0) {
      return failed('', `a row must map to one event; the mapping made ${adapted.events.length}`);
    }
    const tooLate = futureIssues(event, nowMs);
    if (tooLate.length > 0) return { ok: false, issues: tooLate };
    const bytes = Buffer.byteLength(JSON.stringify(event));
    if (bytes > INGEST_LIMITS.eventBytes) {
      return failed(
        '',
        `the event is ${bytes} bytes; the gateway takes at most ${INGEST_LIMITS.eventBytes}`,
      );
    }
    return { ok: true, event, bytes };
  };
}

const nonEmpty = (cell: string | undefined) =>
  cell === undefined || cell === '' ? undefined : cell;

const failed = (path: string, message: string): MappedRow => ({
  ok: false,
  issues: [{ path, message }],
});
