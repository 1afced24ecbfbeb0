import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createFollowUpActivities,
  customerWorkflowId,
  FollowUpProgressSchema,
  progressQuery,
  type followUp,
  type Notification,
} from '@rapport/workflows';
import type { LogEntry } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interaction, readable, type Rig, startPlaybookRig } from './helpers.js';

/** What the receivers' URLs carry; none of it may reach history, queries, errors or logs. */
const SECRETS = ['step-tok3n-91c4', 'step-q-5e02', 'default-tok3n-d7aa', 'default-q-3b19'];
const [STEP_TOKEN, STEP_QUERY, DEFAULT_TOKEN, DEFAULT_QUERY] = SECRETS;
const WEBHOOK_SECRET = 'webhook-safety-secret';

/** A real local receiver: records each request's path, answers as it is told. */
async function receiver(answer: RequestListener): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => answer(request, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Every request the redirect would have sent elsewhere. */
const elsewhereHeard: string[] = [];
/** Every request the receiver got, by path. */
const heard: string[] = [];
let elsewhere: Awaited<ReturnType<typeof receiver>>;
let hooks: Awaited<ReturnType<typeof receiver>>;
let defaultUrl: string;

const logs: LogEntry[] = [];
let env: TestWorkflowEnvironment;
let rig: Rig;

beforeAll(async () => {
  elsewhere = await receiver((request, response) => {
    elsewhereHeard.push(request.url ?? '');
    response.writeHead(200).end();
  });
  // The step's own URL redirects (a receiver gone hostile, or moved); the default one answers.
  hooks = await receiver((request, response) => {
    heard.push(request.url ?? '');
    if (request.url?.startsWith('/hooks/step/')) {
      response.writeHead(302, { location: `${elsewhere.origin}/collect` }).end();
    } else response.writeHead(200).end();
  });
  const stepUrl = `${hooks.origin}/hooks/step/${STEP_TOKEN}?key=${STEP_QUERY}`;
  defaultUrl = `${hooks.origin}/hooks/default/${DEFAULT_TOKEN}?key=${DEFAULT_QUERY}`;

  ({ env, rig } = await startPlaybookRig({
    label: 'wf-webhook-safety',
    playbookLines: [
      'playbooks:',
      '  - name: trust-breach',
      '    when: { triggers: [trust_breach] }',
      '    steps:',
      `      - { kind: escalate, message: Repair it., url: "${stepUrl}" }`,
      '      - { kind: wait, upTo: 1h }',
      '      - { kind: notify, message: Still nothing. }',
      '      - { kind: close, outcome: no_response }',
    ],
    overrides: {
      RAPPORT_FOLLOWUP_WEBHOOK_URL: defaultUrl,
      RAPPORT_FOLLOWUP_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
    logs: (entry) => logs.push(entry),
  }));
}, 60_000);

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
  hooks?.server.close();
  elsewhere?.server.close();
});

function expectNoSecret(text: string): void {
  for (const secret of [...SECRETS, '/hooks/']) expect(text).not.toContain(secret);
}

describe('the follow-up webhook keeps its URLs to itself (time-skipping server)', () => {
  it('does not follow a redirect, and no history, query, error or log line holds a URL', async () => {
    const customer = `secrecy-${rig.names.id}`;
    const now = await env.currentTimeMs();
    await rig.deliver(customer, [
      interaction(customer, now, {
        type: 'chat.message',
        direction: 'inbound',
        channel: 'chat',
        threadId: 's',
        expectsResponse: true,
      }),
    ]);
    // Unanswered past the chat SLA: a trust breach, and the playbook above.
    await env.sleep(20 * 60_000);
    const { followUps } = await rig.until(customer, ({ followUps }) => followUps.length === 1);
    const id = followUps[0]?.id ?? '';
    const handle = env.client.workflow.getHandle<typeof followUp>(id);
    expect((await handle.result()).outcome).toBe('no_response');

    // The step's own URL got the escalation once (a redirect is not retried), the redirect's
    // target nothing; the notify step went to the configured URL.
    expect(heard).toEqual([
      `/hooks/step/${STEP_TOKEN}?key=${STEP_QUERY}`,
      `/hooks/default/${DEFAULT_TOKEN}?key=${DEFAULT_QUERY}`,
    ]);
    expect(elsewhereHeard).toEqual([]);
    const progress = FollowUpProgressSchema.parse(await handle.query(progressQuery));
    expect(progress.steps.map((step) => step.result)).toEqual([
      `failed: webhook ${hooks.origin}/… answered 302: the receiver redirected, and redirects are not followed`,
      'timed_out',
      'delivered',
      'no_response',
    ]);
    expectNoSecret(JSON.stringify(progress));
    expectNoSecret(JSON.stringify(await rig.describe(customer)));

    // Histories, and descriptions with their memo and search attributes.
    for (const workflowId of [id, customerWorkflowId(customer)]) {
      const workflow = env.client.workflow.getHandle(workflowId);
      expectNoSecret(readable(await workflow.fetchHistory()));
      expectNoSecret(readable((await workflow.describe()).raw));
    }
    // The search reads decoded payloads (the notify step's message is one) and failures.
    const followUpHistory = readable(await handle.fetchHistory());
    expect(followUpHistory).toContain('Still nothing.');
    expect(followUpHistory).toContain('redirects are not followed');

    // What the SDK, its core and the workflows logged, the failed attempt included.
    const logged = logs.map((entry) => `${entry.message} ${JSON.stringify(entry.meta)}`);
    expect(logged.some((line) => line.includes('redirects are not followed'))).toBe(true);
    for (const line of logged) expectNoSecret(line);
  });

  it('an activity scheduled by earlier code, with a URL in its input, posts where the worker says', async () => {
    const notification: Notification = {
      type: 'followup.notify',
      followUpId: 'followup:legacy:trust_breach:0',
      customerId: 'legacy',
      playbook: 'trust-breach',
      step: 2,
      message: 'Still nothing.',
      trigger: 'trust_breach',
      stage: 'active',
      dropAt: new Date(0).toISOString(),
    };
    const activities = createFollowUpActivities({
      webhook: { url: defaultUrl, secret: WEBHOOK_SECRET },
      destinations: rig.config.worker.destinations,
      steps: new Map(),
    });
    const recorded = {
      url: `${elsewhere.origin}/legacy`,
      idempotencyKey: `${notification.followUpId}:2`,
      notification,
    };
    heard.length = 0;
    const notified = new MockActivityEnvironment().run(() => activities.notify(recorded));
    await expect(notified).resolves.toEqual({ delivered: true, destination: 'webhook' });
    expect(heard).toEqual([`/hooks/default/${DEFAULT_TOKEN}?key=${DEFAULT_QUERY}`]);
    expect(elsewhereHeard).toEqual([]);
  });
});
