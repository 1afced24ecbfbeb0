import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../cli-errors.js';
import { INGEST_LIMITS } from '@rapport/schema';
import { createRowMapper, loadCsvMapping, type MappedRow } from './row-mapping.js';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');

const row = (cells: Record<string, string> = {}) => ({
  eventId: 'visit-1',
  customerId: 'cus_42',
  occurredAt: '2024-05-01T10:15:00+02:00',
  type: 'store.visited',
  direction: '',
  initiator: '',
  value: '',
  sentiment: '',
  threadId: '',
  expectsResponse: '',
  ...cells,
});

const eventOf = (mapped: MappedRow) => {
  expect(mapped.ok ? [] : mapped.issues).toEqual([]);
  return mapped.ok ? mapped.event : undefined;
};
const issuesOf = (mapped: MappedRow) => (mapped.ok ? [] : mapped.issues);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rapport-rows-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function mappingFile(text: string): Promise<string> {
  const file = join(dir, 'mapping.yaml');
  await writeFile(file, text);
  return file;
}

describe('the default CSV mapping', async () => {
  const csv = await loadCsvMapping(undefined);

  it('maps canonical columns, coerces cells and takes --channel for the channel', () => {
    const mapped = createRowMapper(csv, 'phone')(
      row({ value: '12.5', sentiment: '-0.25', expectsResponse: 'TRUE', 'Store name': 'Lyon' }),
      NOW,
    );
    expect(eventOf(mapped)).toEqual({
      eventId: 'visit-1',
      customerId: 'cus_42',
      channel: 'phone',
      type: 'store.visited',
      direction: 'inbound',
      occurredAt: '2024-05-01T10:15:00+02:00',
      value: 12.5,
      sentiment: -0.25,
      expectsResponse: true,
      properties: { store: 'Lyon' },
    });
    expect(mapped.ok && mapped.bytes).toBe(Buffer.byteLength(JSON.stringify(eventOf(mapped))));
  });

  it('prefers a row’s channel cell to --channel', () => {
    const mapper = createRowMapper(csv, 'phone');
    expect(eventOf(mapper(row({ channel: 'field_sales' }), NOW))?.channel).toBe('field_sales');
    expect(eventOf(mapper(row({ channel: '' }), NOW))?.channel).toBe('phone');
  });

  it('refuses a row without a channel, or with one that is not a slug', () => {
    expect(issuesOf(createRowMapper(csv, undefined)(row({ channel: '' }), NOW))).toEqual([
      { path: 'channel', message: 'empty: fill the channel column or pass --channel' },
    ]);
    expect(issuesOf(createRowMapper(csv, undefined)(row({ channel: 'In Store' }), NOW))).toEqual([
      { path: 'channel', message: 'expected a lowercase slug such as "email" or "in_app"' },
    ]);
  });

  it('reports every issue of a row at the column it came from', () => {
    const mapped = createRowMapper(csv, 'store')(
      row({ customerId: '', sentiment: '3', type: 'Visit' }),
      NOW,
    );
    expect(
      issuesOf(mapped)
        .map((issue) => issue.path)
        .sort(),
    ).toEqual(['customerId', 'sentiment', 'type']);
  });

  it('refuses events more than five minutes ahead, as the gateway does', () => {
    const mapper = createRowMapper(csv, 'store');
    const at = (ms: number) => row({ occurredAt: new Date(NOW + ms).toISOString() });
    expect(eventOf(mapper(at(5 * 60_000), NOW))).toBeDefined();
    expect(issuesOf(mapper(at(5 * 60_000 + 1), NOW))).toEqual([
      { path: 'occurredAt', message: 'is more than 5 minutes in the future' },
    ]);
  });

  it('refuses an event larger than the gateway takes', () => {
    const mapped = createRowMapper(csv, 'store')(
      row({ 'Store name': 'é'.repeat(INGEST_LIMITS.eventBytes / 2) }),
      NOW,
    );
    expect(issuesOf(mapped)).toEqual([
      {
        path: '',
        message: expect.stringMatching(
          /^the event is \d+ bytes; the gateway takes at most 32768$/,
        ) as unknown,
      },
    ]);
  });
});

describe('a custom mapping', () => {
  const CUSTOM = `
channel: phone
fields:
  eventId: { path: '$["Call ID"]' }
  customerId: { path: '$["Customer"]' }
  occurredAt: { path: '$.Started', format: unix-seconds }
  type: { path: '$.Outcome', map: { answered: phone.call_answered, missed: phone.call_missed } }
  direction: { const: outbound }
`;
  const cells = { 'Call ID': 'c-1', Customer: 'cus_9', Started: '1714557600', Outcome: 'answered' };

  it('reads the columns it names, and its own channel unless --channel replaces it', async () => {
    const csv = await loadCsvMapping(await mappingFile(CUSTOM));
    expect(eventOf(createRowMapper(csv, undefined)({ ...cells, channel: 'ignored' }, NOW))).toEqual(
      {
        eventId: 'c-1',
        customerId: 'cus_9',
        channel: 'phone',
        type: 'phone.call_answered',
        direction: 'outbound',
        occurredAt: '2024-05-01T10:00:00.000Z',
      },
    );
    expect(eventOf(createRowMapper(csv, 'field_sales')(cells, NOW))?.channel).toBe('field_sales');
  });

  it('passes an unmapped value through for the schema to refuse at its column', async () => {
    const csv = await loadCsvMapping(await mappingFile(CUSTOM));
    expect(
      issuesOf(createRowMapper(csv, undefined)({ ...cells, Outcome: 'voicemail' }, NOW)),
    ).toEqual([{ path: 'Outcome', message: expect.stringContaining('type: ') as unknown }]);
  });

  it('is refused when the file is wrong, with the file and field named', async () => {
    const file = await mappingFile(CUSTOM.replace('const: outbound', 'const: sideways'));
    await expect(loadCsvMapping(file)).rejects.toThrow(CliError);
    await expect(loadCsvMapping(file)).rejects.toThrow(/mapping\.yaml: fields\.direction\.const: /);
    await expect(loadCsvMapping(join(tmpdir(), 'no-such-mapping.yaml'))).rejects.toThrow(
      /cannot read the mapping/,
    );
  });
});
