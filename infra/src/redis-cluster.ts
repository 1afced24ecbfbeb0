import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from './exec.js';
import { ensureRedisServer } from './fetch.js';

/** A Redis Cluster of masters started by `startRedisCluster`, and how to reach it. */
export interface RedisClusterRun {
  /** A node's URL: with RAPPORT_REDIS_CLUSTER=true, what RAPPORT_REDIS_URL names. */
  readonly url: string;
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;

/**
 * A real Redis Cluster of one master per port, from Debian's redis-server in cluster mode, the
 * slots spread by `redis-cli --cluster create` (no replicas: the test suites and a laptop need
 * the sharding, not the failover). Its state lives in `dir`, emptied first; `stop` ends it.
 */
export async function startRedisCluster(
  dir: string,
  ports: readonly number[],
): Promise<RedisClusterRun> {
  const server = await ensureRedisServer();
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const nodes: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(nodes.map(stopNode));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
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
            '5000',
            '--save',
            '',
            '--appendonly',
            'no',
            '--dir',
            dir,
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
        '0',
        '--cluster-yes',
      ],
      { timeoutMs: READY_TIMEOUT_MS },
    );
    // `create` returns once the slots are assigned; every node must also know every other.
    await Promise.all(ports.map((port) => untilClusterOk(port)));
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://${LOOPBACK}:${ports[0] ?? 0}`, ports, stop };
}

async function untilAnswers(port: number): Promise<void> {
  await until(port, async () => (await cli(port, 'PING')).trim() === 'PONG');
}

async function untilClusterOk(port: number): Promise<void> {
  await until(port, async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
}

async function until(port: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster node ${port} is not ready`);
    await sleep(50);
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
