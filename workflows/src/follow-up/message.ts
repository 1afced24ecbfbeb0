import { TriggerSchema, type Trigger } from '../shared/settings.js';
import type { Notification } from './notification.js';

/**
 * A step's notification written out for people: who, what happened, why in numbers, and where to
 * look. Slack and email render this one content (destinations/slack.ts and email.ts), so they
 * always say the same.
 */
export interface FollowUpMessage {
  /** One line: Slack's notification text, the email's subject. */
  readonly summary: string;
  readonly title: string;
  /** What happened and when, in words. */
  readonly what: string;
  /** What the playbook's step asks of whoever reads it. */
  readonly ask: string;
  /** Why, in numbers: label and value, in reading order. */
  readonly facts: readonly (readonly [label: string, value: string])[];
  /** The customer on the dashboard. */
  readonly link: string;
  /** Where it comes from, for whoever traces it back: the playbook, the step, the follow-up. */
  readonly origin: string;
}

/** The triggers in the dashboard's words (its follow-ups card). */
const TRIGGERS: Record<Trigger, string> = {
  threshold: 'engagement crossed into risk',
  relative_drop: 'engagement fell sharply',
  silence: 'they went silent',
  overdue: 'overdue against their rhythm',
  trust_breach: 'trust fell: a promise broken or a request unanswered',
  manual: 'a person asked for a follow-up',
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const words = (name: string) => name.replace(/[._]/g, ' ');
const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
/** In UTC, to the minute: the same for every reader and every attempt. */
const instant = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** How long before the drop, in the largest whole unit. */
function before(ms: number): string {
  if (ms >= DAY) return `${plural(Math.floor(ms / DAY), 'day')} before`;
  if (ms >= HOUR) return `${plural(Math.floor(ms / HOUR), 'hour')} before`;
  return ms >= MINUTE ? `${plural(Math.floor(ms / MINUTE), 'minute')} before` : 'at the drop';
}

/** What happened: the trigger, and for a trust breach what broke it when known. */
function happened({ trigger, facts }: Notification): string {
  const known = TriggerSchema.safeParse(trigger);
  if (!known.success) return words(trigger);
  if (known.data !== 'trust_breach' || facts?.cause === undefined) return TRIGGERS[known.data];
  return facts.cause === 'sla.missed'
    ? 'trust fell: a request went unanswered past its deadline'
    : `trust fell: ${words(facts.cause)}`;
}

/** The figures at the drop that say why; without facts (an older follow-up) who it is, only. */
function factsOf({ customerId, stage, facts }: Notification, dropAt: number): [string, string][] {
  const who: [string, string] = ['Customer', customerId];
  if (facts === undefined) return [who, ['Stage', capitalised(words(stage))]];
  const { given, received, lifetime, lastHeardAt, rhythmDays } = facts;
  const figures: [string, string][] = [
    who,
    ['Stage · status', capitalised(`${words(stage)} · ${words(facts.status)}`)],
    ['Engagement', `${facts.engagement.toFixed(1)} of 100`],
    ['Trust', `${Math.round(facts.trust * 100)}%`],
    [
      'They gave · you gave',
      `${given.toFixed(1)} · ${received.toFixed(1)} now, ` +
        `${lifetime.given.toFixed(1)} · ${lifetime.received.toFixed(1)} in all`,
    ],
    [
      'Last heard from them',
      lastHeardAt === null ? 'never' : `${instant(lastHeardAt)}, ${before(dropAt - lastHeardAt)}`,
    ],
  ];
  if (rhythmDays !== null) {
    figures.push(['Their rhythm', `an exchange every ${Number(rhythmDays.toFixed(1))} days`]);
  }
  return figures;
}

/** The message of a notification, linking to the customer at `dashboardUrl`. */
export function followUpMessage(notification: Notification, dashboardUrl: string): FollowUpMessage {
  const { customerId } = notification;
  const kind = notification.type === 'followup.escalate' ? 'Escalation' : 'Follow-up';
  const dropAt = Date.parse(notification.dropAt);
  const what = happened(notification);
  return {
    summary: `${kind} for customer ${customerId}: ${what}`,
    title: `${kind}: customer ${customerId}`,
    what: `${capitalised(what)} at ${instant(dropAt)}.`,
    ask: notification.message,
    facts: factsOf(notification, dropAt),
    link: `${dashboardUrl}/dashboard/#/customers/${encodeURIComponent(customerId)}`,
    origin:
      `Playbook ${notification.playbook}, step ${notification.step + 1}; ` +
      `follow-up ${notification.followUpId}`,
  };
}
