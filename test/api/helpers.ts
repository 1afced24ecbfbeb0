import { startApi, type StartedApi } from '@rapport/api';
import { startBridge, type StartedBridge } from '@rapport/bridge';
import { startGateway, type StartedGateway } from '@rapport/gateway';
import { createLogger } from '@rapport/lifecycle';
import { startProjector, type StartedProjector } from '@rapport/projector';
import {
  ChangeSchema,
  CustomerListSchema,
  CustomerViewSchema,
  Projection,
  type CustomerSummary,
  type CustomerView,
  type PositionedEvent,
} from '@rapport/read-model';
import type { StampedInteraction } from '@rapport/schema';
import { expect } from 'vitest';
import { z } from 'zod';
import { startStack, type Stack } from '../bridge/helpers.js';
import { sleep, TEST_READ_KEY, TEST_WRITE_KEY } from '../harness/index.js';
import {
  startWebhookReceiver,
  workflowBundle,
  type WebhookReceiver,
} from '../workflows/helpers.js';
import { model, randomEvents, setup, silent, type Setup } from '../projector/helpers.js';

export interface TestApi extends Setup {
  readonly api: StartedApi;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** Projects events straight into the live generation, as the projector would. */
  project(events: readonly StampedInteraction[], now?: number): Promise<void>;
  stop(): Promise<void>;
}

let offset = 0;

export async function startTestApi(
  label: string,
  overrides: Record<string, string> = {},
  now?: () => number,
): Promise<TestApi> {
  const t = await setup(label, overrides);
  const api = await startApi(t.config, silent(t.config), { port: 0, ...(now ? { now } : {}) });
  const projection = new Projection(t.store.writer, model, {
    generation: '0',
    groupId: t.config.projector.groupId,
    follow: true,
    announce: true,
  });
  return {
    ...t,
    api,
    get: (path, headers = {}) =>
      fetch(`${api.url}${path}`, {
        headers: { authorization: `Bearer ${TEST_READ_KEY}`, ...headers },
      }),
    async project(events, now = Date.now()) {
      const positioned: PositionedEvent[] = events.map((value) => ({
        partition: 0,
        offset: String(offset++),
        value,
      }));
      await projection.project(0, positioned, now);
    },
    async stop() {
      await api.stop();
      await t.close();
    },
  };
}

/** The whole read path as a user meets it: the gateway and the projector in front of the API. */
export interface TestStack extends TestApi {
  readonly gateway: StartedGateway;
  readonly projector: StartedProjector;
}

export async function startTestStack(
  label: string,
  overrides: Record<string, string> = {},
): Promise<TestStack> {
  const t = await startTestApi(label, overrides);
  const gateway = await startGateway(t.config, silent(t.config), { port: 0 });
  const projector = await startProjector(t.config, silent(t.config), { port: 0 });
  return {
    ...t,
    gateway,
    projector,
    async stop() {
      await projector.stop();
      await gateway.stop();
      await t.stop();
    },
  };
}

/**
 * The whole pipeline on one topic: the read path (gateway → Kafka → projector → Redis → API) and
 * the workflow path (the same topic → bridge → customer workflows on a worker), so that what the
 * engine publishes (verdicts, drops, follow-ups) reaches the API like any other event.
 */
export interface WholeStack {
  readonly t: TestStack;
  readonly workflows: Stack;
  readonly bridge: StartedBridge;
  /** Where the follow-ups' signed webhooks go. */
  readonly receiver: WebhookReceiver;
  stop(): Promise<void>;
}

/** The follow-ups post their webhooks, signed with `webhookSecret`, to a local receiver. */
export async function startWholeStack(
  label: string,
  webhookSecret = `${label}-webhook-secret`,
): Promise<WholeStack> {
  // The workflow bundle (webpack, seconds) builds while the read path starts.
  const [t, receiver] = await Promise.all([
    startTestStack(label),
    startWebhookReceiver(webhookSecret),
    workflowBundle(),
  ]);
  const workflows = await startStack(`${label}-wf`, {
    RAPPORT_TOPIC_INTERACTIONS: t.config.kafka.topics.interactions,
    RAPPORT_TOPIC_DLQ: t.config.kafka.topics.dlq,
    RAPPORT_FOLLOWUP_WEBHOOK_URL: receiver.url,
    RAPPORT_FOLLOWUP_WEBHOOK_SECRET: webhookSecret,
    // One Redis namespace, as in a deployment: the bridge reads the identity map the gateway
    // writes and the suppression list the API writes.
    RAPPORT_REDIS_KEY_PREFIX: t.config.redis.keyPrefix,
  });
  const config = workflows.rig.config;
  const bridge = await startBridge(config, createLogger(config, 'bridge'), { port: 0 });
  return {
    t,
    workflows,
    bridge,
    receiver,
    async stop() {
      await bridge.stop();
      await workflows.stop();
      await t.stop();
      receiver.close();
    },
  };
}

export interface SseEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
}

/**
 * A Server-Sent Events client over fetch: frames as they arrive, comments (heartbeats) counted,
 * `close()` drops the connection as a network failure would.
 */
export async function openStream(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  let comments = 0;
  const decoder = new TextDecoder();
  const pump = (async () => {
    let buffer = '';
    try {
      for await (const chunk of response.body ?? []) {
        buffer += decoder.decode(z.instanceof(Uint8Array).parse(chunk), { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) comments += 1;
            const colon = line.indexOf(': ');
            if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 2);
          }
          if (fields.event !== undefined || fields.data !== undefined) events.push(fields);
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    response,
    events,
    heartbeats: () => comments,
    async close() {
      controller.abort();
      await pump;
    },
  };
}

/** Every page of a list, `limit` at a time, each page within the limit. */
export async function pages(t: TestApi, query: string, limit: number): Promise<CustomerSummary[]> {
  const items: CustomerSummary[] = [];
  let cursor: string | null = null;
  do {
    const suffix: string = cursor === null ? '' : `&cursor=${cursor}`;
    const response = await t.get(`/v1/customers?${query}&limit=${limit}${suffix}`);
    expect(response.status).toBe(200);
    const page = CustomerListSchema.parse(await response.json());
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return items;
}

type OpenStream = Awaited<ReturnType<typeof openStream>>;

/**
 * A client of `t`'s stream takes the changes of a batch of `customers` customers, drops the
 * connection, and resumes from the last event's id; one batch is projected while it is away and
 * one once it is back. It must get exactly those two batches' changes, in order, each once.
 * `onFirst` looks at the first connection (its headers, heartbeats, ids) before it drops.
 */
export async function expectStreamResumes(
  t: TestApi,
  {
    customers,
    seed,
    now,
    onFirst,
  }: {
    readonly customers: number;
    readonly seed: number;
    readonly now: number;
    readonly onFirst?: (first: OpenStream) => Promise<void> | void;
  },
): Promise<void> {
  const url = `${t.api.url}/v1/stream`;
  const auth = { authorization: `Bearer ${t.config.auth.read[0]}` };
  const batch = (label: string) =>
    randomEvents(40, customers, label.length * seed, now).map((event) => ({
      ...event,
      eventId: `${label}-${event.eventId}`,
      customerId: `${label}-${event.customerId}`,
    }));
  const first = await openStream(url, auth);
  await t.project(batch('a'), now);
  await until(() => first.events.length >= customers);
  await onFirst?.(first);
  const lastSeen = first.events.at(-1)?.id ?? '';
  await first.close();

  await t.project(batch('bb'), now); // while disconnected
  const again = await openStream(url, { ...auth, 'last-event-id': lastSeen });
  expect(again.response.status).toBe(200);
  await t.project(batch('ccc'), now); // while catching up, or live
  await until(() => again.events.length >= 2 * customers);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await again.close();

  const changes = again.events.map((event) => ChangeSchema.parse(JSON.parse(event.data ?? '')));
  expect(changes.map((change) => change.customerId.split('-')[0])).toEqual([
    ...Array.from({ length: customers }, () => 'bb'),
    ...Array.from({ length: customers }, () => 'ccc'),
  ]);
  const ids = again.events.map((event) => event.id ?? '');
  expect(new Set(ids).size).toBe(ids.length);
}

export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Posts a batch to the gateway as a client would; the gateway must accept it whole. */
export async function postBatch(t: TestStack, batch: readonly object[]): Promise<void> {
  const response = await fetch(`${t.gateway.url}/v1/interactions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_WRITE_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
  if (response.status !== 202) {
    throw new Error(`the gateway answered ${response.status}: ${await response.text()}`);
  }
}

/** The API's view of a customer once `accept` holds (polled, bounded). */
export async function viewWhen(
  t: TestApi,
  customerId: string,
  accept: (view: CustomerView) => boolean,
  timeoutMs = 20_000,
): Promise<CustomerView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await t.get(`/v1/customers/${encodeURIComponent(customerId)}`);
    const view =
      response.status === 200 ? CustomerViewSchema.parse(await response.json()) : undefined;
    if (view !== undefined && accept(view)) return view;
    if (Date.now() > deadline) {
      const last = view === undefined ? response.status : `${view.status}, ${view.events} events`;
      throw new Error(`${customerId}: not as expected within ${timeoutMs} ms; last: ${last}`);
    }
    await sleep(50);
  }
}

/** The API's view once every one of `events` is projected. */
export const viewOfAll = (t: TestApi, customerId: string, events: readonly unknown[]) =>
  viewWhen(t, customerId, (view) => view.events >= events.length);

/** What a source sends, but when and for whom. */
export interface Step {
  readonly type: string;
  readonly direction: 'inbound' | 'outbound';
  readonly channel: string;
}
export const VISIT: Step = { type: 'store.visit', direction: 'inbound', channel: 'store' };
export const PURCHASE: Step = {
  type: 'purchase.completed',
  direction: 'inbound',
  channel: 'store',
};
export const EMAIL: Step = { type: 'email.sent', direction: 'outbound', channel: 'email' };

const WEEK_MS = 7 * 86_400_000;

/** `count` weekly instants, the last one at `last`. */
export const weekly = (last: number, count = 12) =>
  Array.from({ length: count }, (_, week) => last - (count - 1 - week) * WEEK_MS);

/** A customer's events as a source sends them: one per [instant, step], ids of their own. */
export const eventsOf = (customerId: string, steps: readonly (readonly [number, Step])[]) =>
  steps.map(([at, step], index) => ({
    ...step,
    customerId,
    eventId: `${customerId}-${index}`,
    occurredAt: new Date(at).toISOString(),
  }));

/** A store customer: a visit a minute before each purchase, the purchases at `purchases`. */
export const buyer = (customerId: string, purchases: readonly number[]) =>
  eventsOf(
    customerId,
    purchases.flatMap((at) => [[at - 60_000, VISIT] as const, [at, PURCHASE] as const]),
  );

/** The API's OpenAPI document, as far as the route tests read it. */
export interface OpenApiDocument {
  readonly paths: Record<string, Record<string, { security: unknown; responses: object }>>;
  readonly components: { schemas: Record<string, { required?: string[] }> };
}

export async function openApiDocument(t: TestApi): Promise<OpenApiDocument> {
  return (await (await fetch(`${t.api.url}/openapi.json`)).json()) as OpenApiDocument;
}
