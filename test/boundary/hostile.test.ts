import { Redis } from 'ioredis';
import { ErrorSchema } from '@rapport/lifecycle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY, TEST_READ_KEY, TEST_WRITE_KEY } from '../harness/index.js';
import { startTestApi, type TestApi } from '../api/helpers.js';
import { event, startTestGateway, type TestGateway } from '../gateway/helpers.js';
import { rawRequest } from './http.js';

/**
 * Every hostile request a careful service must answer, against the running gateway and query
 * API: each with its exact status and error code, in the one error shape. Nothing it sends may
 * become state: after the table, the gateway's topic and its Redis prefix are empty.
 */

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const basic = (user: string) => ({
  authorization: `Basic ${Buffer.from(user).toString('base64')}`,
});
const json = { 'content-type': 'application/json' };
const writer = { ...bearer(TEST_WRITE_KEY), ...json };
const RATE_LIMIT = 10;

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const oneEvent = (overrides: Record<string, unknown>) =>
  JSON.stringify(event('hostile-customer', overrides));

interface Case {
  readonly name: string;
  readonly service: 'gateway' | 'api';
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly status: number;
  /** The error code; absent for the few successes the table checks the shape of. */
  readonly code?: string;
  /** The issue path that must be named, when the answer is a validation failure. */
  readonly issue?: string;
  readonly header?: readonly [string, RegExp];
}

const cases: Case[] = [
  // Authentication is bound to the matched route, never to the URL's text.
  {
    name: 'no key',
    service: 'api',
    path: '/v1/customers/c-1',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'encoded /v1 prefix',
    service: 'api',
    path: '/%76%31/customers/c-1',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'encoded digit in /v1',
    service: 'api',
    path: '/v%31/customers?limit=50',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'encoded stream path',
    service: 'api',
    path: '/v1/%73tream',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'double slash',
    service: 'api',
    path: '//v1/customers',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'trailing junk after the key',
    service: 'api',
    path: '/v1/customers',
    headers: { authorization: `Bearer ${TEST_READ_KEY} junk` },
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'two spaces after Bearer',
    service: 'api',
    path: '/v1/customers',
    headers: { authorization: `Bearer  ${TEST_READ_KEY}` },
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'empty Bearer',
    service: 'api',
    path: '/v1/customers',
    headers: { authorization: 'Bearer ' },
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'unknown scheme',
    service: 'api',
    path: '/v1/customers',
    headers: { authorization: `Token ${TEST_READ_KEY}` },
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'bare key',
    service: 'api',
    path: '/v1/customers',
    headers: { authorization: TEST_READ_KEY },
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'Basic with a password',
    service: 'api',
    path: '/v1/customers',
    headers: basic(`${TEST_READ_KEY}:secret`),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'Basic without the colon',
    service: 'api',
    path: '/v1/customers',
    headers: basic(TEST_READ_KEY),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'Basic not base64',
    service: 'api',
    path: '/v1/customers',
    headers: { authorization: 'Basic !!!!' },
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'a key that differs in its last character',
    service: 'api',
    path: '/v1/customers',
    headers: bearer(`${TEST_READ_KEY.slice(0, -1)}X`),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'a write key reading',
    service: 'api',
    path: '/v1/customers',
    headers: bearer(TEST_WRITE_KEY),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'an admin key reading customers',
    service: 'api',
    path: '/v1/customers',
    headers: bearer(TEST_ADMIN_KEY),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'a read key writing',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: { ...bearer(TEST_READ_KEY), ...json },
    body: oneEvent({}),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'Segment call without a key',
    service: 'gateway',
    method: 'POST',
    path: '/v1/track',
    headers: json,
    body: '{}',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'no key, a body far over the limit: refused before it is read',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: json,
    body: 'x'.repeat(2 << 20),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  // Ops surface.
  {
    name: 'metrics without a key',
    service: 'api',
    path: '/metrics',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'metrics with a read key',
    service: 'api',
    path: '/metrics',
    headers: bearer(TEST_READ_KEY),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'gateway metrics with a write key',
    service: 'gateway',
    path: '/metrics',
    headers: bearer(TEST_WRITE_KEY),
    status: 403,
    code: 'FORBIDDEN',
  },
  // Unknown paths and methods reveal nothing without a key.
  {
    name: 'unknown path without a key',
    service: 'gateway',
    path: '/admin',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'known path, wrong method, without a key',
    service: 'gateway',
    path: '/v1/interactions',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'unknown path with a key',
    service: 'gateway',
    path: '/admin',
    headers: bearer(TEST_WRITE_KEY),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'wrong method with a key',
    service: 'gateway',
    path: '/v1/interactions',
    headers: bearer(TEST_WRITE_KEY),
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    header: ['allow', /POST/],
  },
  {
    name: 'wrong method on a public route',
    service: 'api',
    method: 'DELETE',
    path: '/healthz',
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    header: ['allow', /GET/],
  },
  // Path parameters and encodings.
  {
    name: 'malformed percent-encoding',
    service: 'api',
    path: '/v1/customers/%E0%A4%A',
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'INVALID_URL',
  },
  {
    name: 'a 150-character id',
    service: 'api',
    path: `/v1/customers/${'c'.repeat(150)}`,
    headers: bearer(TEST_READ_KEY),
    status: 404,
    code: 'CUSTOMER_NOT_FOUND',
  },
  {
    name: 'a 256-character id, percent-encoded multibyte',
    service: 'api',
    path: `/v1/customers/${encodeURIComponent('é'.repeat(256))}`,
    headers: bearer(TEST_READ_KEY),
    status: 404,
    code: 'CUSTOMER_NOT_FOUND',
  },
  {
    name: 'a 257-character id',
    service: 'api',
    path: `/v1/customers/${'c'.repeat(257)}`,
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'id',
  },
  {
    name: 'an id longer than any valid one',
    service: 'api',
    path: `/v1/customers/${'c'.repeat(5_000)}`,
    headers: bearer(TEST_READ_KEY),
    status: 414,
    code: 'URI_TOO_LONG',
  },
  {
    name: 'a request line over the header limit',
    service: 'api',
    path: `/v1/customers/${'c'.repeat(20_000)}`,
    headers: bearer(TEST_READ_KEY),
    status: 431,
    code: 'HEADERS_TOO_LARGE',
  },
  {
    name: 'a hash-tag brace in an id',
    service: 'api',
    path: '/v1/customers/a%7Bb%7D',
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'id',
  },
  {
    name: 'a control character in an id',
    service: 'api',
    path: '/v1/customers/a%00b',
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'id',
  },
  // Query strings, cursors and stream ids.
  {
    name: 'limit 0',
    service: 'api',
    path: '/v1/customers?limit=0',
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'limit',
  },
  {
    name: 'limit not a number',
    service: 'api',
    path: '/v1/customers?limit=1e999',
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'limit',
  },
  {
    name: 'unknown query parameter',
    service: 'api',
    path: '/v1/customers?admin=true',
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'admin',
  },
  {
    name: 'not a cursor',
    service: 'api',
    path: '/v1/customers?cursor=%21%21%21',
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'INVALID_CURSOR',
  },
  {
    name: 'a forged cursor',
    service: 'api',
    path: `/v1/customers?cursor=${Buffer.from(JSON.stringify({ q: '|||-dormant_at', s: 'nan) or 1', c: 'x' })).toString('base64url')}`,
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'INVALID_CURSOR',
  },
  {
    name: 'at: not an instant',
    service: 'api',
    path: '/v1/customers/c-1?at=yesterday',
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'at',
  },
  {
    name: 'at: past 2100',
    service: 'api',
    path: '/v1/customers/c-1?at=2300-01-01T00:00:00Z',
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'at',
  },
  {
    name: 'an impossible Last-Event-ID',
    service: 'api',
    path: '/v1/stream',
    headers: { ...bearer(TEST_READ_KEY), 'last-event-id': '99999999999999999999-0' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a Last-Event-ID from the future',
    service: 'api',
    path: '/v1/stream',
    headers: { ...bearer(TEST_READ_KEY), 'last-event-id': '4102444800000-0' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a Last-Event-ID that is not an id',
    service: 'api',
    path: '/v1/stream?lastEventId=abc',
    headers: bearer(TEST_READ_KEY),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  // Bodies: media types, JSON, depth, size.
  {
    name: 'text/plain body',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: { ...bearer(TEST_WRITE_KEY), 'content-type': 'text/plain' },
    body: oneEvent({}),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'form-encoded body',
    service: 'gateway',
    method: 'POST',
    path: '/v1/track',
    headers: { ...bearer(TEST_WRITE_KEY), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'a=b',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'empty JSON body',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: '',
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'invalid JSON',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: '{"eventId": ',
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: '__proto__ in the body',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: '{"__proto__": {"admin": true}}',
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'constructor.prototype in the body',
    service: 'gateway',
    method: 'POST',
    path: '/v1/track',
    headers: writer,
    body: '{"constructor": {"prototype": {"x": 1}}}',
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'properties nested 5,000 deep',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({}).replace(/}$/, `,"properties":{"x":${nested(5_000)}}}`),
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'a Segment body nested 5,000 deep',
    service: 'gateway',
    method: 'POST',
    path: '/v1/batch',
    headers: writer,
    body: `{"batch":${nested(5_000)}}`,
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'a body over 500 KB',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: `{"batch":["${'x'.repeat(600 * 1024)}"]}`,
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'an event over 32 KB',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ properties: { note: 'x'.repeat(40 * 1024) } }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'a batch over 2,500 events',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: `{"batch":[${Array.from({ length: 2_501 }, () => '{}').join(',')}]}`,
    status: 400,
    code: 'BATCH_TOO_LARGE',
  },
  {
    name: 'an empty batch',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: '{"batch":[]}',
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'batch',
  },
  {
    name: 'an empty Segment batch',
    service: 'gateway',
    method: 'POST',
    path: '/v1/batch',
    headers: writer,
    body: '{"batch":[]}',
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'batch',
  },
  {
    name: 'JSON null',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: 'null',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a JSON array',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: '[1,2]',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  // Events: Unicode, numbers, dates, types, reserved types.
  {
    name: 'a lone surrogate in customerId',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({}).replace('"hostile-customer"', '"a\\ud800b"'),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'customerId',
  },
  {
    name: 'a brace in customerId',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ customerId: 'a}{b' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'customerId',
  },
  {
    name: 'a newline in eventId',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ eventId: 'e\n1' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'eventId',
  },
  {
    name: 'an engine verdict (sla.missed)',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ type: 'sla.missed', direction: 'outbound' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'type',
  },
  {
    name: 'an engine verdict (followup.started)',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ type: 'followup.started' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'type',
  },
  {
    name: 'an engine verdict through Segment rapportType',
    service: 'gateway',
    method: 'POST',
    path: '/v1/track',
    headers: writer,
    body: JSON.stringify({
      userId: 'hostile-customer',
      event: 'x',
      messageId: 'm-1',
      properties: { rapportType: 'sla.met' },
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'properties.rapportType',
  },
  {
    name: 'a negative value',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ value: -1 }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'value',
  },
  {
    name: 'a value that overflows to Infinity',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({}).replace(/}$/, ',"value":1e999}'),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'value',
  },
  {
    name: 'sentiment as a string',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ sentiment: '0.5' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'sentiment',
  },
  {
    name: 'month 13',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ occurredAt: '2026-13-01T00:00:00Z' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'occurredAt',
  },
  {
    name: 'an instant without offset',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ occurredAt: '2026-01-01T00:00:00' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'occurredAt',
  },
  {
    name: 'an instant an hour ahead',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ occurredAt: new Date(Date.now() + 3_600_000).toISOString() }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'occurredAt',
  },
  {
    name: 'a direction that is not one',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ direction: 'sideways' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'direction',
  },
  {
    name: 'a misspelt field',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: oneEvent({ occured_at: 'x' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'occured_at',
  },
  {
    name: 'a source label outside the allow-list',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: { ...writer, 'x-rapport-source': 'attacker-label' },
    body: oneEvent({}),
    status: 400,
    code: 'VALIDATION_FAILED',
    issue: 'headers.x-rapport-source',
  },
  {
    name: 'more events in one request than the rate budget',
    service: 'gateway',
    method: 'POST',
    path: '/v1/interactions',
    headers: writer,
    body: JSON.stringify({
      batch: Array.from({ length: RATE_LIMIT + 1 }, () => event('hostile-customer')),
    }),
    status: 429,
    code: 'RATE_LIMITED',
    header: ['retry-after', /^\d+$/],
  },
  {
    name: 'an unknown channel',
    service: 'gateway',
    method: 'POST',
    path: '/v1/channels/nope',
    headers: writer,
    body: '{}',
    status: 404,
    code: 'UNKNOWN_CHANNEL',
  },
  {
    name: 'a channel without a key',
    service: 'gateway',
    method: 'POST',
    path: '/v1/channels/support',
    headers: json,
    body: '{}',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
];

describe('hostile requests against the gateway and the query API', () => {
  let gateway: TestGateway;
  let api: TestApi;
  const urls = { gateway: '', api: '' };

  beforeAll(async () => {
    gateway = await startTestGateway('hostile', {
      RAPPORT_RATE_LIMIT_PER_SECOND: String(RATE_LIMIT),
    });
    api = await startTestApi('hostile-api');
    urls.gateway = gateway.gateway.url;
    urls.api = api.api.url;
  });
  afterAll(async () => {
    await gateway?.gateway.stop();
    await api?.stop();
  });

  it('has at least forty cases', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)('$name: $status $code', async (testCase) => {
    const answer = await rawRequest(urls[testCase.service], {
      method: testCase.method ?? 'GET',
      path: testCase.path,
      headers: testCase.headers ?? {},
      ...(testCase.body === undefined ? {} : { body: testCase.body }),
    });
    expect(answer.status, answer.text).toBe(testCase.status);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    const body = ErrorSchema.parse(JSON.parse(answer.text));
    expect(body.error.code).toBe(testCase.code);
    if (testCase.issue !== undefined) {
      expect(body.error.issues.map((issue) => issue.path)).toContain(testCase.issue);
    }
    if (testCase.header) expect(answer.headers[testCase.header[0]]).toMatch(testCase.header[1]);
    for (const secret of [TEST_READ_KEY, TEST_WRITE_KEY, TEST_ADMIN_KEY]) {
      expect(answer.text).not.toContain(secret);
    }
  });

  it('says only "ready" to the public, and why to an admin key', async () => {
    const open = await rawRequest(urls.api, { method: 'GET', path: '/readyz' });
    expect(JSON.parse(open.text)).toEqual({ status: 'ready' });
    const admin = await rawRequest(urls.gateway, {
      method: 'GET',
      path: '/readyz',
      headers: bearer(TEST_ADMIN_KEY),
    });
    expect(JSON.parse(admin.text)).toEqual({
      status: 'ready',
      checks: { kafka: 'ok', redis: 'ok' },
    });
    const health = await rawRequest(urls.gateway, { method: 'GET', path: '/healthz' });
    expect(JSON.parse(health.text)).toEqual({ status: 'ok' });
  });

  it('left no state behind: no record on the topic, no key under the prefix', async () => {
    expect(await gateway.records(gateway.config.kafka.topics.interactions)).toEqual([]);
    expect(await gateway.records(gateway.config.kafka.topics.dlq)).toEqual([]);
    const redis = new Redis(gateway.config.redis.url);
    try {
      expect(await redis.keys(`${gateway.config.redis.keyPrefix}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
