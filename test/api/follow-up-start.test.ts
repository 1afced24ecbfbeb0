import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ErrorSchema } from '@rapport/lifecycle';
import { FollowUpRequestedSchema } from '@rapport/schema';
import { DEFAULT_PLAYBOOKS_FILE, loadPlaybooks } from '@rapport/worker';
import type { CustomerDescription } from '@rapport/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../bridge/helpers.js';
import {
  FROM_SOURCE,
  freePort,
  TEST_ADMIN_KEY,
  TEST_READ_KEY,
  TEST_WRITE_KEY,
} from '../harness/index.js';
import { DAY, type WebhookReceiver } from '../workflows/helpers.js';
import {
  openApiDocument,
  buyer,
  postBatch,
  startTestApi,
  startWholeStack,
  until,
  viewWhen,
  weekly,
  type TestStack,
  type WholeStack,
} from './helpers.js';

const SECRET = 'follow-up-start-webhook-secret';
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/**
 * `POST /v1/customers/:id/follow-ups` (an admin key) and `rapport followup start` on the whole
 * stack: events through the gateway reach the read model and, through the bridge, the customer's
 * workflow on a worker; the API signals that workflow, and what it decided comes back in its
 * drops, its follow-ups, the follow-up's webhook and, projected, the API's view of the customer.
 */
describe('asking for a follow-up now, on the whole stack', () => {
  let t: TestStack;
  let workflows: Stack;
  let stack: WholeStack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    stack = await startWholeStack('follow-up', SECRET);
    ({ t, workflows, receiver } = stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const post = (
    customerId: string,
    body: string | undefined,
    headers: Record<string, string> = { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    query = '',
  ) =>
    fetch(`${t.api.url}/v1/customers/${encodeURIComponent(customerId)}/follow-ups${query}`, {
      method: 'POST',
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body }),
    });

  /**
   * A weekly buyer whose last purchase was two days ago (active, nothing due while the test
   * runs), sent through the gateway, once their workflow has taken every event.
   */
  async function customerWithWorkflow(label: string): Promise<string> {
    const id = `${label}-${t.names.id}`;
    const events = buyer(id, weekly(Date.now() - 2 * DAY));
    await postBatch(t, events);
    const { view } = await workflows.rig.until(
      id,
      (found) => found.view.counts.applied === events.length,
    );
    expect(view.drops).toEqual([]);
    return id;
  }

  const drops = (description: CustomerDescription) => description.view.drops;

  it('starts the first playbook for manual requests, refuses another while it runs, and says no_playbook for an unknown name; read and write keys are refused', async () => {
    const id = await customerWithWorkflow('asked');

    // Keys of the other classes, or none, never reach the workflow (the drops below are exact).
    for (const [key, status] of [
      [TEST_READ_KEY, 403],
      [TEST_WRITE_KEY, 403],
    ] as const) {
      const refused = await post(id, '{}', { authorization: `Bearer ${key}` });
      expect(refused.status).toBe(status);
      const { error } = ErrorSchema.parse(await refused.json());
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain('this route needs an admin key');
    }
    const anonymous = await post(id, '{}', {});
    expect(anonymous.status).toBe(401);
    expect(ErrorSchema.parse(await anonymous.json()).error.code).toBe('UNAUTHENTICATED');

    // A name no playbook has: recorded, nothing started.
    const unknown = await post(id, JSON.stringify({ playbook: 'no-such-playbook' }));
    expect(unknown.status).toBe(202);
    expect(FollowUpRequestedSchema.parse(await unknown.json())).toEqual({
      customerId: id,
      playbook: 'no-such-playbook',
      requested: true,
    });
    const refusedByName = await workflows.rig.until(id, (found) => drops(found).length === 1);
    expect(drops(refusedByName)).toEqual([
      expect.objectContaining({ trigger: 'manual', decision: 'no_playbook', followUpId: null }),
    ]);
    expect(refusedByName.followUps).toEqual([]);

    // No body at all: the first playbook whose triggers include manual (the default win-back).
    const asked = await post(id, undefined);
    expect(asked.status).toBe(202);
    expect(await asked.json()).toEqual({ customerId: id, playbook: null, requested: true });
    const started = await workflows.rig.until(id, (found) => found.followUps.length === 1);
    const [, drop] = drops(started);
    expect(drop).toMatchObject({ trigger: 'manual', stage: 'active', decision: 'started' });
    const { playbooks } = await loadPlaybooks(DEFAULT_PLAYBOOKS_FILE);
    const first = playbooks.find(({ when }) => when.triggers.includes('manual'));
    expect(first?.name).toBe('win-back');
    const [followUp] = started.followUps;
    expect(followUp).toMatchObject({
      id: drop?.followUpId,
      trigger: 'manual',
      playbook: first?.name,
      finishedAt: null,
    });

    // The follow-up runs: its first step's webhook names the request.
    const ours = () => receiver.received.filter((hook) => hook.notification.customerId === id);
    await until(() => ours().length > 0, 10_000);
    expect(ours()[0]?.notification).toMatchObject({
      followUpId: followUp?.id,
      playbook: first?.name,
      trigger: 'manual',
      step: 0,
    });

    // Asked again while it runs: recorded as refused, nothing more started.
    const again = await post(id, '{}');
    expect(again.status).toBe(202);
    const refused = await workflows.rig.until(id, (found) => drops(found).length === 3);
    expect(drops(refused).map(({ trigger, decision }) => [trigger, decision])).toEqual([
      ['manual', 'no_playbook'],
      ['manual', 'started'],
      ['manual', 'running'],
    ]);
    expect(refused.followUps).toHaveLength(1);

    // The read side: the follow-up the engine published, projected like any other event.
    const view = await viewWhen(t, id, ({ followUps }) => followUps.started === 1);
    expect(view.followUps).toMatchObject({ started: 1, finished: 0, active: true });
  });

  it('answers 404 for a customer without a workflow, and 400 naming the input for a malformed request', async () => {
    const nobody = `nobody-${t.names.id}`;
    const missing = await post(nobody, '{}');
    expect(missing.status).toBe(404);
    const { error } = ErrorSchema.parse(await missing.json());
    expect(error.code).toBe('CUSTOMER_NOT_FOUND');
    expect(error.message).toContain(JSON.stringify(nobody));

    for (const [body, path, query] of [
      [JSON.stringify({ playbook: 'Win Back' }), 'playbook', ''],
      [JSON.stringify({ playbook: 42 }), 'playbook', ''],
      [JSON.stringify({ playbook: 'win-back', now: true }), 'now', ''],
      ['[]', '', ''],
      ['{}', 'dryRun', '?dryRun=1'],
    ] as const) {
      const response = await post(nobody, body, undefined, query);
      expect(response.status, body).toBe(400);
      const { error } = ErrorSchema.parse(await response.json());
      expect(error.code, body).toBe('VALIDATION_FAILED');
      expect(error.issues.map((issue) => issue.path)).toEqual([path]);
    }
    const notJson = await post(nobody, '{"playbook":');
    expect(notJson.status).toBe(400);
    expect(ErrorSchema.parse(await notJson.json()).error.code).toBe('INVALID_JSON');
    const text = await fetch(`${t.api.url}/v1/customers/${nobody}/follow-ups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'text/plain' },
      body: 'win-back',
    });
    expect(text.status).toBe(415);
  });

  it('is in the OpenAPI document, for admin keys', async () => {
    const document = await openApiDocument(t);
    const operation = document.paths['/v1/customers/{id}/follow-ups']?.['post'];
    expect(operation?.security).toEqual([{ adminKey: [] }]);
    expect(Object.keys(operation?.responses ?? {})).toEqual(
      expect.arrayContaining(['202', '400', '401', '403', '404', '503']),
    );
  });

  describe('rapport followup start', () => {
    /** `pnpm rapport followup …` as a user runs it, against this file's API. */
    const rapport = (args: readonly string[], env: Record<string, string> = {}) =>
      run(process.execPath, [...FROM_SOURCE, 'packages/cli/src/main.ts', 'followup', ...args], {
        cwd: repoRoot,
        env: { ...process.env, RAPPORT_ADMIN_KEYS: TEST_ADMIN_KEY, ...env },
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const api = () => ['--api', t.api.url];

    it('asks with the configured admin key, names the playbook and says where to see the outcome', async () => {
      const id = await customerWithWorkflow('cli');
      const asked = await rapport(['start', id, '--playbook', 'cooling-active', ...api()]);
      expect(asked.stderr).toBe('');
      expect(asked.code).toBe(0);
      expect(asked.stdout).toContain(`follow-up requested for customer ${id}: cooling-active`);
      expect(asked.stdout).toContain(`rapport workflow ${id}`);
      const started = await workflows.rig.until(id, (found) => found.followUps.length === 1);
      expect(started.followUps[0]).toMatchObject({ trigger: 'manual', playbook: 'cooling-active' });

      const json = await rapport(['start', id, '--json', ...api()]);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({ customerId: id, playbook: null, requested: true });
      const refused = await workflows.rig.until(id, (found) => drops(found).length === 2);
      expect(drops(refused)[1]).toMatchObject({ trigger: 'manual', decision: 'running' });
    });

    it('says why when the customer is unknown, the key is refused or the API is down', async () => {
      const down = `http://127.0.0.1:${await freePort()}`;
      // Usage errors are the command's own (followup.test.ts beside it): no server involved.
      const [unknown, readKey, unreachable] = await Promise.all([
        rapport(['start', `nobody-${t.names.id}`, ...api()]),
        rapport(['start', `nobody-${t.names.id}`, '--key', TEST_READ_KEY, ...api()]),
        rapport(['start', 'c-1', '--api', down]),
      ]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(
        /^rapport followup: no workflow for customer "nobody-[^"]+": .*\(404 CUSTOMER_NOT_FOUND\)$/m,
      );
      expect(readKey.code).toBe(1);
      expect(readKey.stderr).toMatch(
        /this is a read key; this route needs an admin key \(403 FORBIDDEN\); give an admin key with --key/,
      );
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toContain(`cannot reach the query API at ${down}`);
    });
  });
});

describe('the follow-up route while Temporal is down', () => {
  it('still starts and reads, and answers 503 without naming Temporal’s address', async () => {
    const port = await freePort();
    // Nothing listens there: the API must start anyway, and only this route depends on it.
    const t = await startTestApi('follow-up-down', {
      RAPPORT_TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    });
    try {
      const read = await fetch(`${t.api.url}/v1/customers?limit=1`, {
        headers: { authorization: `Bearer ${TEST_READ_KEY}` },
      });
      expect(read.status).toBe(200);
      const started = performance.now();
      const response = await fetch(`${t.api.url}/v1/customers/c-1/follow-ups`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(performance.now() - started).toBeLessThan(6_000);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      const text = await response.text();
      expect(ErrorSchema.parse(JSON.parse(text)).error.code).toBe('TEMPORAL_UNAVAILABLE');
      expect(text).not.toContain(String(port));
      expect(text).not.toContain('127.0.0.1');
    } finally {
      await t.stop();
    }
  });
});
