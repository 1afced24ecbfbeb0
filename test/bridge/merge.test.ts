import { startBridge, type StartedBridge } from '@rapport/bridge';
import { createLogger } from '@rapport/lifecycle';
import type { StampedInteraction } from '@rapport/schema';
import { customerWorkflowId } from '@rapport/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interaction, MINUTE } from '../workflows/helpers.js';
import { startStack, type Stack } from './helpers.js';
import { linkEvent } from '../identity/links.js';

/*
 * A merged customer's workflow completes; the bridge, signalling it later (its identity lookup
 * raced the merge, or knows nothing of it), is refused the start and sends the same deliveries to
 * the survivor, on the real dev server.
 */

let stack: Stack;
let bridge: StartedBridge;

beforeAll(async () => {
  stack = await startStack('bridge-merge');
  bridge = await startBridge(stack.rig.config, createLogger(stack.rig.config, 'bridge'), {
    port: 0,
  });
}, 60_000);

afterAll(async () => {
  await bridge?.stop();
  await stack?.stop();
});

/** The link as the gateway publishes it, an event of the survivor (test/identity/links.ts). */
const link = (from: string, into: string, at: number): StampedInteraction =>
  linkEvent(from, into, new Date(at).toISOString());

describe('bridge and merged customers (dev server, Kafka)', () => {
  it("a merged id's later events reach its survivor, once", async () => {
    const [a, b] = [`anon-${stack.rig.names.id}`, `user-${stack.rig.names.id}`];
    const now = Date.now() - MINUTE;
    await stack.produce([
      interaction(a, now, { type: 'email.replied', direction: 'inbound' }),
      interaction(b, now, { type: 'email.replied', direction: 'inbound' }),
    ]);
    await stack.rig.until(a, ({ view }) => view.counts.applied === 1, 20_000);
    await stack.produce([link(a, b, now + 1)]);
    const handle = stack.rig.client.workflow.getHandle(customerWorkflowId(a));
    expect(await handle.result()).toEqual({ mergedInto: b });
    // No identity map here: the bridge signals customer:<a>, which is refused, and follows it.
    await stack.produce([interaction(a, now + 2, { type: 'email.replied', direction: 'inbound' })]);
    const { view } = await stack.rig.until(b, ({ view }) => view.counts.applied === 4, 20_000);
    expect(view.aliases).toEqual([a]);
    expect(view.counts).toMatchObject({ duplicates: 0, rejected: 0 });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  }, 60_000);
});
