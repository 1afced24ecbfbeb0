/**
 * `pnpm bench:query`: `GET /v1/customers/:id` on BENCH_CUSTOMERS customers (default 20,000, ten
 * events each), the API in its own process and the load from vegeta in another (`httpLoad`):
 * p50/p99 at a steady 2,000 requests/s, open loop, beside `/healthz` of the same API (the HTTP
 * floor: no Redis, no model) at the same rate; then the most it serves (32 connections, each
 * asking again as soon as it has its answer). Any answer but 200 stops the run.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '@rapport/config';
import { fetchVegeta } from '@rapport/infra';
import { createModel } from '@rapport/model';
import { ReadModel, readModelOptions } from '@rapport/read-model';
import { benchInfrastructure, deleteKeys, printTable } from './infra.js';
import { EVENTS_PER_CUSTOMER, populate } from './population.js';
import { httpLoad, type HttpLoad } from './vegeta.js';
import { startApiProcess, type ServiceProcess } from './service.js';

const CUSTOMERS = Number(process.env['BENCH_CUSTOMERS'] ?? 20_000);
const RATE = 2_000;
const SECONDS = 15;
const CONNECTIONS = 32;
const READ_KEY = 'bench-read-key';
const runId = randomUUID().slice(0, 8);
const prefix = `bench:${runId}:`;

const { config: infra, stop } = await benchInfrastructure();
const config = loadConfig({
  RAPPORT_REDIS_URL: infra.redis.url,
  RAPPORT_REDIS_KEY_PREFIX: prefix,
  RAPPORT_LOG_LEVEL: 'warn',
});
const redis = new Redis(config.redis.url);
const store = new ReadModel(redis, createModel(), readModelOptions(config));
const port = 18_381;
let api: ServiceProcess | undefined;
try {
  console.log(
    `query benchmark: ${CUSTOMERS.toLocaleString('en-US')} customers of ${EVENTS_PER_CUSTOMER} events, the API in its own process, ${CONNECTIONS} connections`,
  );
  await populate(store, CUSTOMERS, runId);
  // Built (once, into the cache) before the API starts, not while it waits.
  const vegeta = await fetchVegeta(config.infra.cacheDir);
  api = await startApiProcess({
    redisUrl: config.redis.url,
    keyPrefix: prefix,
    readKey: READ_KEY,
    port,
  });
  const load = {
    vegeta,
    baseUrl: api.url,
    headers: { authorization: `Bearer ${READ_KEY}` },
  };
  const customers = Array.from(
    { length: CUSTOMERS },
    () => `/v1/customers/customer-${Math.floor(Math.random() * CUSTOMERS)}`,
  );
  const steadily = (paths: readonly string[], seconds: number) =>
    httpLoad({ ...load, paths, rate: RATE, seconds });
  await steadily(customers, 10); // Warm-up: JIT, connections, the heap's sizes.
  const steady = await steadily(customers, SECONDS);
  const floor = await steadily(['/healthz'], SECONDS);
  // Last: right after a saturating pass, the open loop measured the API's collector catching up.
  const fastest = await httpLoad({
    ...load,
    paths: customers,
    rate: { connections: CONNECTIONS },
    seconds: 10,
  });
  const row = (name: string, pass: HttpLoad) => [
    name,
    pass.requests,
    pass.p50.toFixed(2),
    pass.p99.toFixed(2),
    pass.max.toFixed(1),
    pass.perSecond,
  ];
  printTable('GET throughput and latency (ms), load from vegeta', [
    ['run', 'requests', 'p50', 'p99', 'max', 'req/s'],
    row(`GET /v1/customers/:id, ${CONNECTIONS} connections as fast as it answers`, fastest),
    row(`GET /v1/customers/:id at ${RATE}/s for ${SECONDS} s, open loop`, steady),
    row(`GET /healthz at ${RATE}/s (HTTP floor, same process)`, floor),
  ]);
} finally {
  await api?.stop();
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await stop();
}
