import type { ChildProcess } from 'node:child_process';
import { createKafka } from '@rapport/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectPoolStops,
  expectWorkerReplaced,
  freePort,
  killHard,
  spawnService,
  TEST_ADMIN_KEY,
  TEST_WRITE_KEY,
  testConfig,
  testEnvironment,
  uniqueNames,
  untilReady,
} from '../harness/index.js';
import { rawRequest } from '../boundary/http.js';
import { event, topicRecords } from './helpers.js';

describe('the gateway as a pool of worker processes', () => {
  let primary: ChildProcess | undefined;
  afterAll(async () => {
    if (primary) await killHard(primary);
  });

  it('shares its port, answers readiness and metrics for the whole pool, replaces a dead worker and stops them all', async () => {
    const names = uniqueNames('gateway-pool');
    const port = await freePort();
    primary = spawnService(
      'gateway',
      testEnvironment(names, {
        RAPPORT_GATEWAY_PORT: String(port),
        RAPPORT_GATEWAY_PROCESSES: '2',
        RAPPORT_LOG_LEVEL: 'warn',
      }),
    );
    const url = `http://127.0.0.1:${port}`;
    expect(await untilReady(port)).toEqual({
      status: 'ready',
      checks: { kafka: 'ok', redis: 'ok', workers: 'ok' },
    });

    // Concurrent requests open several connections, which the primary hands out in turn.
    const post = (body: unknown) =>
      fetch(`${url}/v1/interactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_WRITE_KEY}` },
        body: JSON.stringify(body),
      });
    const sent = Array.from({ length: 40 }, (_, index) => event(`pool-${index % 4}`));
    const statuses = await Promise.all(sent.map(async (one) => (await post(one)).status));
    expect(statuses).toEqual(sent.map(() => 202));

    // Whichever worker answers, /metrics is the pool's sum: each worker counted its own share.
    const accepted = new RegExp(
      `^rapport_gateway_events_total\\{source="http",outcome="accepted"\\} ${sent.length}$`,
      'm',
    );
    const scrapes = await Promise.all(
      Array.from({ length: 4 }, async () =>
        (
          await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } })
        ).text(),
      ),
    );
    for (const text of scrapes) expect(text).toMatch(accepted);

    // A copy sent the moment its events are acknowledged, on a connection of its own (either
    // worker may read it), is all duplicates: the answer waits for no reply from Redis, but the
    // claims' confirmation is sent to it before the answer is. Single events, small batches (a
    // key each) and larger ones (one key for the batch).
    const postAlone = async (one: unknown) => {
      const answer = await rawRequest(url, {
        method: 'POST',
        path: '/v1/interactions',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_WRITE_KEY}` },
        body: JSON.stringify(one),
        ownConnection: true,
      });
      return { status: answer.status, body: JSON.parse(answer.text) as unknown };
    };
    const requests = [1, 3, 8].flatMap((size) =>
      Array.from({ length: 6 }, () => Array.from({ length: size }, () => event('pool-copies'))),
    );
    // The pairs run side by side; within each, the copy leaves when the first answer arrives.
    const answers = await Promise.all(
      requests.map(async (events) => {
        const body = events.length === 1 ? events[0] : { batch: events };
        return [await postAlone(body), await postAlone(body)];
      }),
    );
    expect(answers).toEqual(
      requests.map((events) => [
        { status: 202, body: { accepted: events.length, duplicates: 0 } },
        { status: 202, body: { accepted: 0, duplicates: events.length } },
      ]),
    );
    const copied = requests.flat();

    // A worker that dies is replaced; meanwhile every worker's /readyz says the pool is short.
    const workers = await expectWorkerReplaced(primary, 'gateway', port);
    const more = Array.from({ length: 10 }, (_, index) => event(`pool-${index % 4}`));
    expect((await post({ batch: more })).status).toBe(202);

    // Every accepted event is on the topic once, whichever worker took it.
    const kafka = createKafka(testConfig(names).kafka);
    const records = await topicRecords(kafka, names.topic('interactions'));
    expect(records.map((record) => (record.value as { eventId: string }).eventId).sort()).toEqual(
      [...sent, ...copied, ...more].map((one) => one.eventId).sort(),
    );

    await expectPoolStops(primary, workers);
    primary = undefined;
  }, 90_000);
});
