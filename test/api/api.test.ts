import {
  ChangeSchema,
  CustomerListSchema,
  CustomerViewSchema,
  HistorySchema,
  TimelineSchema,
  customerView,
} from '@rapport/read-model';
import type { Stage, Status } from '@rapport/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_TOPOLOGIES, TEST_ADMIN_KEY, TEST_WRITE_KEY } from '../harness/index.js';
import { expectedStates, model, randomEvents } from '../projector/helpers.js';
import {
  expectStreamResumes,
  openApiDocument,
  openStream,
  pages,
  startTestApi,
  until,
  type TestApi,
} from './helpers.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const DAY = 86_400_000;

/** Two-way exchanges every day of the last two weeks: engaged for a while yet. */
function loyal(id: string) {
  return Array.from({ length: 14 }, (_, day) =>
    [
      ['email.replied', 'inbound'],
      ['support.ticket_resolved', 'outbound'],
    ].map(([type = '', direction]) => ({
      eventId: `${id}-${day}-${type}`,
      customerId: id,
      channel: 'email',
      type,
      direction: direction === 'inbound' ? ('inbound' as const) : ('outbound' as const),
      occurredAt: new Date(NOW - day * DAY - 3_600_000).toISOString(),
      receivedAt: new Date(NOW).toISOString(),
      source: 'http',
    })),
  ).flat();
}

describe.each(REDIS_TOPOLOGIES)('the query API on $topology', ({ redis }) => {
  let t: TestApi;
  const events = [
    ...randomEvents(1_500, 150, 31, NOW),
    ...loyal('loyal-1'),
    ...loyal('loyal-2'),
    ...loyal('loyal-3'),
  ];
  const expected = expectedStates(events);
  const readings = new Map([...expected].map(([id, state]) => [id, model.at(state, NOW)]));
  const idsWhere = (keep: (reading: ReturnType<typeof model.at>) => boolean) =>
    [...readings].filter(([, reading]) => keep(reading)).map(([id]) => id);

  beforeAll(async () => {
    t = await startTestApi('api', { RAPPORT_SSE_HEARTBEAT: '200ms', ...redis() }, () => NOW);
    await t.project(events, NOW);
  });
  afterAll(() => t.stop());

  it('answers 401, 403 and 404 in the shared error shape', async () => {
    const missing = await fetch(`${t.api.url}/v1/customers/loyal-1`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED', issues: [] } });
    const writeKey = await t.get('/v1/customers/loyal-1', {
      authorization: `Bearer ${TEST_WRITE_KEY}`,
    });
    expect(writeKey.status).toBe(403);
    expect(await writeKey.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const unknown = await t.get('/v1/customers/nobody-at-all');
    expect(unknown.status).toBe(404);
    const notFound = (await unknown.json()) as { error: { code: string; message: string } };
    expect(notFound.error.code).toBe('CUSTOMER_NOT_FOUND');
    expect(notFound.error.message).toContain('"nobody-at-all"');
    const invalid = await t.get('/v1/customers?status=happy&limit=0');
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues.map((issue) => issue.path).sort()).toEqual(['limit', 'status.0']);
  });

  it('reads a customer at the request instant, decay applied, exactly as at(state, t)', async () => {
    for (const id of ['loyal-1', 'customer-3', 'customer-77']) {
      const stored = await t.store.reader.customer('0', id);
      if (!stored) throw new Error(`${id} not stored`);
      for (const at of [NOW, NOW + 20 * DAY]) {
        const query = at === NOW ? '' : `?at=${new Date(at).toISOString()}`;
        const response = await t.get(`/v1/customers/${id}${query}`);
        expect(response.status).toBe(200);
        const view = CustomerViewSchema.parse(await response.json());
        expect(view).toEqual(customerView(id, stored, model, at));
        const reading = model.at(stored.state, at);
        expect(view.engagement).toBe(reading.engagement);
        expect(view.trust).toEqual(reading.trust);
        expect(view.asOf).toBe(new Date(Math.max(at, stored.state.t)).toISOString());
      }
    }
    const later = CustomerViewSchema.parse(
      await (
        await t.get(`/v1/customers/loyal-1?at=${new Date(NOW + 30 * DAY).toISOString()}`)
      ).json(),
    );
    const now = CustomerViewSchema.parse(await (await t.get('/v1/customers/loyal-1')).json());
    expect(later.engagement).toBeLessThan(now.engagement);
    expect(now.status).toBe('engaged');
    expect(now.channels.find((channel) => channel.channel === 'email')?.lastAt).toBe(
      new Date(NOW - 3_600_000).toISOString(),
    );
  });

  it('lists every at-risk customer, ordered by crossing time, across pages', async () => {
    const items = await pages(t, 'status=at_risk', 7);
    expect(items.map((item) => item.customerId).sort()).toEqual(
      idsWhere((reading) => reading.status === 'at_risk').sort(),
    );
    expect(items.length).toBeGreaterThan(10);
    const crossings = items.map((item) =>
      item.predictions.atRiskAt === null ? -Infinity : Date.parse(item.predictions.atRiskAt),
    );
    expect(crossings).toEqual([...crossings].sort((a, b) => a - b));
    expect(items.every((item) => item.status === 'at_risk')).toBe(true);
  });

  it('lists each status and stage at the request instant, and filters by channel', async () => {
    for (const status of ['engaged', 'cooling', 'dormant'] satisfies Status[]) {
      const items = await pages(t, `status=${status}`, 25);
      expect(items.map((item) => item.customerId).sort(), status).toEqual(
        idsWhere((reading) => reading.status === status).sort(),
      );
      expect(items.length, status).toBeGreaterThan(0);
    }
    for (const stage of ['prospect', 'churned', 'dormant', 'at_risk'] satisfies Stage[]) {
      const items = await pages(t, `stage=${stage}`, 50);
      expect(items.map((item) => item.customerId).sort(), stage).toEqual(
        idsWhere((reading) => reading.stage === stage).sort(),
      );
      expect(items.length, stage).toBeGreaterThan(0);
    }
    // Who crosses into at-risk next: engaged and cooling customers, soonest first.
    const next = await pages(t, 'status=engaged,cooling&sort=at_risk_at', 10);
    expect(next.map((item) => item.customerId).sort()).toEqual(
      idsWhere((reading) => reading.status === 'engaged' || reading.status === 'cooling').sort(),
    );
    const soonest = next.map((item) => Date.parse(item.predictions.atRiskAt ?? ''));
    expect(soonest).toEqual([...soonest].sort((a, b) => a - b));
    // Sorting by the at-risk crossing lists the customers who are not dormant, soonest first.
    const byCrossing = await pages(t, 'sort=at_risk_at', 100);
    expect(byCrossing.map((item) => item.customerId).sort()).toEqual(
      idsWhere((reading) => reading.status !== 'dormant').sort(),
    );
    const kiosk = await pages(t, 'channel=*', 50);
    expect(kiosk.map((item) => item.customerId).sort()).toEqual(
      idsWhere((reading) => (reading.ledger.counts.byChannel['*'] ?? 0) > 0).sort(),
    );
    const dormant = await pages(t, 'status=dormant', 30);
    const instants = dormant.map((item) => Date.parse(item.predictions.dormantAt ?? ''));
    expect(instants).toEqual([...instants].sort((a, b) => b - a));
    const wrong = await t.get('/v1/customers?status=dormant&sort=at_risk_at');
    expect(wrong.status).toBe(400);
  });

  it('serves history for a chart and the recent timeline', async () => {
    const history = HistorySchema.parse(
      await (await t.get('/v1/customers/loyal-2/history')).json(),
    );
    expect(history.snapshots.length).toBeGreaterThan(0);
    const timeline = TimelineSchema.parse(
      await (await t.get('/v1/customers/loyal-2/timeline?limit=5')).json(),
    );
    expect(timeline.events).toHaveLength(5);
    expect((await t.get('/v1/customers/nobody/history')).status).toBe(404);
  });

  it('streams changes; a client that reconnects with Last-Event-ID misses nothing', async () => {
    await expectStreamResumes(t, {
      customers: 10,
      seed: 97,
      now: NOW,
      onFirst: async (first) => {
        expect(first.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
        await until(() => first.heartbeats() >= 2);
      },
    });
  });

  it('filters the stream by customer and status', async () => {
    const stream = await openStream(`${t.api.url}/v1/stream?customer=loyal-3&status=engaged`, {
      authorization: `Bearer ${t.config.auth.read[0]}`,
    });
    await t.project(
      [...loyal('loyal-3'), ...loyal('other')].map((event) => ({
        ...event,
        eventId: `again-${event.eventId}`,
      })),
      NOW,
    );
    await until(() => stream.events.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stream.close();
    expect(
      stream.events.map((event) => ChangeSchema.parse(JSON.parse(event.data ?? '')).customerId),
    ).toEqual(['loyal-3']);
  });

  it('serves health, readiness, metrics and its OpenAPI document', async () => {
    expect((await fetch(`${t.api.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${t.api.url}/readyz`)).json()).toMatchObject({ status: 'ready' });
    const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
    expect(await (await fetch(`${t.api.url}/metrics`, { headers: admin })).text()).toMatch(
      /rapport_api_requests_total/,
    );
    expect((await fetch(`${t.api.url}/metrics`)).status).toBe(401);
    expect(await (await fetch(`${t.api.url}/readyz`, { headers: admin })).json()).toEqual({
      status: 'ready',
      checks: { redis: 'ok' },
    });
    const document = await openApiDocument(t);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/customers', '/v1/customers/{id}', '/v1/stream']),
    );
  });
});

describe('lists as time passes', () => {
  it('moves quiet customers from engaged to at risk to dormant with nothing rewritten', async () => {
    let now = NOW;
    const t = await startTestApi('api-time', {}, () => now);
    try {
      const events = [...loyal('steady'), ...randomEvents(400, 40, 41, NOW)];
      await t.project(events, NOW);
      const expected = expectedStates(events);
      for (const days of [0, 10, 25, 45, 80, 200]) {
        now = NOW + days * DAY;
        for (const status of ['engaged', 'cooling', 'at_risk', 'dormant'] satisfies Status[]) {
          const response = await t.get(`/v1/customers?status=${status}&limit=200`);
          const listed = CustomerListSchema.parse(await response.json()).items.map(
            (item) => item.customerId,
          );
          const want = [...expected]
            .filter(([, state]) => model.at(state, now).status === status)
            .map(([id]) => id);
          expect(listed.sort(), `${status} after ${days} days`).toEqual(want.sort());
        }
      }
      expect(model.at(expected.get('steady') ?? model.empty(), NOW).status).toBe('engaged');
    } finally {
      await t.stop();
    }
  });
});
