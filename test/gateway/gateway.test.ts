import { StampedInteractionSchema } from '@rapport/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY, TEST_READ_KEY } from '../harness/index.js';
import { event, startTestGateway, type TestGateway } from './helpers.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway('gateway');
});
afterAll(async () => {
  await t.gateway.stop();
});

const errorOf = async (response: Response) =>
  (
    (await response.json()) as {
      error: { code: string; message: string; issues: { path: string; message: string }[] };
    }
  ).error;

describe('POST /v1/interactions', () => {
  it('accepts one event, only after Kafka acknowledged it, stamped and keyed by customer', async () => {
    const sent = event('cust-single');
    const response = await t.post('/v1/interactions', sent);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1, duplicates: 0 });
    const records = (await t.records(t.config.kafka.topics.interactions)).filter(
      (r) => r.key === 'cust-single',
    );
    expect(records).toHaveLength(1);
    const stamped = StampedInteractionSchema.parse(records[0]?.value);
    expect(stamped).toMatchObject({ ...sent, source: 'http' });
    expect(Date.parse(stamped.receivedAt)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('keeps each customer on one partition, in order, and answers a retry as duplicates', async () => {
    const customers = ['cust-a', 'cust-b', 'cust-c', 'cust-d'];
    const batch = customers.flatMap((customer) =>
      Array.from({ length: 25 }, () => event(customer)),
    );
    const first = await t.post('/v1/interactions', { batch });
    expect(await first.json()).toEqual({ accepted: 100, duplicates: 0 });
    const retry = await t.post('/v1/interactions', { batch });
    expect(retry.status).toBe(202);
    expect(await retry.json()).toEqual({ accepted: 0, duplicates: 100 });

    const records = await t.records(t.config.kafka.topics.interactions);
    for (const customer of customers) {
      const mine = records.filter((record) => record.key === customer);
      expect(mine.map((record) => StampedInteractionSchema.parse(record.value).eventId)).toEqual(
        batch.filter((sent) => sent.customerId === customer).map((sent) => sent.eventId),
      );
      expect(new Set(mine.map((record) => record.partition)).size).toBe(1);
    }
  });

  it('stamps the source a client names under http:, and refuses a name that is not a slug', async () => {
    const sent = event('cust-named-source');
    const response = await t.post('/v1/interactions', sent, { 'x-rapport-source': 'csv' });
    expect(await response.json()).toEqual({ accepted: 1, duplicates: 0 });
    const [record] = (await t.records(t.config.kafka.topics.interactions)).filter(
      (r) => r.key === 'cust-named-source',
    );
    expect(StampedInteractionSchema.parse(record?.value).source).toBe('http:csv');

    const refused = await t.post('/v1/interactions', event('cust-spoofed-source'), {
      'x-rapport-source': 'Engine!',
    });
    expect(refused.status).toBe(400);
    expect(await errorOf(refused)).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: 'headers.x-rapport-source' }],
    });
  });

  it('publishes an eventId repeated inside one batch once', async () => {
    const once = event('cust-repeat');
    const response = await t.post('/v1/interactions', { batch: [once, once] });
    expect(await response.json()).toEqual({ accepted: 1, duplicates: 1 });
  });
});

describe('bad input never reaches the topic', () => {
  const cases: [string, () => Promise<Response>, number, string][] = [
    ['invalid JSON', () => t.post('/v1/interactions', '{"eventId": '), 400, 'INVALID_JSON'],
    [
      'no key',
      () => t.post('/v1/interactions', event('bad'), { authorization: '' }),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'unknown key',
      () => t.post('/v1/interactions', event('bad'), { authorization: 'Bearer nope' }),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'a read key',
      () => t.post('/v1/interactions', event('bad'), { authorization: `Bearer ${TEST_READ_KEY}` }),
      403,
      'FORBIDDEN',
    ],
    [
      'a batch over 2,500 events',
      () =>
        t.post('/v1/interactions', { batch: Array.from({ length: 2_501 }, () => event('bad')) }),
      400,
      'BATCH_TOO_LARGE',
    ],
    [
      'an event over 32 KB',
      () =>
        t.post('/v1/interactions', event('bad', { properties: { blob: 'x'.repeat(33 * 1024) } })),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'a request over 500 KB',
      () =>
        t.post('/v1/interactions', {
          batch: Array.from({ length: 40 }, () =>
            event('bad', { properties: { blob: 'x'.repeat(14 * 1024) } }),
          ),
        }),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ];
  it.each(cases)('%s', async (_name, send, status, code) => {
    const response = await send();
    expect(response.status).toBe(status);
    const error = await errorOf(response);
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('refuses a batch with one bad event whole, naming its index and field', async () => {
    const batch = [
      event('bad-batch'),
      event('bad-batch'),
      event('bad-batch'),
      event('bad-batch', { direction: 'sideways' }),
    ];
    const response = await t.post('/v1/interactions', { batch });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues.map((issue) => issue.path)).toEqual(['batch.3.direction']);
    expect(error.message).toContain('batch.3.direction');
  });

  it('names missing and unknown fields and events dated in the future', async () => {
    const { eventId, ...missingId } = event('bad-fields');
    const response = await t.post('/v1/interactions', {
      batch: [
        missingId,
        event('bad-fields', { occured_at: 'typo' }),
        event('bad-fields', { occurredAt: new Date(Date.now() + 3_600_000).toISOString() }),
      ],
    });
    const error = await errorOf(response);
    expect(error.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'batch.0.eventId' }),
        { path: 'batch.1.occured_at', message: 'unknown field' },
        { path: 'batch.2.occurredAt', message: 'is more than 5 minutes in the future' },
      ]),
    );
  });

  it('put none of the refused events on the topic', async () => {
    const records = await t.records(t.config.kafka.topics.interactions);
    expect(records.filter((record) => record.key.startsWith('bad'))).toEqual([]);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After past the per-key budget', async () => {
    const limited = await startTestGateway('gateway-limit', {
      RAPPORT_RATE_LIMIT_PER_SECOND: '10',
    });
    try {
      // The budget is per second of the clock, so a run can straddle a boundary: batches of 6
      // against a budget of 10 are refused as soon as any two land in the same second.
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5 && !statuses.includes(429); i += 1) {
        const response = await limited.post('/v1/interactions', {
          batch: Array.from({ length: 6 }, () => event('limited')),
        });
        statuses.push(response.status);
        if (response.status === 429) retryAfter = response.headers.get('retry-after');
      }
      expect(statuses[0]).toBe(202);
      expect(statuses).toContain(429);
      expect(retryAfter).toBe('1');
    } finally {
      await limited.gateway.stop();
    }
  });
});

describe('operations', () => {
  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
    const get = (path: string) => fetch(`${t.gateway.url}${path}`, { headers: admin });
    expect((await get('/healthz')).status).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { kafka: 'ok', redis: 'ok' } });
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/rapport_gateway_events_total\{source="http",outcome="accepted"\} \d+/);
    expect(metrics).toMatch(/rapport_gateway_rejections_total\{reason="VALIDATION_FAILED"\}/);
    const openapi = (await (await get('/openapi.json')).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/v1/interactions',
        '/v1/track',
        '/v1/batch',
        '/v1/channels/{channel}',
      ]),
    );
    expect(openapi.components.schemas).toHaveProperty('Interaction');
  });
});
