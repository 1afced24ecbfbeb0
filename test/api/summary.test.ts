import { ErrorSchema } from '@rapport/lifecycle';
import { StageSchema, StatusSchema } from '@rapport/model';
import { CustomerViewSchema, SummarySchema, type Summary } from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY, TEST_WRITE_KEY } from '../harness/index.js';
import { randomEvents } from '../projector/helpers.js';
import { openApiDocument, startTestApi, type TestApi } from './helpers.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const DAY = 86_400_000;

/**
 * `GET /v1/summary` against a real Redis: its counts are, customer by customer, what
 * `GET /v1/customers/:id` says at the same instant. The API's clock is the test's, so that each
 * read is at an instant of the test's choosing (a summary is shared by the requests of its
 * second: the clock moves between the empty store and the filled one).
 */
describe('the summary', () => {
  let t: TestApi;
  let now = NOW - 60_000;
  // Random customers over the last 120 days, every channel and an unknown one (pooled as `*`).
  const events = randomEvents(1_200, 120, 43, NOW);
  const ids = [...new Set(events.map((event) => event.customerId))];

  beforeAll(async () => {
    t = await startTestApi('summary', {}, () => now);
  });
  afterAll(() => t.stop());

  const summary = async (query = '') => {
    const response = await t.get(`/v1/summary${query}`);
    expect(response.status).toBe(200);
    return SummarySchema.parse(await response.json());
  };

  /** The same counts, made by reading every customer with the customer route at `at`. */
  async function countedOneByOne(at: number): Promise<Summary> {
    const counted: Summary = {
      asOf: new Date(at).toISOString(),
      customers: 0,
      status: Object.fromEntries(StatusSchema.options.map((s) => [s, 0])) as Summary['status'],
      stage: Object.fromEntries(StageSchema.options.map((s) => [s, 0])) as Summary['stage'],
      channels: {},
    };
    for (const id of ids) {
      const response = await t.get(`/v1/customers/${id}?at=${new Date(at).toISOString()}`);
      expect(response.status).toBe(200);
      const view = CustomerViewSchema.parse(await response.json());
      counted.customers += 1;
      counted.status[view.status] += 1;
      counted.stage[view.stage] += 1;
      for (const { channel, interactions } of view.channels) {
        if (interactions > 0) counted.channels[channel] = (counted.channels[channel] ?? 0) + 1;
      }
    }
    return counted;
  }

  it('counts nothing in an empty store, every status and stage present', async () => {
    expect(await summary()).toEqual({
      asOf: new Date(now).toISOString(),
      customers: 0,
      status: { engaged: 0, cooling: 0, at_risk: 0, dormant: 0 },
      stage: { prospect: 0, onboarding: 0, active: 0, at_risk: 0, dormant: 0, churned: 0 },
      channels: {},
    });
  });

  it('counts each customer as the customer route reads them, now and at an instant asked for', async () => {
    await t.project(events, NOW);
    now = NOW;
    const current = await summary();
    expect(current).toEqual(await countedOneByOne(NOW));
    expect(current.customers).toBe(ids.length);
    // The population is mixed, so the equality above says something about each count.
    expect(Object.values(current.status).filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    expect(Object.values(current.stage).filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(current.channels)).toContain('*');

    const later = NOW + 40 * DAY;
    const then = await summary(`?at=${new Date(later).toISOString()}`);
    expect(then).toEqual(await countedOneByOne(later));
    expect(then.status.dormant).toBeGreaterThan(current.status.dormant);

    // Read at the whole second, so that the requests of one second share one count.
    const within = await summary(`?at=${new Date(later + 999).toISOString()}`);
    expect(within).toEqual(then);
  });

  it('needs a read key, and refuses an instant it cannot read or a parameter it does not know', async () => {
    for (const [key, status, code] of [
      [TEST_WRITE_KEY, 403, 'FORBIDDEN'],
      [TEST_ADMIN_KEY, 403, 'FORBIDDEN'],
    ] as const) {
      const response = await t.get('/v1/summary', { authorization: `Bearer ${key}` });
      expect(response.status).toBe(status);
      expect(ErrorSchema.parse(await response.json()).error.code).toBe(code);
    }
    const anonymous = await fetch(`${t.api.url}/v1/summary`);
    expect(anonymous.status).toBe(401);
    expect(ErrorSchema.parse(await anonymous.json()).error.code).toBe('UNAUTHENTICATED');

    for (const [query, path] of [
      ['?at=yesterday', 'at'],
      ['?at=2300-01-01T00:00:00Z', 'at'],
      ['?status=engaged', 'status'],
    ] as const) {
      const response = await t.get(`/v1/summary${query}`);
      expect(response.status, query).toBe(400);
      const { error } = ErrorSchema.parse(await response.json());
      expect(error.code, query).toBe('VALIDATION_FAILED');
      expect(
        error.issues.map((issue) => issue.path),
        query,
      ).toEqual([path]);
    }
  });

  it('is in the OpenAPI document, for read keys, with its answer', async () => {
    const document = await openApiDocument(t);
    const operation = document.paths['/v1/summary']?.['get'];
    expect(operation?.security).toEqual([{ readKey: [] }]);
    expect(operation?.responses).toMatchObject({
      '200': {
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Summary' } } },
      },
    });
    expect(document.components.schemas['Summary']?.required).toEqual([
      'asOf',
      'customers',
      'status',
      'stage',
      'channels',
    ]);
  });
});
