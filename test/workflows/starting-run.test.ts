import {
  CUSTOMER_ENGAGEMENT_WORKFLOW,
  customerWorkflowId,
  describeCustomer,
  EngagementSettingsSchema,
  stateQuery,
} from '@rapport/workflows';
import { Client, Connection, QueryNotRegisteredError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, testInfra, uniqueNames } from '../harness/index.js';
import { realTimeSettings, workflowBundle } from './helpers.js';

/*
 * A run registers its queries once its first task has loaded the settings (a local activity). A
 * worker whose settings take longer than the run's workflow task timeout completes that task
 * without them (the SDK's heartbeat of a long local activity), so the run is queryable before its
 * queries exist: the raw query is refused, describeCustomer waits for them.
 */

const SETTINGS_DELAY_MS = 3_500;

describe('a run still loading its settings (dev server)', () => {
  const names = uniqueNames('starting-run');
  let connection: Connection;
  let workerConnection: NativeConnection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    const infra = testInfra();
    connection = await Connection.connect({ address: infra.temporalAddress });
    client = new Client({ connection, namespace: infra.temporalNamespace });
    const settings = EngagementSettingsSchema.parse(realTimeSettings);
    // First: it installs the SDK's runtime, which a native connection would otherwise create.
    const bundle = await workflowBundle();
    workerConnection = await NativeConnection.connect({ address: infra.temporalAddress });
    worker = await Worker.create({
      connection: workerConnection,
      namespace: infra.temporalNamespace,
      taskQueue: names.taskQueue,
      workflowBundle: bundle,
      activities: {
        loadSettings: async () => {
          await sleep(SETTINGS_DELAY_MS);
          return settings;
        },
      },
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await workerConnection?.close();
    await connection?.close();
  });

  it('is asked again until its queries are registered, not answered QueryNotRegistered', async () => {
    const customerId = `${names.id}-new`;
    const handle = await client.workflow.start(CUSTOMER_ENGAGEMENT_WORKFLOW, {
      workflowId: customerWorkflowId(customerId),
      taskQueue: names.taskQueue,
      args: [{ customerId }],
      workflowTaskTimeout: '1s',
    });
    // From the first task's heartbeat (at 80 % of its timeout) until the settings arrive.
    const asked = () =>
      handle.query(stateQuery).then(
        () => 'answered',
        (error: unknown) =>
          error instanceof QueryNotRegisteredError ? 'not registered' : String(error),
      );
    await expect.poll(asked, { timeout: SETTINGS_DELAY_MS, interval: 100 }).toBe('not registered');

    const described = await describeCustomer(client, customerId);
    expect(described?.view.counts.applied).toBe(0);
    await handle.terminate();
  });
});
