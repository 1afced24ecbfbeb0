import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-errors.js';
import { readCsvRecords, type CsvRecord } from './csv-records.js';

async function records(text: string, checkHeader?: (columns: readonly string[]) => void) {
  const found: CsvRecord[] = [];
  for await (const record of readCsvRecords(
    Readable.from([text]),
    checkHeader ? { checkHeader } : {},
  )) {
    found.push(record);
  }
  return found;
}

describe('readCsvRecords', () => {
  it('names cells after the header and numbers each record by the line it starts on', async () => {
    const text = 'id,note\n1,plain\n\n2,"two\nlines"\n3,after\n';
    expect(await records(text)).toEqual([
      { line: 2, row: { id: '1', note: 'plain' } },
      { line: 4, row: { id: '2', note: 'two\nlines' } },
      { line: 6, row: { id: '3', note: 'after' } },
    ]);
  });

  it('reads CRLF line ends, a byte-order mark and a last line without a line end', async () => {
    const text = '\uFEFFid,note\r\n1,a\r\n2,"b\r\nc"\r\n3,d';
    expect(await records(text)).toEqual([
      { line: 2, row: { id: '1', note: 'a' } },
      { line: 3, row: { id: '2', note: 'b\r\nc' } },
      { line: 5, row: { id: '3', note: 'd' } },
    ]);
  });

  it('keeps quotes inside unquoted cells, as spreadsheets write them', async () => {
    expect(await records('id,item\n1,12" screen\n')).toEqual([
      { line: 2, row: { id: '1', item: '12" screen' } },
    ]);
  });

  it('returns a record with the wrong number of cells as raw text with an issue', async () => {
    expect(await records('id,note\n1,a,extra\n2\n3,c\n')).toEqual([
      {
        line: 2,
        raw: '1,a,extra',
        issues: [{ path: '', message: 'expected 2 cells as in the header, found 3' }],
      },
      {
        line: 3,
        raw: '2',
        issues: [{ path: '', message: 'expected 2 cells as in the header, found 1' }],
      },
      { line: 4, row: { id: '3', note: 'c' } },
    ]);
  });

  it('stops with an error naming where the quote broke and the first line not read', async () => {
    const text = `id,note\n${'1,a\n'.repeat(20_000)}2,"open\n3,c\n`;
    const found: CsvRecord[] = [];
    const input = Readable.from([text.slice(0, 40_000), text.slice(40_000)]);
    const error = await (async () => {
      for await (const record of readCsvRecords(input)) found.push(record);
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CliError);
    expect(String(error)).toMatch(/Quote Not Closed: .* at line 20003/);
    // Records the parser had read ahead are lost with it; the message says where reading stopped.
    expect(found.length).toBeGreaterThan(0);
    expect(String(error)).toContain(`rows from line ${found.length + 2} on were not imported`);
  });

  it('refuses a header that names a column twice', async () => {
    await expect(records('id,note,id\n1,2,3\n')).rejects.toThrow(
      'the header names "id" more than once',
    );
  });

  it('lets the caller refuse the header before any row is read', async () => {
    const refuse = () => {
      throw new Error('no channel column');
    };
    await expect(records('id\n1\n', refuse)).rejects.toThrow('no channel column');
  });

  it('fails, rather than hangs, when the file cannot be read', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('EACCES'));
      },
    });
    const reading = (async () => {
      for await (const record of readCsvRecords(broken)) void record;
    })();
    await expect(reading).rejects.toThrow('EACCES');
  });
});
