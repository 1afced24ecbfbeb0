import { ErrorSchema } from '@rapport/lifecycle';
import { CustomerWorkflowSchema, type CustomerWorkflow } from '@rapport/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../bridge/helpers.js';
import { freePort, sleep, TEST_ADMIN_KEY, TEST_WRITE_KEY } from '../harness/index.js';
import { DAY } from '../workflows/helpers.js';
import {
  openApiDocument,
  buyer,
  postBatch,
  startTestApi,
  startWholeStack,
  weekly,
  type TestStack,
  type WholeStack,
} from './helpers.js';

const workflowOf = (t: { get(path: string): Promise<Response> }, customerId: string) =>
  t.get(`/v1/customers/${encodeURIComponent(customerId)}/workflow`);

/**
 * `GET /v1/customers/:id/workflow` (a read key) on the whole stack: events through the gateway
 * reach the customer's workflow through the bridge, an admin starts a follow-up, and the route
 * answers the workflow's state and that follow-up with the steps its own workflow ran.
 */
describe("a customer's workflow, on the whole stack", () => {
  let t: TestStack;
  let workflows: Stack;
  let stack: WholeStack;

  beforeAll(async () => {
    stack = await startWholeStack('workflow-read');
    ({ t, workflows } = stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** The route's answer once `accept` holds (polled, bounded). */
  async function workflowWhen(
    customerId: string,
    accept: (answer: CustomerWorkflow) => boolean,
    timeoutMs = 15_000,
  ): Promise<CustomerWorkflow> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await workflowOf(t, customerId);
      expect(response.status).toBe(200);
      const answer = CustomerWorkflowSchema.parse(await response.json());
      if (accept(answer)) return answer;
      if (Date.now() > deadline) throw new Error(`not as expected: ${JSON.stringify(answer)}`);
      await sleep(100);
    }
  }

  it('answers the state and a follow-up with the steps it ran, or null steps once they cannot be read', async () => {
    // A weekly buyer whose last purchase was two days ago: active, nothing due while this runs.
    const id = `buyer-${t.names.id}`;
    const events = buyer(id, weekly(Date.now() - 2 * DAY));
    await postBatch(t, events);
    await workflows.rig.until(id, (found) => found.view.counts.applied === events.length);

    const before = await workflowWhen(id, () => true);
    expect(before).toMatchObject({ customerId: id, workflow: { customerId: id }, followUps: [] });
    expect(before.workflow.counts.applied).toBe(events.length);
    expect(before.workflow.reading.status).toBe('engaged');

    const asked = await fetch(`${t.api.url}/v1/customers/${id}/follow-ups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(asked.status).toBe(202);
    const answer = await workflowWhen(
      id,
      ({ followUps }) => (followUps[0]?.steps ?? []).length > 0,
    );
    const described = await workflows.rig.until(id, (found) => found.followUps.length === 1);
    const [followUp] = answer.followUps;
    // The record as the customer workflow keeps it, and the first step of win-back: its webhook.
    expect(answer.followUps).toHaveLength(1);
    const { steps, ...record } = followUp ?? { steps: null };
    expect(record).toEqual(described.followUps[0]);
    expect(record).toMatchObject({ trigger: 'manual', playbook: 'win-back', finishedAt: null });
    expect(steps?.[0]).toMatchObject({ index: 0, kind: 'notify', result: 'delivered' });
    expect(answer.workflow.activeFollowUp).toBe(followUp?.id);
    expect(answer.workflow.drops).toEqual([
      expect.objectContaining({ trigger: 'manual', decision: 'started', followUpId: followUp?.id }),
    ]);

    // A follow-up whose own workflow is gone (deleted here, as retention would) cannot say its
    // steps: null for it, and the rest of the answer stands.
    await workflows.rig.client.workflowService.deleteWorkflowExecution({
      namespace: workflows.rig.config.temporal.namespace,
      workflowExecution: { workflowId: followUp?.id ?? '' },
    });
    const gone = await workflowWhen(id, ({ followUps }) => followUps[0]?.steps === null);
    expect(gone.followUps.map(({ id: followUpId }) => followUpId)).toEqual([followUp?.id]);
    expect(gone).toMatchObject({ customerId: id, workflow: { customerId: id } });
  });

  it('answers 404 WORKFLOW_NOT_FOUND for a customer without a workflow, and needs a read key', async () => {
    const nobody = `nobody-${t.names.id}`;
    const missing = await workflowOf(t, nobody);
    expect(missing.status).toBe(404);
    const { error } = ErrorSchema.parse(await missing.json());
    expect(error.code).toBe('WORKFLOW_NOT_FOUND');
    expect(error.message).toContain(JSON.stringify(nobody));

    for (const key of [TEST_WRITE_KEY, TEST_ADMIN_KEY]) {
      const refused = await t.get(`/v1/customers/${nobody}/workflow`, {
        authorization: `Bearer ${key}`,
      });
      expect(refused.status).toBe(403);
      expect(ErrorSchema.parse(await refused.json()).error.code).toBe('FORBIDDEN');
    }
    const anonymous = await fetch(`${t.api.url}/v1/customers/${nobody}/workflow`);
    expect(anonymous.status).toBe(401);
    const unknownParameter = await t.get(`/v1/customers/${nobody}/workflow?steps=1`);
    expect(unknownParameter.status).toBe(400);
  });

  it('is in the OpenAPI document, for read keys, with its answers', async () => {
    const document = await openApiDocument(t);
    const operation = document.paths['/v1/customers/{id}/workflow']?.['get'];
    expect(operation?.security).toEqual([{ readKey: [] }]);
    expect(operation?.responses).toMatchObject({
      '200': {
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/CustomerWorkflow' } },
        },
      },
      '503': { headers: { 'Retry-After': { required: true } } },
    });
    expect(JSON.stringify(operation?.responses)).toContain('WORKFLOW_NOT_FOUND');
  });
});

describe("a customer's workflow while Temporal is down", () => {
  it('answers 503 without naming Temporal’s address, and the read model still answers', async () => {
    const port = await freePort();
    // Nothing listens there: the API starts anyway, and only the workflow routes depend on it.
    const t = await startTestApi('workflow-down', {
      RAPPORT_TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    });
    try {
      expect((await t.get('/v1/summary')).status).toBe(200);
      const started = performance.now();
      const response = await workflowOf(t, 'c-1');
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
