import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridge, type StartedBridge } from '@rapport/bridge';
import { loadConfig, type Config } from '@rapport/config';
import { provideInfrastructure, stopInfrastructure } from '@rapport/infra';
import type { StampedInteraction } from '@rapport/schema';
import { createLogger } from '@rapport/lifecycle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, freePortPair, testInfra } from '../harness/index.js';
import { interaction, MINUTE } from '../workflows/helpers.js';
import { startStack, type Stack } from './helpers.js';

// A Temporal of this file's own, so stopping it cannot disturb other suites: the same native
// runner as `rapport up` (dev profile, so its workflows survive the restart).
let runDir: string;
let temporalConfig: Config;
let stack: Stack;
let bridge: StartedBridge;

beforeAll(async () => {
  const infra = testInfra();
  runDir = await mkdtemp(join(tmpdir(), 'rapport-temporal-outage-'));
  const port = await freePortPair();
  let uiPort = await freePort();
  while (uiPort === port || uiPort === port + 1) uiPort = await freePort();
  temporalConfig = loadConfig({
    RAPPORT_RUN_DIR: runDir,
    RAPPORT_EMBEDDED_TEMPORAL_PORT: String(port),
    RAPPORT_EMBEDDED_TEMPORAL_UI_PORT: String(uiPort),
    RAPPORT_KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    RAPPORT_REDIS_URL: infra.redisUrl,
  });
  await provideInfrastructure(temporalConfig, { profile: 'dev', docker: 'never' });
  // A partition that delivers nothing for a second is reported stalled.
  stack = await startStack(
    'bridge-outage',
    { RAPPORT_STALL_AFTER: '1s' },
    temporalConfig.temporal.address,
  );
  bridge = await startBridge(stack.rig.config, createLogger(stack.rig.config, 'bridge'), {
    port: 0,
  });
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  await stack?.stop();
  await stopInfrastructure(temporalConfig);
  await rm(runDir, { recursive: true, force: true });
});

const metric = async (name: string) => {
  const text = await (await fetch(`${bridge.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
};

describe('Temporal stopped, then back', () => {
  it('the bridge waits with back-off, commits nothing, and then delivers every event once', async () => {
    const customers = ['a', 'b', 'c'].map((name) => `${name}-${stack.rig.names.id}`);
    const events: StampedInteraction[] = [];
    const produce = async (count: number) => {
      const batch = Array.from({ length: count }, (_, index) =>
        interaction(customers[index % 3] ?? '', Date.now() - MINUTE, {
          type: 'email.replied',
          direction: 'inbound',
        }),
      );
      events.push(...batch);
      await stack.produce(batch);
    };
    const delivered = async () => {
      for (const customerId of customers) {
        const own = events.filter((event) => event.customerId === customerId).length;
        const { view } = await stack.rig.until(
          customerId,
          ({ view }) => view.counts.applied === own,
          30_000,
        );
        // Dated a minute before they were produced, those that wait out the outage arrive behind
        // the customer's settled events (counted as late): counted once all the same.
        expect(view.counts).toMatchObject({ applied: own, duplicates: 0, rejected: 0 });
      }
    };
    await produce(9);
    await delivered();

    await stopInfrastructure(temporalConfig);
    await produce(12);
    await expect
      .poll(() => metric('rapport_bridge_signal_retries_total'), { timeout: 20_000 })
      .toBeGreaterThan(0);
    expect(await metric('rapport_bridge_events_total')).toBe(9);
    // Not ready: Temporal does not answer, and the partitions it holds up deliver nothing.
    await expect
      .poll(async () => (await fetch(`${bridge.url}/readyz`)).json(), { timeout: 10_000 })
      .toMatchObject({
        status: 'not_ready',
        checks: { consumer: expect.stringMatching(/^stalled: \S+\/\d for \d+ s/) as unknown },
      });
    expect(await metric('rapport_bridge_stalled_partitions')).toBeGreaterThan(0);
    // Waited out, never taken for records to dead-letter.
    expect(await (await fetch(`${bridge.url}/metrics`)).text()).not.toMatch(
      /^rapport_bridge_dead_lettered_total\{/m,
    );

    await provideInfrastructure(temporalConfig, { profile: 'dev', docker: 'never' });
    await delivered();
    expect(await metric('rapport_bridge_events_total')).toBe(21);
    expect((await fetch(`${bridge.url}/readyz`)).status).toBe(200);
    expect(await metric('rapport_bridge_stalled_partitions')).toBe(0);
  });
});
