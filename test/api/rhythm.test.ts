import type { CustomerView } from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../bridge/helpers.js';
import { DAY, type WebhookReceiver } from '../workflows/helpers.js';
import {
  buyer,
  EMAIL,
  eventsOf,
  postBatch,
  startWholeStack,
  until,
  viewOfAll,
  viewWhen,
  weekly,
  type TestStack,
  type WholeStack,
} from './helpers.js';

const WEEK = 7 * DAY;
const YEAR = 365 * DAY;
const SECRET = 'rhythm-test-webhook-secret';
const iso = (ms: number) => new Date(ms).toISOString();

describe("exchanges and each customer's own rhythm, on the whole stack", () => {
  let t: TestStack;
  let workflows: Stack;
  let stack: WholeStack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    stack = await startWholeStack('rhythm', SECRET);
    ({ t, workflows, receiver } = stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const ingest = (batch: readonly object[]) => postBatch(t, batch);
  const read = (customerId: string, accept: (view: CustomerView) => boolean) =>
    viewWhen(t, customerId, accept);
  const projected = (customerId: string, events: readonly unknown[]) =>
    viewOfAll(t, customerId, events);

  it('reads a weekly buyer as engaged, on a 7-day rhythm, overdue three weeks after the last purchase', async () => {
    const id = `weekly-${t.names.id}`;
    const purchases = weekly(Date.now() - 2 * DAY);
    const events = buyer(id, purchases);
    await ingest(events);

    const view = await projected(id, events);
    const last = purchases.at(-1) ?? 0;
    expect(view.status).toBe('engaged');
    expect(view.stage).toBe('active');
    // Purchases are exchanges: the business gave too, with nothing outbound sent.
    expect(view.engagement).toBeGreaterThan(50);
    expect(view.ledger.received).toBeCloseTo(view.ledger.given / 2, 9);
    expect(view.rhythm.exchanges).toBe(12);
    expect(view.rhythm.intervalDays).toBeCloseTo(7, 9);
    expect(view.rhythm.firstExchange).toBe(iso(purchases[0] ?? 0));
    expect(view.rhythm.lastExchange).toBe(iso(last));
    // Three usual intervals after the last exchange, to the millisecond.
    expect(Date.parse(view.predictions.overdueAt ?? '')).toBe(last + 3 * WEEK);
  });

  it('does not read a yearly renewer as at risk two months after renewing', async () => {
    const id = `yearly-${t.names.id}`;
    const now = Date.now();
    const renewal = (type: string, at: number) =>
      [at, { type, direction: 'inbound', channel: 'billing' }] as const;
    const last = now - 60 * DAY;
    const events = eventsOf(id, [
      renewal('subscription.started', last - 2 * YEAR),
      renewal('subscription.renewed', last - YEAR),
      renewal('subscription.renewed', last),
    ]);
    await ingest(events);

    const view = await projected(id, events);
    // Their engagement has decayed below the model's at-risk band (20) by now, as a yearly
    // renewer's does between renewals: without a rhythm that alone would make them at risk.
    expect(view.engagement).toBeLessThan(20);
    expect(view.status).toBe('cooling');
    expect(view.stage).toBe('active');
    expect(view.rhythm.exchanges).toBe(3);
    expect(view.rhythm.intervalDays).toBeCloseTo(365, 9);
    // Three years would be far too late: the overdue span is capped at 400 days.
    expect(Date.parse(view.predictions.overdueAt ?? '')).toBe(last + 400 * DAY);
  });

  it('still scores a one-way email blast at zero, with no rhythm', async () => {
    const id = `blast-${t.names.id}`;
    const events = eventsOf(
      id,
      weekly(Date.now() - 2 * DAY).map((at) => [at, EMAIL] as const),
    );
    await ingest(events);

    const view = await projected(id, events);
    expect(view.engagement).toBe(0);
    expect(view.rhythm.exchanges).toBe(0);
    expect(view.rhythm.intervalDays).toBeNull();
    expect(view.predictions.overdueAt).toBeNull();
  });

  it('detects a weekly buyer who stopped as overdue at the instant, and starts the win-back', async () => {
    const id = `stopped-${t.names.id}`;
    // Dated so that the customer becomes overdue a few seconds from now: time enough for the
    // events to reach the API and the workflow, and to settle there, first.
    const overdueAt = Date.now() + 12_000;
    const events = buyer(id, weekly(overdueAt - 3 * WEEK));
    await ingest(events);

    // Before the instant: not at risk in the API, and the workflow sleeps until exactly then.
    const before = await projected(id, events);
    expect(Date.parse(before.asOf)).toBeLessThan(overdueAt);
    // Three weeks of silence leave a weekly buyer's engagement high (about 90): on rhythm, they
    // stay engaged until the instant, and at risk comes then, not sooner or later.
    expect(before.status).toBe('engaged');
    expect(before.stage).toBe('active');
    expect(Date.parse(before.predictions.overdueAt ?? '')).toBe(overdueAt);
    expect(before.predictions.atRiskAt).toBe(iso(overdueAt));
    // Weeks old when they arrive, the events settle once arrivals have been quiet for the allowed
    // lateness; the overdue instant is acted on at its instant.
    const armed = await workflows.rig.until(
      id,
      ({ view }) => view.counts.applied >= events.length && view.pending === 0,
    );
    expect(armed.view.nextCheck).toEqual({ reason: 'overdue', at: overdueAt });
    expect(armed.view.drops).toEqual([]);
    // Else the workflow got the events too late to prove it wakes on time (a slow start-up).
    expect(Date.now(), 'the workflow was ready before the instant').toBeLessThan(overdueAt);

    // The win-back's first step (a notify) posts its webhook once the follow-up runs.
    const ours = () => receiver.received.filter((hook) => hook.notification.customerId === id);
    await until(() => ours().length > 0, 20_000);
    const hooks = ours();
    expect(hooks).toHaveLength(1);
    const [hook] = hooks;
    expect(hook?.signed).toBe(true);
    expect(hook?.arrivedAt).toBeGreaterThanOrEqual(overdueAt);
    expect(hook?.notification).toMatchObject({
      type: 'followup.notify',
      playbook: 'win-back',
      step: 0,
      trigger: 'overdue',
      stage: 'active',
      dropAt: iso(overdueAt),
    });

    // After the instant: at risk in the API, with the drop and the follow-up it started.
    const after = await read(id, (view) => view.drops.detected > 0 && view.followUps.started > 0);
    expect(after.status).toBe('at_risk');
    expect(after.stage).toBe('at_risk');
    expect(after.drops).toEqual({
      detected: 1,
      lastAt: iso(overdueAt),
      skipped: 0,
      lastSkippedAt: null,
    });
    expect(after.followUps).toMatchObject({ started: 1, finished: 0, active: true });

    // The drop as the engine published it. Its receivedAt is the workflow time of the task that
    // detected it: the instant the durable timer fired and the engine judged, as the Temporal
    // server recorded it. That measures the detection itself, free of this test's polling, of
    // Kafka and of the projection (the webhook's arrival adds a child workflow and an activity).
    const drops = (await workflows.rig.derived(id)).filter(
      (event) => event.type === 'engagement.drop_detected',
    );
    expect(drops).toHaveLength(1);
    const [drop] = drops;
    expect(drop?.occurredAt).toBe(iso(overdueAt));
    const detectedAt = Date.parse(drop?.receivedAt ?? '');
    expect(detectedAt).toBeGreaterThanOrEqual(overdueAt);
    expect(detectedAt - overdueAt, 'detected within 1.5 s of the instant').toBeLessThanOrEqual(
      1_500,
    );
    expect(drop?.properties).toMatchObject({
      trigger: 'overdue',
      stage: 'active',
      decision: 'started',
      followUpId: hook?.notification.followUpId,
    });

    const { followUps } = await workflows.rig.describe(id);
    expect(followUps).toEqual([
      expect.objectContaining({
        id: hook?.notification.followUpId,
        trigger: 'overdue',
        playbook: 'win-back',
        dropAt: overdueAt,
        startedAt: detectedAt,
        finishedAt: null,
      }),
    ]);
  });
});
