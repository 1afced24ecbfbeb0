import { createModel, stateDifference, type StateJson } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import {
  CUSTOMER_ENGAGEMENT_WORKFLOW,
  customerWorkflowId,
  derivedEventId,
  type customerEngagement,
} from '@rapport/workflows';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseSettings,
  DAY,
  HOUR,
  interaction,
  LATENESS,
  MINUTE,
  quiet,
  startTimeSkippingRig,
  type Rig,
} from './helpers.js';

// Time-skipping time is global to one environment: one per file, and its tests run serially.
let env: TestWorkflowEnvironment;
let rig: Rig;
const model = createModel();

beforeAll(async () => {
  ({ env, rig } = await startTimeSkippingRig({
    label: 'wf-engagement',
    settings: baseSettings,
  }));
}, 60_000);

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

/** Delivers events dated now (workflow time) and waits until the workflow has applied them. */
async function deliverNow(
  customer: string,
  events: readonly Omit<Parameters<typeof interaction>[2], never>[],
  delivered: StampedInteraction[],
): Promise<void> {
  const now = await env.currentTimeMs();
  const batch = events.map((fields) => interaction(customer, now, fields));
  delivered.push(...batch);
  await rig.deliver(customer, batch);
  await rig.until(customer, ({ view }) => view.counts.applied >= delivered.length);
}

/** The same state up to rounding: the engine folds in the order events happened. */
function expectState(actual: StateJson, expected: StateJson): void {
  expect(stateDifference(actual, expected), JSON.stringify(actual)).toBeNull();
}

/** The verdicts and drops the engine decided for the customer (and folded as it did). */
async function decidedFor(customer: string): Promise<StampedInteraction[]> {
  const types = ['sla.met', 'sla.missed', 'engagement.drop_detected'];
  return (await rig.derived(customer)).filter((event) => types.includes(event.type));
}

/** What the model says about the same events, folded here in the test. */
const fold = (events: readonly StampedInteraction[]) =>
  events.reduce((state, event) => model.apply(state, event), model.empty());

describe('customer engagement (time-skipping server)', () => {
  it('a customer who only receives email never counts as engaged and goes dormant on schedule', async () => {
    const customer = `newsletter-${rig.names.id}`;
    const delivered: StampedInteraction[] = [];
    for (let week = 0; week < 12; week += 1) {
      await deliverNow(customer, [{ type: 'email.sent', direction: 'outbound' }], delivered);
      const { view } = await rig.describe(customer);
      expect(view.reading.engagement).toBe(0);
      expect(view.reading.status).not.toBe('engaged');
      await env.sleep(7 * DAY);
    }
    // A customer who never spoke has been silent since first seen: outbound mail does not count.
    const dormantAt = model.predictedDormancyTime(fold(delivered));
    expect(dormantAt).toBe(Date.parse(delivered[0]?.occurredAt ?? '') + 90 * DAY);
    // Acted on at its instant.
    expect((await rig.describe(customer)).view.nextCheck).toEqual({
      reason: 'silence',
      at: dormantAt,
    });
    await env.sleep((dormantAt ?? 0) - HOUR - (await env.currentTimeMs()));
    expect((await rig.describe(customer)).view.drops).toEqual([]);
    await env.sleep(2 * HOUR);
    const { view, followUps } = await rig.until(customer, ({ view }) => view.drops.length > 0);
    expect(view.drops).toEqual([
      expect.objectContaining({
        trigger: 'silence',
        at: dormantAt,
        stage: 'prospect',
        engagement: 0,
        decision: 'no_playbook',
        followUpId: null,
      }),
    ]);
    expect(view.reading.status).toBe('dormant');
    expect(followUps).toEqual([]);
    const published = await rig.derived(customer);
    expect(published.map((event) => event.type)).toEqual(['engagement.drop_detected']);
    expect(published[0]).toMatchObject({
      eventId: derivedEventId('engagement.drop_detected', customer, `silence:${dormantAt}`),
      source: 'engine',
      occurredAt: new Date(dormantAt ?? 0).toISOString(),
      properties: { trigger: 'silence', decision: 'no_playbook' },
    });
  });

  it('a two-way support relationship that goes silent starts the cooling playbook on the predicted day, not before', async () => {
    const customer = `support-${rig.names.id}`;
    const delivered: StampedInteraction[] = [];
    const support = { channel: 'support' } as const;
    await deliverNow(customer, [{ type: 'purchase.completed', direction: 'inbound' }], delivered);
    await env.sleep(DAY);
    await deliverNow(customer, [{ type: 'onboarding.completed', direction: 'inbound' }], delivered);
    for (let week = 0; week < 4; week += 1) {
      const threadId = `ticket-${week}`;
      await env.sleep(DAY);
      await deliverNow(
        customer,
        [
          {
            type: 'support.ticket_opened',
            direction: 'inbound',
            threadId,
            expectsResponse: true,
            ...support,
          },
        ],
        delivered,
      );
      await env.sleep(HOUR);
      await deliverNow(
        customer,
        [{ type: 'support.ticket_replied', direction: 'outbound', threadId, ...support }],
        delivered,
      );
      await env.sleep(HOUR);
      await deliverNow(
        customer,
        [
          {
            type: 'support.ticket_replied',
            direction: 'inbound',
            threadId,
            sentiment: 0.6,
            ...support,
          },
        ],
        delivered,
      );
      await env.sleep(6 * DAY - 2 * HOUR);
    }
    // The engine folds its verdicts (four sla.met) as it decides them, beside the events.
    const state = fold([...delivered, ...(await decidedFor(customer))]);
    const crossing = model.predictedCrossingTime(state, model.params.thresholds.atRisk) ?? 0;
    // The threshold comes first here: before the relative drop and before 90 days of silence.
    expect(crossing).toBeLessThan(model.predictedDormancyTime(state) ?? 0);
    const { view } = await rig.describe(customer);
    expectState(view.state, model.toJSON(state));
    expect(view.reading.status).toBe('engaged');
    expect(view.nextCheck).toEqual({ reason: 'threshold', at: crossing });
    // Every request was answered within its deadline: nothing is open, four verdicts went out.
    expect(view.openRequests).toEqual([]);

    await env.sleep(crossing - (await env.currentTimeMs()) - HOUR);
    const before = await rig.describe(customer);
    expect(before.view.drops).toEqual([]);
    expect(before.followUps).toEqual([]);

    await env.sleep(2 * HOUR);
    const after = await rig.until(customer, ({ followUps }) => followUps.length > 0);
    expect(after.view.drops).toEqual([
      expect.objectContaining({
        trigger: 'threshold',
        at: crossing,
        stage: 'active',
        decision: 'started',
      }),
    ]);
    expect(after.view.drops[0]?.engagement).toBeCloseTo(20, 6);
    const [followUp] = after.followUps;
    expect(followUp).toMatchObject({
      playbook: 'cooling-active',
      trigger: 'threshold',
      stage: 'active',
      dropAt: crossing,
    });
    expect(followUp?.startedAt).toBeGreaterThanOrEqual(crossing);
    expect(followUp?.startedAt).toBeLessThan(crossing + 1_000);

    const published = await rig.derived(customer);
    expect(published.filter((event) => event.type === 'sla.met')).toHaveLength(4);
    expect(published.map((event) => event.type)).toEqual(
      expect.arrayContaining(['engagement.drop_detected', 'followup.started']),
    );
  });

  it('a request answered after its deadline is a missed SLA that lowers trust and starts the trust-breach playbook', async () => {
    const customer = `late-${rig.names.id}`;
    const delivered: StampedInteraction[] = [];
    const request = { channel: 'chat', threadId: 'chat-1' } as const;
    await deliverNow(
      customer,
      [{ type: 'chat.message', direction: 'inbound', expectsResponse: true, ...request }],
      delivered,
    );
    const opened = Date.parse(delivered[0]?.occurredAt ?? '');
    const deadline = opened + 15 * MINUTE; // chat's SLA in these settings
    // The request is open once it settles, the allowed lateness after it happened.
    expect((await rig.describe(customer)).view).toMatchObject({ pending: 1, openRequests: [] });
    await env.sleep(LATENESS);
    expect((await rig.describe(customer)).view.openRequests).toEqual([
      expect.objectContaining({ threadId: 'chat-1', deadline }),
    ]);

    // The verdict waits the allowed lateness for replies dated in time that are still on their way.
    await env.sleep(15 * MINUTE - 30_000);
    expect((await rig.describe(customer)).view.drops).toEqual([]);
    await env.sleep(MINUTE);
    const breached = await rig.until(customer, ({ view }) => view.drops.length > 0);
    expect(breached.view.openRequests).toEqual([]);
    expect(breached.view.drops).toEqual([
      expect.objectContaining({ trigger: 'trust_breach', at: deadline, decision: 'started' }),
    ]);
    expect(breached.followUps[0]?.playbook).toBe('trust-breach');

    // The reply comes after the deadline: the request is already decided, nothing more happens.
    await deliverNow(
      customer,
      [{ type: 'chat.message', direction: 'outbound', ...request }],
      delivered,
    );
    const published = await rig.derived(customer);
    const missed = published.filter((event) => event.type === 'sla.missed');
    expect(missed).toEqual([
      expect.objectContaining({
        eventId: derivedEventId('sla.missed', customer, delivered[0]?.eventId ?? ''),
        occurredAt: new Date(deadline).toISOString(),
        threadId: 'chat-1',
        channel: 'chat',
      }),
    ]);
    expect(published.some((event) => event.type === 'sla.met')).toBe(false);

    // The verdict is folded when decided: trust is low already. Its copy from the log (as the
    // bridge delivers it, twice here, as an activity retry that landed twice would) is
    // recognised by its eventId and changes nothing: the engine never answers its own verdicts.
    const decided = await rig.describe(customer);
    expect(decided.view.reading.trust.value).toBeLessThan(0.5);
    await rig.deliver(customer, missed);
    await rig.deliver(customer, missed);
    await deliverNow(customer, [{ type: 'email.opened', direction: 'inbound' }], delivered);
    const after = await rig.describe(customer);
    expectState(
      after.view.state,
      model.toJSON(fold([...delivered, ...(await decidedFor(customer))])),
    );
    expect(after.view.counts).toMatchObject({ applied: delivered.length, duplicates: 0 });
    expect(after.view.drops).toHaveLength(1);
  });

  it('a reply that arrives after the deadline, dated before it, is in time; one dated after is not', async () => {
    const verdictOf = async (label: string, replyAfterRequest: number) => {
      const customer = `${label}-${rig.names.id}`;
      const delivered: StampedInteraction[] = [];
      const request = { channel: 'chat', threadId: 'late' } as const;
      await deliverNow(
        customer,
        [{ type: 'chat.message', direction: 'inbound', expectsResponse: true, ...request }],
        delivered,
      );
      const opened = Date.parse(delivered[0]?.occurredAt ?? '');
      // The deadline (15 minutes) has passed on the clock, but not the allowed lateness after it.
      await env.sleep(15 * MINUTE + 20_000);
      const reply = interaction(customer, opened + replyAfterRequest, {
        type: 'chat.message',
        direction: 'outbound',
        ...request,
      });
      await rig.deliver(customer, [reply]);
      await rig.until(customer, ({ view }) => view.counts.applied === 2);
      await env.sleep(LATENESS);
      await rig.until(customer, ({ view }) => view.openRequests.length === 0);
      const verdicts = (await decidedFor(customer)).filter((event) =>
        event.type.startsWith('sla.'),
      );
      expect(verdicts).toHaveLength(1);
      return { verdict: verdicts[0], opened };
    };

    const inTime = await verdictOf('corrected', 14 * MINUTE);
    expect(inTime.verdict).toMatchObject({
      type: 'sla.met',
      occurredAt: new Date(inTime.opened + 14 * MINUTE).toISOString(),
    });
    const late = await verdictOf('too-late', 15 * MINUTE + 10_000);
    expect(late.verdict).toMatchObject({
      type: 'sla.missed',
      occurredAt: new Date(late.opened + 15 * MINUTE).toISOString(),
    });
  });

  it('continues as new with its state, watermarks and timers exactly', async () => {
    const customer = `long-${rig.names.id}`;
    const workflowId = customerWorkflowId(customer);
    const first = await env.client.workflow.start<typeof customerEngagement>(
      CUSTOMER_ENGAGEMENT_WORKFLOW,
      {
        workflowId,
        taskQueue: rig.config.temporal.taskQueue,
        // A handful of history events per workflow task: this hands over every few signals.
        args: [{ customerId: customer, settings: { ...baseSettings, historyLimit: 20 } }],
      },
    );
    const delivered: StampedInteraction[] = [];
    await deliverNow(
      customer,
      [
        {
          type: 'support.ticket_opened',
          direction: 'inbound',
          channel: 'support',
          threadId: 'open',
          expectsResponse: true,
        },
      ],
      delivered,
    );
    const deadline = Date.parse(delivered[0]?.occurredAt ?? '') + 4 * HOUR;
    const kinds = [
      { type: 'email.replied', direction: 'inbound', sentiment: 0.4 },
      { type: 'email.sent', direction: 'outbound', appeal: 'logos' },
      { type: 'feature.used', direction: 'inbound', channel: 'app' },
      { type: 'support.complaint', direction: 'inbound', channel: 'support' },
      { type: 'order.delivered', direction: 'outbound', outcome: 'kept', channel: 'store' },
    ] as const;
    // Signals back to back (no query in between: the time-skipping server never answers a query
    // that races a continue-as-new, and each would cost its deadline).
    const now = await env.currentTimeMs();
    for (let batch = 0; batch < 30; batch += 1) {
      const pick = (shift: number) => kinds[(batch + shift) % kinds.length] ?? kinds[0];
      const events = [pick(0), pick(2), pick(4)].map((fields) =>
        interaction(customer, now, fields),
      );
      delivered.push(...events);
      await rig.deliver(customer, events);
    }
    await quiet(env.client, workflowId);
    await rig.until(customer, ({ view }) => view.counts.applied === delivered.length, 30_000);
    const firstRun = await env.client.workflow
      .getHandle(workflowId, first.firstExecutionRunId)
      .describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');

    // The events settle a minute after they happened, and the verdicts they make are published:
    // wait for that without a query, which could race the next hand-over.
    await env.sleep(LATENESS);
    await quiet(env.client, workflowId);
    const { view } = await rig.describe(customer);
    expectState(view.state, model.toJSON(fold([...delivered, ...(await decidedFor(customer))])));
    expect(view.counts).toEqual({ applied: delivered.length, duplicates: 0, rejected: 0, late: 0 });
    expect(view.watermarks).toEqual({ 0: String(delivered.length - 1) });
    expect(view.openRequests).toEqual([expect.objectContaining({ threadId: 'open', deadline })]);

    // A redelivery after the hand-over is still recognised by the carried watermark.
    await rig.client.workflow.signalWithStart<typeof customerEngagement, [unknown]>(
      CUSTOMER_ENGAGEMENT_WORKFLOW,
      {
        workflowId,
        taskQueue: rig.config.temporal.taskQueue,
        args: [{ customerId: customer }],
        signal: 'events',
        signalArgs: [
          {
            deliveries: delivered
              .slice(0, 3)
              .map((event, offset) => ({ partition: 0, offset: String(offset), event })),
          },
        ],
      },
    );
    await rig.until(customer, ({ view }) => view.counts.duplicates === 3);

    // The SLA timer opened in the first run fires in a later one, at the same instant.
    await env.sleep(deadline + MINUTE + 1_000 - (await env.currentTimeMs()));
    const after = await rig.until(customer, ({ view }) => view.openRequests.length === 0);
    expectState(
      after.view.state,
      model.toJSON(fold([...delivered, ...(await decidedFor(customer))])),
    );
    const missed = (await rig.derived(customer)).filter((event) => event.type === 'sla.missed');
    expect(missed).toEqual([
      expect.objectContaining({ occurredAt: new Date(deadline).toISOString() }),
    ]);
  });
});
