/**
 * `pnpm --filter @rapport/test bench:bridge`: the bridge against the real dev server, beside a
 * plain loop of signalWithStart calls on the same server.
 *
 * - baseline: one signalWithStart per event, 64 in flight (the bridge's default concurrency),
 *   customers drawn from Zipf(1.1) over 10,000: the signals/s the server takes from one client;
 *   and the same with signals as large as the bridge's on customers whose workflows exist, just
 *   before and just after its burst on the backlog's customers (whose workflows exist too); and
 *   the burst's own events, grouped into signals as the bridge groups them, just before and just
 *   after it: the server's rate for the same signals to the same workflows.
 * - backlog: that many events already on the topic, then the bridge starts and drains them:
 *   events/s, signals/s and events per signal while it works flat out.
 * - live: events produced at a fixed rate, faster than the baseline's signals/s; the bridge must
 *   keep up (its lag stays bounded) by coalescing more events into each signal.
 * - follow-up delay: customers whose predicted crossing is seconds away (a model with a short
 *   half-life); from each predicted instant to the moment the follow-up workflow started.
 *
 * The bridge runs as its own process, as `rapport up` runs it; the load and the measurements come
 * from this one. No worker polls the throughput phases' task queue: both paths are measured on
 * what they control, the signals the server accepts (a worker catching up on thousands of new
 * workflows would take the same CPU from either). The follow-up phase has its own worker.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { loadConfig, type Config } from '@rapport/config';
import { createInteractionProducer, createKafka, provisionTopics } from '@rapport/kafka';
import type { StampedInteraction } from '@rapport/schema';
import { createLogger } from '@rapport/lifecycle';
import { coalesce, Limiter } from '@rapport/bridge';
import { signalCustomer, type EngagementSettingsInput } from '@rapport/workflows';
import { startWorker } from '@rapport/worker';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { benchInfrastructure, percentile, printTable, rate } from './infra.js';
import { sleep } from '../harness/processes.js';
import { zipf, ZIPF_EXPONENT } from './population.js';
import { bridgeCounters } from './bridge-counters.js';
import { followUpStart } from './follow-up-delay.js';
import { startService, type ServiceProcess } from './service.js';
import { emailExchange } from './interaction-mix.js';

const CUSTOMERS = 10_000;
const BASELINE_SIGNALS = Number(process.env['BENCH_SIGNALS'] ?? 5_000);
const BACKLOG_EVENTS = Number(process.env['BENCH_EVENTS'] ?? 40_000);
const LIVE_RATE = Number(process.env['BENCH_LIVE_RATE'] ?? 2_000);
const LIVE_SECONDS = 20;
const FOLLOW_UPS = 20;
const CONCURRENCY = 64;
const BRIDGE_PORT = 18_083;
const runId = randomUUID().slice(0, 8);

const drawCustomer = zipf(CUSTOMERS, ZIPF_EXPONENT);

/**
 * Customers a signal or an event has reached so far: those whose workflow exists (or will once
 * the bridge delivers what was produced).
 */
const reached = new Set<string>();
/**
 * A customer of `prefix` from the Zipf draw; `existing`: only one already reached. A draw over
 * the whole population keeps finding new customers for a long time (a Zipf tail), and a signal
 * that starts a workflow costs the server two to three times one that finds it (a start and
 * its visibility record): a burst a third of whose signals started workflows, measured against
 * a loop whose signals mostly found theirs, compared two different mixes of work.
 */
function customerOf(prefix: string, existing: boolean): string {
  for (;;) {
    const customerId = `${prefix}-${drawCustomer()}`;
    if (!existing || reached.has(customerId)) return customerId;
  }
}

let sequence = 0;
/** The same customers in both passes of the loop (`base-`) and in both bridge phases (`br-`). */
function event(prefix: string, { existing = false } = {}): StampedInteraction {
  sequence += 1;
  const customerId = customerOf(prefix, existing);
  reached.add(customerId);
  return emailExchange(`bench-${runId}-${sequence}`, customerId, sequence % 2 === 0);
}

function serviceEnv(config: Config, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
    RAPPORT_TEMPORAL_ADDRESS: config.temporal.address,
    // The bridge routes each customer through the identity map before it signals.
    RAPPORT_REDIS_URL: config.redis.url,
    RAPPORT_TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    RAPPORT_TOPIC_INTERACTIONS: config.kafka.topics.interactions,
    RAPPORT_TOPIC_DLQ: config.kafka.topics.dlq,
    RAPPORT_BRIDGE_GROUP_ID: config.bridge.groupId,
    RAPPORT_BRIDGE_PORT: String(port),
    RAPPORT_LOG_LEVEL: 'warn',
  };
}

/** What a phase had delivered at an instant (performance.now()), counted from its start. */
interface Delivered {
  readonly at: number;
  readonly events: number;
  readonly signals: number;
}

/**
 * Signals/s from the instant a phase had delivered a tenth of its `events` to the instant it had
 * delivered nine tenths: its rate while behind, without its start (the first fetch, or the first
 * signals in flight) or its end (the last customers' signals alone, and the bridge's linger: its
 * last fetch, of the few events left, is held up to 1 s by design).
 */
function steadyRate(progress: readonly Delivered[], events: number): number {
  const deliveredShare = (share: number) =>
    progress.find((point) => point.events >= share * events);
  const from = deliveredShare(0.1);
  const to = deliveredShare(0.9);
  if (from === undefined || to === undefined || to.at <= from.at) return Number.NaN;
  return ((to.signals - from.signals) / (to.at - from.at)) * 1000;
}

/**
 * Polls the bridge until it has delivered `events` in all; the instants of its first progress
 * past `from` and of its last progress, and what it had delivered at each poll.
 */
async function drained(bridge: ServiceProcess, from: number, events: number, timeoutMs: number) {
  let first: number | undefined;
  let last = performance.now();
  let previous = -1;
  let maxLag = 0;
  let start: { readonly signals: number } | undefined;
  const progress: Delivered[] = [];
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const counters = await bridgeCounters(bridge);
    const now = performance.now();
    start ??= counters;
    progress.push({
      at: now,
      events: counters.events - from,
      signals: counters.signals - start.signals,
    });
    maxLag = Math.max(maxLag, counters.lag);
    if (counters.events > from) first ??= now;
    if (counters.events !== previous) last = now;
    previous = counters.events;
    if (counters.events >= events) {
      return { first: first ?? now, last, counters, maxLag, progress };
    }
    if (now > deadline) throw new Error(`bridge delivered ${counters.events} of ${events}`);
    await sleep(100);
  }
}

/**
 * signalWithStart in a loop, CONCURRENCY in flight: the server's rate for one client. `draw`
 * picks the customers: Zipf, or every signal a customer of its own (each one starts a workflow).
 * Each signal carries `perSignal` events of its customer: one, or as many as the bridge put in
 * its signals, for the server's rate on signals of the same size.
 */
async function baseline(
  client: Client,
  taskQueue: string,
  draw: () => StampedInteraction,
  perSignal = 1,
): Promise<number> {
  const limiter = new Limiter(CONCURRENCY);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: BASELINE_SIGNALS }, (_, signal) =>
      limiter.run(async () => {
        const first = draw();
        const events = [
          first,
          ...Array.from({ length: perSignal - 1 }, () => ({
            ...draw(),
            customerId: first.customerId,
          })),
        ];
        await signalCustomer(
          client,
          taskQueue,
          first.customerId,
          events.map((event, index) => ({
            partition: 0,
            offset: String(signal * perSignal + index),
            event,
          })),
        );
      }),
    ),
  );
  return performance.now() - started;
}

/**
 * `events` sent by a plain loop as the bridge would group them if they came in one batch (its
 * own `coalesce`: a signal per customer, split past its cap, a customer's signals one after the
 * other), CONCURRENCY customers in flight: the server's rate for the bridge's signals, to the
 * same workflows, without Kafka or the bridge.
 */
async function replayed(
  client: Client,
  taskQueue: string,
  events: readonly StampedInteraction[],
): Promise<{ readonly signals: number; readonly ms: number; readonly steady: number }> {
  const customers = coalesce(
    events.map((value, index) => ({
      topic: 'replayed',
      partition: 0,
      offset: String(index),
      key: value.customerId,
      timestampMs: 0,
      value,
    })),
  );
  const limiter = new Limiter(CONCURRENCY);
  const progress: Delivered[] = [];
  let delivered: Delivered = { at: performance.now(), events: 0, signals: 0 };
  const started = delivered.at;
  await Promise.all(
    customers.map((customer) =>
      limiter.run(async () => {
        for (const deliveries of customer.signals) {
          await signalCustomer(client, taskQueue, customer.customerId, deliveries);
          delivered = {
            at: performance.now(),
            events: delivered.events + deliveries.length,
            signals: delivered.signals + 1,
          };
          progress.push(delivered);
        }
      }),
    ),
  );
  return {
    signals: delivered.signals,
    ms: delivered.at - started,
    steady: steadyRate(progress, events.length),
  };
}

/** Settings where engagement halves in ten seconds: a crossing a few seconds after the events. */
const fastSettings = {
  model: { halfLifeDays: 10 / 86_400 },
  sla: { defaultMs: 3_600_000 },
  relativeDrop: { share: 0.01, windowMs: 3_600_000 },
  onboardingSilenceMs: 3_600_000,
  trustBreachBelow: 0.01,
  followUpCooldownMs: 0,
  playbooks: [
    {
      name: 'bench',
      when: { triggers: ['threshold'] },
      steps: [{ kind: 'close', outcome: 'no_response' }],
    },
  ],
} satisfies EngagementSettingsInput;

/**
 * From each predicted crossing to the follow-up's start: when the durable timer fired (the
 * customer workflow's TimerFired event) and when the follow-up workflow started (its
 * WorkflowExecutionStarted event).
 */
async function followUpDelays(config: Config, client: Client) {
  const taskQueue = `${config.temporal.taskQueue}-followups`;
  const worker = await startWorker(
    { ...config, temporal: { ...config.temporal, taskQueue } },
    createLogger({ logLevel: 'warn' }, 'bench-worker'),
    { port: 0, settings: fastSettings },
  );
  try {
    const customers = Array.from({ length: FOLLOW_UPS }, (_, index) => `fu-${runId}-${index}`);
    await Promise.all(
      customers.map(async (customerId, index) => {
        await sleep(index * 200);
        const at = new Date().toISOString();
        const base = {
          customerId,
          channel: 'call',
          occurredAt: at,
          receivedAt: at,
          source: 'http',
        };
        await signalCustomer(client, taskQueue, customerId, [
          {
            partition: 0,
            offset: '0',
            event: {
              ...base,
              eventId: `${customerId}-in`,
              type: 'call.completed',
              direction: 'inbound',
            },
          },
          {
            partition: 0,
            offset: '1',
            event: {
              ...base,
              eventId: `${customerId}-out`,
              type: 'call.completed',
              direction: 'outbound',
            },
          },
        ]);
      }),
    );
    const fired: number[] = [];
    const started: number[] = [];
    for (const customerId of customers) {
      const followUp = await followUpStart(client, customerId, Date.now() + 120_000);
      if (followUp === undefined) throw new Error(`no follow-up for ${customerId}`);
      fired.push(followUp.firedAfter);
      started.push(followUp.startedAfter);
    }
    return { fired: fired.sort((a, b) => a - b), started: started.sort((a, b) => a - b) };
  } finally {
    await worker.stop();
  }
}

Runtime.install({ logger: new DefaultLogger('WARN') });
const infra = await benchInfrastructure();
const config = loadConfig({
  ...process.env,
  RAPPORT_KAFKA_BROKERS: infra.config.kafka.brokers.join(','),
  RAPPORT_TEMPORAL_ADDRESS: infra.config.temporal.address,
  RAPPORT_REDIS_URL: infra.config.redis.url,
  RAPPORT_TOPIC_INTERACTIONS: `bench.${runId}.interactions`,
  RAPPORT_TOPIC_DLQ: `bench.${runId}.dlq`,
  RAPPORT_TEMPORAL_TASK_QUEUE: `bench-${runId}`,
  RAPPORT_BRIDGE_GROUP_ID: `bench-${runId}-bridge`,
  RAPPORT_LOG_LEVEL: 'warn',
});
const kafka = createKafka(config.kafka);
await provisionTopics(kafka, config.kafka);
const producer = createInteractionProducer(kafka, config.kafka);
await producer.connect();
const connection = await Connection.connect({ address: config.temporal.address });
const client = new Client({ connection, namespace: config.temporal.namespace });
let bridge: ServiceProcess | undefined;
try {
  // The machine is shared: the load average says how much of it the figures had.
  const load = () =>
    loadavg()
      .map((value) => value.toFixed(1))
      .join(' ');
  console.log(
    `bridge: Zipf(${ZIPF_EXPONENT}) over ${CUSTOMERS} customers, ${config.kafka.partitions} ` +
      `partitions, ${config.bridge.signalConcurrency} signals in flight; Temporal ` +
      `${config.temporal.address}; load average ${load()}`,
  );
  const produce = (events: StampedInteraction[]) => producer.publish(events, { timeoutMs: 30_000 });
  const backlogOf = (existing: boolean) =>
    Array.from({ length: BACKLOG_EVENTS }, () => event('br', { existing }));
  const produceAll = async (events: readonly StampedInteraction[]) => {
    for (let sent = 0; sent < events.length; sent += 1_000) {
      await produce(events.slice(sent, sent + 1_000));
    }
  };
  await produceAll(backlogOf(false));
  bridge = await startService('bridge', serviceEnv(config, BRIDGE_PORT), BRIDGE_PORT);
  const backlog = await drained(bridge, 0, BACKLOG_EVENTS, 600_000);
  const backlogMs = backlog.last - backlog.first;

  // The loops run while the bridge idles between its phases (neither gets a fresher server). A
  // started workflow's visibility record is written behind its start, by the server's own queue,
  // so the loop of new customers goes first: what it leaves lands in the passes that only set up
  // the population, not beside the burst. Then twice over the same customers: the first pass
  // starts most of their workflows, the second finds them.
  let fresh = 0;
  const newMs = await baseline(client, config.temporal.taskQueue, () => ({
    ...event('new'),
    customerId: `new-${runId}-${(fresh += 1)}`,
  }));
  const coldMs = await baseline(client, config.temporal.taskQueue, () => event('base'));
  const warmMs = await baseline(client, config.temporal.taskQueue, () => event('base'));

  // The server's rate for signals as large as the bridge's, on the loop's customers whose
  // workflows exist, just before and just after the burst: the server slows as its in-memory
  // store grows over a run (docs/performance.md), so the burst is compared with the mean of its
  // two neighbours.
  const burstSize = Math.max(1, Math.round(BACKLOG_EVENTS / backlog.counters.signals));
  const sized = () =>
    baseline(client, config.temporal.taskQueue, () => event('base', { existing: true }), burstSize);
  const sizedBeforeMs = await sized();

  // The same again with the bridge running: a burst on the backlog's customers, whose workflows
  // exist; just before and just after it, its own events sent by a plain loop the bridge's way
  // (the server's rate for the same signals, item 5's ceiling).
  const burstEvents = backlogOf(true);
  const replay = () => replayed(client, config.temporal.taskQueue, burstEvents);
  const replayBefore = await replay();
  const burst = drained(bridge, BACKLOG_EVENTS, 2 * BACKLOG_EVENTS, 600_000);
  await produceAll(burstEvents);
  const warm = await burst;
  const warmBacklogMs = warm.last - warm.first;
  const warmSignals = warm.counters.signals - backlog.counters.signals;
  const replayAfter = await replay();
  const sizedAfterMs = await sized();

  const liveStarted = performance.now();
  const before = await bridgeCounters(bridge);
  let produced = 0;
  while (performance.now() - liveStarted < LIVE_SECONDS * 1000) {
    const due = Math.floor(((performance.now() - liveStarted) / 1000) * LIVE_RATE) - produced;
    if (due > 0) {
      await produce(Array.from({ length: due }, () => event('br')));
      produced += due;
    }
    await sleep(20);
  }
  const live = await drained(bridge, 2 * BACKLOG_EVENTS, 2 * BACKLOG_EVENTS + produced, 600_000);
  const liveMs = live.last - liveStarted;
  const liveEvents = live.counters.events - before.events;
  const liveSignals = live.counters.signals - before.signals;
  const delays = await followUpDelays(config, client);

  const coldRate = rate(BASELINE_SIGNALS, coldMs);
  const warmRate = rate(BASELINE_SIGNALS, warmMs);
  printTable('signals/s on the same server (higher is better)', [
    ['path', 'signals', 'signals/s', 'events/s', 'events/signal'],
    ['plain signalWithStart loop, 1st pass', BASELINE_SIGNALS, coldRate, coldRate, '1.0'],
    ['plain signalWithStart loop, 2nd pass', BASELINE_SIGNALS, warmRate, warmRate, '1.0'],
    [
      'plain loop, every signal a new customer',
      BASELINE_SIGNALS,
      rate(BASELINE_SIGNALS, newMs),
      rate(BASELINE_SIGNALS, newMs),
      '1.0',
    ],
    ...[
      { when: 'before', ms: sizedBeforeMs },
      { when: 'after', ms: sizedAfterMs },
    ].map(({ when, ms }) => [
      `plain loop, ${burstSize} events a signal, existing workflows, just ${when} the burst`,
      BASELINE_SIGNALS,
      rate(BASELINE_SIGNALS, ms),
      rate(BASELINE_SIGNALS * burstSize, ms),
      burstSize.toFixed(1),
    ]),
    ...[
      { when: 'before', ...replayBefore },
      { when: 'after', ...replayAfter },
    ].map(({ when, signals, ms }) => [
      `plain loop, the burst's events coalesced as the bridge does, just ${when} it`,
      signals,
      rate(signals, ms),
      rate(BACKLOG_EVENTS, ms),
      (BACKLOG_EVENTS / signals).toFixed(1),
    ]),
    [
      'bridge, backlog drain (new customers)',
      backlog.counters.signals,
      rate(backlog.counters.signals, backlogMs),
      rate(BACKLOG_EVENTS, backlogMs),
      (BACKLOG_EVENTS / backlog.counters.signals).toFixed(1),
    ],
    [
      "bridge, burst on the backlog's customers (existing workflows)",
      warmSignals,
      rate(warmSignals, warmBacklogMs),
      rate(BACKLOG_EVENTS, warmBacklogMs),
      (BACKLOG_EVENTS / warmSignals).toFixed(1),
    ],
    [
      `bridge, live at ${LIVE_RATE} events/s (same customers)`,
      liveSignals,
      rate(liveSignals, liveMs),
      rate(liveEvents, liveMs),
      (liveEvents / liveSignals).toFixed(1),
    ],
  ]);
  const burstRate = rate(warmSignals, warmBacklogMs);
  const burstSteady = steadyRate(warm.progress, BACKLOG_EVENTS);
  const ratioOf = (value: number, against: readonly number[]) =>
    (value / (against.reduce((sum, each) => sum + each, 0) / against.length)).toFixed(2);
  const ratio = (against: readonly number[]) => ratioOf(burstRate, against);
  printTable("the bridge's burst in signals/s, against the server's own (issue 26, item 5)", [
    ['against', 'ratio'],
    [
      "a plain loop of the burst's own signals around it (mean of both), whole phases",
      ratio([
        rate(replayBefore.signals, replayBefore.ms),
        rate(replayAfter.signals, replayAfter.ms),
      ]),
    ],
    [
      'the same, each phase from a tenth to nine tenths of its events delivered (steady)',
      ratioOf(burstSteady, [replayBefore.steady, replayAfter.steady]),
    ],
    [
      `the plain loop of ${burstSize}-event signals around it (mean of both)`,
      ratio([rate(BASELINE_SIGNALS, sizedBeforeMs), rate(BASELINE_SIGNALS, sizedAfterMs)]),
    ],
    ['the plain loop of single events, earlier (mean of both passes)', ratio([coldRate, warmRate])],
  ]);
  console.log(
    `  steady signals/s: the burst ${burstSteady.toFixed(0)}, ` +
      `its signals by the loop ${replayBefore.steady.toFixed(0)} before and ` +
      `${replayAfter.steady.toFixed(0)} after`,
  );
  const meanMs = (seconds: number, signals: number) => ((seconds / signals) * 1000).toFixed(0);
  printTable('bridge (its /metrics)', [
    ['phase', 'max lag s', 'mean signal ms', 'retries'],
    [
      'backlog drain',
      backlog.maxLag.toFixed(1),
      meanMs(backlog.counters.signalSeconds, backlog.counters.signals),
      backlog.counters.retries,
    ],
    [
      'burst, same customers',
      warm.maxLag.toFixed(1),
      meanMs(warm.counters.signalSeconds - backlog.counters.signalSeconds, warmSignals),
      warm.counters.retries,
    ],
    [
      `live ${LIVE_SECONDS} s`,
      live.maxLag.toFixed(1),
      meanMs(live.counters.signalSeconds - warm.counters.signalSeconds, liveSignals),
      live.counters.retries,
    ],
  ]);
  console.log(`\nload average at the end: ${load()}`);
  const ms = (values: readonly number[]) => [
    percentile(values, 50).toFixed(0),
    percentile(values, 99).toFixed(0),
    (values.at(-1) ?? Number.NaN).toFixed(0),
  ];
  printTable(`after the predicted crossing (${FOLLOW_UPS} customers, ms)`, [
    ['event', 'p50', 'p99', 'max'],
    ['drop timer fired', ...ms(delays.fired)],
    ['follow-up started', ...ms(delays.started)],
  ]);
} finally {
  await bridge?.stop();
  await producer.disconnect();
  await connection.close();
  await infra.stop();
}
