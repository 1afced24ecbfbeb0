import { createModel } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import {
  CUSTOMER_ENGAGEMENT_WORKFLOW,
  customerWorkflowId,
  FollowUpProgressSchema,
  progressQuery,
  type customerEngagement,
  type followUp,
} from '@rapport/workflows';
import { DEFAULT_PLAYBOOKS_FILE, loadPlaybooks } from '@rapport/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  baseSettings,
  DAY,
  HOUR,
  interaction,
  LATENESS,
  quiet,
  startTimeSkippingRig,
  startWebhookReceiver,
  type Rig,
  type WebhookReceiver,
} from './helpers.js';

const SECRET = 'follow-up-test-secret';
const model = createModel();

let receiver: WebhookReceiver;

let env: TestWorkflowEnvironment;
let rig: Rig;

beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET);
  ({ env, rig } = await startTimeSkippingRig({
    label: 'wf-followup',
    settings: baseSettings,
    overrides: {
      RAPPORT_FOLLOWUP_WEBHOOK_URL: receiver.url,
      RAPPORT_FOLLOWUP_WEBHOOK_SECRET: SECRET,
    },
  }));
}, 60_000);

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
  receiver?.close();
});

beforeEach(() => {
  receiver.received.length = 0;
  receiver.answers.length = 0;
});

async function deliverNow(
  customer: string,
  fields: readonly Parameters<typeof interaction>[2][],
  delivered: StampedInteraction[],
): Promise<void> {
  const now = await env.currentTimeMs();
  const batch = fields.map((item) => interaction(customer, now, item));
  delivered.push(...batch);
  await rig.deliver(customer, batch);
  // They are judged once the allowed lateness has passed them. What each step starts (publishing,
  // a hand-over) is waited out before a query, which could race a continue-as-new.
  const workflowId = customerWorkflowId(customer);
  await quiet(env.client, workflowId);
  await rig.until(customer, ({ view }) => view.counts.applied >= delivered.length);
  await env.sleep(LATENESS);
  await quiet(env.client, workflowId);
  await rig.until(customer, ({ view }) => view.pending === 0);
}

const fold = (events: readonly StampedInteraction[]) =>
  events.reduce((state, event) => model.apply(state, event), model.empty());

/** A follow-up's progress through its playbook (its own query). */
async function progress(followUpId: string) {
  return FollowUpProgressSchema.parse(
    await env.client.workflow.getHandle(followUpId).query(progressQuery),
  );
}

describe('follow-ups (time-skipping server)', () => {
  it('closes as re-engaged when the customer gives value during the wait, and none starts inside the cooldown', async () => {
    const customer = `reengage-${rig.names.id}`;
    const delivered: StampedInteraction[] = [];
    await deliverNow(customer, [{ type: 'purchase.completed', direction: 'inbound' }], delivered);
    await deliverNow(customer, [{ type: 'onboarding.completed', direction: 'inbound' }], delivered);
    for (let week = 0; week < 3; week += 1) {
      await env.sleep(7 * DAY);
      await deliverNow(
        customer,
        [
          { type: 'call.completed', direction: 'inbound', channel: 'phone' },
          { type: 'call.completed', direction: 'outbound', channel: 'phone' },
        ],
        delivered,
      );
    }
    const crossing = model.predictedCrossingTime(fold(delivered), 20) ?? 0;
    await env.sleep(crossing + 1_000 - (await env.currentTimeMs()));
    const started = await rig.until(customer, ({ followUps }) => followUps.length === 1);
    const id = started.followUps[0]?.id ?? '';
    expect(started.followUps[0]).toMatchObject({ playbook: 'cooling-active', dropAt: crossing });

    // Two days into the seven-day wait the customer writes back.
    await env.sleep(2 * DAY);
    await deliverNow(
      customer,
      [{ type: 'chat.message', direction: 'inbound', channel: 'chat' }],
      delivered,
    );
    const closed = await rig.until(customer, ({ followUps }) => followUps[0]?.outcome !== null);
    expect(closed.followUps[0]).toMatchObject({ id, outcome: 're_engaged' });
    expect(closed.followUps[0]?.reengagedAt).toBe(Date.parse(delivered.at(-1)?.occurredAt ?? ''));
    expect((await progress(id)).steps.map((step) => [step.kind, step.result])).toEqual([
      ['notify', 'delivered'],
      ['wait', 're_engaged'],
    ]);

    // The small reply lifts engagement over the threshold for a few days only: the next crossing
    // comes inside the 14-day cooldown, is recorded, and starts nothing.
    const next = model.predictedCrossingTime(fold(delivered), 20) ?? 0;
    const finishedAt = closed.followUps[0]?.finishedAt ?? 0;
    expect(next).toBeLessThan(finishedAt + 14 * DAY);
    await env.sleep(next + 1_000 - (await env.currentTimeMs()));
    const cooled = await rig.until(customer, ({ view }) => view.drops.length === 2);
    expect(cooled.view.drops[1]).toMatchObject({
      trigger: 'threshold',
      at: next,
      decision: 'cooldown',
    });
    expect(cooled.followUps).toHaveLength(1);

    const { received } = receiver;
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ key: `${id}:0`, signed: true, status: 200 });
    expect(received[0]?.notification).toMatchObject({
      type: 'followup.notify',
      customerId: customer,
      playbook: 'cooling-active',
      step: 0,
    });
    const published = (await rig.derived(customer)).filter((event) =>
      event.type.startsWith('followup.'),
    );
    expect(published.map((event) => [event.type, event.properties?.['outcome']])).toEqual([
      ['followup.started', undefined],
      ['followup.finished', 're_engaged'],
    ]);
  });

  it('a webhook that fails with 500 and then answers 200 gets one effective delivery; a 4xx is not retried', async () => {
    const customer = `webhook-${rig.names.id}`;
    const delivered: StampedInteraction[] = [];
    // escalate (500, then 200), wait 3d, escalate (422: refused, not retried), wait 7d, close.
    receiver.answers.push(500, 200, 422);
    await deliverNow(
      customer,
      [
        {
          type: 'chat.message',
          direction: 'inbound',
          channel: 'chat',
          threadId: 'w',
          expectsResponse: true,
        },
      ],
      delivered,
    );
    await env.sleep(20 * 60_000);
    const { followUps } = await rig.until(customer, ({ followUps }) => followUps.length === 1);
    const id = followUps[0]?.id ?? '';
    // Awaiting the result lets the server skip through the waits and the retry's back-off.
    const result = await env.client.workflow.getHandle<typeof followUp>(id).result();
    expect(result.outcome).toBe('no_response');

    const { received } = receiver;
    const firstStep = received.filter((request) => request.key === `${id}:0`);
    expect(firstStep.map((request) => request.status)).toEqual([500, 200]);
    expect(firstStep.every((request) => request.signed)).toBe(true);
    expect(firstStep[0]?.body).toBe(firstStep[1]?.body);
    const effective = new Set(
      received.filter((request) => request.status < 300).map((request) => request.key),
    );
    expect([...effective]).toEqual([`${id}:0`]);
    expect(received.filter((request) => request.key === `${id}:2`)).toHaveLength(1);
    expect((await progress(id)).steps.map((step) => step.result)).toEqual([
      'delivered',
      'timed_out',
      expect.stringMatching(/^failed: webhook .* answered 422/),
      'timed_out',
      'no_response',
    ]);
    const after = await rig.until(customer, ({ followUps }) => followUps[0]?.outcome !== null);
    expect(after.followUps[0]).toMatchObject({ outcome: 'no_response' });
  });

  it('is cancelled when the customer churns', async () => {
    const customer = `churn-${rig.names.id}`;
    const delivered: StampedInteraction[] = [];
    await deliverNow(
      customer,
      [
        { type: 'purchase.completed', direction: 'inbound' },
        { type: 'support.complaint', direction: 'inbound', channel: 'support' },
      ],
      delivered,
    );
    const { followUps } = await rig.until(customer, ({ followUps }) => followUps.length === 1);
    expect(followUps[0]).toMatchObject({ trigger: 'trust_breach', playbook: 'trust-breach' });
    await env.sleep(HOUR);
    await deliverNow(
      customer,
      [{ type: 'subscription.cancelled', direction: 'inbound' }],
      delivered,
    );
    const cancelled = await rig.until(customer, ({ followUps }) => followUps[0]?.outcome !== null);
    expect(cancelled.followUps[0]).toMatchObject({ outcome: 'cancelled', cancelRequested: true });
    expect(cancelled.view.reading.stage).toBe('churned');
  });

  it('outlives the customer workflow continuing as new, and the two still hear each other', async () => {
    const customer = `handover-${rig.names.id}`;
    const workflowId = customerWorkflowId(customer);
    const first = await env.client.workflow.start<typeof customerEngagement>(
      CUSTOMER_ENGAGEMENT_WORKFLOW,
      {
        workflowId,
        taskQueue: rig.config.temporal.taskQueue,
        args: [
          {
            customerId: customer,
            settings: {
              ...baseSettings,
              playbooks: (await loadPlaybooks(DEFAULT_PLAYBOOKS_FILE)).playbooks,
              historyLimit: 20,
            },
          },
        ],
      },
    );
    const delivered: StampedInteraction[] = [];
    await deliverNow(
      customer,
      [{ type: 'support.complaint', direction: 'inbound', channel: 'support' }],
      delivered,
    );
    const { followUps } = await rig.until(customer, ({ followUps }) => followUps.length === 1);
    const id = followUps[0]?.id ?? '';
    // Outbound mail only (no value from the customer), until the workflow hands over; no query
    // in between, since the time-skipping server never answers one that races the hand-over.
    const now = await env.currentTimeMs();
    for (let batch = 0; batch < 12; batch += 1) {
      const event = interaction(customer, now, { type: 'email.sent', direction: 'outbound' });
      delivered.push(event);
      await rig.deliver(customer, [event]);
    }
    await quiet(env.client, workflowId);
    await rig.until(customer, ({ view }) => view.counts.applied === delivered.length);
    const firstRun = env.client.workflow.getHandle(workflowId, first.firstExecutionRunId);
    expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
    expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');

    await deliverNow(customer, [{ type: 'email.replied', direction: 'inbound' }], delivered);
    const closed = await rig.until(customer, ({ followUps }) => followUps[0]?.outcome !== null);
    expect(closed.followUps[0]).toMatchObject({ id, outcome: 're_engaged' });
    expect((await progress(id)).reengagedAt).toBe(Date.parse(delivered.at(-1)?.occurredAt ?? ''));
  });
});
