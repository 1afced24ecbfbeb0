import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeadLetterSchema } from '@rapport/kafka';
import { createLogger } from '@rapport/lifecycle';
import { startGateway } from '@rapport/gateway';
import { emailAdapter, supportAdapter } from '@rapport/adapters';
import { StampedInteractionSchema } from '@rapport/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueNames } from '../harness/index.js';
import { startTestGateway, type TestGateway } from './helpers.js';

const adapters = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'adapters');
const sample = async (name: string) => readFile(join(adapters, 'src', 'samples', name), 'utf8');
const EMAIL_SECRET = 'email-signing-secret';
const sign = (body: string, secret = EMAIL_SECRET) =>
  createHmac('sha256', secret).update(body).digest('hex');

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway('gateway-channels', {
    RAPPORT_CHANNEL_SECRETS: `email=${EMAIL_SECRET}`,
    RAPPORT_CHANNEL_MAPPINGS_DIR: join(adapters, 'mappings'),
  });
});
afterAll(async () => {
  await t.gateway.stop();
});

describe('POST /v1/channels/:channel', () => {
  it('maps a signed SendGrid event webhook to the adapter’s events on the topic', async () => {
    const body = await sample('sendgrid-events.json');
    const response = await t.post('/v1/channels/email', body, {
      authorization: '',
      'x-rapport-signature': sign(body),
    });
    expect(response.status).toBe(202);
    const expected = emailAdapter.adapt(JSON.parse(body), { receivedAt: new Date().toISOString() });
    if (!expected.ok) throw new Error('the recorded sample must adapt');
    expect(await response.json()).toEqual({
      accepted: expected.events.length,
      duplicates: 0,
      deadLettered: 0,
    });

    const landed = (await t.records(t.config.kafka.topics.interactions))
      .map((record) => StampedInteractionSchema.parse(record.value))
      .filter((event) => event.source === 'webhook:email');
    expect(landed.map((event) => event.eventId).sort()).toEqual(
      expected.events.map((event) => event.eventId).sort(),
    );
  });

  it('refuses a missing or wrong signature with 401', async () => {
    const body = await sample('sendgrid-events.json');
    const unsigned = await t.post('/v1/channels/email', body);
    expect(unsigned.status).toBe(401);
    const wrong = await t.post('/v1/channels/email', body, {
      'x-rapport-signature': sign(body, 'not-the-secret'),
    });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('BAD_SIGNATURE');
  });

  it('takes a write key on a channel without a secret', async () => {
    const body = await sample('zendesk-ticket-events.json');
    const response = await t.post('/v1/channels/support', body);
    expect(response.status).toBe(202);
    const expected = supportAdapter.adapt(JSON.parse(body), {
      receivedAt: new Date().toISOString(),
    });
    expect(((await response.json()) as { accepted: number }).accepted).toBe(
      expected.ok ? expected.events.length : -1,
    );
  });

  it('lets no Segment call claim a provider event id before the webhook arrives', async () => {
    // The recorded sample with ids of its own, so that the test above has not accepted them.
    const body = (await sample('zendesk-ticket-events.json')).replaceAll('"id": "', '"id": "own-');
    const expected = supportAdapter.adapt(JSON.parse(body), {
      receivedAt: new Date().toISOString(),
    });
    if (!expected.ok) throw new Error('the recorded sample must adapt');
    const [target] = expected.events;
    const claim = await t.post('/v1/track', {
      type: 'track',
      event: 'Ticket Created',
      userId: target?.customerId,
      messageId: target?.eventId,
    });
    expect(await claim.json()).toMatchObject({ accepted: 1, duplicates: 0 });
    const response = await t.post('/v1/channels/support', body);
    expect(await response.json()).toEqual({
      accepted: expected.events.length,
      duplicates: 0,
      deadLettered: 0,
    });
    // Within its own family the id is known: the provider's retry is a duplicate.
    const retried = await t.post('/v1/channels/support', body);
    expect(await retried.json()).toMatchObject({ accepted: 0, duplicates: expected.events.length });
  });

  it('dead-letters a payload that maps to more events than a request may hold', async () => {
    const [first] = JSON.parse(await sample('sendgrid-events.json')) as Record<string, unknown>[];
    const events = Array.from({ length: 2_501 }, (_, index) => ({
      email: first?.email,
      timestamp: first?.timestamp,
      event: 'open',
      sg_event_id: `bulk-${index}`,
      customer_id: first?.customer_id,
    }));
    const adapted = emailAdapter.adapt(events, { receivedAt: new Date().toISOString() });
    expect(adapted.ok && adapted.events.length).toBe(2_501);
    const body = JSON.stringify(events);
    const response = await t.post('/v1/channels/email', body, {
      authorization: '',
      'x-rapport-signature': sign(body),
    });
    expect(await response.json()).toEqual({ accepted: 0, duplicates: 0, deadLettered: 1 });
    const letters = (await t.records(t.config.kafka.topics.dlq)).map((record) =>
      DeadLetterSchema.parse(record.value),
    );
    expect(letters.some((letter) => letter.reason.message.includes('2501 events'))).toBe(true);
  });

  it('dead-letters a payload it cannot map, with the reason and the original bytes', async () => {
    const body = JSON.stringify({ event: 'not what a support desk sends' });
    const response = await t.post('/v1/channels/support', body);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 0, duplicates: 0, deadLettered: 1 });
    const letters = (await t.records(t.config.kafka.topics.dlq)).map((record) =>
      DeadLetterSchema.parse(record.value),
    );
    const letter = letters.find((candidate) => candidate.source === 'webhook:support');
    expect(letter?.original).toBe(body);
    expect(letter?.reason.code).toBe('ADAPTER_REJECTED');
    expect(letter?.reason.issues?.length).toBeGreaterThan(0);
  });

  it('serves a declarative channel from a mapping file', async () => {
    const page = {
      posts: [
        {
          id: 'post-1',
          kind: 'post',
          created_at: '2024-05-01T10:00:00Z',
          author: { external_id: 'cust-forum' },
          topic_id: 't-9',
          title: 'Hello',
        },
      ],
    };
    const body = JSON.stringify(page);
    const response = await t.post('/v1/channels/community', body, {
      authorization: '',
      'x-community-signature': `sha256=${sign(body)}`,
    });
    // community has no secret configured, so the write key is required instead of a signature.
    expect(response.status).toBe(401);
    const withKey = await t.post('/v1/channels/community', body);
    expect(await withKey.json()).toEqual({ accepted: 1, duplicates: 0, deadLettered: 0 });
  });

  it('answers 404 for a channel it does not know, listing the known ones', async () => {
    const response = await t.post('/v1/channels/pigeon', {});
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /known: .*email/,
    );
  });
});

describe('mapping files are validated at start-up', () => {
  it('refuses to start, naming the file and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rapport-mappings-'));
    try {
      await writeFile(join(dir, 'broken.yaml'), 'channel: Not A Slug\nfields: {}\n');
      const config = testConfig(uniqueNames('gateway-mapping'), {
        RAPPORT_CHANNEL_MAPPINGS_DIR: dir,
      });
      await expect(
        startGateway(config, createLogger(config, 'gateway'), { port: 0 }),
      ).rejects.toThrow(/broken\.yaml: channel/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
