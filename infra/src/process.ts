import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/**
 * What the run directory records about a server the runners started, so that `rapport status` and
 * `rapport down` work from another shell, and a second `rapport up` reuses a healthy server.
 */
const processRecordSchema = z.object({
  pid: z.number().int().positive(),
  /** A word of the command line that proves the pid is still ours (pids are reused). */
  marker: z.string().min(1),
  endpoint: z.string(),
  logFile: z.string(),
  startedAt: z.string(),
});
export type ProcessRecord = z.infer<typeof processRecordSchema>;

const recordFile = (runDir: string, name: string) => join(runDir, `${name}.json`);

export interface SpawnRequest {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly runDir: string;
  readonly marker: string;
  readonly endpoint: string;
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts a server in its own process group with output appended to `<runDir>/<name>.log`, after
 * a line that marks where this start begins: a restart adds to the log of the runs before it,
 * whose last lines say why it was needed. The child is detached so that it outlives the command
 * that started it (`rapport up --detach`), and is recorded before anything waits on it so that
 * `rapport down` can always find it.
 */
export async function spawnDetached(request: SpawnRequest): Promise<ProcessRecord> {
  await mkdir(request.runDir, { recursive: true });
  const logFile = join(request.runDir, `${request.name}.log`);
  const log = openSync(logFile, 'a');
  try {
    writeSync(log, `--- ${new Date().toISOString()} rapport: starting ${request.name} ---\n`);
    const child = spawn(request.command, request.args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...request.env },
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid ?? 0));
      child.once('error', reject);
    });
    child.unref();
    const record: ProcessRecord = {
      pid,
      marker: request.marker,
      endpoint: request.endpoint,
      logFile,
      startedAt: new Date().toISOString(),
    };
    await writeFile(recordFile(request.runDir, request.name), JSON.stringify(record, null, 2));
    return record;
  } finally {
    closeSync(log);
  }
}

/** The record of a server that is still running, or undefined (and the stale record removed). */
export async function runningProcess(
  runDir: string,
  name: string,
): Promise<ProcessRecord | undefined> {
  const record = await readRecord(runDir, name);
  if (record !== undefined && (await isOurs(record))) return record;
  await rm(recordFile(runDir, name), { force: true });
  return undefined;
}

/**
 * The record of `name` as the run folder holds it, whether or not its process still runs: gone
 * once `stopProcess` stopped it, so a supervisor tells a stop asked for from a crash.
 */
export async function readRecord(runDir: string, name: string): Promise<ProcessRecord | undefined> {
  let text: string;
  try {
    text = await readFile(recordFile(runDir, name), 'utf8');
  } catch {
    return undefined;
  }
  const record = processRecordSchema.safeParse(JSON.parse(text));
  return record.success ? record.data : undefined;
}

export async function isOurs(record: ProcessRecord): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${record.pid}/cmdline`, 'utf8');
    return cmdline.includes(record.marker);
  } catch {
    return false;
  }
}

/**
 * Stops a recorded server: SIGTERM to its process group for a clean shutdown (Kafka flushes its
 * log, Temporal closes SQLite), SIGKILL after the grace period. Returns whether one was running.
 */
export async function stopProcess(
  runDir: string,
  name: string,
  graceMs = 20_000,
): Promise<boolean> {
  const record = await runningProcess(runDir, name);
  if (!record) return false;
  signalGroup(record.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && (await isOurs(record))) await sleep(100);
  if (await isOurs(record)) signalGroup(record.pid, 'SIGKILL');
  while (await isOurs(record)) await sleep(50);
  await rm(recordFile(runDir, name), { force: true });
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone: nothing to stop.
  }
}

/** The last lines of a log, for error messages that show why a server did not come up. */
export async function tailOf(file: string, lines = 20): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
