import { createHmac } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGateway, type StartedGateway } from '@rapport/gateway';
import {
  createInteractionProducer,
  createKafka,
  DeadLetterSchema,
  readTopic,
} from '@rapport/kafka';
import { createLogger } from '@rapport/lifecycle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDeadLetters } from '../../packages/cli/src/dead-letters/list.js';
import { replayDeadLetters } from '../../packages/cli/src/dead-letters/resubmit.js';
import { importCsv } from '../../packages/cli/src/csv-import/import-csv.js';
import { sendFromFlags } from '../../packages/cli/src/commands/send.js';
import { TEST_WRITE_KEY, testConfig, uniqueNames } from '../harness/index.js';
import { startTestGateway, type TestGateway } from '../gateway/helpers.js';
import { deadLetters, fileIn, interactions, minutesFromNow, targetOf, workDir } from './helpers.js';

const mappings = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'packages',
  'adapters',
  'mappings',
);

let t: TestGateway;
let dir: string;
beforeAll(async () => {
  t = await startTestGateway('cli-dlq');
  dir = await workDir();
});
afterAll(async () => {
  await t.gateway.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('rapport send', () => {
  const flags = {
    customer: 'cus_send',
    type: 'phone.call_answered',
    direction: 'outbound',
    channel: 'phone',
    sentiment: '0.5',
    properties: '{"agent":"a-1"}',
  };

  it('sends one event, and the same event id again as a duplicate', async () => {
    const first = await sendFromFlags(targetOf(t), { ...flags, eventId: 'send-1' });
    expect(first.ok && first.answer).toEqual({
      ok: true,
      status: 202,
      counts: { accepted: 1, duplicates: 0 },
    });
    const again = await sendFromFlags(targetOf(t), { ...flags, eventId: 'send-1' });
    expect(again.ok && again.answer).toMatchObject({ counts: { accepted: 0, duplicates: 1 } });
    const landed = (await interactions(t)).filter((event) => event.eventId === 'send-1');
    expect(landed).toEqual([
      expect.objectContaining({
        customerId: 'cus_send',
        channel: 'phone',
        sentiment: 0.5,
        properties: { agent: 'a-1' },
      }),
    ]);
  });

  it('sends nothing for flags the schema refuses, and returns the gateway’s refusals', async () => {
    expect(await sendFromFlags(targetOf(t), { ...flags, direction: 'sideways' })).toEqual({
      ok: false,
      issues: [{ path: 'direction', message: expect.any(String) as unknown }],
    });
    const ahead = await sendFromFlags(targetOf(t), { ...flags, occurredAt: minutesFromNow(60) });
    expect(ahead.ok && ahead.answer).toMatchObject({
      ok: false,
      status: 400,
      error: {
        code: 'VALIDATION_FAILED',
        issues: [{ path: 'occurredAt', message: 'is more than 5 minutes in the future' }],
      },
    });
  });
});

const CALLS_V1 = `channel: phone
fields:
  eventId: { path: '$["Call ID"]' }
  customerId: { path: '$.Customer' }
  type: { path: '$.Outcome', map: { answered: phone.call_answered } }
  direction: { const: outbound }
`;
const CALLS_V2 = CALLS_V1.replace(
  '{ answered: phone.call_answered }',
  '{ answered: phone.call_answered, missed: phone.call_missed }',
);

describe('rapport dlq', () => {
  it('lists the newest dead letters of a source, and replays CSV rows after a mapping fix', async () => {
    const v1 = await fileIn(dir, 'calls-v1.yaml', CALLS_V1);
    const v2 = await fileIn(dir, 'calls-v2.yaml', CALLS_V2);
    const file = await fileIn(
      dir,
      'calls.csv',
      [
        'Call ID,Customer,Outcome',
        'rc-1,cus_1,answered',
        'rc-2,cus_2,missed',
        'rc-3,cus_3,missed',
        'rc-4,,missed',
      ].join('\n'),
    );
    const imported = await importCsv(t.config, { file, mappingFile: v1, target: targetOf(t) });
    expect(imported).toMatchObject({ accepted: 1, rejected: 3 });

    const listed = await listDeadLetters(t.config, { limit: 2, source: 'csv' });
    expect(listed.matching).toBe(3);
    expect(listed.letters.map((entry) => entry.ok && entry.letter.context?.['line'])).toHaveLength(
      2,
    );
    expect((await listDeadLetters(t.config, { limit: 10, source: 'webhook' })).matching).toBe(0);

    // The same mapping again: nothing changes, nothing is sent.
    const unchanged = await replayDeadLetters(t.config, {
      source: 'csv',
      mappingFile: v1,
      target: targetOf(t),
    });
    expect(unchanged).toMatchObject({ letters: 3, resubmitted: 0, accepted: 0 });
    // Letters come in partition order; sorted, the customer-less row comes first.
    expect(unchanged.stillFailing.map((failure) => failure.reason).sort()).toEqual([
      expect.stringMatching(/^Customer: customerId: .*\(\+1 more\)$/),
      expect.stringMatching(/^Outcome: type: /),
      expect.stringMatching(/^Outcome: type: /),
    ]);

    const fixed = await replayDeadLetters(t.config, {
      source: 'csv',
      mappingFile: v2,
      target: targetOf(t),
    });
    expect(fixed).toMatchObject({ letters: 3, resubmitted: 2, accepted: 2, duplicates: 0 });
    expect(fixed.stillFailing).toEqual([
      expect.objectContaining({
        source: 'csv',
        reason: expect.stringMatching(/^Customer: /) as unknown,
      }),
    ]);
    const landed = (await interactions(t)).filter((event) => event.eventId.startsWith('rc-'));
    expect(landed.map((event) => [event.eventId, event.type]).sort()).toEqual([
      ['rc-1', 'phone.call_answered'],
      ['rc-2', 'phone.call_missed'],
      ['rc-3', 'phone.call_missed'],
    ]);

    const repeated = await replayDeadLetters(t.config, {
      source: 'csv',
      mappingFile: v2,
      target: targetOf(t),
    });
    expect(repeated).toMatchObject({ resubmitted: 2, accepted: 0, duplicates: 2 });
  });

  it('reports letters no replay can help, and names them', async () => {
    // Rows that had the wrong number of cells have no row to map again.
    const file = await fileIn(dir, 'broken.csv', 'eventId,customerId\nb-1\n');
    await importCsv(t.config, { file, channel: 'store', target: targetOf(t) });
    const letters = (await deadLetters(t)).filter((letter) => letter.context?.['file'] === file);
    expect(letters.map((letter) => letter.reason.code)).toEqual(['CSV_MALFORMED']);
    // A poison record a consumer set aside: not input, so not replayable.
    const producer = createInteractionProducer(createKafka(t.config.kafka), t.config.kafka);
    await producer.publishDeadLetters(
      [
        {
          reason: { code: 'INVALID_RECORD', message: 'does not parse' },
          source: 'projector',
          receivedAt: new Date().toISOString(),
          original: '{"nope":1}',
        },
      ],
      { timeoutMs: 5_000 },
    );
    await producer.disconnect();

    const replayed = await replayDeadLetters(t.config, { target: targetOf(t) });
    expect(replayed.stillFailing).toContainEqual(
      expect.objectContaining({
        source: 'csv',
        reason: 'not a CSV row (CSV_MALFORMED): fix the file and import it again',
      }),
    );
    expect(replayed.skipped).toEqual([
      expect.objectContaining({
        source: 'projector',
        reason: 'letters from "projector" are not replayable',
      }),
    ]);
    const listed = await listDeadLetters(t.config, { limit: 100, source: 'projector' });
    expect(listed.letters.map((entry) => entry.ok && entry.letter.original)).toEqual([
      '{"nope":1}',
    ]);
  });
});

describe('rapport dlq replay of signed webhooks', () => {
  const SECRET = 'community-secret';
  const names = uniqueNames('cli-webhooks');
  let mappingDir: string;
  let gateway: StartedGateway | undefined;

  const start = async () => {
    const config = testConfig(names, {
      RAPPORT_CHANNEL_SECRETS: `community=${SECRET}`,
      RAPPORT_CHANNEL_MAPPINGS_DIR: mappingDir,
    });
    gateway = await startGateway(config, createLogger(config, 'gateway'), { port: 0 });
    return { config, target: { url: gateway.url, key: TEST_WRITE_KEY } };
  };
  const stop = async () => {
    await gateway?.stop();
    gateway = undefined;
  };
  afterAll(stop);

  it('re-posts the body signed with the channel’s secret once the mapping is fixed', async () => {
    mappingDir = join(dir, 'mappings');
    await mkdir(mappingDir);
    // Broken: reads the customer from a field the forum does not send.
    const fixed = join(mappings, 'community.yaml');
    const broken = (await readFile(fixed, 'utf8')).replace(
      '$.author.external_id',
      '$.author.crm_id',
    );
    await writeFile(join(mappingDir, 'community.yaml'), broken);
    const body = JSON.stringify({
      posts: [
        {
          id: 'forum-1',
          kind: 'post',
          created_at: minutesFromNow(-10),
          author: { external_id: 'cus_forum' },
          topic_id: 't-1',
        },
      ],
    });
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const before = await start();
    const posted = await fetch(`${before.target.url}/v1/channels/community`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-community-signature': signature },
      body,
    });
    expect(await posted.json()).toEqual({ accepted: 0, duplicates: 0, deadLettered: 1 });

    // Still broken: reported with the adapter's issue, and not sent (no second dead letter).
    const early = await replayDeadLetters(before.config, {
      source: 'webhook',
      target: before.target,
    });
    expect(early).toMatchObject({ letters: 1, resubmitted: 0 });
    expect(early.stillFailing[0]?.reason).toMatch(/^posts\.0\.author\.crm_id: customerId: /);
    await stop();

    await copyFile(fixed, join(mappingDir, 'community.yaml'));
    const after = await start();
    const replayed = await replayDeadLetters(after.config, {
      source: 'webhook:community',
      target: after.target,
    });
    expect(replayed).toMatchObject({ letters: 1, resubmitted: 1, accepted: 1, stillFailing: [] });
    const again = await replayDeadLetters(after.config, {
      source: 'webhook:community',
      target: after.target,
    });
    expect(again).toMatchObject({ resubmitted: 1, accepted: 0, duplicates: 1 });

    // One dead letter in all: the replay that still failed did not send the body again.
    const kafka = createKafka(after.config.kafka);
    let letters = 0;
    for await (const record of readTopic(kafka, after.config.kafka.topics.dlq)) {
      if (DeadLetterSchema.parse(JSON.parse(record.value ?? '')).source === 'webhook:community') {
        letters += 1;
      }
    }
    expect(letters).toBe(1);
  });
});
