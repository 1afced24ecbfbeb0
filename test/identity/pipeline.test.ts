import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Analytics } from '@segment/analytics-node';
import { createKafka } from '@rapport/kafka';
import { startProjector, type StartedProjector } from '@rapport/projector';
import { CustomerListSchema, rebuildGeneration, scanKeys } from '@rapport/read-model';
import { ErasureReceiptSchema } from '@rapport/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, viewWhen, type TestStack } from '../api/helpers.js';
import {
  FROM_SOURCE,
  REDIS_TOPOLOGIES,
  sleep,
  TEST_ADMIN_KEY,
  TEST_READ_KEY,
  TEST_WRITE_KEY,
} from '../harness/index.js';
import { listDeadLetters } from '../../packages/cli/src/dead-letters/list.js';
import { model, silent, testEnv } from '../projector/helpers.js';

/**
 * One person, one record, as a user meets it: the official Segment client against the gateway,
 * the projector, the query API; then the person erased through `rapport erase`. On one Redis and
 * on a Redis Cluster (the stack of each topology in turn).
 */
let s: TestStack;
let projector: StartedProjector | undefined;

const run = `${Date.now().toString(36)}`;

/** Sends the calls with a client of their own, flushed and closed. */
async function send(calls: (analytics: Analytics) => void) {
  const analytics = new Analytics({
    writeKey: TEST_WRITE_KEY,
    host: s.gateway.url,
    flushAt: 100,
    maxRetries: 0,
  });
  const failures: unknown[] = [];
  analytics.on('error', (error) => failures.push(error));
  calls(analytics);
  await analytics.closeAndFlush({ timeout: 10_000 });
  expect(failures).toEqual([]);
}

/** A visitor browses anonymously, logs in (identify with both ids), buys, browses on. */
async function visitThenLogIn(anonymousId: string, userId: string, between?: () => Promise<void>) {
  await send((analytics) => {
    analytics.page({ anonymousId, name: 'Pricing', messageId: `${anonymousId}-page` });
    analytics.track({ anonymousId, event: 'Trial Started', messageId: `${anonymousId}-trial` });
  });
  await between?.();
  await send((analytics) => {
    analytics.identify({
      userId,
      anonymousId,
      traits: { plan: 'pro' },
      messageId: `${userId}-identify`,
    });
  });
  await send((analytics) => {
    analytics.track({
      userId,
      event: 'Order Completed',
      properties: { revenue: 30 },
      messageId: `${userId}-order`,
    });
    // The browser still knows only the anonymous id: routed to the user by the gateway.
    analytics.track({ anonymousId, event: 'Docs Read', messageId: `${anonymousId}-docs` });
  });
}

/** A read that does not follow redirects: what a client that does not sees. */
const manual = (path: string) =>
  fetch(`${s.api.url}${path}`, {
    headers: { authorization: `Bearer ${TEST_READ_KEY}` },
    redirect: 'manual',
  });

/** Two anonymous calls, the identify, its link, two calls after: every one exactly once. */
const EVENTS = 6;

async function expectOnePerson(anonymousId: string, userId: string) {
  const view = await viewWhen(s, userId, (each) => each.events >= EVENTS);
  expect(view.events).toBe(EVENTS);
  await sleep(500);
  expect((await viewWhen(s, userId, () => true)).events).toBe(EVENTS);
  // A client that follows redirects (fetch, browsers) reads the user through either id.
  expect((await s.get(`/v1/customers/${anonymousId}`)).status).toBe(200);
  const pointer = await manual(`/v1/customers/${anonymousId}`);
  expect(pointer.status).toBe(308);
  expect(pointer.headers.get('location')).toBe(`/v1/customers/${userId}`);
  expect(await pointer.json()).toEqual({ mergedInto: userId });
  const timeline = await manual(`/v1/customers/${anonymousId}/timeline?limit=5`);
  expect(timeline.status).toBe(308);
  expect(timeline.headers.get('location')).toBe(`/v1/customers/${userId}/timeline?limit=5`);
  const listed = CustomerListSchema.parse(await (await s.get('/v1/customers?limit=100')).json());
  const ids = listed.items.map((customer) => customer.customerId);
  expect(ids).toContain(userId);
  expect(ids).not.toContain(anonymousId);
}

const admin = (path: string, method = 'GET') =>
  fetch(`${s.api.url}${path}`, { method, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });

describe.each(REDIS_TOPOLOGIES)('one person, one record, on $topology', ({ redis }) => {
  beforeAll(async () => {
    s = await startTestStack('identity-pipeline', redis());
    projector = undefined;
  });
  afterAll(async () => {
    // The stack's own projector was stopped by a test and replaced.
    await projector?.stop();
    await s.gateway.stop();
    await s.api.stop();
    await s.close();
  });

  it('joins the anonymous history to the user who logs in, each event once', async () => {
    await visitThenLogIn(`anon-${run}-1`, `user-${run}-1`);
    await expectOnePerson(`anon-${run}-1`, `user-${run}-1`);
  });

  it('is the same when the anonymous events are still unprojected as the identify lands', async () => {
    await visitThenLogIn(`anon-${run}-2`, `user-${run}-2`, () => s.projector.stop());
    projector = await startProjector(s.config, silent(s.config), { port: 0 });
    await expectOnePerson(`anon-${run}-2`, `user-${run}-2`);
  });

  it('exports everything about the person, whichever of their ids is asked', async () => {
    const response = await admin(`/v1/customers/anon-${run}-1/export`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Record<string, unknown>;
    expect(document).toMatchObject({
      customerId: `user-${run}-1`,
      identities: [`user-${run}-1`, `anon-${run}-1`],
      state: { customerId: `user-${run}-1`, events: EVENTS },
    });
    expect((document['timeline'] as unknown[]).length).toBeGreaterThan(0);
  });

  it('erases the person: nothing readable, nothing accepted, nothing brought back', async () => {
    const [anonymousId, userId] = [`anon-${run}-1`, `user-${run}-1`];
    // A dead letter of theirs, and one of someone else's.
    const letter = (customerId: string) => ({
      reason: { code: 'TEST', message: 'parked by the test' },
      source: 'projector',
      receivedAt: new Date().toISOString(),
      original: JSON.stringify({ customerId, note: 'their payload' }),
    });
    await s.producer.publishDeadLetters([letter(userId), { ...letter('someone-else') }], {
      timeoutMs: 10_000,
    });
    const child = spawn(
      process.execPath,
      [
        ...FROM_SOURCE,
        'packages/cli/src/main.ts',
        'erase',
        anonymousId,
        '--json',
        '--api',
        s.api.url,
        '--key',
        TEST_ADMIN_KEY,
      ],
      {
        env: { ...process.env, ...testEnv(s.names) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, output).toBe(0);
    const receipt = ErasureReceiptSchema.parse(JSON.parse(output));
    expect(receipt.erased).toEqual([userId, anonymousId]);
    expect(receipt.redis.keys).toBeGreaterThan(0);
    expect(receipt.redis.changes).toBeGreaterThan(0);

    const gone = async () => {
      for (const path of [
        `/v1/customers/${userId}`,
        `/v1/customers/${anonymousId}`,
        `/v1/customers/${userId}/timeline`,
        `/v1/customers/${userId}/history`,
      ]) {
        expect((await s.get(path)).status, path).toBe(404);
      }
      expect((await admin(`/v1/customers/${userId}/export`)).status).toBe(404);
      const listed = JSON.stringify(await (await s.get('/v1/customers?limit=100')).json());
      expect(listed).not.toContain(userId);
      const keys: string[] = [];
      for await (const page of scanKeys(s.redis, `${s.names.keyPrefix}*`, 1_000))
        keys.push(...page);
      expect(keys.filter((key) => key.includes(userId) || key.includes(anonymousId))).toEqual([]);
      const changes = await s.redis.xrange(s.store.keys.changes({ index: 0, count: 1 }), '-', '+');
      expect(JSON.stringify(changes)).not.toContain(userId);
      // `rapport dlq` (list and replay read the same way) shows only the other letter.
      const { letters } = await listDeadLetters(s.config, { limit: 100 });
      expect(JSON.stringify(letters)).not.toContain(userId);
      expect(JSON.stringify(letters)).toContain('someone-else');
    };
    await gone();

    // New events about them are refused, naming each one.
    const refused = await fetch(`${s.gateway.url}/v1/interactions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_WRITE_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        batch: [
          {
            eventId: `${run}-after`,
            customerId: anonymousId,
            channel: 'email',
            type: 'email.replied',
            direction: 'inbound',
            occurredAt: new Date().toISOString(),
          },
        ],
      }),
    });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({
      error: { code: 'CUSTOMER_ERASED', issues: [{ path: 'batch.0.customerId' }] },
    });

    // A replay of the whole log into a new generation, and a restarted projector, skip them.
    await rebuildGeneration(createKafka(s.config.kafka), s.store, model, {
      topic: s.config.kafka.topics.interactions,
      dlq: { producer: s.producer, source: 'replay' },
      keepOld: false,
      // The API reads the new generation once its 1 s pointer cache turns; gone() reads after.
      oldGenerationGraceMs: 1_200,
    });
    await projector?.stop();
    projector = await startProjector(s.config, silent(s.config), { port: 0 });
    await viewWhen(s, `user-${run}-2`, (view) => view.events === EVENTS);
    await gone();
  });
});
