import { createModel, stateDifference } from '@rapport/model';
import { StampedInteractionSchema, type StampedInteraction } from '@rapport/schema';
import { startBridge, type StartedBridge } from '@rapport/bridge';
import { createKafka, DeadLetterSchema, readTopic, type DeadLetter } from '@rapport/kafka';
import { createLogger } from '@rapport/lifecycle';
import { customerWorkflowId, eventsSignal } from '@rapport/workflows';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../kafka/helpers.js';
import { interaction, MINUTE } from '../workflows/helpers.js';
import { startStack, type Stack } from './helpers.js';

const model = createModel();
let stack: Stack;
let bridge: StartedBridge;

beforeAll(async () => {
  // Two failures, then each record alone twice: a refused record is dead-lettered in seconds.
  stack = await startStack('bridge', { RAPPORT_POISON_ATTEMPTS: '2' });
  bridge = await startBridge(stack.rig.config, createLogger(stack.rig.config, 'bridge'), {
    port: 0,
  });
}, 60_000);

afterAll(async () => {
  await bridge?.stop();
  await stack?.stop();
});

describe('bridge (dev server, Kafka)', () => {
  it('delivers events from the topic to the right workflows, coalesced, and derived events come back once', async () => {
    const now = Date.now() - MINUTE;
    const customers = ['a', 'b', 'c', 'd', 'e'].map((name) => `${name}-${stack.rig.names.id}`);
    const events: StampedInteraction[] = [];
    for (let index = 0; index < 40; index += 1) {
      const customerId = customers[index % customers.length] ?? '';
      events.push(
        interaction(customerId, now + index, {
          type: index % 2 === 0 ? 'email.replied' : 'email.sent',
          direction: index % 2 === 0 ? 'inbound' : 'outbound',
        }),
      );
    }
    // One customer asks and is answered in time: the engine's verdict comes back through the log.
    const asker = customers[0] ?? '';
    const request = interaction(asker, now + 100, {
      type: 'chat.message',
      direction: 'inbound',
      channel: 'chat',
      threadId: 'q',
      expectsResponse: true,
    });
    const reply = interaction(asker, now + 200, {
      type: 'chat.message',
      direction: 'outbound',
      channel: 'chat',
      threadId: 'q',
    });
    events.push(request, reply);
    await stack.produce(events);

    for (const customerId of customers) {
      const own = events.filter((event) => event.customerId === customerId);
      // Dated a minute ago: late arrivals, judged once arrivals have been quiet for the lateness.
      // The verdict is folded as it is decided; its copy from the log is recognised and skipped.
      const { view } = await stack.rig.until(
        customerId,
        ({ view }) =>
          view.counts.applied === own.length && view.pending === 0 && view.unpublished === 0,
        20_000,
      );
      const derived = customerId === asker ? await stack.rig.derived(customerId) : [];
      expect(
        derived.filter((event) => event.source === 'engine').map((event) => event.type),
      ).toEqual(customerId === asker ? ['sla.met'] : []);
      const all = [...own, ...derived.filter((event) => event.source === 'engine')];
      const folded = all.reduce((state, event) => model.apply(state, event), model.empty());
      expect(stateDifference(view.state, model.toJSON(folded))).toBeNull();
      expect(view.counts).toEqual({ applied: own.length, duplicates: 0, rejected: 0, late: 0 });
      expect(view.drops).toEqual([]);
    }

    // Coalesced: fewer signals than events, and one workflow saw its events in few signals.
    const history = await stack.rig.client.workflow
      .getHandle(customerWorkflowId(customers[1] ?? ''))
      .fetchHistory();
    const signals = (history.events ?? []).filter(
      (event) => event.workflowExecutionSignaledEventAttributes?.signalName === eventsSignal.name,
    );
    expect(signals.length).toBeLessThan(8);
    const value = (metrics: string, name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    // The verdict's copy on the log reaches the bridge after the views settle, a fetch later
    // (the bridge's fetches linger to gather events): every event once, that one included.
    const metrics = await eventually(async () => {
      const text = await (await fetch(`${bridge.url}/metrics`)).text();
      expect(value(text, 'rapport_bridge_events_total')).toBe(events.length + 1);
      return text;
    }, 10_000);
    expect(value(metrics, 'rapport_bridge_signals_total')).toBeLessThan(events.length);
    expect(metrics).toMatch(/rapport_bridge_lag_seconds\{partition="\d"\}/);
    expect(metrics).toMatch(/rapport_bridge_events_per_second /);
    expect(metrics).toMatch(/rapport_bridge_signals_per_second /);
    expect(metrics).toMatch(/rapport_bridge_events_per_signal_bucket/);
  });

  it('dead-letters an event whose id no workflow can carry, and delivers the events around it', async () => {
    const now = Date.now() - MINUTE;
    const customer = `around-${stack.rig.names.id}`;
    const before = interaction(customer, now, { type: 'email.replied', direction: 'inbound' });
    // A lone surrogate survives JSON on the log, but not Temporal's gRPC (it needs UTF-8).
    const poison = interaction(`poison-\ud800-${stack.rig.names.id}`, now + 1, {
      type: 'email.replied',
      direction: 'inbound',
    });
    const after = interaction(customer, now + 2, { type: 'email.sent', direction: 'outbound' });
    await stack.produce([before, poison, after]);

    const { view } = await stack.rig.until(
      customer,
      ({ view }) => view.counts.applied === 2,
      20_000,
    );
    expect(view.counts).toEqual({ applied: 2, duplicates: 0, rejected: 0, late: 0 });
    const kafka = createKafka(stack.rig.config.kafka);
    const letters: DeadLetter[] = [];
    for (const deadline = Date.now() + 10_000; letters.length === 0 && Date.now() < deadline;) {
      for await (const record of readTopic(kafka, stack.rig.config.kafka.topics.dlq)) {
        letters.push(DeadLetterSchema.parse(JSON.parse(record.value ?? 'null')));
      }
    }
    expect(letters.map((letter) => letter.original.includes(poison.eventId))).toEqual([true]);
    expect(letters[0]?.reason.issues?.map((issue) => issue.path)).toEqual(['customerId']);
  });

  it('dead-letters, after a few attempts, the events of a customer whose workflow Temporal refuses, and delivers those around them', async () => {
    const now = Date.now() - MINUTE;
    const customer = `beside-${stack.rig.names.id}`;
    // A run that was no merge completed under the customer's workflow id (an older program's,
    // say): Temporal refuses every signalWithStart with WorkflowExecutionAlreadyStarted, which is
    // ALREADY_EXISTS, not INVALID_ARGUMENT, and no retry changes it.
    const taken = `taken-${stack.rig.names.id}`;
    await completeRunOf(
      stack.rig.client,
      customerWorkflowId(taken),
      `${stack.rig.names.taskQueue}-other`,
    );
    const event = (customerId: string, at: number) =>
      interaction(customerId, at, { type: 'email.replied', direction: 'inbound' });
    const refused = [event(taken, now + 1), event(taken, now + 3)];
    await stack.produce([
      event(customer, now),
      ...refused.slice(0, 1),
      event(customer, now + 2),
      ...refused.slice(1),
      event(customer, now + 4),
    ]);

    const { view } = await stack.rig.until(
      customer,
      ({ view }) => view.counts.applied === 3,
      20_000,
    );
    expect(view.counts).toEqual({ applied: 3, duplicates: 0, rejected: 0, late: 0 });
    const kafka = createKafka(stack.rig.config.kafka);
    const letters = await eventually(async () => {
      const read: DeadLetter[] = [];
      for await (const record of readTopic(kafka, stack.rig.config.kafka.topics.dlq)) {
        read.push(DeadLetterSchema.parse(JSON.parse(record.value ?? 'null')));
      }
      const failed = read.filter((letter) => letter.reason.code === 'HANDLER_FAILED');
      expect(failed).toHaveLength(refused.length);
      return failed;
    });
    expect(
      letters.map((letter) => StampedInteractionSchema.parse(JSON.parse(letter.original))),
    ).toEqual(refused);
    for (const letter of letters) {
      expect(letter).toMatchObject({ source: 'bridge', customerId: taken });
      expect(letter.reason.message).toMatch(/WorkflowExecutionAlreadyStartedError/);
    }
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    expect(metrics).toMatch(/^rapport_bridge_dead_lettered_total\{reason="HANDLER_FAILED"\} 2$/m);
    expect((await fetch(`${bridge.url}/readyz`)).status).toBe(200);
  });

  it('answers /healthz and /readyz; the worker too', async () => {
    const expected = [
      [bridge.url, { kafka: 'ok', redis: 'ok', temporal: 'ok', consumer: 'ok' }],
      [stack.rig.worker.url, { worker: 'ok' }],
    ] as const;
    for (const [url, checks] of expected) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks });
      expect((await fetch(`${url}/nope`)).status).toBe(404);
    }
    expect(await (await fetch(`${stack.rig.worker.url}/metrics`)).text()).toMatch(
      /rapport_worker_running 1/,
    );
  });
});

/**
 * Completes a run of no Rapport workflow under `workflowId`, acting as its worker by hand: the
 * id is then taken by a completed run that is no merge.
 */
async function completeRunOf(client: Client, workflowId: string, taskQueue: string) {
  await client.workflow.start('notRapport', { workflowId, taskQueue, args: [] });
  const { connection, options } = client;
  const task = await connection.withDeadline(Date.now() + 10_000, () =>
    connection.workflowService.pollWorkflowTaskQueue({
      namespace: options.namespace,
      taskQueue: { name: taskQueue },
      identity: 'test',
    }),
  );
  await connection.workflowService.respondWorkflowTaskCompleted({
    namespace: options.namespace,
    taskToken: task.taskToken,
    identity: 'test',
    // temporal.api.enums.v1.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION
    commands: [{ commandType: 4, completeWorkflowExecutionCommandAttributes: {} }],
  });
}
