import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayTarget } from '../../packages/cli/src/clients/gateway.js';
import { DeadLetterSchema, type DeadLetter } from '@rapport/kafka';
import { StampedInteractionSchema, type StampedInteraction } from '@rapport/schema';
import { TEST_WRITE_KEY } from '../harness/index.js';
import type { TestGateway } from '../gateway/helpers.js';

export const targetOf = (t: TestGateway): GatewayTarget => ({
  url: t.gateway.url,
  key: TEST_WRITE_KEY,
});

/** A private folder for this file's CSV, mapping and rejects files. */
export const workDir = () => mkdtemp(join(tmpdir(), 'rapport-cli-'));

export async function fileIn(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** An instant `minutes` from now (negative: in the past), as a CSV cell. */
export const minutesFromNow = (minutes: number) =>
  new Date(Date.now() + minutes * 60_000).toISOString();

export async function deadLetters(t: TestGateway): Promise<DeadLetter[]> {
  return (await t.records(t.config.kafka.topics.dlq)).map((record) =>
    DeadLetterSchema.parse(record.value),
  );
}

export async function interactions(t: TestGateway): Promise<StampedInteraction[]> {
  return (await t.records(t.config.kafka.topics.interactions)).map((record) =>
    StampedInteractionSchema.parse(record.value),
  );
}
