import { fileURLToPath } from 'node:url';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '@rapport/config';
import { createKafka, readTopic } from '@rapport/kafka';
import { StampedInteractionSchema, type StampedInteraction } from '@rapport/schema';
import { createLogger } from '@rapport/lifecycle';
import {
  describeCustomer,
  IDEMPOTENCY_HEADER,
  NotificationSchema,
  SIGNATURE_HEADER,
  signalCustomer,
  TIMESTAMP_HEADER,
  verifyWebhook,
  type CustomerDescription,
  type EngagementSettingsInput,
  type Notification,
} from '@rapport/workflows';
import {
  DEFAULT_PLAYBOOKS_FILE,
  loadPlaybooks,
  startWorker,
  type StartedWorker,
} from '@rapport/worker';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LogEntry, WorkflowBundle } from '@temporalio/worker';
import {
  installTemporalRuntime,
  TEST_ALLOWED_LATENESS_MS,
  testConfig,
  testInfra,
  uniqueNames,
  type UniqueNames,
} from '../harness/index.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

let bundle: Promise<WorkflowBundle> | undefined;
/**
 * The workflow bundle the global setup built once for every file (webpack takes seconds), read
 * once per process and shared by its workers, with the SDK's runtime installed for them
 * (`installTemporalRuntime`: quiet, or every line to `logs`).
 */
export async function workflowBundle(logs?: (entry: LogEntry) => void): Promise<WorkflowBundle> {
  await installTemporalRuntime(logs);
  bundle ??= readFile(testInfra().workflowBundle, 'utf8').then((code) => ({ code }));
  return bundle;
}

/**
 * Settings for tests: the defaults of the configuration, with what a test changes. Every instant
 * (an event, a deadline, a drop) is acted on the allowed lateness after it: a minute.
 */
export const LATENESS = MINUTE;
export const baseSettings = {
  lateArrivalGraceMs: LATENESS,
  sla: { defaultMs: 4 * HOUR, byChannel: { chat: 15 * MINUTE } },
  relativeDrop: { share: 0.1, windowMs: 30 * DAY },
  onboardingSilenceMs: 7 * DAY,
  trustBreachBelow: 0.5,
  followUpCooldownMs: 14 * DAY,
} satisfies EngagementSettingsInput;

/** The same on a real-time server (a dev server, not time-skipping): a short lateness. */
export const realTimeSettings = {
  ...baseSettings,
  lateArrivalGraceMs: TEST_ALLOWED_LATENESS_MS,
} satisfies EngagementSettingsInput;

/** A worker (started the way `rapport up` starts it) and a client, on one Temporal server. */
export interface Rig {
  readonly names: UniqueNames;
  readonly config: Config;
  readonly client: Client;
  readonly worker: StartedWorker;
  /** Signals events as the bridge would: partition 0, offsets counting up per customer. */
  deliver(customerId: string, events: readonly StampedInteraction[]): Promise<void>;
  /** The workflow's state and follow-ups once `accept` holds (polled, bounded). */
  until(
    customerId: string,
    accept: (description: CustomerDescription) => boolean,
    timeoutMs?: number,
  ): Promise<CustomerDescription>;
  describe(customerId: string): Promise<CustomerDescription>;
  /** Every derived event the engine published for the customer so far. */
  derived(customerId: string): Promise<StampedInteraction[]>;
  stop(): Promise<void>;
}

/** Recorded workflow histories, replayed on the current workflow code (dev-server.test.ts). */
export const HISTORIES = fileURLToPath(new URL('./histories', import.meta.url));

export interface RigOptions {
  readonly label: string;
  readonly client: Client;
  readonly temporalAddress: string;
  readonly settings?: EngagementSettingsInput;
  readonly overrides?: Record<string, string>;
  /**
   * How long one query of a workflow may take (default 2 s): a dev server of the test's own on a
   * machine loaded by two other test files answers slower than the shared one.
   */
  readonly queryTimeoutMs?: number;
  /** How often `until` asks (default 50 ms): each query of an uncached workflow replays it. */
  readonly pollMs?: number;
}

export async function startRig(options: RigOptions): Promise<Rig> {
  const names = uniqueNames(options.label);
  const config = testConfig(names, {
    RAPPORT_TEMPORAL_ADDRESS: options.temporalAddress,
    RAPPORT_BRIDGE_GROUP_ID: names.groupId('bridge'),
    ...options.overrides,
  });
  const worker = await startWorker(config, createLogger(config, 'worker'), {
    port: 0,
    // Without settings, the worker reads them as `rapport up` does: configuration and playbook file.
    ...(options.settings === undefined
      ? {}
      : {
          settings: {
            playbooks: (await loadPlaybooks(DEFAULT_PLAYBOOKS_FILE)).playbooks,
            ...options.settings,
          },
        }),
    workflowBundle: await workflowBundle(),
  });
  const kafka = createKafka(config.kafka);
  const offsets = new Map<string, number>();
  const describe = async (customerId: string) => {
    const found = await bounded(options.client, options.queryTimeoutMs ?? 2_000, customerId, () =>
      describeCustomer(options.client, customerId),
    );
    if (found === null) throw new Error(`no workflow for ${customerId}`);
    return found;
  };
  return {
    names,
    config,
    client: options.client,
    worker,
    async deliver(customerId, events) {
      const first = offsets.get(customerId) ?? 0;
      offsets.set(customerId, first + events.length);
      await signalCustomer(
        options.client,
        config.temporal.taskQueue,
        customerId,
        events.map((event, index) => ({ partition: 0, offset: String(first + index), event })),
      );
    },
    describe,
    until: (customerId, accept, timeoutMs = 10_000) =>
      describedWhenBy(describe, customerId, accept, timeoutMs, options.pollMs ?? 50),
    async derived(customerId) {
      const found: StampedInteraction[] = [];
      for await (const record of readTopic(kafka, config.kafka.topics.interactions)) {
        if (record.key !== customerId || record.value === null) continue;
        found.push(StampedInteractionSchema.parse(JSON.parse(record.value)));
      }
      return found;
    },
    stop: () => worker.stop(),
  };
}

/**
 * The customer's workflow once `accept` holds, asked over `client`: for workers in processes of
 * their own, where no rig's worker runs (polled, bounded).
 */
export function describedWhen(
  client: Client,
  customerId: string,
  accept: (description: CustomerDescription) => boolean,
  timeoutMs = 60_000,
): Promise<CustomerDescription> {
  return describedWhenBy((id) => describeCustomer(client, id), customerId, accept, timeoutMs, 200);
}

/** Asks `describe` every `intervalMs` until `accept` holds; says what it last saw when it never does. */
async function describedWhenBy(
  describe: (customerId: string) => Promise<CustomerDescription | null>,
  customerId: string,
  accept: (description: CustomerDescription) => boolean,
  timeoutMs: number,
  intervalMs: number,
): Promise<CustomerDescription> {
  const deadline = performance.now() + timeoutMs;
  let failure: unknown = 'no workflow';
  for (;;) {
    const found = await describe(customerId).catch((error: unknown) => {
      failure = error;
      return null;
    });
    if (found !== null && accept(found)) return found;
    if (performance.now() > deadline) {
      const last =
        found === null
          ? `no answer (${String(failure)}${causeOf(failure)})`
          : `${JSON.stringify(found.view.drops)} ${JSON.stringify(found.followUps)}`;
      throw new Error(`${customerId}: condition not met within ${timeoutMs} ms; last: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Until the workflow has nothing in flight (no activity, the same history twice in a row), read
 * with DescribeWorkflowExecution: a query could race a continue-as-new, which the time-skipping
 * server never answers (and then stops skipping time). Bounded, so that a run that never settles
 * fails with what it was doing instead of the test's timeout.
 */
export async function quiet(client: Client, workflowId: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = -1;
  for (;;) {
    // The describe call is bounded too: a hang there had run on to the test's timeout, saying
    // nothing (docs/performance.md, the continue-as-new test's hang).
    const left = Math.max(1_000, deadline - performance.now());
    const described = await bounded(client, left, `${workflowId}'s describe`, () =>
      client.workflow.getHandle(workflowId).describe(),
    );
    const pending = described.raw.pendingActivities?.length ?? 0;
    if (pending === 0 && described.status.name === 'RUNNING' && described.historyLength === last)
      return;
    if (performance.now() > deadline) {
      throw new Error(
        `${workflowId} not quiet after ${timeoutMs} ms: ${described.status.name}, run ` +
          `${described.runId}, ${described.historyLength} history events, ${pending} activities pending`,
      );
    }
    last = described.historyLength;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * As JSON with payloads decoded: protobuf messages give them as base64 (of JSON), where a search
 * for a token would find nothing whether it is there or not.
 */
export function readable(value: unknown): string {
  return JSON.stringify(JSON.parse(JSON.stringify(value)), (key, inner: unknown) =>
    key === 'data' && typeof inner === 'string'
      ? Buffer.from(inner, 'base64').toString('utf8')
      : inner,
  );
}

/** The client wraps every failed query as "Failed to query Workflow": what the server said. */
function causeOf(failure: unknown): string {
  const cause = failure instanceof Error ? failure.cause : undefined;
  return cause instanceof Error ? `, because: ${cause.name}: ${cause.message}` : '';
}

/**
 * `call` with a deadline of `ms`, given up (rejecting, naming `about`) shortly after it if it has
 * not answered: the client's retries can outlive the call's own deadline, and the time-skipping
 * server never answers a query that races a continue-as-new.
 */
async function bounded<T>(
  client: Client,
  ms: number,
  about: string,
  call: () => Promise<T>,
): Promise<T> {
  const answer = client.connection.withDeadline(Date.now() + ms, call);
  answer.catch(() => undefined); // Abandoned if the bound below wins.
  return Promise.race([answer, unanswered(ms + 500, about)]);
}

/** Rejects after `ms`: a call that never answers is given up (a query is then asked again). */
function unanswered(ms: number, about: string): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(() => reject(new Error(`no answer about ${about} within ${ms} ms`)), ms).unref();
  });
}

let sequence = 0;
/** A stamped event as it sits on the log; `at` is epoch ms (workflow time in these tests). */
export function interaction(
  customerId: string,
  at: number,
  fields: Partial<StampedInteraction> & Pick<StampedInteraction, 'type' | 'direction'>,
): StampedInteraction {
  sequence += 1;
  return {
    eventId: `evt-${process.pid}-${sequence}`,
    customerId,
    channel: 'email',
    occurredAt: new Date(at).toISOString(),
    receivedAt: new Date(at).toISOString(),
    source: 'http',
    ...fields,
  };
}

/** A follow-up webhook as a receiver got it, and when (this process's clock). */
export interface ReceivedWebhook {
  readonly arrivedAt: number;
  readonly key: string;
  /** As sent: a retry must send the same bytes. */
  readonly body: string;
  readonly signed: boolean;
  readonly status: number;
  readonly notification: Notification;
}

export interface WebhookReceiver {
  readonly url: string;
  /** Every request so far, in arrival order; tests may empty it. */
  readonly received: ReceivedWebhook[];
  /** Statuses to answer with, one per request in order; 200 once they run out. */
  readonly answers: number[];
  close(): void;
}

/** A real HTTP receiver of the follow-ups' webhooks, checking each signature with `secret`. */
export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const answers: number[] = [];
  const server = createServer((request, response) => {
    const arrivedAt = Date.now();
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const header = (name: string) => String(request.headers[name] ?? '');
      const status = answers.shift() ?? 200;
      received.push({
        arrivedAt,
        key: header(IDEMPOTENCY_HEADER),
        body,
        signed: verifyWebhook(secret, header(TIMESTAMP_HEADER), body, header(SIGNATURE_HEADER)),
        status,
        notification: NotificationSchema.parse(JSON.parse(body)),
      });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, answers, close: () => server.close() };
}

/**
 * A worker on a time-skipping server that reads its settings as `rapport up` does, the playbooks
 * from a file of `playbookLines` (YAML), with a 15-minute chat SLA: what the follow-up suites
 * drive a playbook's steps with. `overrides` add settings (destinations, webhooks).
 */
/**
 * A rig on a time-skipping server of its own (time is global to one environment: one per file,
 * its tests run serially), with the workflow bundle built.
 */
export async function startTimeSkippingRig(
  options: Omit<RigOptions, 'client' | 'temporalAddress'>,
  logs?: (entry: LogEntry) => void,
): Promise<{ env: TestWorkflowEnvironment; rig: Rig }> {
  await workflowBundle(logs);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testInfra().temporalTestServer } },
  });
  const rig = await startRig({ ...options, client: env.client, temporalAddress: env.address });
  return { env, rig };
}

export async function startPlaybookRig(options: {
  readonly label: string;
  readonly playbookLines: readonly string[];
  readonly overrides: Record<string, string>;
  readonly logs?: (entry: LogEntry) => void;
}): Promise<{ env: TestWorkflowEnvironment; rig: Rig }> {
  const dir = await mkdtemp(join(tmpdir(), 'playbooks-'));
  const playbooks = join(dir, 'playbooks.yaml');
  await writeFile(playbooks, options.playbookLines.join('\n'));
  // No settings given: the worker reads them as `rapport up` does, playbook file included.
  const { env, rig } = await startTimeSkippingRig(
    {
      label: options.label,
      overrides: {
        RAPPORT_SLA: 'default=4h,chat=15m',
        RAPPORT_PLAYBOOKS_FILE: playbooks,
        ...options.overrides,
      },
    },
    options.logs,
  );
  const stop = async () => {
    await rig.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return { env, rig: { ...rig, stop } };
}
