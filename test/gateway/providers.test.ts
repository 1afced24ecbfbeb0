import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StampedInteractionSchema } from '@rapport/schema';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY } from '../harness/index.js';
import { startTestGateway, type TestGateway } from './helpers.js';
import type { ProviderCase, ProviderRequest } from './providers/cases.js';
import { providerCases } from './providers/index.js';

/**
 * Every provider of the registry against one real gateway and topic, with requests signed the
 * way the provider signs them (by its official library where one exists): what it accepts lands
 * as exactly the expected events; what it refuses reaches no topic. Within a case the tests run
 * in order: refusals first, then the good request, then its copies.
 */

let t: TestGateway;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rapport-channels-'));
  const file = join(dir, 'channels.yaml');
  const channels = Object.fromEntries(providerCases.map((c) => [c.channel, c.channelConfig()]));
  await writeFile(file, JSON.stringify({ channels }, null, 2)); // JSON is YAML too.
  t = await startTestGateway('providers', { RAPPORT_CHANNELS_FILE: file });
});
afterAll(async () => {
  await t?.gateway.stop();
  await rm(dir, { recursive: true, force: true });
});

function send(channel: string, request: ProviderRequest): Promise<Response> {
  const method = request.method ?? 'POST';
  return fetch(`${t.gateway.url}/v1/channels/${channel}${request.query ?? ''}`, {
    method,
    headers: {
      ...(method === 'POST' && { 'content-type': request.contentType ?? 'application/json' }),
      ...request.headers,
    },
    ...(method === 'POST' && { body: request.body }),
  });
}

const isAlphanumeric = (byte: number) => /[0-9A-Za-z]/.test(String.fromCharCode(byte));

/**
 * The request with its last letter or digit changed. The gateway checks the signature over the
 * bytes before it parses them, so whether the change still parses does not matter.
 */
function alteredByOneByte(request: ProviderRequest): ProviderRequest {
  const body = Buffer.from(request.body);
  const at = body.findLastIndex(isAlphanumeric);
  const byte = body[at] ?? 0;
  body[at] = byte === 0x30 ? 0x31 : 0x30;
  return { ...request, body };
}

const errorCode = async (response: Response) =>
  ((await response.json()) as { error: { code: string } }).error.code;

/** Whether an event matches an expected one as `toMatchObject` does (recursively partial). */
function matches(event: unknown, wanted: Record<string, unknown>): boolean {
  try {
    expect(event).toMatchObject(wanted);
    return true;
  } catch {
    return false;
  }
}

/** The events on the topic, by source and eventId, that an earlier `newEvents` returned or saw. */
const seen = new Set<string>();

/**
 * The channel's events on the topic that no earlier call saw (each read of the topic reads all of
 * it: one per case keeps the file fast), in the order of `expected` where they match one (the
 * topic keeps order per partition, that is per customer, only), then the others, for the diff.
 */
async function newEvents(c: ProviderCase<unknown>) {
  const events = (await t.records(t.config.kafka.topics.interactions)).map((record) =>
    StampedInteractionSchema.parse(record.value),
  );
  const rest = events.filter(
    (event) =>
      event.source === `webhook:${c.channel}` && !seen.has(`${event.source}/${event.eventId}`),
  );
  for (const event of events) seen.add(`${event.source}/${event.eventId}`);
  const ordered = c.expected.flatMap((wanted) => {
    const index = rest.findIndex((event) => matches(event, wanted));
    return index < 0 ? [] : rest.splice(index, 1);
  });
  return [...ordered, ...rest];
}

/** Refusals made per channel, to check the gateway's count of them. */
const refused = new Map<string, number>();

const named = providerCases.map((c) => [`${c.provider} on /v1/channels/${c.channel}`, c] as const);

describe.each(named)('%s', (_name: string, c: ProviderCase<unknown>) => {
  const request = (signer: unknown, now = Date.now()) =>
    c.request({ now, url: `${t.gateway.url}/v1/channels/${c.channel}`, signer });
  let good: ProviderRequest;

  /** Each refusal is a 401 of one of the documented codes that quotes no secret or signature. */
  async function expectRefused(attempt: ProviderRequest, codes: readonly string[]) {
    const response = await send(c.channel, attempt);
    const text = await response.clone().text();
    expect(response.status, text).toBe(401);
    expect(codes).toContain(await errorCode(response));
    const quotable = [...Object.values(attempt.headers), ...Object.values(c.signers)];
    for (const value of quotable) {
      if (typeof value === 'string' && value.length >= 12) expect(text).not.toContain(value);
    }
    refused.set(c.channel, (refused.get(c.channel) ?? 0) + 1);
  }

  it('refuses a wrong signature and no signature with 401', async () => {
    good = await request(c.signers.current);
    await expectRefused(await request(c.signers.wrong), ['BAD_SIGNATURE']);
    await expectRefused(c.unsigned(good), ['MISSING_SIGNATURE', 'BAD_SIGNATURE']);
  });

  // Only what applies to a provider is a test of it: no case shows up as skipped.
  if (c.signsBody !== false)
    it('refuses the body altered by one byte with 401', async () => {
      await expectRefused(alteredByOneByte(good), ['BAD_SIGNATURE']);
    });

  if (c.toleranceMs !== undefined)
    it('refuses a genuine signature a minute past its tolerance as STALE_SIGNATURE', async () => {
      const stale = await request(c.signers.current, Date.now() - (c.toleranceMs ?? 0) - 60_000);
      await expectRefused(stale, ['STALE_SIGNATURE']);
    });

  it('accepts the good request: 200, and exactly the expected events on the topic', async () => {
    const response = await send(c.channel, good);
    expect(await response.json()).toEqual({
      accepted: c.expected.length,
      duplicates: 0,
      deadLettered: 0,
    });
    expect(response.status).toBe(200);
    expect(await newEvents(c)).toMatchObject(c.expected);
  });

  // That nothing reached the topic is checked once for all, after every provider.
  it('answers the same request again as duplicates', async () => {
    const response = await send(c.channel, good);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      accepted: 0,
      duplicates: c.expected.length,
      deadLettered: 0,
    });
  });

  it('accepts the next secret of a rotation', async () => {
    const response = await send(c.channel, await request(c.signers.next));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accepted: 0, deadLettered: 0 });
  });

  if (c.handshake !== undefined)
    it('answers the endpoint check as the provider expects', async () => {
      const check = c.handshake;
      if (check === undefined) return;
      const url = `${t.gateway.url}/v1/channels/${c.channel}`;
      const response = await send(
        c.channel,
        await check.request({ now: Date.now(), url, signer: c.signers.current }),
      );
      expect(await response.text()).toBe(check.body);
      expect(response.status).toBe(check.status);
    });
});

describe('after every provider’s requests', () => {
  it('holds nothing but the accepted events, no dead letter, and counts the refusals', async () => {
    const events = (await t.records(t.config.kafka.topics.interactions)).map((record) =>
      StampedInteractionSchema.parse(record.value),
    );
    expect(events).toHaveLength(providerCases.reduce((sum, c) => sum + c.expected.length, 0));
    expect(await t.records(t.config.kafka.topics.dlq)).toEqual([]);

    const metrics = await fetch(`${t.gateway.url}/metrics`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    }).then((response) => response.text());
    const counted = new Map<string, number>();
    for (const [, labels = '', value] of metrics.matchAll(
      /^rapport_gateway_webhook_refusals_total\{([^}]*)\} (\d+)$/gm,
    )) {
      const channel = /channel="([^"]+)"/.exec(labels)?.[1] ?? '';
      counted.set(channel, (counted.get(channel) ?? 0) + Number(value));
    }
    expect(counted).toEqual(refused);
  });
});

describe('a copy of a signed request', () => {
  it('publishes nothing, not even a second dead letter of a payload that cannot be mapped', async () => {
    const stripe = providerCases.find((c) => c.provider === 'stripe');
    if (stripe === undefined) throw new Error('the suite lists the Stripe cases');
    const body = JSON.stringify({ id: 'evt_unmappable', type: 'invoice.paid', data: {} });
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: String(stripe.signers.current),
    });
    const post = () =>
      send(stripe.channel, { body, headers: { 'stripe-signature': signature } }).then(
        async (response) => ({ status: response.status, body: await response.json() }),
      );
    expect(await post()).toEqual({
      status: 200,
      body: { accepted: 0, duplicates: 0, deadLettered: 1 },
    });
    expect(await post()).toEqual({
      status: 200,
      body: { accepted: 0, duplicates: 0, deadLettered: 0 },
    });
    expect(await t.records(t.config.kafka.topics.dlq)).toHaveLength(1);
  });
});

describe('an endpoint check by HEAD (Intercom makes one, unsigned, before it sends anything)', () => {
  it('answers 200 for a channel it serves; one it does not serve is any unknown path (401)', async () => {
    const head = (channel: string) =>
      fetch(`${t.gateway.url}/v1/channels/${channel}`, { method: 'HEAD' });
    expect((await head('intercom')).status).toBe(200);
    // Without a key, an unknown path and a known one look the same (docs/security.md).
    expect((await head('no-such-channel')).status).toBe(401);
  });
});
