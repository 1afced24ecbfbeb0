import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@rapport/config';
import type { Interaction } from '@rapport/schema';
import { CliError, usageError } from '../cli-errors.js';
import { GatewayClient, gatewayTarget, type GatewayTarget } from '../clients/gateway.js';
import { defineCommand, gatewayUsage, wholeNumber } from '../command.js';
import { DAY, liveRound, PERSONAS, plan, type Planned } from '../demo/population.js';
import { untilInterrupted } from '../interrupt.js';

const TICK_MS = 200;
const LIVE_EVERY_MS = 10_000;
const REPORT_EVERY_MS = 10_000;
const BATCH = 500;

export interface DemoOptions {
  readonly customers: number;
  readonly days: number;
  readonly seconds: number;
  /** Keep the population going in the present after the compressed history. */
  readonly live: boolean;
  readonly signal: AbortSignal;
  readonly say: (line: string) => void;
  readonly now?: () => number;
}

export interface DemoResult {
  readonly sent: number;
  readonly duplicates: number;
  readonly customers: readonly string[];
}

/** Sends planned events under ids unique to one run, counting what the gateway made of them. */
class DemoFeed {
  sent = 0;
  duplicates = 0;
  #sequence = 0;

  constructor(
    private readonly client: GatewayClient,
    private readonly runId: string,
  ) {}

  async send(events: readonly Planned[]): Promise<void> {
    for (let start = 0; start < events.length; start += BATCH) {
      const batch = events.slice(start, start + BATCH).map((event): Interaction => ({
        ...event.draft,
        eventId: `demo-${this.runId}-${(this.#sequence += 1)}`,
        customerId: event.customerId,
        occurredAt: new Date(event.at).toISOString(),
      }));
      const outcome = await this.client.postBatch(batch);
      if (!outcome.ok) {
        const [issue] = outcome.issues;
        throw new CliError(
          'GATEWAY_REFUSED',
          `the gateway refused demo events: ${issue?.path} ${issue?.message}`,
        );
      }
      this.sent += outcome.counts.accepted;
      this.duplicates += outcome.counts.duplicates;
    }
  }
}

/** Plays the population's history compressed into `seconds`, then, when `live`, the present. */
export async function runDemo(target: GatewayTarget, options: DemoOptions): Promise<DemoResult> {
  const clock = options.now ?? Date.now;
  const startedAt = clock();
  const feed = new DemoFeed(new GatewayClient(target, { source: 'demo' }), startedAt.toString(36));
  const history = plan(options.customers, options.days, startedAt);
  const span = options.days * DAY;
  const customers = [...new Set(history.map((event) => event.customerId))];
  options.say(
    `playing ${options.days} days of ${customers.length} customers (${PERSONAS.map(([name]) => name).join(', ')}) in ${options.seconds} s`,
  );
  let position = 0;
  let lastReport = 0;
  while (position < history.length && !options.signal.aborted) {
    const elapsed = (clock() - startedAt) / (options.seconds * 1000);
    const simulated = startedAt - span + elapsed * span;
    const due: Planned[] = [];
    while (position < history.length && (history[position]?.at ?? Infinity) <= simulated) {
      const event = history[position];
      if (event) due.push(event);
      position += 1;
    }
    await feed.send(due);
    if (clock() - lastReport >= REPORT_EVERY_MS || position === history.length) {
      lastReport = clock();
      const day = Math.min(options.days, Math.floor(elapsed * options.days));
      options.say(`day ${day}/${options.days}: ${feed.sent} events accepted`);
    }
    if (position < history.length)
      await sleep(TICK_MS, undefined, { signal: options.signal }).catch(() => undefined);
  }
  if (options.live && !options.signal.aborted) {
    options.say('history played; the population carries on in the present (Ctrl-C stops)');
  }
  for (let round = 0; options.live && !options.signal.aborted; round += 1) {
    await sleep(LIVE_EVERY_MS, undefined, { signal: options.signal }).catch(() => undefined);
    if (!options.signal.aborted)
      await feed.send(liveRound(options.customers, options.days, round, clock()));
  }
  return { sent: feed.sent, duplicates: feed.duplicates, customers };
}

/**
 * How long `rapport up --demo` takes to play the history: short enough that the dashboard it
 * prints shows customers at risk, and follow-ups started for them, within a minute of opening.
 */
const UP_DEMO_SECONDS = 40;

/** `rapport up --demo`: the demo against the gateway `up` just started, with its dev key. */
export function demoOnUp(config: Config, signal: AbortSignal, live: boolean): Promise<DemoResult> {
  return runDemo(gatewayTarget(config, {}), {
    customers: 40,
    days: 90,
    seconds: UP_DEMO_SECONDS,
    live,
    signal,
    say: (line) => console.log(`rapport: demo: ${line}`),
  });
}

export const demoCommand = defineCommand({
  name: 'demo',
  synopsis: 'demo',
  summary: 'Feed the gateway a simulated population (90 days played in 2 minutes).',
  usage: `Usage: rapport demo [--customers N] [--days D] [--seconds S] [--once]

Feeds the gateway with a simulated population: loyal two-way customers, customers who only
receive marketing, customers with slow support answers, customers who go silent, and customers
who complain and are won back. The last D days (default 90) play in S seconds (default 120), so
state changes, at-risk lists fill and follow-ups start within minutes; then the population keeps
going in the present until Ctrl-C (--once stops after the compressed history).

  --customers N  population, split evenly across the five personas (default 40)
  --days D       simulated history (default 90)
  --seconds S    real time the history takes (default 120)
  --once         stop after the history
${gatewayUsage(15)}

Watch it with \`rapport tail\`, \`rapport at-risk\` and \`rapport show <id>\`.`,
  server: 'gateway',
  flags: {
    customers: { type: 'string', default: '40' },
    days: { type: 'string', default: '90' },
    seconds: { type: 'string', default: '120' },
    once: { type: 'boolean', default: false },
  },
  async run({ flags, gateway }) {
    const customers = wholeNumber('--customers', flags.customers, 1, 10_000);
    const days = wholeNumber('--days', flags.days, 1, 365);
    const seconds = Number(flags.seconds);
    if (!(seconds > 0 && seconds <= 86_400)) throw usageError('--seconds takes a positive number');
    const result = await untilInterrupted((signal) =>
      runDemo(gateway, {
        customers,
        days,
        seconds,
        live: !flags.once,
        signal,
        say: (line) => console.log(`demo: ${line}`),
      }),
    );
    console.log(`demo: ${result.sent} events accepted for ${result.customers.length} customers`);
    return 0;
  },
});
