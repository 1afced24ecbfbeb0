import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, ErrorSchema } from '@rapport/lifecycle';
import { startGateway } from '@rapport/gateway';
import { StampedInteractionSchema } from '@rapport/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueNames } from '../harness/index.js';
import { startTestGateway, type TestGateway } from './helpers.js';

/**
 * What the channel routes take besides JSON and answer besides POST: form bodies (parsed for the
 * adapter, verified over their raw bytes), GET for providers' endpoint checks, and the channels
 * file checked at start-up.
 */

const SMS_MAPPING = `
channel: sms
fields:
  eventId: { path: "$.MessageSid" }
  customerId: { path: "$.From" }
  type: { const: sms.replied }
  direction: { const: inbound }
  properties: { pick: { segments: "$.NumSegments" } }
`;
const SECRETS = ['sms-signing-secret-current', 'sms-signing-secret-next'];
const sign = (body: string, secret: string) =>
  createHmac('sha256', secret).update(body).digest('hex');

let t: TestGateway;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rapport-webhooks-'));
  const mappings = join(dir, 'mappings');
  await mkdir(mappings);
  await writeFile(join(mappings, 'sms.yaml'), SMS_MAPPING);
  const channels = join(dir, 'channels.yaml');
  await writeFile(
    channels,
    `channels:\n  sms: { secrets: [${SECRETS.join(', ')}] }\n  stripe-eu: { provider: stripe, secrets: [whsec_eu] }\n`,
  );
  t = await startTestGateway('webhooks', {
    RAPPORT_CHANNEL_MAPPINGS_DIR: mappings,
    RAPPORT_CHANNELS_FILE: channels,
  });
});
afterAll(async () => {
  await t?.gateway.stop();
  await rm(dir, { recursive: true, force: true });
});

const FORM = 'content-type';
const codeOf = async (response: Response) => ErrorSchema.parse(await response.json()).error.code;

describe('form bodies on channel routes', () => {
  it('parses a form for the adapter and verifies its raw bytes, with either secret', async () => {
    const body = 'MessageSid=SM1f2e3d&From=%2B15005550006&Body=Yes%2C+please&NumSegments=1';
    const post = (secret: string, sent = body) =>
      t.post('/v1/channels/sms', sent, {
        authorization: '',
        [FORM]: 'application/x-www-form-urlencoded',
        'x-rapport-signature': sign(body, secret),
      });
    expect(await (await post(SECRETS[0] ?? '')).json()).toEqual({
      accepted: 1,
      duplicates: 0,
      deadLettered: 0,
    });
    expect(await (await post(SECRETS[1] ?? '')).json()).toMatchObject({ duplicates: 1 });
    const altered = await post(SECRETS[0] ?? '', body.replace('please', 'pleasf'));
    expect(altered.status).toBe(401);
    expect(await codeOf(altered)).toBe('BAD_SIGNATURE');
    const [event] = (await t.records(t.config.kafka.topics.interactions)).map((record) =>
      StampedInteractionSchema.parse(record.value),
    );
    expect(event).toMatchObject({
      eventId: 'SM1f2e3d',
      customerId: '+15005550006',
      channel: 'sms',
      source: 'webhook:sms',
      properties: { segments: '1' },
    });
  });

  it('refuses other media types on channel routes, and forms everywhere else', async () => {
    const text = await t.post('/v1/channels/support', 'hello', { [FORM]: 'text/plain' });
    expect(text.status).toBe(415);
    expect(ErrorSchema.parse(await text.json()).error.message).toMatch(/x-www-form-urlencoded/);
    const form = await t.post('/v1/interactions', 'eventId=e-1', {
      [FORM]: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
  });
});

describe('GET /v1/channels/:channel', () => {
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${t.gateway.url}${path}`, { headers });

  it('answers 404 where the channel’s provider makes no endpoint check', async () => {
    const signed = await get('/v1/channels/stripe-eu?hub.challenge=x');
    expect(signed.status).toBe(404);
    expect(await codeOf(signed)).toBe('NOT_FOUND');
  });

  it('asks for a write key on a channel without a scheme, and names unknown channels', async () => {
    expect((await get('/v1/channels/support')).status).toBe(401);
    const keyed = { authorization: `Bearer ${t.config.auth.write[0] ?? ''}` };
    expect((await get('/v1/channels/support', keyed)).status).toBe(404);
    const unknown = await get('/v1/channels/pigeon', keyed);
    expect(unknown.status).toBe(404);
    expect(await codeOf(unknown)).toBe('UNKNOWN_CHANNEL');
  });
});

describe('the channels file', () => {
  it('stops start-up naming the file, the channel and the field, never a secret', async () => {
    const file = join(dir, 'broken-channels.yaml');
    await writeFile(file, 'channels:\n  billing: { provider: stripe, secrets: whsec_leaked }\n');
    const config = testConfig(uniqueNames('gateway-channels-file'), {
      RAPPORT_CHANNELS_FILE: file,
    });
    const failure = await startGateway(config, createLogger(config, 'gateway'), { port: 0 }).catch(
      (error: unknown) => String(error),
    );
    expect(failure).toMatch(/broken-channels\.yaml: channels\.billing\.secrets: /);
    expect(failure).not.toMatch(/leaked/);
  });
});
