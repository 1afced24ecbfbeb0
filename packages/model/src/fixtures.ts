import type { FoldableEvent } from './state.js';
import { seededRandom } from './random.js';

/**
 * Building blocks for the tests, the worked examples and the benchmark: events at epoch-ms
 * instants, so scenarios read as timelines.
 */
export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

type Extra = Partial<Omit<FoldableEvent, 'type' | 'channel' | 'direction' | 'occurredAt'>>;

export function inbound(
  type: string,
  channel: string,
  at: number,
  extra: Extra = {},
): FoldableEvent {
  return { type, channel, direction: 'inbound', occurredAt: iso(at), ...extra };
}

export function outbound(
  type: string,
  channel: string,
  at: number,
  extra: Extra = {},
): FoldableEvent {
  return { type, channel, direction: 'outbound', occurredAt: iso(at), ...extra };
}

/**
 * A busy customer over three years on every default channel: browsing and app use, newsletters,
 * support threads with SLA verdicts, chat, calls, social, purchases and renewals; in time order,
 * as a log mostly is.
 */
export function busyCustomer(count: number): FoldableEvent[] {
  const next = seededRandom(42);
  const pick = <T>(items: readonly [T, ...T[]]): T =>
    items[Math.floor(next() * items.length)] ?? items[0];
  const start = Date.UTC(2023, 0, 1);
  const span = 3 * 365 * DAY;
  const moves: [(at: number) => FoldableEvent, ...((at: number) => FoldableEvent)[]] = [
    (at) => inbound('page.viewed', 'web', at),
    (at) => inbound('app.opened', 'app', at),
    (at) => inbound('feature.used', 'app', at),
    (at) => outbound('email.sent', 'email', at, { appeal: pick(['ethos', 'pathos', 'logos']) }),
    (at) => inbound('email.opened', 'email', at),
    (at) => inbound('email.replied', 'email', at, { sentiment: next() * 2 - 1 }),
    (at) => inbound('support.ticket_opened', 'support', at),
    (at) => outbound('support.ticket_replied', 'support', at + HOUR),
    (at) => outbound('sla.met', 'support', at + HOUR),
    (at) => outbound('sla.missed', 'support', at + 8 * HOUR),
    (at) => outbound('support.ticket_resolved', 'support', at + DAY, { outcome: 'kept' }),
    (at) => inbound('chat.message', 'chat', at),
    (at) => outbound('chat.message', 'chat', at),
    (at) => inbound('call.completed', 'phone', at, { sentiment: 0.5 }),
    (at) => inbound('social.mention', 'social', at, { sentiment: next() * 2 - 1 }),
    (at) => inbound('community.posted', 'community', at),
    (at) => outbound('sms.sent', 'sms', at),
    (at) => inbound('store.visit', 'store', at),
    (at) => inbound('purchase.completed', 'store', at, { value: 20 + next() * 200 }),
    (at) => outbound('sales.proposal_sent', 'sales', at),
    (at) => inbound('invoice.paid', 'billing', at),
    (at) => inbound('subscription.renewed', 'billing', at),
    (at) => inbound('review.posted', 'web', at, { sentiment: 0.8 }),
  ];
  const instants = Array.from({ length: count }, () => start + Math.floor(next() * span));
  return instants.sort((a, b) => a - b).map((at) => pick(moves)(at));
}
