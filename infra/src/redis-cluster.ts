import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from './exec.js';
import { ensureRedisServer } from './fetch.js';
import { listening } from './probes.js';

/** A Redis Cluster started by `startRedisCluster`, and how to reach it. */
export interface RedisClusterRun {
  /** A node's URL: with RAPPORT_REDIS_CLUSTER=true, what RAPPORT_REDIS_URL names. */
  readonly url: string;
  readonly ports: readonly number[];
  /** The node on `port`: SIGKILLed, as a lost machine is (a failover test's fault). */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;

export interface RedisClusterOptions {
  /**
   * Replicas per master (0: every port a master; the test suites and a laptop need the sharding,
   * not the failover). With 1, half the ports are masters and half their replicas.
   */
  readonly replicas?: number;
  /** How long a node goes unanswered before the others fail it over (`cluster-node-timeout`). */
  readonly nodeTimeoutMs?: number;
  /**
   * Each node's cluster bus port, one per port (`cluster-port`). Redis's default, the port +
   * 10,000, lands ports picked below Linux's ephemeral range inside it, where an outgoing
   * connection can hold it first and the node then fails to start.
   */
  readonly busPorts?: readonly number[];
}

/**
 * A real Redis Cluster on the given ports, from Debian's redis-server in cluster mode, the slots
 * spread by `redis-cli --cluster create`. Its state lives in `dir`, emptied first; `stop` ends it.
 */
export async function startRedisCluster(
  dir: string,
  ports: readonly number[],
  { replicas = 0, nodeTimeoutMs = 5_000, busPorts = [] }: RedisClusterOptions = {},
): Promise<RedisClusterRun> {
  if (busPorts.length !== 0 && busPorts.length !== ports.length)
    throw new Error(`${ports.length} Redis Cluster ports but ${busPorts.length} bus ports`);
  const server = await ensureRedisServer();
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const nodes: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(nodes.map(stopNode));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const [index, port] of ports.entries()) {
      const busPort = busPorts[index];
      nodes.push(
        spawn(
          server,
          [
            '--bind',
            LOOPBACK,
            '--port',
            String(port),
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            String(nodeTimeoutMs),
            ...(busPort === undefined ? [] : ['--cluster-port', String(busPort)]),
            '--save',
            '',
            '--appendonly',
            'no',
            '--dir',
            dir,
            // Each node its own file: a replica's full sync writes an RDB file there.
            '--dbfilename',
            `dump-${port}.rdb`,
            '--logfile',
            join(dir, `node-${port}.log`),
            // A replica's first sync at once, not after Redis's 5 s wait for more replicas: one
            // that never synced cannot take over from its master.
            '--repl-diskless-sync-delay',
            '0',
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    await Promise.all(ports.map((port) => untilAnswers(port)));
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `${LOOPBACK}:${port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeoutMs: READY_TIMEOUT_MS },
    );
    // `create` returns once the slots are assigned; every node must also know every other, and
    // every replica hold its master's data.
    await Promise.all(ports.map((port) => untilClusterOk(port)));
    if (replicas > 0) await Promise.all(ports.map((port) => untilSynced(port)));
  } catch (error) {
    await stop();
    throw error;
  }
  const kill = async (port: number) => {
    const node = nodes[ports.indexOf(port)];
    if (node === undefined) throw new Error(`no Redis Cluster node on port ${port}`);
    await stopNode(node);
  };
  return { url: `redis://${LOOPBACK}:${ports[0] ?? 0}`, ports, kill, stop };
}

/** A fresh, empty node answers as soon as it listens: no redis-cli process per poll. */
async function untilAnswers(port: number): Promise<void> {
  await until(port, () => listening(LOOPBACK, port, 1_000));
}

async function untilClusterOk(port: number): Promise<void> {
  await until(port, async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
}

/** A master at once; a replica once its link to its master is up. */
async function untilSynced(port: number): Promise<void> {
  await until(port, async () => {
    const replication = await cli(port, 'INFO', 'replication');
    return replication.includes('role:master') || replication.includes('master_link_status:up');
  });
}

async function until(port: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster node ${port} is not ready`);
    // Each check but the first starts a redis-cli process: not more often than this.
    await sleep(100);
  }
}

const cli = async (port: number, ...args: string[]) =>
  (await run('redis-cli', ['-h', LOOPBACK, '-p', String(port), ...args], { timeoutMs: 5_000 }))
    .stdout;

async function stopNode(node: ChildProcess): Promise<void> {
  if (node.exitCode !== null || node.signalCode !== null) return;
  const exited = new Promise((resolve) => node.once('exit', resolve));
  node.kill('SIGKILL');
  await exited;
}
