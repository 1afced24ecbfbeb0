import { Analytics } from '@segment/analytics-node';
import { StampedInteractionSchema } from '@rapport/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_WRITE_KEY } from '../harness/index.js';
import { startTestGateway, type TestGateway } from './helpers.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway('gateway-segment');
});
afterAll(async () => {
  await t.gateway.stop();
});

describe('the official Segment client pointed at the gateway', () => {
  it('delivers track and identify calls that land as canonical events', async () => {
    const analytics = new Analytics({
      writeKey: TEST_WRITE_KEY,
      host: t.gateway.url,
      flushAt: 10,
      maxRetries: 0,
    });
    const failures: unknown[] = [];
    analytics.on('error', (error) => failures.push(error));
    analytics.track({
      userId: 'seg-user-1',
      event: 'Order Completed',
      properties: { revenue: 42.5, plan: 'pro' },
      messageId: 'seg-msg-track-1',
    });
    analytics.identify({
      userId: 'seg-user-1',
      traits: { plan: 'pro' },
      messageId: 'seg-msg-identify-1',
    });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(failures).toEqual([]);

    const events = (await t.records(t.config.kafka.topics.interactions))
      .filter((record) => record.key === 'seg-user-1')
      .map((record) => StampedInteractionSchema.parse(record.value));
    expect(events.map((event) => event.eventId).sort()).toEqual([
      'seg-msg-identify-1',
      'seg-msg-track-1',
    ]);
    const track = events.find((event) => event.eventId === 'seg-msg-track-1');
    expect(track).toMatchObject({
      customerId: 'seg-user-1',
      direction: 'inbound',
      source: 'segment',
      value: 42.5,
    });
    expect(track?.type).toMatch(/order_completed$/);
  });

  it('takes the write key as HTTP Basic user and refuses a wrong one', async () => {
    const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    const call = {
      userId: 'seg-user-2',
      event: 'Signed Up',
      messageId: 'seg-msg-2',
      timestamp: new Date().toISOString(),
    };
    const ok = await t.post('/v1/track', call, { authorization: basic(TEST_WRITE_KEY) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ success: true, accepted: 1, duplicates: 0 });
    const wrong = await t.post('/v1/track', call, { authorization: basic('wrong') });
    expect(wrong.status).toBe(401);
  });

  it('refuses a call with neither userId nor anonymousId, naming the field', async () => {
    const response = await t.post('/v1/track', { event: 'Anonymous', messageId: 'seg-msg-3' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues.map((issue) => issue.path).join(' ')).toMatch(/userId|anonymousId/);
  });
});
