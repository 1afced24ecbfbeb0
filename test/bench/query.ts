/**
 * `pnpm bench:query`: `GET /v1/customers/:id` on BENCH_CUSTOMERS customers (default 20,000, ten
 * events each), from this process against the API in its own process: the most it serves, and
 * p50/p99 at a steady 2,000 requests/s; beside it `/healthz` of the same API (the HTTP floor:
 * no Redis, no model) at the same rate.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { loadConfig } from '@rapport/config';
import { createModel } from '@rapport/model';
import { Projection, ReadModel, readModelOptions, type PositionedEvent } from '@rapport/store';
import { benchInfrastructure, printTable } from './infra';

const CUSTOMERS = Number(process.env['BENCH_CUSTOMERS'] ?? 20_000);
const EVENTS_PER_CUSTOMER = 10;
const RATE = 2_000;
const SECONDS = 15;
const READ_KEY = 'bench-read-key';
const DAY = 86_400_000;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runId = randomUUID().slice(0, 8);
const prefix = `bench:${runId}:`;

const TYPES = [
  ['email.sent', 'email', 'outbound'],
  ['email.replied', 'email', 'inbound'],
  ['support.ticket_opened', 'support', 'inbound'],
  ['support.ticket_resolved', 'support', 'outbound'],
  ['chat.message', 'chat', 'inbound'],
  ['page.viewed', 'web', 'inbound'],
  ['purchase.completed', 'store', 'inbound'],
] as const;

/** Customers with ten events each over the last 60 days, projected as the projector would. */
async function populate(store: ReadModel): Promise<void> {
  const model = createModel();
  const projection = new Projection(store, model, {
    generation: '0',
    groupId: 'bench',
    follow: false,
    announce: false,
  });
  const now = Date.now();
  let offset = 0;
  for (let first = 0; first < CUSTOMERS; first += 200) {
    const batch: PositionedEvent[] = [];
    for (let customer = first; customer < Math.min(CUSTOMERS, first + 200); customer += 1) {
      for (let index = 0; index < EVENTS_PER_CUSTOMER; index += 1) {
        const [type, channel, direction] = TYPES[(customer + index) % TYPES.length] ?? TYPES[0];
        batch.push({
          partition: 0,
          offset: String(offset++),
          value: {
            eventId: `bench-${runId}-${offset}`,
            customerId: `customer-${customer}`,
            channel,
            type,
            direction,
            occurredAt: new Date(now - ((customer * 7 + index * 13) % 60) * DAY).toISOString(),
            receivedAt: new Date(now).toISOString(),
            source: 'http',
          },
        });
      }
    }
    await projection.project(0, batch, now);
  }
}

async function startApi(redisUrl: string, port: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'services/api/src/main.ts')],
    {
      env: {
        ...process.env,
        RAPPORT_REDIS_URL: redisUrl,
        RAPPORT_REDIS_KEY_PREFIX: prefix,
        RAPPORT_READ_KEYS: READ_KEY,
        RAPPORT_API_PORT: String(port),
        RAPPORT_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    if (
      await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the API did not become ready within 60 s');
}

/** autocannon on a path; `rate` undefined for as fast as it answers. */
function load(url: string, path: () => string, rate: number | undefined, seconds: number) {
  return autocannon({
    url,
    connections: Number(process.env['BENCH_CONNECTIONS'] ?? 8),
    duration: seconds,
    ...(rate === undefined ? {} : { overallRate: rate }),
    headers: { authorization: `Bearer ${READ_KEY}` },
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: path() }) }],
  });
}

const { config: infra, stop } = await benchInfrastructure();
const config = loadConfig({
  RAPPORT_REDIS_URL: infra.redis.url,
  RAPPORT_REDIS_KEY_PREFIX: prefix,
  RAPPORT_LOG_LEVEL: 'warn',
});
const redis = new Redis(config.redis.url);
const store = new ReadModel(redis, createModel(), readModelOptions(config));
const port = 18_381;
let api: ReturnType<typeof spawn> | undefined;
try {
  console.log(
    `query benchmark: ${CUSTOMERS.toLocaleString('en-US')} customers of ${EVENTS_PER_CUSTOMER} events, the API in its own process, 32 connections`,
  );
  await populate(store);
  api = await startApi(config.redis.url, port);
  const url = `http://127.0.0.1:${port}`;
  const customer = () => `/v1/customers/customer-${Math.floor(Math.random() * CUSTOMERS)}`;
  await load(url, customer, undefined, 5); // Warm-up: JIT, connections, the decode cache.
  const most = await load(url, customer, undefined, 10);
  const steady = await load(url, customer, RATE, SECONDS);
  const floor = await load(url, () => '/healthz', RATE, SECONDS);
  const row = (name: string, result: autocannon.Result) => [
    name,
    Math.round(result.requests.average),
    result.non2xx,
    result.latency.p50,
    result.latency.p99,
    result.latency.max,
  ];
  printTable('GET throughput and latency (ms)', [
    ['run', 'req/s', 'non-2xx', 'p50', 'p99', 'max'],
    row('GET /v1/customers/:id, as fast as it answers', most),
    row(`GET /v1/customers/:id at ${RATE}/s for ${SECONDS} s`, steady),
    row(`GET /healthz at ${RATE}/s (HTTP floor, same process)`, floor),
  ]);
} finally {
  api?.kill('SIGTERM');
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5_000);
    if (found.length > 0) await redis.unlink(...found);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
  await stop();
}
