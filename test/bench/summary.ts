/**
 * `GET /v1/summary` on populations of BENCH_CUSTOMERS customers (default `20000,100000`, ten
 * events each), the API in its own process as `rapport up` starts it: the first walk, walks at
 * instants of their own (the answer shared per second cannot serve them), 20 requests of one
 * second at once (one walk), a repeat within the second (the shared answer), and
 * `GET /v1/customers/:id` asked one after another while a walk runs. Beside them, in this
 * process, the model's part per customer: the headline and channel counts the summary takes,
 * against the full reading the customer route takes.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '@rapport/config';
import { createModel, type State } from '@rapport/model';
import { ReadModel, readModelOptions, SummarySchema } from '@rapport/read-model';
import { benchInfrastructure, deleteKeys, percentile, printTable } from './infra.js';
import { EVENTS_PER_CUSTOMER, populate } from './population.js';
import { startApiProcess } from './service.js';

const SIZES = (process.env['BENCH_CUSTOMERS'] ?? '20000,100000').split(',').map(Number);
const WALKS = 5;
const AT_ONCE = 20;
const READ_KEY = 'bench-read-key';
const headers = { authorization: `Bearer ${READ_KEY}` };

const timed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await run();
  return [result, performance.now() - started];
};
const ms = (value: number) => value.toFixed(0);

/** Microseconds per state of `read` over every state, best of three passes. */
function perState(states: readonly State[], read: (state: State) => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 3; pass += 1) {
    const started = performance.now();
    for (const state of states) read(state);
    best = Math.min(best, performance.now() - started);
  }
  return (best * 1_000) / states.length;
}

const { config: infra, stop } = await benchInfrastructure();
const rows: (string | number)[][] = [
  [
    'customers',
    'populate s',
    'first walk',
    `walks (${WALKS}) min/med/max`,
    `${AT_ONCE} at once`,
    'shared',
    'customer route during a walk p50/max',
    'headline+channels µs',
    'full reading µs',
  ],
];
try {
  for (const customers of SIZES) {
    const runId = randomUUID().slice(0, 8);
    const prefix = `bench:${runId}:`;
    const config = loadConfig({
      RAPPORT_REDIS_URL: infra.redis.url,
      RAPPORT_REDIS_KEY_PREFIX: prefix,
      RAPPORT_LOG_LEVEL: 'warn',
    });
    const redis = new Redis(config.redis.url);
    const model = createModel();
    const store = new ReadModel(redis, model, readModelOptions(config));
    const port = 18_382;
    const api = await startApiProcess({
      redisUrl: config.redis.url,
      keyPrefix: prefix,
      readKey: READ_KEY,
      port,
    });
    try {
      console.log(
        `summary benchmark: ${customers.toLocaleString('en-US')} customers of ${EVENTS_PER_CUSTOMER} events`,
      );
      const [, populated] = await timed(() => populate(store, customers, runId));
      const summary = async (query = '') => {
        const response = await fetch(`${api.url}/v1/summary${query}`, { headers });
        if (response.status !== 200) throw new Error(`summary: ${response.status}`);
        return SummarySchema.parse(await response.json());
      };
      const [first, firstMs] = await timed(() => summary());
      if (first.customers !== customers) throw new Error(`counted ${first.customers}`);
      // Instants a minute apart, each its own second: every one is a walk.
      const base = Date.now() + 60_000;
      const walks: number[] = [];
      for (let walk = 0; walk < WALKS; walk += 1) {
        const at = new Date(base + walk * 60_000).toISOString();
        walks.push((await timed(() => summary(`?at=${at}`)))[1]);
      }
      walks.sort((a, b) => a - b);
      const shared = new Date(base + 3_600_000).toISOString();
      const [, atOnceMs] = await timed(() =>
        Promise.all(Array.from({ length: AT_ONCE }, () => summary(`?at=${shared}`))),
      );
      const [, sharedMs] = await timed(() => summary(`?at=${shared}`));

      // The customer route, one request after another, while a walk of its own runs.
      const during: number[] = [];
      let walking = true;
      const walk = summary(`?at=${new Date(base + 7_200_000).toISOString()}`).finally(() => {
        walking = false;
      });
      while (walking) {
        const id = `customer-${Math.floor(Math.random() * customers)}`;
        const [response, took] = await timed(() =>
          fetch(`${api.url}/v1/customers/${id}`, { headers }),
        );
        await response.arrayBuffer();
        during.push(took);
      }
      await walk;
      during.sort((a, b) => a - b);

      const states: State[] = [];
      for await (const ids of store.reader.customerIds('0', 500)) {
        for (const stored of await store.reader.customers('0', ids)) {
          if (stored) states.push(stored.state);
        }
      }
      const now = Date.now();
      const placed = perState(states, (state) => {
        model.headline(state, now);
        return model.channelCounts(state);
      });
      const full = perState(states, (state) => model.at(state, now));

      rows.push([
        customers.toLocaleString('en-US'),
        (populated / 1_000).toFixed(0),
        `${ms(firstMs)} ms`,
        `${ms(walks[0] ?? 0)} / ${ms(percentile(walks, 50))} / ${ms(walks.at(-1) ?? 0)} ms`,
        `${ms(atOnceMs)} ms`,
        `${sharedMs.toFixed(1)} ms`,
        `${percentile(during, 50).toFixed(1)} / ${Math.max(...during).toFixed(1)} ms (${during.length})`,
        placed.toFixed(2),
        full.toFixed(2),
      ]);
    } finally {
      await api.stop();
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  }
  printTable('GET /v1/summary (the API in its own process)', rows);
} finally {
  await stop();
}
