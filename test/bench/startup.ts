/**
 * `pnpm bench:startup`: each service's start-up time (spawn until `/readyz` answers 200) and its
 * resident memory two seconds later, run from source through tsx as `rapport up` does by default,
 * and compiled by `pnpm build` with plain Node as the container image does
 * (`RAPPORT_SERVICES_FROM=dist`); BENCH_RUNS runs each (default 3), alternating the two. One
 * process per service (RAPPORT_*_PROCESSES=1): a pool is that many again, plus its primary. The
 * worker is also measured with the workflow bundle `pnpm build` made (RAPPORT_WORKFLOW_BUNDLE),
 * which is how the image runs it; without one it bundles its workflows as it starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { access, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '@rapport/config';
import { serviceEntry, serviceNodeFlags } from '../../packages/cli/src/service-processes.js';
import { benchInfrastructure, printTable } from './infra.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const SETTLE_MS = 2_000;
const runId = randomUUID().slice(0, 8);
const BUNDLE = join(repoRoot, 'services/worker/dist/workflow-bundle.js');

interface Variant {
  readonly service: string;
  readonly label: string;
  readonly port: number;
  readonly env?: Record<string, string>;
}

const variants: readonly Variant[] = [
  { service: 'gateway', label: 'gateway', port: 21480 },
  { service: 'projector', label: 'projector', port: 21482 },
  { service: 'api', label: 'api', port: 21481 },
  { service: 'worker', label: 'worker (bundles at start)', port: 21484 },
  {
    service: 'worker',
    label: 'worker (prebuilt bundle)',
    port: 21484,
    env: { RAPPORT_WORKFLOW_BUNDLE: BUNDLE },
  },
  { service: 'bridge', label: 'bridge', port: 21483 },
];

function environment(config: Config): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
    RAPPORT_TEMPORAL_ADDRESS: config.temporal.address,
    RAPPORT_REDIS_URL: config.redis.url,
    RAPPORT_WRITE_KEYS: 'bench-write-key',
    RAPPORT_READ_KEYS: 'bench-read-key',
    RAPPORT_ADMIN_KEYS: 'bench-admin-key',
    RAPPORT_TOPIC_INTERACTIONS: `bench.startup.${runId}.v1`,
    RAPPORT_TOPIC_DLQ: `bench.startup.${runId}.dlq.v1`,
    RAPPORT_TOPIC_PARTITIONS: '2',
    RAPPORT_REDIS_KEY_PREFIX: `bench:${runId}:`,
    RAPPORT_TEMPORAL_TASK_QUEUE: `bench-startup-${runId}`,
    RAPPORT_BRIDGE_GROUP_ID: `bench-startup-bridge-${runId}`,
    RAPPORT_PROJECTOR_GROUP_ID: `bench-startup-projector-${runId}`,
    RAPPORT_GATEWAY_PROCESSES: '1',
    RAPPORT_PROJECTOR_PROCESSES: '1',
    RAPPORT_GATEWAY_PORT: '21480',
    RAPPORT_API_PORT: '21481',
    RAPPORT_PROJECTOR_PORT: '21482',
    RAPPORT_BRIDGE_PORT: '21483',
    RAPPORT_WORKER_PORT: '21484',
    RAPPORT_LOG_LEVEL: 'warn',
  };
}

/** Resident memory of a process in MB (Linux). */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** One start: milliseconds until /readyz answered 200, and the RSS two seconds after. */
async function measure(
  variant: Variant,
  from: 'src' | 'dist',
  env: Record<string, string>,
): Promise<{ readyMs: number; rss: number }> {
  const { args } = serviceEntry(variant.service, from);
  const started = performance.now();
  // The Node flags `rapport up` gives the service.
  const child = spawn(process.execPath, [...serviceNodeFlags(variant.service), ...args], {
    cwd: repoRoot,
    env: { ...env, ...variant.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`${variant.label} exited with ${child.exitCode}`);
      const ready = await fetch(`http://127.0.0.1:${variant.port}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) break;
      if (performance.now() - started > 90_000) throw new Error(`${variant.label} not ready`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const readyMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    return { readyMs, rss: await rssMb(child.pid ?? 0) };
  } finally {
    await stop(child);
  }
}

const range = (values: readonly number[], digits: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  const [low, high] = [sorted[0] ?? Number.NaN, sorted.at(-1) ?? Number.NaN];
  return low.toFixed(digits) === high.toFixed(digits)
    ? low.toFixed(digits)
    : `${low.toFixed(digits)}–${high.toFixed(digits)}`;
};

await access(join(repoRoot, 'services/gateway/dist/main.js')).catch(() => {
  throw new Error('the compiled services are missing: run `pnpm build` first');
});
const { config, stop: stopInfrastructure } = await benchInfrastructure();
try {
  const env = environment(config);
  const rows: (string | number)[][] = [
    ['service', 'from source (tsx): ready', 'RSS', 'compiled (node dist): ready', 'RSS'],
  ];
  for (const variant of variants) {
    const results: Record<'src' | 'dist', { readyMs: number; rss: number }[]> = {
      src: [],
      dist: [],
    };
    for (let run = 0; run < RUNS; run += 1) {
      for (const from of ['src', 'dist'] as const) {
        results[from].push(await measure(variant, from, env));
      }
    }
    const cells = (from: 'src' | 'dist') => [
      `${range(
        results[from].map((result) => result.readyMs / 1000),
        2,
      )} s`,
      `${range(
        results[from].map((result) => result.rss),
        0,
      )} MB`,
    ];
    rows.push([variant.label, ...cells('src'), ...cells('dist')]);
    console.log(`${variant.label}: done`);
  }
  printTable(
    `Start-up to /readyz 200 and RSS ${SETTLE_MS / 1000} s later, ${RUNS} runs each`,
    rows,
  );
} finally {
  await stopInfrastructure();
}
