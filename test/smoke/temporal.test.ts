import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildWorkflowBundle } from '@rapport/worker';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTemporalRuntime, testInfra, uniqueNames } from '../harness/index.js';
import { accumulate, addSignal, longSleep, totalQuery } from './workflows.js';

const infra = testInfra();
let workflowBundle: WorkflowBundle;

beforeAll(async () => {
  // Worker lifecycle lines at INFO drown the test report.
  await installTemporalRuntime();
  workflowBundle = await buildWorkflowBundle(
    fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  );
});

describe('Temporal dev server (real)', () => {
  const names = uniqueNames('smoke-temporal');
  let connection: Connection;
  let workerConnection: NativeConnection;

  beforeAll(async () => {
    connection = await Connection.connect({ address: infra.temporalAddress });
    workerConnection = await NativeConnection.connect({ address: infra.temporalAddress });
  });
  afterAll(async () => {
    await connection.close();
    await workerConnection.close();
  });

  it('runs a workflow with signals, a query and a durable timer', async () => {
    const client = new Client({ connection, namespace: infra.temporalNamespace });
    const worker = await Worker.create({
      connection: workerConnection,
      namespace: infra.temporalNamespace,
      taskQueue: names.taskQueue,
      workflowBundle,
    });
    const result = await worker.runUntil(async () => {
      const handle = await client.workflow.start(accumulate, {
        taskQueue: names.taskQueue,
        workflowId: `${names.id}-accumulate`,
        args: [2, 300],
      });
      await handle.signal(addSignal, 40);
      await handle.signal(addSignal, 2);
      const value = await handle.result();
      expect(await handle.query(totalQuery)).toBe(42);
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.filter((event) => event.workflowExecutionSignaledEventAttributes)).toHaveLength(
        2,
      );
      expect(events.filter((event) => event.timerFiredEventAttributes)).toHaveLength(1);
      return value;
    });
    expect(result).toBe(42);
  });
});

describe('Temporal time-skipping test server (real)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: infra.temporalTestServer } },
    });
  });
  afterAll(async () => {
    await env.teardown();
  });

  it('completes a 30-day durable sleep in well under a second', async () => {
    const taskQueue = uniqueNames('smoke-skip').taskQueue;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
    });
    const { elapsedWorkflowMs, wallMs } = await worker.runUntil(async () => {
      const started = performance.now();
      const elapsedWorkflowMs = await env.client.workflow.execute(longSleep, {
        taskQueue,
        workflowId: `long-sleep-${taskQueue}`,
        args: [30],
      });
      return { elapsedWorkflowMs, wallMs: performance.now() - started };
    });
    expect(elapsedWorkflowMs).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000);
    expect(wallMs).toBeLessThan(1000);
  });
});
