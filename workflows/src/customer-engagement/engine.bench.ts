/**
 * `pnpm --filter @rapport/workflows bench`: one customer's events through the customer workflow's
 * engine on one core, events/s, beside the frozen engine it replaced (legacy-engine.ts), which
 * folded events as they arrived: live (each batch of ten when it happened) and as a backfill (all
 * of it a year later, held until it settles as a whole). Alternated, best of several runs.
 */
import type { StampedInteraction } from '@rapport/schema';
import type { Delivery } from '../shared/definitions.js';
import { EngagementSettingsSchema } from '../shared/settings.js';
import { Engagement } from './engine.js';
import { LegacyEngagement } from './legacy-engine.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EVENTS = 2_000;
const BATCH = 10;
const RUNS = 5;
const T0 = Date.UTC(2026, 0, 1);

const settings = EngagementSettingsSchema.parse({
  sla: { defaultMs: 4 * HOUR },
  relativeDrop: { share: 0.5, windowMs: 30 * DAY },
  onboardingSilenceMs: 7 * DAY,
  trustBreachBelow: 0.5,
  followUpCooldownMs: 14 * DAY,
});

const moves: Pick<
  StampedInteraction,
  'type' | 'direction' | 'channel' | 'threadId' | 'expectsResponse'
>[] = [
  { type: 'email.replied', direction: 'inbound', channel: 'email' },
  { type: 'email.sent', direction: 'outbound', channel: 'email' },
  {
    type: 'support.ticket_opened',
    direction: 'inbound',
    channel: 'support',
    threadId: 't',
    expectsResponse: true,
  },
  { type: 'support.ticket_replied', direction: 'outbound', channel: 'support', threadId: 't' },
  { type: 'purchase.completed', direction: 'inbound', channel: 'store' },
];

/** Six seconds apart: a busy customer whose support threads are answered in time. */
const events: StampedInteraction[] = Array.from({ length: EVENTS }, (_, index) => {
  const at = new Date(T0 + index * 6_000).toISOString();
  const move = moves[index % moves.length] ?? moves[0];
  return {
    eventId: `e${index}`,
    customerId: 'c',
    source: 'http',
    occurredAt: at,
    receivedAt: at,
    ...move,
  } as StampedInteraction;
});

/** What both engines are driven by: one signal's deliveries at `now`, then their timers. */
type Step = (deliveries: Delivery[], now: number) => void;

const eventTime = (): Step => {
  const engine = new Engagement(settings, 'c');
  return (deliveries, now) => {
    engine.receive(deliveries, now);
    engine.advance(now);
  };
};
const legacy = (): Step => {
  const engine = new LegacyEngagement(settings, 'c');
  return (deliveries, now) => {
    engine.ingest(deliveries, now);
    engine.due(now);
  };
};

function eventsPerSecond(make: () => Step, backfill: boolean): number {
  const started = performance.now();
  const step = make();
  for (let index = 0; index < EVENTS; index += BATCH) {
    const deliveries = events
      .slice(index, index + BATCH)
      .map((event, offset) => ({ partition: 0, offset: String(index + offset), event }));
    step(deliveries, backfill ? T0 + 365 * DAY : T0 + (index + BATCH) * 6_000);
  }
  step([], T0 + 400 * DAY);
  return (EVENTS / (performance.now() - started)) * 1000;
}

const best = (make: () => Step, backfill: boolean) =>
  Math.max(...Array.from({ length: RUNS }, () => eventsPerSecond(make, backfill)));

eventsPerSecond(eventTime, false); // warm-up
eventsPerSecond(legacy, false);
const format = (rate: number) => `${Math.round(rate).toLocaleString('en-US')} events/s`;
console.log(
  `one customer, ${EVENTS} events in batches of ${BATCH}, best of ${RUNS}, node ${process.version}`,
);
console.table({
  'live: each batch when it happened': {
    'engine before (baseline)': format(best(legacy, false)),
    'event-time engine': format(best(eventTime, false)),
  },
  'backfill: all of it a year later': {
    'engine before (baseline)': format(best(legacy, true)),
    'event-time engine': format(best(eventTime, true)),
  },
});
