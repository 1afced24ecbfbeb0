import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '@rapport/config';
import { fetchTemporal } from '@rapport/infra';
import { createModel, stateDifference } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import { customerWorkflowId, type EngagementSettingsInput } from '@rapport/workflows';
import { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { msToTs } from '@temporalio/common/lib/time.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/index.js';
import {
  baseSettings,
  HISTORIES,
  interaction,
  startRig,
  workflowBundle,
  type Rig,
} from './helpers.js';

/** Histories recorded from real runs; later code must replay them (see docs/workflows.md). */
/** A small suggestion threshold makes the server ask for continue-as-new within the test. */
const SUGGEST_AT = 40;
/** Events are judged this long after they happened: real time, so short. */
const LATENESS = 2_000;

const model = createModel();
let env: TestWorkflowEnvironment;
let rig: Rig;

// Real-time durations short enough for a test: a one-second SLA and a playbook of seconds.
const settings = {
  ...baseSettings,
  sla: { defaultMs: 3_600_000, byChannel: { chat: 1_000 } },
  lateArrivalGraceMs: LATENESS,
  playbooks: [
    {
      name: 'trust-breach',
      when: { triggers: ['trust_breach'] },
      steps: [
        { kind: 'notify', message: 'A request went unanswered.' },
        { kind: 'wait', upToMs: 300 },
        { kind: 'escalate', message: 'Still no answer.' },
        { kind: 'close', outcome: 'no_response' },
      ],
    },
  ],
} satisfies EngagementSettingsInput;

beforeAll(async () => {
  const { cli } = await fetchTemporal(loadConfig().infra.cacheDir);
  await workflowBundle();
  // A private dev server: dynamic configuration is read only when a server starts.
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      log: { format: 'pretty', level: 'error' },
      extraArgs: [
        '--http-port',
        String(await freePort()),
        '--dynamic-config-value',
        `limit.historyCount.suggestContinueAsNew=${SUGGEST_AT}`,
      ],
    },
  });
  // With no cache (below), a run's first task often waits out its workflow task timeout
  // (docs/workflows.md, the worker's cache): the runs this client starts get 2 s, not 10, and
  // hand it to the runs they continue as.
  const client = new Client({
    connection: env.connection,
    namespace: env.client.options.namespace,
    interceptors: {
      workflow: [
        {
          signalWithStart: (input, next) =>
            next({ ...input, options: { ...input.options, workflowTaskTimeout: msToTs('2s') } }),
        },
      ],
    },
  });
  rig = await startRig({
    label: 'wf-dev-server',
    client,
    temporalAddress: env.address,
    settings,
    // No cache: every workflow task replays the run from its start, so code that would decide
    // differently on replay fails here, not in production after an eviction (a patch asked after
    // the settings' local activity did: docs/workflows.md, Versioning). The worker's warnings
    // (a task failing, a timeout) show in the test's output.
    overrides: { RAPPORT_LOG_LEVEL: 'warn', RAPPORT_WORKER_MAX_CACHED_WORKFLOWS: '0' },
    // Every query replays the run too, beside two other test files on two cores: each may take
    // 8 s, and the test asks four times a second, not twenty.
    queryTimeoutMs: 8_000,
    pollMs: 250,
  });
}, 60_000);

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
});

async function replay(histories: { workflowId: string; history: unknown }[]) {
  const results = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await workflowBundle() },
    histories.map(({ workflowId, history }) => ({ workflowId, history: historyFromJSON(history) })),
  )) {
    results.push({ workflowId: result.workflowId, error: result.error?.message });
  }
  return results;
}

describe('customer engagement on a real dev server', () => {
  it('continues as new when the server suggests it, keeps its state, and its histories replay', async () => {
    const customer = `replay-${rig.names.id}`;
    const delivered: StampedInteraction[] = [];
    const send = async (fields: Parameters<typeof interaction>[2], at = Date.now()) => {
      const event = interaction(customer, at, fields);
      delivered.push(event);
      await rig.deliver(customer, [event]);
    };
    await send({ type: 'purchase.completed', direction: 'inbound' });
    // Out of order: the reply arrives before its request, in a signal of its own; in event time
    // the request came first, so it is met (the recorded history keeps this path replaying).
    const asked = Date.now();
    const email = { channel: 'email', threadId: 'o' } as const;
    await send({ type: 'email.replied', direction: 'outbound', ...email }, asked + 100);
    await send(
      { type: 'email.replied', direction: 'inbound', expectsResponse: true, ...email },
      asked,
    );
    // Unanswered for a second: a missed SLA, a trust breach, and a follow-up that runs through.
    await send({
      type: 'chat.message',
      direction: 'inbound',
      channel: 'chat',
      threadId: 'r',
      expectsResponse: true,
    });
    const { followUps } = await rig.until(
      customer,
      ({ followUps }) => followUps[0]?.outcome != null,
      40_000, // Generous: three test files share two cores; the subject is what, not how fast.
    );
    expect(followUps[0]).toMatchObject({ trigger: 'trust_breach', outcome: 'no_response' });

    const first = await env.client.workflow.getHandle(customerWorkflowId(customer)).describe();
    for (let index = 0; index < 30; index += 1) {
      await send({
        type: index % 2 ? 'email.sent' : 'email.replied',
        direction: index % 2 ? 'outbound' : 'inbound',
      });
    }
    const { view } = await rig.until(
      customer,
      ({ view }) => view.counts.applied === delivered.length,
      40_000, // Generous: three test files share two cores; the subject is what, not how fast.
    );
    const firstRun = env.client.workflow.getHandle(customerWorkflowId(customer), first.runId);
    expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
    const published = await rig.derived(customer);
    const decided = published.filter((event) =>
      ['sla.met', 'sla.missed', 'engagement.drop_detected'].includes(event.type),
    );
    expect(decided.map((event) => event.type).sort()).toEqual([
      'engagement.drop_detected',
      'sla.met',
      'sla.missed',
    ]);
    const folded = [...delivered, ...decided].reduce(
      (state, event) => model.apply(state, event),
      model.empty(),
    );
    expect(stateDifference(view.state, model.toJSON(folded))).toBeNull();
    expect(view.drops).toHaveLength(1);

    const recorded = [
      {
        file: 'kept-timer-customer-engagement.json',
        workflowId: customerWorkflowId(customer),
        history: await firstRun.fetchHistory(),
      },
      {
        file: 'event-time-follow-up.json',
        workflowId: followUps[0]?.id ?? '',
        history: await env.client.workflow.getHandle(followUps[0]?.id ?? '').fetchHistory(),
      },
    ].map(({ file, workflowId, history }) => ({
      file,
      workflowId,
      history: JSON.parse(historyToJSON(history)) as unknown,
    }));
    expect(await replay(recorded)).toEqual(
      recorded.map(({ workflowId }) => ({ workflowId, error: undefined })),
    );

    // RAPPORT_RECORD_HISTORIES=1 refreshes the committed histories (after a deliberate,
    // patched() change of workflow code, never to make a failing replay pass).
    if (process.env['RAPPORT_RECORD_HISTORIES'] === '1') {
      await mkdir(HISTORIES, { recursive: true });
      for (const { file, workflowId, history } of recorded) {
        await writeFile(
          join(HISTORIES, file),
          `${JSON.stringify({ workflowId, history }, null, 1)}\n`,
        );
      }
    }
  });

  it('the committed histories replay on the current workflow code', async () => {
    const files = (await readdir(HISTORIES)).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const histories = await Promise.all(
      files.map(async (file) => {
        const { workflowId, history } = JSON.parse(
          await readFile(join(HISTORIES, file), 'utf8'),
        ) as {
          workflowId: string;
          history: unknown;
        };
        return { workflowId, history };
      }),
    );
    expect(await replay(histories)).toEqual(
      histories.map(({ workflowId }) => ({ workflowId, error: undefined })),
    );
  });
});
