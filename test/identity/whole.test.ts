import { describeCustomer, mergedInto } from '@rapport/workflows/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ErasureReceiptSchema } from '@rapport/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postBatch, startWholeStack, viewWhen, type WholeStack } from '../api/helpers.js';
import { sleep, TEST_ADMIN_KEY, TEST_WRITE_KEY } from '../harness/index.js';

/**
 * The done-when of issue 21, on the whole pipeline (gateway, Kafka, projector, API, bridge,
 * workflows on a worker): a person who arrives anonymously, logs in, and talks to support under
 * their email is one customer with one ledger and one workflow; erased, nothing remains.
 */
let w: WholeStack;
beforeAll(async () => {
  w = await startWholeStack('identity-whole');
});
afterAll(async () => {
  await w.stop();
});

const run = Date.now().toString(36);
const [anonymousId, userId, email] = [`anon-${run}`, `user-${run}`, `${run}@example.com`];
const at = (minutes: number) => new Date(Date.now() - (60 - minutes) * 60_000).toISOString();
const event = (customerId: string, eventId: string, type: string, minutes: number) => ({
  eventId,
  customerId,
  channel: type.split('.')[0] === 'support' ? 'support' : 'web',
  type,
  direction: 'inbound',
  occurredAt: at(minutes),
});

async function link(from: string, into: string) {
  const response = await fetch(`${w.t.gateway.url}/v1/identities`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_WRITE_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ from, into }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { survivor: string; merged: boolean };
}

/** Events the person sent, under each id, and the two links: what the survivor holds, once. */
const EVENTS = 7;

describe('one person across channels, through the whole pipeline', () => {
  it('is one customer with one ledger and one workflow', async () => {
    await postBatch(w.t, [
      event(anonymousId, `${run}-1`, 'page.viewed', 1),
      event(anonymousId, `${run}-2`, 'track.trial_started', 2),
      event(email, `${run}-3`, 'support.ticket_opened', 3),
    ]);
    expect(await link(anonymousId, userId)).toEqual({ survivor: userId, merged: true });
    // The support desk knows the email; the product the user id.
    expect(await link(email, userId)).toEqual({ survivor: userId, merged: true });
    expect(await link(userId, email)).toEqual({ survivor: userId, merged: false });
    await postBatch(w.t, [
      event(userId, `${run}-4`, 'track.order_completed', 4),
      event(email, `${run}-5`, 'support.reply_received', 5),
    ]);

    const view = await viewWhen(w.t, userId, (each) => each.events >= EVENTS, 30_000);
    expect(view.events).toBe(EVENTS);
    const client = w.workflows.rig.client;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = await describeCustomer(client, userId);
      if (found !== null && found.view.counts.applied >= EVENTS) {
        expect(found.view.counts.applied).toBe(EVENTS);
        break;
      }
      if (Date.now() > deadline)
        throw new Error(`the workflow has ${JSON.stringify(found?.view.counts)}`);
      await sleep(200);
    }
    expect(await mergedInto(client, anonymousId)).toBe(userId);
    expect(await mergedInto(client, email)).toBe(userId);
  });

  it('erases the person from Temporal too, and the bridge brings nothing back', async () => {
    const response = await fetch(`${w.t.api.url}/v1/customers/${encodeURIComponent(email)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(response.status).toBe(200);
    const receipt = ErasureReceiptSchema.parse(await response.json());
    expect(new Set(receipt.erased)).toEqual(new Set([userId, anonymousId, email]));
    expect(receipt.temporal.deleted).toBeGreaterThanOrEqual(3);
    // Their events are still in the log: a bridge that reads it all again skips them.
    const { startBridge } = await import('@rapport/bridge');
    const { createLogger } = await import('@rapport/lifecycle');
    const config = w.workflows.rig.config;
    const bridge = await startBridge(
      { ...config, bridge: { ...config.bridge, groupId: `${config.bridge.groupId}-again` } },
      createLogger(config, 'bridge'),
      { port: 0 },
    );
    try {
      // Read through the API at once: nothing, though Temporal deletes the terminated runs
      // asynchronously (on a loaded dev server, tens of seconds later).
      for (const id of [userId, anonymousId, email]) {
        const read = await w.t.get(`/v1/customers/${encodeURIComponent(id)}/workflow`);
        expect(read.status, id).toBe(404);
      }
      await sleep(3_000);
      // The second bridge read every event of theirs again: no workflow of theirs runs.
      const client = w.workflows.rig.client;
      for (const id of [userId, anonymousId, email]) {
        const status = await client.workflow
          .getHandle(`customer:${id}`)
          .describe()
          .then((run) => run.status.name)
          .catch((error: unknown) => (error instanceof WorkflowNotFoundError ? 'deleted' : error));
        expect(['TERMINATED', 'COMPLETED', 'deleted'], id).toContain(status);
      }
    } finally {
      await bridge.stop();
    }
  });
});
