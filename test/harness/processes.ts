import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { serviceEntry } from '../../packages/cli/src/service-processes.js';
import { TEST_ADMIN_KEY } from './keys.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Node's arguments that run a TypeScript entry point from source: tsx, and the `source` export
 * condition, so workspace packages load from their src/ too and never from a build in dist/.
 */
export const FROM_SOURCE = ['--conditions=source', '--import', 'tsx'] as const;

/** The services of this repository, by their folder under services/. */
export type RapportService = 'api' | 'bridge' | 'gateway' | 'projector' | 'worker';

/**
 * A service as `rapport up` runs it: in its own process (a pool of them unless the environment
 * says otherwise), so SIGKILL is a real crash. From its compiled JavaScript, which the global
 * setup compiled from this checkout's source, as `RAPPORT_SERVICES_FROM=dist` and the container
 * image run it: half the processor time of a start through tsx, for the dozens the suites make.
 */
export function spawnService(service: RapportService, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [compiledEntry(service)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** A service's compiled entry point, from the repository root. */
const compiledEntry = (service: RapportService) => serviceEntry(service, 'dist').entry;

/** What `/readyz` shows an admin key: every check's result, not only the status. */
const ADMIN = { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } };

/** Resolves with `/readyz`'s body, as an admin sees it, once it answers 200 on 127.0.0.1:`port`. */
export async function untilReady(port: number, timeoutMs = 45_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`, ADMIN);
      if (response.ok) return await response.json();
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`nothing ready on port ${port}`);
    await sleep(200);
  }
}

/**
 * Resolves with `/readyz`'s body once it answers 503 (a pool short of a worker, say). A kept-alive
 * connection to a process just killed fails; the next request opens another.
 */
export async function untilNotReady(port: number, timeoutMs = 5_000): Promise<unknown> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(20)) {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, ADMIN).catch(() => undefined);
    if (response?.status === 503) return await response.json();
  }
  throw new Error(`port ${port} did not answer 503 within ${timeoutMs} ms`);
}

export async function killHard(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

/** A pool's workers: the primary's children running the service's entry point. */
export async function workerPids(
  primary: ChildProcess,
  service: RapportService,
): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', [
    '-o',
    'pid=,args=',
    '--ppid',
    String(primary.pid),
  ]);
  return stdout
    .split('\n')
    .filter((line) => line.includes(compiledEntry(service)))
    .map((line) => Number.parseInt(line.trim(), 10));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
