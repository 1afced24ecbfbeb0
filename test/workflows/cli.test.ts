import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FROM_SOURCE, testInfra } from '../harness/index.js';
import { interaction, MINUTE, realTimeSettings, startRig, type Rig } from './helpers.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let connection: Connection;
let rig: Rig;

beforeAll(async () => {
  const infra = testInfra();
  connection = await Connection.connect({ address: infra.temporalAddress });
  rig = await startRig({
    label: 'wf-cli',
    client: new Client({ connection, namespace: infra.temporalNamespace }),
    temporalAddress: infra.temporalAddress,
    settings: realTimeSettings,
  });
}, 60_000);

afterAll(async () => {
  await rig?.stop();
  await connection?.close();
});

/** `pnpm rapport workflow …` as a user runs it, against the test's dev server. */
function rapport(...args: string[]) {
  return run(process.execPath, [...FROM_SOURCE, 'packages/cli/src/main.ts', 'workflow', ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      RAPPORT_TEMPORAL_ADDRESS: testInfra().temporalAddress,
      RAPPORT_TEMPORAL_TASK_QUEUE: rig.config.temporal.taskQueue,
    },
  }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('rapport workflow <customerId>', () => {
  it("prints the workflow's state, timers and follow-ups", async () => {
    const customer = `cli-${rig.names.id}`;
    const now = Date.now() - MINUTE;
    await rig.deliver(customer, [
      interaction(customer, now, { type: 'email.replied', direction: 'inbound' }),
      interaction(customer, now, {
        type: 'chat.message',
        direction: 'inbound',
        channel: 'chat',
        threadId: 'help',
        expectsResponse: true,
      }),
    ]);
    // Dated a minute ago: a late arrival, judged once arrivals have been quiet for the lateness.
    await rig.until(customer, ({ view }) => view.counts.applied === 2 && view.pending === 0);

    const text = await rapport(customer);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`workflow +customer:${customer}`));
    expect(text.stdout).toMatch(/applied +2 events \(0 duplicates skipped, 0 rejected\)/);
    expect(text.stdout).toMatch(/watermarks +p0@1/);
    expect(text.stdout).toMatch(/settled +through .*; 0 events waiting out the allowed lateness/);
    expect(text.stdout).toMatch(/next check +sla at /);
    expect(text.stdout).toMatch(/open +help \(chat\) due /);
    expect(text.stdout).toMatch(/follow-ups +—/);

    const json = await rapport(customer, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      view: { customerId: customer, counts: { applied: 2 } },
      followUps: [],
    });
  });

  it('says so when the customer has no workflow', async () => {
    const missing = await rapport(`nobody-${rig.names.id}`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no workflow for customer nobody-/);
    expect((await rapport()).code).toBe(2);
  });
});
