import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness';
import {
  expectFolded,
  projected,
  randomEvents,
  setup,
  sleep,
  testEnv,
  type Setup,
} from './helpers';

/** The projector as `rapport up` runs it: its own process, so SIGKILL is a real crash. */
function spawnProjector(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/projector/src/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function ready(port: number, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`projector not ready on ${port}`);
    await sleep(200);
  }
}

async function kill(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

const children: ChildProcess[] = [];

describe('a projector killed with SIGKILL mid-stream', () => {
  let t: Setup;
  beforeAll(async () => {
    t = await setup('crash');
  });
  afterAll(async () => {
    await Promise.all(children.map(kill));
    await t.close();
  });

  it('restarts and leaves every customer exactly as the fold: no double count, no loss', async () => {
    const port = await freePort();
    const env = testEnv(t.names, { RAPPORT_PROJECTOR_PORT: String(port) });
    const events = randomEvents(33_000, 300, 21);
    // A backlog of several fetches (about 9,000 events each here), so that the kill lands while
    // the next fetch is being written; more events arrive while it is down.
    const [backlog, later] = [events.slice(0, 30_000), events.slice(30_000)];
    await t.publish(backlog);

    const child = spawnProjector(env);
    let done = 0;
    for (const deadline = Date.now() + 45_000; done === 0 && Date.now() < deadline;) {
      done = await projectedCount();
      await sleep(5);
    }
    await kill(child);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(backlog.length);

    await t.publish(later);
    spawnProjector(env);
    await ready(port);
    await projected(t.store, '0', events, 90_000);
    await expectFolded(t.store, '0', events);
  });

  async function projectedCount(): Promise<number> {
    const offsets = await t.store.progress('0', t.config.projector.groupId);
    return [...offsets.values()].reduce((sum, offset) => sum + offset + 1, 0);
  }
});
