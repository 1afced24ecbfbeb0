import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../packages/cli/src/cli-errors.js';
import { importCsv, type ImportSummary } from '../../packages/cli/src/csv-import/import-csv.js';
import type { ImportProgress } from '../../packages/cli/src/csv-import/progress.js';
import { FROM_SOURCE, TEST_WRITE_KEY } from '../harness/index.js';
import { startTestGateway, type TestGateway } from '../gateway/helpers.js';
import { deadLetters, fileIn, interactions, minutesFromNow, targetOf, workDir } from './helpers.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let t: TestGateway;
let dir: string;
beforeAll(async () => {
  t = await startTestGateway('cli-import');
  dir = await workDir();
});
afterAll(async () => {
  await t.gateway.stop();
  await rm(dir, { recursive: true, force: true });
});

const HEADER = 'eventId,customerId,occurredAt,type,direction,value,sentiment,Store name';

/** Good and bad rows; the comment is the line each starts on. */
function mixedFile(prefix: string): string {
  const past = minutesFromNow(-60);
  return [
    HEADER, // 1
    `${prefix}-1,cus_1,${past},store.visited,,12.5,,Lyon`, // 2 accepted
    `${prefix}-2,cus_2,${past},store.purchase,outbound,,,`, // 3 accepted
    `${prefix}-3,,${past},store.visited,,,,`, // 4 rejected: no customer
    `${prefix}-4,cus_4,${past},Visit,,,2,`, // 5 rejected: type and sentiment
    `${prefix}-5,cus_5,${past},store.visited,,,0.5,"Lyon`, // 6 accepted, the cell spans 2 lines
    `Part-Dieu"`, // 7
    `${prefix}-6,cus_6,${minutesFromNow(60)},store.visited,,,,`, // 8 rejected: an hour ahead
    `${prefix}-7,cus_7`, // 9 rejected: two cells
    `${prefix}-2,cus_2,${past},store.purchase,outbound,,,`, // 10 duplicate of line 3
  ].join('\n');
}

describe('rapport import', () => {
  it('imports good rows, and sends bad ones to the rejects file and the DLQ with line numbers', async () => {
    const file = await fileIn(dir, 'mixed.csv', mixedFile('mix'));
    const reports: ImportProgress[] = [];
    const summary = await importCsv(t.config, {
      file,
      channel: 'store',
      target: targetOf(t),
      onProgress: (progress) => reports.push(progress),
    });

    expect(summary).toMatchObject({
      file,
      rows: 8,
      accepted: 3,
      duplicates: 1,
      rejected: 4,
      rejectsFile: `${file}.rejects.jsonl`,
      deadLetterTopic: t.config.kafka.topics.dlq,
    });
    const last = reports.at(-1);
    expect(last).toMatchObject({ rows: 8, accepted: 3, duplicates: 1, rejected: 4 });
    expect(last?.bytesRead).toBe(last?.totalBytes);

    const rejects = (await readFile(summary.rejectsFile, 'utf8'))
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { line: number; code: string; issues: { path: string }[] },
      );
    expect(
      rejects.map(({ line, code, issues }) => ({
        line,
        code,
        paths: issues.map((issue) => issue.path).sort(),
      })),
    ).toEqual([
      { line: 4, code: 'ADAPTER_REJECTED', paths: ['customerId'] },
      { line: 5, code: 'ADAPTER_REJECTED', paths: ['sentiment', 'type'] },
      { line: 8, code: 'ADAPTER_REJECTED', paths: ['occurredAt'] },
      { line: 9, code: 'CSV_MALFORMED', paths: [''] },
    ]);
    expect(rejects[0]).toMatchObject({ row: { eventId: 'mix-3', customerId: '' } });
    expect(rejects[3]).toMatchObject({ raw: 'mix-7,cus_7' });

    const letters = (await deadLetters(t)).filter((letter) => letter.context?.['file'] === file);
    expect(letters.map((letter) => letter.context?.['line']).sort()).toEqual([4, 5, 8, 9]);
    const line5 = letters.find((letter) => letter.context?.['line'] === 5);
    expect(line5).toMatchObject({
      source: 'csv',
      reason: {
        code: 'ADAPTER_REJECTED',
        message: expect.stringMatching(/^line 5: 2 issue\(s\)/) as unknown,
      },
      context: { file, line: 5, channel: 'store' },
    });
    expect(JSON.parse(line5?.original ?? '')).toMatchObject({ eventId: 'mix-4', type: 'Visit' });

    const landed = (await interactions(t)).filter((event) => event.eventId.startsWith('mix-'));
    expect(landed.map((event) => event.eventId).sort()).toEqual(['mix-1', 'mix-2', 'mix-5']);
    expect(new Set(landed.map((event) => event.source))).toEqual(new Set(['http:csv']));
    expect(landed.find((event) => event.eventId === 'mix-5')).toMatchObject({
      channel: 'store',
      customerId: 'cus_5',
      sentiment: 0.5,
      properties: { store: 'Lyon\nPart-Dieu' },
    });
  });

  it('counts every row of a file imported again as a duplicate', async () => {
    const past = minutesFromNow(-30);
    const rows = Array.from(
      { length: 1_200 },
      (_, i) => `again-${i},cus_${i % 7},${past},store.visited,,,,`,
    );
    const file = await fileIn(dir, 'again.csv', [HEADER, ...rows].join('\n'));
    const options = { file, channel: 'store', target: targetOf(t), batchSize: 100 };
    const first = await importCsv(t.config, options);
    expect(first).toMatchObject({ rows: 1_200, accepted: 1_200, duplicates: 0, rejected: 0 });
    const second = await importCsv(t.config, options);
    expect(second).toMatchObject({ rows: 1_200, accepted: 0, duplicates: 1_200, rejected: 0 });
    expect(await readFile(second.rejectsFile, 'utf8')).toBe('');
  });

  it('maps the rows with a custom mapping file', async () => {
    const mapping = await fileIn(
      dir,
      'calls.yaml',
      `channel: phone
fields:
  eventId: { path: '$["Call ID"]' }
  customerId: { path: '$["Customer"]' }
  occurredAt: { path: '$.Started', format: unix-seconds }
  type: { path: '$.Outcome', map: { answered: phone.call_answered, missed: phone.call_missed } }
  direction: { const: outbound }
  properties: { pick: { agent: '$.Agent' } }
`,
    );
    const started = Math.floor(Date.now() / 1000) - 3_600;
    const file = await fileIn(
      dir,
      'calls.csv',
      [
        'Call ID,Customer,Started,Outcome,Agent',
        `call-1,cus_1,${started},answered,a-7`,
        `call-2,cus_2,${started},missed,a-8`,
      ].join('\r\n'),
    );
    const summary = await importCsv(t.config, { file, mappingFile: mapping, target: targetOf(t) });
    expect(summary).toMatchObject({ rows: 2, accepted: 2, duplicates: 0, rejected: 0 });
    const landed = (await interactions(t)).filter((event) => event.eventId.startsWith('call-'));
    expect(landed.find((event) => event.eventId === 'call-2')).toMatchObject({
      channel: 'phone',
      customerId: 'cus_2',
      type: 'phone.call_missed',
      direction: 'outbound',
      occurredAt: new Date(started * 1000).toISOString(),
      properties: { agent: 'a-8' },
      source: 'http:csv',
    });
  });

  it('sets aside the rows the gateway refuses and sends the rest of their batch', async () => {
    // The importer's clock runs 10 minutes ahead: rows 7 minutes ahead pass its check, and the
    // gateway, on the real clock, refuses them. The other rows of the batch must still land.
    const ahead = minutesFromNow(7);
    const past = minutesFromNow(-5);
    const file = await fileIn(
      dir,
      'skew.csv',
      [
        HEADER,
        `skew-1,cus_1,${past},store.visited,,,,`,
        `skew-2,cus_2,${ahead},store.visited,,,,`,
        `skew-3,cus_3,${past},store.visited,,,,`,
        `skew-4,cus_4,${ahead},store.visited,,,,`,
      ].join('\n'),
    );
    const summary = await importCsv(t.config, {
      file,
      channel: 'store',
      target: targetOf(t),
      now: () => Date.now() + 10 * 60_000,
    });
    expect(summary).toMatchObject({ rows: 4, accepted: 2, duplicates: 0, rejected: 2 });
    const rejects = (await readFile(summary.rejectsFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(rejects).toEqual(
      [3, 5].map((line) => ({
        line,
        code: 'GATEWAY_REJECTED',
        issues: [{ path: 'occurredAt', message: 'is more than 5 minutes in the future' }],
        row: expect.objectContaining({ eventId: `skew-${line - 1}` }) as unknown,
      })),
    );
    const letters = (await deadLetters(t)).filter((letter) => letter.context?.['file'] === file);
    expect(letters.map((letter) => letter.reason.code)).toEqual([
      'GATEWAY_REJECTED',
      'GATEWAY_REJECTED',
    ]);
  });

  it('gives up with a clear error when the gateway keeps asking to retry', async () => {
    // A claim left pending, as by a gateway that died between claiming an event and publishing
    // it (services/gateway/src/guards.ts): every request with that event is answered 409 with
    // Retry-After until the claim expires.
    const redis = new Redis(t.config.redis.url);
    await redis.set(`${t.config.redis.keyPrefix}{cus_1}:seen:stuck-1`, 'pending', 'PX', 30_000);
    await redis.quit();
    const file = await fileIn(
      dir,
      'stuck.csv',
      [HEADER, `stuck-1,cus_1,${minutesFromNow(-1)},store.visited,,,,`].join('\n'),
    );
    const importing = importCsv(t.config, {
      file,
      channel: 'store',
      target: targetOf(t),
      retry: { attempts: 2, maxWaitMs: 1_000, requestTimeoutMs: 5_000 },
    });
    await expect(importing).rejects.toThrow(
      /still answered 409 IN_FLIGHT: .* after 2 attempts\n {2}stopped near line 2: 0 accepted/,
    );
  });

  it('stops with a clear error when the gateway refuses the key, saying how far it got', async () => {
    const file = await fileIn(
      dir,
      'key.csv',
      [HEADER, `key-1,cus_1,${minutesFromNow(-1)},store.visited,,,,`].join('\n'),
    );
    const importing = importCsv(t.config, {
      file,
      channel: 'store',
      target: { url: t.gateway.url, key: 'not-a-key' },
    });
    await expect(importing).rejects.toThrow(CliError);
    await expect(importing).rejects.toThrow(
      /401 UNAUTHENTICATED: unknown key: .*\n {2}stopped near line 2: 0 accepted/,
    );
  });

  it('refuses a file without a channel column when no --channel is given', async () => {
    const file = await fileIn(
      dir,
      'nochannel.csv',
      [HEADER, `nc-1,cus_1,${minutesFromNow(-1)},store.visited,,,,`].join('\n'),
    );
    await expect(importCsv(t.config, { file, target: targetOf(t) })).rejects.toThrow(
      /pass --channel/,
    );
    const withColumn = await fileIn(
      dir,
      'channels.csv',
      [
        'channel,eventId,customerId,occurredAt,type',
        `phone,ch-1,cus_1,${minutesFromNow(-1)},phone.called`,
        `field_sales,ch-2,cus_1,${minutesFromNow(-1)},sales.visited`,
      ].join('\n'),
    );
    const summary: ImportSummary = await importCsv(t.config, {
      file: withColumn,
      target: targetOf(t),
    });
    expect(summary).toMatchObject({ accepted: 2, rejected: 0 });
    const landed = (await interactions(t)).filter((event) => event.eventId.startsWith('ch-'));
    expect(landed.map((event) => event.channel).sort()).toEqual(['field_sales', 'phone']);
  });
});

describe('rapport import against a rate-limited gateway', () => {
  let limited: TestGateway;
  beforeAll(async () => {
    limited = await startTestGateway('cli-ratelimit', { RAPPORT_RATE_LIMIT_PER_SECOND: '500' });
  });
  afterAll(async () => {
    await limited.gateway.stop();
  });
  const visits = (prefix: string, count: number) => {
    const past = minutesFromNow(-10);
    const rows = Array.from(
      { length: count },
      (_, i) => `${prefix}-${i},cus_${i % 5},${past},store.visited,,,,`,
    );
    return [HEADER, ...rows].join('\n');
  };

  it('waits out 429s as Retry-After says and resends the same batch', async () => {
    // 4 batches of 250 in flight against 500 events/s: half of each round is refused at first.
    const file = await fileIn(dir, 'limited.csv', visits('rl', 1_500));
    const summary = await importCsv(limited.config, {
      file,
      channel: 'store',
      target: targetOf(limited),
      batchSize: 250,
    });
    expect(summary).toMatchObject({ rows: 1_500, accepted: 1_500, duplicates: 0, rejected: 0 });
    expect(summary.elapsedMs).toBeGreaterThan(1_000);
  });
});

describe('the rapport command line', () => {
  it('prints progress and a summary, and exits 1 when a row was rejected', async () => {
    const file = await fileIn(dir, 'cli.csv', mixedFile('cli'));
    const { code, stdout, stderr } = await run([
      'import',
      file,
      '--channel',
      'store',
      '--gateway',
      t.gateway.url,
    ]);
    expect(stdout).toContain(
      `rapport import: ${file}: 8 rows: 3 accepted, 1 duplicates, 4 rejected in `,
    );
    expect(stdout).toContain(
      `rejected rows are in ${file}.rejects.jsonl and on ${t.config.kafka.topics.dlq}`,
    );
    expect(stderr).toMatch(/\] +100% .* accepted 3 · duplicates 1 · rejected 4\n$/);
    expect(code).toBe(1);

    const again = await run(['import', file, '--channel', 'STORE', '--gateway', t.gateway.url]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('rapport import: --channel "STORE" is not a lowercase slug');
  });
});

/** The real command line, with this file's topics, key prefix and write key in its environment. */
function run(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    RAPPORT_KAFKA_BROKERS: t.config.kafka.brokers.join(','),
    RAPPORT_REDIS_URL: t.config.redis.url,
    RAPPORT_TOPIC_INTERACTIONS: t.config.kafka.topics.interactions,
    RAPPORT_TOPIC_DLQ: t.config.kafka.topics.dlq,
    RAPPORT_WRITE_KEYS: TEST_WRITE_KEY,
  };
  const child = spawn(
    process.execPath,
    [...FROM_SOURCE, join(repoRoot, 'packages/cli/src/main.ts'), ...args],
    { env, cwd: repoRoot },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rapport ${args.join(' ')} did not finish within 30 s:\n${stderr}`));
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
