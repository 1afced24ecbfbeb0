import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type Config } from '@rapport/config';
import { seededRandom } from '@rapport/model';
import type { Interaction } from '@rapport/schema';
import { CliError, usageError } from './cli-errors.js';
import { GATEWAY_FLAGS, gatewayUsage, parseFlags, runCommand } from './command.js';
import { GatewayClient, gatewayTarget, type GatewayTarget } from './gateway-client.js';

const USAGE = `Usage: rapport demo [--customers N] [--days D] [--seconds S] [--once]

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

Watch it with \`rapport tail\`, \`rapport at-risk\` and \`rapport show <id>\`.`;

const DAY = 86_400_000;
const HOUR = 3_600_000;
const TICK_MS = 200;
const LIVE_EVERY_MS = 10_000;
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

type Draft = Omit<Interaction, 'eventId' | 'customerId' | 'occurredAt'>;
/** One event at an instant, before it gets its ids. */
interface Planned {
  readonly at: number;
  readonly customerId: string;
  readonly draft: Draft;
}

const inbound = (type: string, channel: string, extra: Partial<Draft> = {}): Draft => ({
  type,
  channel,
  direction: 'inbound',
  ...extra,
});
const outbound = (type: string, channel: string, extra: Partial<Draft> = {}): Draft => ({
  type,
  channel,
  direction: 'outbound',
  ...extra,
});

/**
 * What one customer of a persona does on simulated day `day` of `days` (hours after midnight
 * as offsets); `thread` names a conversation uniquely per customer.
 */
type Persona = (
  day: number,
  days: number,
  next: () => number,
  thread: (name: string) => string,
) => { hours: number; draft: Draft }[];

/** Two-way and warm: the customer writes, the business answers within the hour, orders repeat. */
const loyal: Persona = (day, _days, next, thread) => {
  if (day === 0) {
    return [
      { hours: 9, draft: inbound('purchase.completed', 'store', { value: 40 }) },
      { hours: 10, draft: inbound('onboarding.completed', 'app') },
    ];
  }
  if (day % 2 !== 0)
    return next() < 0.5 ? [{ hours: 20, draft: inbound('app.opened', 'app') }] : [];
  const id = thread(`day-${day}`);
  const sentiment = Math.round((0.4 + next() * 0.5) * 100) / 100;
  return [
    {
      hours: 9,
      draft: inbound('email.replied', 'email', { threadId: id, expectsResponse: true, sentiment }),
    },
    { hours: 9.5, draft: outbound('email.replied', 'email', { threadId: id }) },
    ...(day % 6 === 0
      ? [
          {
            hours: 15,
            draft: inbound('purchase.completed', 'store', { value: 20 + Math.round(next() * 60) }),
          },
        ]
      : []),
    ...(day % 4 === 0
      ? [
          { hours: 16, draft: inbound('chat.message', 'chat') },
          { hours: 16.2, draft: outbound('chat.message', 'chat') },
        ]
      : []),
  ];
};

/** Newsletters twice a week and the odd open, never an answer: interaction, not engagement. */
const marketingOnly: Persona = (day, _days, next) =>
  day % 3 === 0
    ? [
        { hours: 8, draft: outbound('email.sent', 'email', { appeal: 'pathos' }) },
        ...(next() < 0.3 ? [{ hours: 12, draft: inbound('email.opened', 'email') }] : []),
      ]
    : [];

/** Asks for help every few days and waits days for an answer; sentiment sours. */
const slowSupport: Persona = (day, days, next, thread) => {
  if (day % 4 !== 0) return [];
  const id = thread(`ticket-${day}`);
  const sentiment = Math.round((0.2 - (day / days) * 0.9) * 100) / 100;
  return [
    {
      hours: 10,
      draft: inbound('support.ticket_opened', 'support', {
        threadId: id,
        expectsResponse: true,
        sentiment,
      }),
    },
    {
      hours: 10 + 40 + next() * 30,
      draft: outbound('support.ticket_replied', 'support', { threadId: id }),
    },
    ...(next() < 0.5
      ? [{ hours: 90, draft: outbound('support.ticket_resolved', 'support', { threadId: id }) }]
      : []),
  ];
};

/**
 * Wrote every week or so (a question, an answer from the business), then stopped: engagement
 * decays into the at-risk band well before the silence makes the customer dormant.
 */
const goesSilent: Persona = (day, days, next, thread) => {
  if (day === 0) return [{ hours: 9, draft: inbound('subscription.started', 'billing') }];
  if (day >= days * 0.3 || day % 8 !== 0) return [];
  const id = thread(`week-${day}`);
  return [
    {
      hours: 10,
      draft: inbound('email.replied', 'email', {
        threadId: id,
        expectsResponse: true,
        sentiment: 0.3,
      }),
    },
    { hours: 11 + next() * 4, draft: outbound('email.replied', 'email', { threadId: id }) },
  ];
};

/** Engaged, then a complaint and a delayed order, then the business makes it right and wins them back. */
const wonBack: Persona = (day, days, next, thread) => {
  const phase = day / days;
  if (phase < 0.35) return loyal(day, days, next, thread);
  const id = thread('complaint');
  if (day === Math.ceil(days * 0.35)) {
    return [
      { hours: 9, draft: outbound('order.delayed', 'store', { outcome: 'broken' }) },
      {
        hours: 11,
        draft: inbound('support.complaint', 'support', {
          threadId: id,
          expectsResponse: true,
          sentiment: -0.9,
        }),
      },
      { hours: 12, draft: inbound('social.mention', 'social', { sentiment: -0.8 }) },
    ];
  }
  if (phase < 0.5) return [];
  if (day === Math.ceil(days * 0.5)) {
    return [
      {
        hours: 9,
        draft: outbound('support.ticket_resolved', 'support', { threadId: id, outcome: 'kept' }),
      },
      { hours: 10, draft: outbound('email.sent', 'email', { appeal: 'ethos' }) },
      { hours: 18, draft: inbound('email.replied', 'email', { sentiment: 0.6 }) },
    ];
  }
  if (day === Math.ceil(days * 0.55)) {
    return [
      { hours: 12, draft: inbound('purchase.completed', 'store', { value: 80 }) },
      { hours: 13, draft: inbound('review.posted', 'web', { sentiment: 0.9 }) },
    ];
  }
  return loyal(day, days, next, thread);
};

export const PERSONAS: ReadonlyArray<readonly [string, Persona]> = [
  ['loyal', loyal],
  ['marketing-only', marketingOnly],
  ['slow-support', slowSupport],
  ['goes-silent', goesSilent],
  ['won-back', wonBack],
];

/** What every customer does on simulated day `day` (past `days`: the present, carrying on). */
function dayOf(
  customers: number,
  day: number,
  days: number,
  next: () => number,
): { customerId: string; hours: number; draft: Draft }[] {
  return Array.from({ length: customers }, (_, index) => {
    const [name, persona] = PERSONAS[index % PERSONAS.length] ?? ['loyal', loyal];
    const customerId = `demo-${name}-${String(Math.floor(index / PERSONAS.length) + 1).padStart(2, '0')}`;
    const thread = (label: string) => `${customerId}:${label}`;
    return persona(day, days, next, thread).map((event) => ({ customerId, ...event }));
  }).flat();
}

/** The compressed history: every customer's events over `days` days ending at `end`, in time order. */
export function plan(customers: number, days: number, end: number): Planned[] {
  const next = seededRandom(20_260_301);
  const start = end - days * DAY;
  const planned: Planned[] = [];
  for (let day = 0; day < days; day += 1) {
    for (const { customerId, hours, draft } of dayOf(customers, day, days, next)) {
      const at = start + day * DAY + hours * HOUR + Math.floor(next() * HOUR);
      if (at < end) planned.push({ at, customerId, draft });
    }
  }
  return planned.sort((a, b) => a.at - b.at);
}

/** One round of the present: what each customer would do on the next simulated day, now. */
function liveRound(customers: number, days: number, round: number, now: number): Planned[] {
  const next = seededRandom(round + 1);
  return dayOf(customers, days + round, days, next).map(({ customerId, draft }) => ({
    customerId,
    draft,
    at: now - Math.floor(next() * 60_000),
  }));
}

export async function runDemo(target: GatewayTarget, options: DemoOptions): Promise<DemoResult> {
  const clock = options.now ?? Date.now;
  const client = new GatewayClient(target, { source: 'demo' });
  const startedAt = clock();
  const history = plan(options.customers, options.days, startedAt);
  const span = options.days * DAY;
  const runId = startedAt.toString(36);
  let sent = 0;
  let duplicates = 0;
  let sequence = 0;
  const send = async (events: readonly Planned[]) => {
    for (let start = 0; start < events.length; start += BATCH) {
      const batch = events.slice(start, start + BATCH).map((event): Interaction => ({
        ...event.draft,
        eventId: `demo-${runId}-${(sequence += 1)}`,
        customerId: event.customerId,
        occurredAt: new Date(event.at).toISOString(),
      }));
      const outcome = await client.postBatch(batch);
      if (!outcome.ok) {
        const [issue] = outcome.issues;
        throw new CliError(
          'GATEWAY_REFUSED',
          `the gateway refused demo events: ${issue?.path} ${issue?.message}`,
        );
      }
      sent += outcome.counts.accepted;
      duplicates += outcome.counts.duplicates;
    }
  };
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
    await send(due);
    if (clock() - lastReport >= 10_000 || position === history.length) {
      lastReport = clock();
      const day = Math.min(options.days, Math.floor(elapsed * options.days));
      options.say(`day ${day}/${options.days}: ${sent} events accepted`);
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
      await send(liveRound(options.customers, options.days, round, clock()));
  }
  return { sent, duplicates, customers };
}

export async function demoCommand(args: readonly string[]): Promise<number> {
  return runCommand('demo', USAGE, async () => {
    const { values, positionals } = parseFlags(args, {
      ...GATEWAY_FLAGS,
      customers: { type: 'string', default: '40' },
      days: { type: 'string', default: '90' },
      seconds: { type: 'string', default: '120' },
      once: { type: 'boolean', default: false },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const customers = Number(values.customers);
    const days = Number(values.days);
    const seconds = Number(values.seconds);
    if (positionals.length > 0) throw usageError(`unexpected ${positionals.join(' ')}`);
    if (!Number.isInteger(customers) || customers < 1 || customers > 10_000) {
      throw usageError('--customers takes a whole number from 1 to 10000');
    }
    if (!Number.isInteger(days) || days < 1 || days > 365) {
      throw usageError('--days takes a whole number from 1 to 365');
    }
    if (!(seconds > 0 && seconds <= 86_400)) throw usageError('--seconds takes a positive number');
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const result = await runDemo(gatewayTarget(loadConfig(), values), {
        customers,
        days,
        seconds,
        live: !values.once,
        signal: stop.signal,
        say: (line) => console.log(`demo: ${line}`),
      });
      console.log(`demo: ${result.sent} events accepted for ${result.customers.length} customers`);
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

/** `rapport up --demo`: the demo against the gateway `up` just started, with its dev key. */
export function demoOnUp(config: Config, signal: AbortSignal, live: boolean): Promise<DemoResult> {
  return runDemo(gatewayTarget(config, {}), {
    customers: 40,
    days: 90,
    seconds: 120,
    live,
    signal,
    say: (line) => console.log(`rapport: demo: ${line}`),
  });
}
