import { seededRandom } from '@rapport/model';
import type { Interaction } from '@rapport/schema';

/**
 * The demo's population: five personas, each a story told one simulated day at a time, so that
 * the same seed plays the same history every time.
 */

export const DAY = 86_400_000;
const HOUR = 3_600_000;

type Draft = Omit<Interaction, 'eventId' | 'customerId' | 'occurredAt'>;
/** One event at an instant, before it gets its ids. */
export interface Planned {
  readonly at: number;
  readonly customerId: string;
  readonly draft: Draft;
}

const drafts =
  (direction: Draft['direction']) =>
  (type: string, channel: string, extra: Partial<Draft> = {}): Draft => ({
    type,
    channel,
    direction,
    ...extra,
  });
const inbound = drafts('inbound');
const outbound = drafts('outbound');

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
export function liveRound(customers: number, days: number, round: number, now: number): Planned[] {
  const next = seededRandom(round + 1);
  return dayOf(customers, days + round, days, next).map(({ customerId, draft }) => ({
    customerId,
    draft,
    at: now - Math.floor(next() * 60_000),
  }));
}
