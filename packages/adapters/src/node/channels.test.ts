import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { describe, expect, it, onTestFinished } from 'vitest';
import { builtInAdapters } from '../builtins.js';
import { ChannelsError, loadChannels, type Channel, type ChannelSettings } from './channels.js';
import { PROVIDERS } from './providers.js';

const REGISTRY = PROVIDERS.map((provider) => provider.name).join(', ');
import type { WebhookRequest } from './verify/scheme.js';

async function folder(files: Readonly<Record<string, string>>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rapport-channels-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const CHANNELS = `
channels:
  billing:                      # its path: POST /v1/channels/billing
    provider: stripe
    secrets: [whsec_old_secret, whsec_new_secret]
  stripe-eu: { provider: stripe, secrets: [whsec_eu_secret], toleranceSeconds: 60, url: "https://rapport.example.com/v1/channels/stripe-eu" }
  email: { secrets: [email-secret-one, email-secret-two] }
`;

async function load(settings: Partial<ChannelSettings> & { files?: Record<string, string> }) {
  const { files = {}, ...rest } = settings;
  const dir = await folder(files);
  return loadChannels({
    channelSecrets: {},
    ...(files['channels.yaml'] !== undefined && { channelsFile: join(dir, 'channels.yaml') }),
    ...rest,
  });
}

async function problemsOf(settings: Parameters<typeof load>[0]): Promise<string> {
  const error: unknown = await load(settings).catch((caught: unknown) => caught);
  if (error instanceof ChannelsError) return error.message;
  throw new Error(`expected a ChannelsError, got ${String(error)}`);
}

function post(channel: Channel | undefined, headers: Record<string, string>, body: string) {
  const request: WebhookRequest = {
    method: 'POST',
    url: channel?.url ?? '',
    headers,
    rawBody: Buffer.from(body),
    query: {},
    now: Date.now(),
  };
  const verdict = channel?.verifier?.verify(request);
  return verdict?.ok === false ? verdict.code : verdict?.ok;
}

const stripeSigned = (secret: string, body: string) => ({
  'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret }),
});
const hmac = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body).digest('hex');

describe('loadChannels', () => {
  it('serves the built-in channels behind a write key without any configuration', async () => {
    const channels = await load({});
    expect(channels.map((channel) => channel.name)).toEqual(
      builtInAdapters.map((adapter) => adapter.channel),
    );
    expect(channels.every((channel) => channel.verifier === undefined)).toBe(true);
  });

  it('adds the channels file’s: a provider’s instances, and secrets for a built-in channel', async () => {
    const channels = await load({ files: { 'channels.yaml': CHANNELS } });
    const byName = new Map(channels.map((channel) => [channel.name, channel]));
    expect([...byName.keys()].sort()).toEqual(
      [...builtInAdapters.map((adapter) => adapter.channel), 'stripe-eu'].sort(),
    );
    const billing = byName.get('billing');
    expect(billing?.verifier?.scheme).toBe('stripe');
    expect(billing?.adapter.channel).toBe('billing');
    const body = '{"id":"evt_1"}';
    // Either secret of a rotation; another channel's is not this one's.
    expect(post(billing, stripeSigned('whsec_old_secret', body), body)).toBe(true);
    expect(post(billing, stripeSigned('whsec_new_secret', body), body)).toBe(true);
    expect(post(billing, stripeSigned('whsec_eu_secret', body), body)).toBe('BAD_SIGNATURE');
    const eu = byName.get('stripe-eu');
    expect(eu?.adapter.channel).toBe('billing');
    expect(eu?.url).toBe('https://rapport.example.com/v1/channels/stripe-eu');
    expect(post(eu, stripeSigned('whsec_eu_secret', body), body)).toBe(true);
    // A built-in channel keeps its scheme (the generic header) and gets the file's secrets.
    const email = byName.get('email');
    expect(email?.verifier?.scheme).toBe('hmac-sha256');
    const signed = { 'x-rapport-signature': hmac('email-secret-two', body) };
    expect(post(email, signed, body)).toBe(true);
    expect(post(email, {}, body)).toBe('BAD_SIGNATURE');
  });

  it('keeps RAPPORT_CHANNEL_SECRETS as it was: the generic HMAC in the adapter’s header', async () => {
    const channels = await load({ channelSecrets: { email: 's3cret', pigeon: 'ignored' } });
    const email = channels.find((channel) => channel.name === 'email');
    expect(email?.verifier?.scheme).toBe('hmac-sha256');
    expect(post(email, { 'x-rapport-signature': hmac('s3cret', 'x') }, 'x')).toBe(true);
    expect(post(email, { 'x-rapport-signature': hmac('s3cret', 'x') }, 'y')).toBe('BAD_SIGNATURE');
  });

  it('verifies a mapping file that names a scheme with the secrets of the channels file', async () => {
    const mapping = [
      'channel: shop',
      'fields:',
      '  eventId: { path: "$.id" }',
      '  customerId: { path: "$.customer" }',
      '  type: { const: shop.ordered }',
      '  direction: { const: inbound }',
      'signature: { scheme: stripe }',
    ].join('\n');
    const dir = await folder({ 'shop.yaml': mapping });
    // Without its secrets it would take write keys instead: it does not start.
    await expect(load({ channelMappingsDir: dir })).rejects.toThrow(
      /channel "shop": its mapping file names the scheme "stripe", but no secrets are configured/,
    );
    const channels = await load({
      channelMappingsDir: dir,
      files: { 'channels.yaml': 'channels:\n  shop: { secrets: [whsec_shop] }\n' },
    });
    const shop = channels.find((channel) => channel.name === 'shop');
    expect(shop?.verifier?.scheme).toBe('stripe');
    expect(post(shop, stripeSigned('whsec_shop', '{}'), '{}')).toBe(true);

    const unknown = await folder({ 'shop.yaml': mapping.replace('stripe', 'pigeon-post') });
    await expect(load({ channelMappingsDir: unknown })).rejects.toThrow(
      /shop\.yaml: signature\.scheme: no verification scheme "pigeon-post"; known: hmac-sha256, .*stripe/,
    );
  });

  it('wants the public URL of a provider that signs it (Twilio)', async () => {
    const files = {
      'channels.yaml': 'channels:\n  sms: { provider: twilio, secrets: [twilio-auth-token-1] }\n',
    };
    await expect(load({ files })).rejects.toThrow(
      /channels\.sms\.url: its provider signs the URL it calls/,
    );
    const withUrl = {
      'channels.yaml':
        'channels:\n  sms: { provider: twilio, secrets: [twilio-auth-token-1], url: "https://rapport.example.com/v1/channels/sms" }\n',
    };
    const sms = (await load({ files: withUrl })).find((channel) => channel.name === 'sms');
    expect(sms?.url).toBe('https://rapport.example.com/v1/channels/sms');
  });

  it('names the file, the channel and the field of every problem at once, never a secret', async () => {
    const file = [
      'channels:',
      '  billing: { provider: stripe, secrets: [whsec_leak_1, whsec_leak_2, whsec_leak_3] }',
      '  stripe-us: { provider: strype, secrets: [whsec_leak_4] }',
      '  stripe-ca: { provider: stripe, secret: whsec_leak_5 }',
      '  stripe-mx: { provider: stripe, secrets: [whsec_leak_11], url: "ftp://whsec_leak_6" }',
      '  pigeon: { secrets: [whsec_leak_7] }',
      '  email: { secrets: [whsec_leak_8] }',
      '  Bad Name: { provider: stripe, secrets: [whsec_leak_9] }',
    ].join('\n');
    const message = await problemsOf({
      files: { 'channels.yaml': file },
      channelSecrets: { email: 'whsec_leak_10' },
    });
    const path = /^ {2}(\S+channels\.yaml): /m.exec(message)?.[1] ?? '';
    expect(message.split('\n').map((line) => line.replace(path, '<file>'))).toEqual([
      'Invalid channels:',
      '  <file>: channels.billing.secrets: at most two secrets: the current one and the next, during a rotation',
      `  <file>: channels.stripe-us.provider: expected a provider of the registry: ${REGISTRY}`,
      '  <file>: channels.stripe-ca.secrets: Invalid input: expected array, received undefined',
      '  <file>: channels.stripe-ca.secret: unknown field',
      '  <file>: channels.stripe-mx.url: Invalid URL',
      `  <file>: channels.pigeon.provider: no built-in or mapping-file channel is named "pigeon": name its provider (${REGISTRY})`,
      '  <file>: channels.email: also has a secret in RAPPORT_CHANNEL_SECRETS; configure it in one place',
      '  <file>: channels.Bad Name: expected a lowercase slug such as "email" or "in_app"',
    ]);
    expect(message).not.toMatch(/leak/);
  });

  it('names a file it cannot read or parse', async () => {
    expect(await problemsOf({ channelsFile: '/nonexistent/channels.yaml' })).toBe(
      'Invalid channels:\n  /nonexistent/channels.yaml: cannot read: ENOENT',
    );
    const broken = await problemsOf({
      files: { 'channels.yaml': 'channels:\n  billing: { secrets: [whsec_leak\n' },
    });
    expect(broken).toMatch(/channels\.yaml: .*line/);
    expect(broken).not.toMatch(/leak/);
  });
});
