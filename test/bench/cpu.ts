import { readdir, readFile } from 'node:fs/promises';
import { infraServices, readRecord, run } from '@rapport/infra';

/** Clock ticks per second, the unit of /proc's CPU times (USER_HZ: 100 on nearly every Linux). */
const ticksPerSecond = Number((await run('getconf', ['CLK_TCK'])).stdout.trim()) || 100;

interface ProcStat {
  readonly pid: number;
  readonly parent: number;
  /** utime + stime, in seconds. */
  readonly cpuSeconds: number;
}

/** /proc/<pid>/stat; undefined once the process is gone. */
async function procStat(pid: number): Promise<ProcStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  // The command name, in parentheses, may hold spaces: the fields are counted after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return { pid, parent: Number(fields[1]), cpuSeconds: ticks / ticksPerSecond };
}

/**
 * CPU seconds used by each group of processes, from one pass over /proc: each group's root
 * processes and all their living descendants (a pool's primary and its workers together), from
 * the processes' own counters, so whatever else runs on the machine does not inflate them. A
 * process counts in the first group that reaches it; `rest` takes what remains under its root
 * (this process and the load generator it started, say). A group whose processes are all gone
 * counts NaN.
 */
export async function cpuByGroup(
  groups: ReadonlyMap<string, readonly number[]>,
  rest: { readonly name: string; readonly root: number },
): Promise<Map<string, number>> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const stats = (await Promise.all(pids.map(procStat))).filter((stat) => stat !== undefined);
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.parent, [...(children.get(stat.parent) ?? []), stat]);
  const byPid = new Map(stats.map((stat) => [stat.pid, stat]));
  const claimed = new Set<number>();
  const tree = (stat: ProcStat | undefined): number => {
    if (stat === undefined || claimed.has(stat.pid)) return 0;
    claimed.add(stat.pid);
    return (
      stat.cpuSeconds + (children.get(stat.pid) ?? []).reduce((sum, child) => sum + tree(child), 0)
    );
  };
  const used = new Map<string, number>();
  for (const [name, roots] of groups) {
    const alive = roots.filter((root) => byPid.has(root));
    used.set(
      name,
      alive.length === 0 ? Number.NaN : alive.reduce((sum, root) => sum + tree(byPid.get(root)), 0),
    );
  }
  used.set(rest.name, tree(byPid.get(rest.root)));
  return used;
}

/**
 * What each group used between two readings of `cpuByGroup`, divided by `per` (the seconds between
 * them for cores, a count of events for a cost each); NaN for a group missing from `before`.
 */
export function cpuBetween(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  per = 1,
): Map<string, number> {
  return new Map(
    [...after].map(([group, used]) => [group, (used - (before.get(group) ?? Number.NaN)) / per]),
  );
}

/**
 * CPU seconds used by these processes alone (not their children): a server known by its pid,
 * without a pass over all of /proc. NaN when none of them is alive.
 */
export async function cpuOf(pids: readonly number[]): Promise<number> {
  const stats = (await Promise.all(pids.map(procStat))).filter((stat) => stat !== undefined);
  return stats.length === 0 ? Number.NaN : stats.reduce((sum, stat) => sum + stat.cpuSeconds, 0);
}

/** The machine's busy and total CPU seconds since boot, over every core (/proc/stat). */
export async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  // user nice system idle iowait irq softirq steal; guest time is already counted in user.
  const ticks = line.split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle, iowait
  return { busy: (total - idle) / ticksPerSecond, total: total / ticksPerSecond };
}

/**
 * The pids of the servers (Kafka, Temporal, Redis) the runners started in `runDir`, by server;
 * a server given by its endpoint, which no runner started here, is left out.
 */
export async function serverPids(runDir: string): Promise<Map<string, number[]>> {
  const groups = new Map<string, number[]>();
  for (const server of infraServices) {
    const records = await Promise.all(server.recordNames.map((name) => readRecord(runDir, name)));
    const pids = records.flatMap((record) => (record ? [record.pid] : []));
    if (pids.length > 0) groups.set(server.name, pids);
  }
  return groups;
}
