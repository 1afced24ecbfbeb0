import { z } from 'zod';
import { InitiatorSchema } from '@rapport/schema';

/**
 * What an event type means to the ledger.
 * - `engagement`: substantive value (a reply, a purchase, a resolution); inbound value feeds G,
 *   the side of engagement the customer gives.
 * - `participation`: showing up (a view, an open); inbound value feeds attention, which drives
 *   participation but never engagement.
 * - `signal`: bookkeeping the engine derives (SLA verdicts, follow-ups); not an interaction,
 *   carries no value, may carry trust evidence.
 * Outbound value of engagement and participation types always feeds R, the side the business
 * gives; its weight is what tells a newsletter from a resolved ticket. An exchange (a purchase, a
 * paid invoice, a delivery) also carries a `reciprocal`: what the other side gives in it.
 */
export const EventKindSchema = z.enum(['engagement', 'participation', 'signal']);
export type EventKind = z.infer<typeof EventKindSchema>;

/** Milestones place a customer in the lifecycle; the latest conversion and churn win. */
export const MilestoneSchema = z.enum(['conversion', 'activation', 'churn']);
export type Milestone = z.infer<typeof MilestoneSchema>;

const weight = z.number().min(0).max(1e6);
const evidence = z.number().min(-100).max(100);

export const CatalogEntrySchema = z.strictObject({
  kind: EventKindSchema,
  /** Value points when the customer sends it (1 ≈ one substantive message). */
  inbound: weight,
  /** Value points when the business sends it. */
  outbound: weight,
  /**
   * An exchange: value points the other side gives in the same event (0: not an exchange). Sent
   * inbound, the business gives them (R: the goods or service paid for); sent outbound, the
   * customer does (where the type's inbound value goes). An event's `value` scales them in
   * proportion to its own side's weight.
   */
  reciprocal: weight,
  /** Trust evidence about intent: +1 heard in time, −1 ignored. */
  warmth: evidence,
  /** Trust evidence about ability: +1 promise kept, −1 broken. */
  competence: evidence,
  /** Who started it when the event does not say; otherwise whoever sent it. */
  initiator: InitiatorSchema.optional(),
  milestone: MilestoneSchema.optional(),
});
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;
/** Configuration overrides any field of a default entry, or of the unknown-type entry. */
export const CatalogPatchSchema = CatalogEntrySchema.partial();
export type CatalogPatch = z.infer<typeof CatalogPatchSchema>;

export const ChannelTraitsSchema = z.strictObject({
  /** Others can see it (social, community): the relationship is lived in public. */
  public: z.boolean(),
  /** Structured and role-bound (email, tickets, contracts, invoices) rather than conversational. */
  formal: z.boolean(),
});
export type ChannelTraits = z.infer<typeof ChannelTraitsSchema>;
export const ChannelTraitsPatchSchema = ChannelTraitsSchema.partial();

type Extras = Partial<
  Pick<CatalogEntry, 'reciprocal' | 'warmth' | 'competence' | 'initiator' | 'milestone'>
>;

const NEUTRAL = { reciprocal: 0, warmth: 0, competence: 0 } as const;

function engagement(inbound: number, outbound: number, extras: Extras = {}): CatalogEntry {
  return { kind: 'engagement', inbound, outbound, ...NEUTRAL, ...extras };
}

function participation(inbound: number, extras: Extras = {}): CatalogEntry {
  return { kind: 'participation', inbound, outbound: 0, ...NEUTRAL, ...extras };
}

function signal(extras: Extras = {}): CatalogEntry {
  return { kind: 'signal', inbound: 0, outbound: 0, ...NEUTRAL, ...extras };
}

/**
 * A customer paying for something (`weight` points to G) gets it from the business: half as many
 * points to R. Paying is the customer's choice; delivering what was paid for is the business's
 * side of the bargain, worth at most a resolved ticket (5). See docs/model.md §3.
 */
function paid(weight: number, extras: Extras = {}): CatalogEntry {
  return engagement(weight, 0, { reciprocal: weight / 2, ...extras });
}

/**
 * Value points per type and direction. The scale: a substantive message is worth 1–3, showing up
 * a tenth of that, a purchase or renewal 10. Outbound blasts are cheap (0.2–0.5) because the
 * customer did not ask for them; answers and resolutions are dear because they were asked for.
 * Payments and deliveries are exchanges: both sides give in the same event.
 */
export const DEFAULT_CATALOG: Readonly<Record<string, CatalogEntry>> = {
  'page.viewed': participation(0.1),
  'form.submitted': engagement(2, 0),
  'app.opened': participation(0.2),
  'feature.used': participation(0.3),
  'account.created': participation(1),
  'onboarding.completed': engagement(3, 0, { milestone: 'activation' }),

  'email.sent': engagement(0, 0.5),
  'email.opened': participation(0.2, { initiator: 'business' }),
  'email.clicked': participation(0.5, { initiator: 'business' }),
  'email.replied': engagement(3, 2),
  'email.unsubscribed': engagement(0, 0, { warmth: -1 }),
  'email.bounced': signal(),

  'support.ticket_opened': engagement(2, 0),
  'support.ticket_replied': engagement(2, 2),
  'support.ticket_resolved': engagement(0, 5, { competence: 1, initiator: 'customer' }),
  'support.complaint': engagement(1, 0, { competence: -1 }),

  'chat.message': engagement(1, 1),
  'social.mention': engagement(2, 1),
  'social.followed': participation(0.5),
  'community.posted': engagement(3, 1),
  'sms.sent': engagement(0, 0.3),
  'sms.replied': engagement(2, 1),
  'call.completed': engagement(3, 3),

  'store.visit': participation(1),
  'purchase.completed': paid(10, { milestone: 'conversion' }),
  'order.delivered': engagement(0, 3, { reciprocal: 1, competence: 1, initiator: 'customer' }),
  'order.delayed': engagement(0, 0, { competence: -1 }),
  'referral.made': engagement(8, 0),
  'review.posted': engagement(5, 0),
  'sales.meeting': engagement(3, 3),
  'sales.proposal_sent': engagement(0, 2),

  'invoice.sent': engagement(0, 0.2),
  'invoice.paid': paid(2),
  'payment.failed': signal(),
  'subscription.started': paid(10, { milestone: 'conversion' }),
  'subscription.renewed': paid(10, { milestone: 'conversion' }),
  'subscription.cancelled': engagement(0, 0, { milestone: 'churn' }),
  'account.closed': engagement(0, 0, { milestone: 'churn' }),

  // The provider-specific types of @rapport/adapters' built-in channels and of Segment calls,
  // weighted like their generic counterparts above so webhooks count as much as the HTTP API.
  'email.delivered': engagement(0, 0.5),
  'email.spam_reported': engagement(0, 0, { warmth: -1 }),
  'support.customer_replied': engagement(2, 2),
  'support.agent_replied': engagement(2, 2),
  'support.satisfaction_rated': engagement(1, 0),
  'chat.conversation_started': engagement(1, 1),
  'chat.customer_replied': engagement(1, 1),
  'chat.agent_replied': engagement(1, 1),
  'chat.bot_replied': engagement(0, 0.3),
  'chat.conversation_closed': signal(),
  'social.reply': engagement(2, 1),
  'social.direct_message': engagement(2, 1),
  'community.replied': engagement(3, 1),
  'community.activity': participation(0.5),
  'billing.invoice_paid': paid(2),
  'billing.payment_failed': signal(),
  'screen.viewed': participation(0.1),
  'profile.identified': signal(),
  'profile.grouped': signal(),
  'profile.aliased': signal(),
  'profile.merged': signal(),
  // Texts' receipts and failures (Twilio, WhatsApp) are evidence about a message already counted
  // as `sms.sent`, not a second one; a read is showing up, like an email opened. An opt-out is an
  // unsubscribe. A call nobody took is the customer asking, worth half a ticket opened: nothing
  // was said yet.
  'sms.delivered': signal(),
  'sms.read': participation(0.2, { initiator: 'business' }),
  'sms.failed': signal(),
  'sms.unsubscribed': engagement(0, 0, { warmth: -1 }),
  'call.missed': engagement(1, 0),
  // A chat rating weighs like a support one; a reaction is showing up. Coming back to a list
  // mirrors leaving it. A refund or a cancellation set for the period's end is evidence about
  // money already counted, not value exchanged now (the cancellation itself, when it takes
  // effect, is `subscription.cancelled`).
  'chat.satisfaction_rated': engagement(1, 0),
  'chat.reaction_added': participation(0.2),
  'email.resubscribed': engagement(0, 0, { warmth: 1 }),
  'billing.refunded': signal(),
  'subscription.cancellation_scheduled': signal(),

  'sla.met': signal({ warmth: 1 }),
  'sla.missed': signal({ warmth: -1 }),
  'engagement.drop_detected': signal(),
  'followup.started': signal(),
  'followup.finished': signal(),
};

/**
 * A type the catalog does not know. We cannot tell that it is substantive, so inbound it counts
 * as showing up; outbound it is a modest gift. Declare a type in the catalog to make it count.
 */
export const UNKNOWN_EVENT: CatalogEntry = {
  kind: 'participation',
  inbound: 0.5,
  outbound: 0.5,
  ...NEUTRAL,
};

const traits = (visibility: 'public' | 'private', register: 'formal' | 'informal') => ({
  public: visibility === 'public',
  formal: register === 'formal',
});

export const DEFAULT_CHANNELS: Readonly<Record<string, ChannelTraits>> = {
  web: traits('private', 'informal'),
  app: traits('private', 'informal'),
  email: traits('private', 'formal'),
  support: traits('private', 'formal'),
  chat: traits('private', 'informal'),
  social: traits('public', 'informal'),
  phone: traits('private', 'informal'),
  store: traits('private', 'informal'),
  sms: traits('private', 'informal'),
  community: traits('public', 'informal'),
  sales: traits('private', 'formal'),
  billing: traits('private', 'formal'),
};

export const UNKNOWN_CHANNEL: ChannelTraits = traits('private', 'informal');

/**
 * Sums are kept per catalog type, and every type or channel the catalog does not name is pooled
 * under this key: it keeps the state bounded by the catalog, whatever producers send.
 */
export const OTHER = '*';

export interface TypeInfo {
  readonly key: string;
  readonly entry: CatalogEntry;
}

export interface ChannelInfo {
  readonly key: string;
  readonly traits: ChannelTraits;
}

export interface Catalog {
  readonly typeOf: (type: string) => TypeInfo;
  readonly channelOf: (channel: string) => ChannelInfo;
  /** Position by importance (0 first); types the catalog does not know rank last. */
  readonly rankOf: (type: string) => number;
}

/**
 * How much one event of a type can move the numbers: its larger value weight (an exchange's
 * reciprocal added to it), or five points per unit of trust evidence (for a typical customer one
 * SLA verdict moves trust about as much as five value points move engagement).
 */
function importance(entry: CatalogEntry): number {
  const evidence = Math.abs(entry.warmth) + Math.abs(entry.competence);
  return Math.max(Math.max(entry.inbound, entry.outbound) + entry.reciprocal, 5 * evidence);
}

/** Zod's optional fields may hold an explicit undefined, which means "keep the default". */
type Patch<T> = { readonly [K in keyof T]?: T[K] | undefined };

/** The defaults with the configured overrides laid over them, resolved once per model. */
export function compileCatalog(
  types: Readonly<Record<string, Patch<CatalogEntry>>>,
  channels: Readonly<Record<string, Patch<ChannelTraits>>>,
): Catalog {
  const typeInfo = new Map<string, TypeInfo>();
  for (const [key, entry] of resolved(DEFAULT_CATALOG, types, UNKNOWN_EVENT)) {
    typeInfo.set(key, { key, entry });
  }
  const channelInfo = new Map<string, ChannelInfo>();
  for (const [key, traits] of resolved(DEFAULT_CHANNELS, channels, UNKNOWN_CHANNEL)) {
    channelInfo.set(key, { key, traits });
  }
  // Each type's importance once, not once per comparison: every new workflow compiles a catalog.
  const ranked = [...typeInfo.values()]
    .map(({ key, entry }) => ({ key, importance: importance(entry) }))
    .sort((a, b) => b.importance - a.importance || (a.key < b.key ? -1 : 1));
  const ranks = new Map(ranked.map(({ key }, rank) => [key, rank]));
  const otherType: TypeInfo = { key: OTHER, entry: UNKNOWN_EVENT };
  const otherChannel: ChannelInfo = { key: OTHER, traits: UNKNOWN_CHANNEL };
  return {
    typeOf: (type) => typeInfo.get(type) ?? otherType,
    channelOf: (channel) => channelInfo.get(channel) ?? otherChannel,
    rankOf: (type) => ranks.get(type) ?? Number.POSITIVE_INFINITY,
  };
}

/** Each default, and each configured key, with its patch laid over its default (or fallback). */
function resolved<T extends object>(
  defaults: Readonly<Record<string, T>>,
  patches: Readonly<Record<string, Patch<T>>>,
  fallback: T,
): Map<string, T> {
  const result = new Map(Object.entries(defaults));
  for (const [key, patch] of Object.entries(patches)) {
    result.set(key, overlaid(defaults[key] ?? fallback, patch));
  }
  return result;
}

/** The base with every field the patch sets. */
function overlaid<T extends object>(base: T, patch: Patch<T>): T {
  const result = { ...base };
  for (const key in patch) {
    const value = patch[key];
    if (value !== undefined) result[key] = value;
  }
  return result;
}

/**
 * The catalog as it was before purchases and the like were exchanges: every default exchange's
 * reciprocal off, on top of the given patches. Engagement workflow runs that began before then
 * fold with it, so that their replays arm the timers they armed (see docs/workflows.md §3).
 */
export function withoutExchanges(
  catalog: Readonly<Record<string, CatalogPatch>>,
): Record<string, CatalogPatch> {
  const patches: Record<string, CatalogPatch> = { ...catalog };
  for (const [type, entry] of Object.entries(DEFAULT_CATALOG)) {
    if (entry.reciprocal > 0) patches[type] = { ...patches[type], reciprocal: 0 };
  }
  return patches;
}
