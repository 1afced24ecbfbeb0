import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CustomerListSchema, CustomerViewSchema } from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FROM_SOURCE, sleep, TEST_READ_KEY, TEST_WRITE_KEY } from '../harness/index.js';
import { testEnv } from '../projector/helpers.js';
import { startTestStack, type TestStack } from './helpers.js';

/** A `rapport` command in its own process, as a user types it. */
async function rapport(args: readonly string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [...FROM_SOURCE, 'packages/cli/src/main.ts', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

describe('rapport demo, show and at-risk', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack('demo');
  });
  afterAll(async () => {
    await t.stop();
  });

  it('plays the personas through the gateway into live state the read commands show', async () => {
    const env = testEnv(t.names);
    const flags = ['--api', t.api.url, '--key', TEST_READ_KEY];
    const tail = spawn(
      process.execPath,
      [...FROM_SOURCE, 'packages/cli/src/main.ts', 'tail', '--status', 'at_risk', ...flags],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let tailed = '';
    tail.stdout.on('data', (chunk: Buffer) => (tailed += chunk.toString()));
    await sleep(2_000); // tsx starting and subscribing
    const demo = await rapport(
      [
        'demo',
        '--once',
        '--customers',
        '10',
        '--seconds',
        '3',
        '--gateway',
        t.gateway.url,
        '--key',
        TEST_WRITE_KEY,
      ],
      env,
    );
    expect(demo.code, demo.output).toBe(0);
    expect(demo.output).toMatch(/demo: \d+ events accepted for 10 customers/);

    const read = async (id: string) => {
      const response = await t.get(`/v1/customers/${id}`);
      return response.ok ? CustomerViewSchema.parse(await response.json()) : undefined;
    };
    // Projected within seconds of the gateway's acknowledgement.
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(200)) {
      const views = await Promise.all(['demo-won-back-02', 'demo-loyal-02'].map(read));
      if (views.every((view) => view !== undefined && view.activity.lastEvent !== null)) break;
    }
    const loyal = await read('demo-loyal-01');
    const silentOne = await read('demo-goes-silent-01');
    const marketing = await read('demo-marketing-only-01');
    const wonBack = await read('demo-won-back-01');
    expect(loyal?.status).toBe('engaged');
    expect(silentOne?.status).toBe('at_risk');
    expect(marketing?.engagement).toBe(0);
    expect(marketing?.participation).toBeGreaterThan(0);
    expect(wonBack?.status).toBe('engaged');
    expect(wonBack?.trust.competence).toBeLessThan(loyal?.trust.competence ?? 0);

    const list = CustomerListSchema.parse(
      await (await t.get('/v1/customers?status=at_risk')).json(),
    );
    expect(list.items.map((item) => item.customerId)).toEqual(
      expect.arrayContaining([
        'demo-goes-silent-01',
        'demo-goes-silent-02',
        'demo-marketing-only-01',
      ]),
    );

    const show = await rapport(['show', 'demo-loyal-01', ...flags], env);
    expect(show.code, show.output).toBe(0);
    expect(show.output).toMatch(/^status\s+engaged, stage active$/m);
    const atRisk = await rapport(['at-risk', ...flags], env);
    expect(atRisk.code, atRisk.output).toBe(0);
    expect(atRisk.output).toMatch(/demo-goes-silent-01\s+at_risk/);
    const unknown = await rapport(['show', 'nobody', ...flags], env);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toMatch(/no customer "nobody" in the read model/);

    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(100)) {
      if (tailed.includes('demo-goes-silent-01')) break;
    }
    tail.kill('SIGINT');
    const [code] = (await once(tail, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(tailed).toMatch(/demo-goes-silent-01\s+at_risk/);
    const lines = tailed.trim().split('\n');
    expect(
      lines.every((line) => /^\S+\s+\S+\s+at_risk\s/.test(line)),
      tailed,
    ).toBe(true);
  });
});
