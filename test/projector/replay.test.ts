import { FROM_SOURCE, sleep } from '../harness/index.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startProjector, type StartedProjector } from '@rapport/projector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectFolded,
  projected,
  randomEvents,
  setup,
  silent,
  testEnv,
  type Setup,
} from './helpers.js';

/** `rapport replay` as a user runs it: the CLI in its own process, against this file's names. */
async function runReplay(env: Record<string, string>) {
  const child = spawn(process.execPath, [...FROM_SOURCE, 'packages/cli/src/main.ts', 'replay'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

describe('rapport replay', () => {
  let t: Setup;
  let projector: StartedProjector;
  beforeAll(async () => {
    t = await setup('replay');
    projector = await startProjector(t.config, silent(t.config), { port: 0 });
  });
  afterAll(async () => {
    await projector.stop();
    await t.close();
  });

  it('rebuilds the same read model into a new generation and moves readers without downtime', async () => {
    const events = randomEvents(3_000, 200, 51);
    const [before, during, after] = [
      events.slice(0, 2_000),
      events.slice(2_000, 2_500),
      events.slice(2_500),
    ];
    await t.publish(before);
    await projected(t.store, '0', before);

    // A reader polling throughout: whichever generation the pointer names always answers.
    const watched = before[0]?.customerId ?? '';
    let reading = true;
    let misses = 0;
    const reader = (async () => {
      while (reading) {
        const { generation } = await t.store.generations.pointer();
        if ((await t.store.reader.customer(generation, watched)) === undefined) misses += 1;
        await sleep(50);
      }
    })();

    const replay = runReplay(testEnv(t.names));
    await sleep(1_000);
    await t.publish(during); // while the new generation is being built
    const { code, output } = await replay;
    expect(code, output).toBe(0);
    expect(output).toMatch(/replay \[#+\] 100%/);
    expect(output).toMatch(/into generation \d+; readers moved from generation 0/);

    const pointer = await t.store.generations.pointer();
    expect(pointer.generation).not.toBe('0');
    expect(pointer.groupId).toBe(`${t.config.projector.groupId}.g${pointer.generation}`);
    await t.publish(after); // projected by the live projector, now in the replay's group
    await projected(t.store, pointer.generation, events, 60_000);
    reading = false;
    await reader;
    expect(misses).toBe(0);
    expect(projector.follower.pointer?.generation).toBe(pointer.generation);
    await expectFolded(t.store, pointer.generation, events);
    // The replaced generation is gone.
    const left: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await t.redis.scan(
        cursor,
        'MATCH',
        `${t.names.keyPrefix}0:*`,
        'COUNT',
        5_000,
      );
      left.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    expect(left).toEqual([]);
  });
});
