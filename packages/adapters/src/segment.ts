import { z } from 'zod';
import {
  ClientEventTypeSchema,
  IdSchema,
  instantMs,
  InstantSchema,
  parseWith,
  type Interaction,
  type Issue,
  type LinkVia,
} from '@rapport/schema';
import {
  compact,
  isRecord,
  settle,
  type AdaptContext,
  type Candidate,
  type Properties,
} from './adapter.js';
import { ProviderIdSchema, slug } from './wire.js';

/**
 * Segment's HTTP tracking API spec, mapped to canonical events (README.md has the same table).
 *
 * | Segment                                  | canonical                                           |
 * | ---------------------------------------- | --------------------------------------------------- |
 * | messageId                                | eventId (required: it is the idempotency key)       |
 * | userId ?? anonymousId                    | customerId (one of them is required)                |
 * | context.channel ?? channel               | channel: browser → web, mobile → app, server (and   |
 * |   ?? defaultChannel                      | RudderStack's sources) → the default; anything else |
 * |                                          | slugified. Segment's spec and RudderStack put       |
 * |                                          | `channel` at the top level, some clients in context |
 * | track `event`                            | type `track.<slug>` ('Order Completed' →            |
 * |                                          | `track.order_completed`); `properties.rapportType`  |
 * |                                          | overrides it                                        |
 * | page / screen                            | `page.viewed` / `screen.viewed`                     |
 * | identify / group / alias                 | `profile.identified` / `.grouped` / `.aliased`      |
 * | timestamps                               | occurredAt, corrected for client clock skew         |
 * | properties (track, page, screen)         | properties, with page/screen `name` and `category`  |
 * | traits (identify, group)                 | properties (group adds `groupId`)                   |
 * | previousId (alias)                       | properties.previousId                               |
 * | identify with anonymousId and userId     | a link: anonymousId is merged into userId           |
 * | alias                                    | a link: previousId is merged into userId            |
 * | properties.value ?? properties.revenue   | value, when a number ≥ 0 (a refund's negative       |
 * |                                          | revenue is not value given)                         |
 *
 * Every call is inbound and initiated by the customer. Clock skew is corrected as Segment does:
 * with `sentAt` (the device's clock when the batch left), occurredAt = receivedAt − (sentAt −
 * (timestamp ?? originalTimestamp)); without it, timestamp ?? originalTimestamp ?? receivedAt.
 * A batch's `sentAt` and `context` apply to the calls that do not carry their own.
 *
 * Each call becomes exactly one event, in order, so `events[i]` answers `batch[i]`. Calls that
 * say two ids are one person also give a link (`links`), which the gateway decides and publishes
 * as `profile.merged` before it routes the events (docs/identity.md).
 */

export const SEGMENT_CALL_TYPES = [
  'track',
  'identify',
  'page',
  'screen',
  'group',
  'alias',
] as const;
export type SegmentCallType = (typeof SEGMENT_CALL_TYPES)[number];

const json = z.record(z.string(), z.json());
const context = z.object({ channel: z.string().optional() });

const common = {
  messageId: IdSchema,
  // analytics.js sends `null` for the id it does not know; some server libraries send numbers.
  userId: ProviderIdSchema.nullish(),
  anonymousId: ProviderIdSchema.nullish(),
  timestamp: InstantSchema.optional(),
  originalTimestamp: InstantSchema.optional(),
  sentAt: InstantSchema.optional(),
  channel: z.string().optional(),
  context: context.optional(),
};

const viewed = { ...common, name: z.string().optional(), category: z.string().optional() };

const calls = [
  z.object({
    type: z.literal('track'),
    ...common,
    event: z.string().min(1),
    properties: z
      .object({ rapportType: ClientEventTypeSchema.optional() })
      .catchall(z.json())
      .optional(),
  }),
  z.object({ type: z.literal('identify'), ...common, traits: json.optional() }),
  z.object({ type: z.literal('page'), ...viewed, properties: json.optional() }),
  z.object({ type: z.literal('screen'), ...viewed, properties: json.optional() }),
  z.object({
    type: z.literal('group'),
    ...common,
    groupId: ProviderIdSchema,
    traits: json.optional(),
  }),
  z.object({ type: z.literal('alias'), ...common, previousId: ProviderIdSchema }),
] as const;

export const segmentCallSchema = z
  .discriminatedUnion('type', calls, { error: `expected one of ${SEGMENT_CALL_TYPES.join(', ')}` })
  .refine((call) => call.userId != null || call.anonymousId != null, {
    path: ['userId'],
    message: 'userId or anonymousId is required',
  });
export type SegmentCall = z.infer<typeof segmentCallSchema>;

export const segmentBatchSchema = z.object({
  batch: z.array(segmentCallSchema),
  sentAt: InstantSchema.optional(),
  context: context.optional(),
});
export type SegmentBatch = z.infer<typeof segmentBatchSchema>;

/** Two ids a call says are one person: `from` is merged into `into`. */
export interface SegmentLink {
  readonly from: string;
  readonly into: string;
  readonly via: LinkVia;
  /** The call's path in the body (`batch.3`), for issues. */
  readonly at: string;
}

export type SegmentAdapted =
  | { ok: true; events: Interaction[]; links: SegmentLink[] }
  | { ok: false; issues: Issue[] };

export interface SegmentContext extends AdaptContext {
  /** The call type from the endpoint (`/v1/track`); it wins over the body's. Absent for `/v1/batch`. */
  readonly type?: SegmentCallType;
  /** The channel of calls from servers, or that name none. */
  readonly defaultChannel: string;
}

/**
 * Maps one Segment call, or a `{ batch: [...] }` when no type is given. Issues carry the path in
 * the body (`batch.3.userId`). Throws only when the caller passes a `receivedAt` that is not an
 * instant: that is a bug in the caller, not a bad payload.
 */
export function fromSegment(call: unknown, segment: SegmentContext): SegmentAdapted {
  if (Number.isNaN(instantMs(segment.receivedAt))) {
    throw new RangeError(`receivedAt must be an RFC 3339 instant, got ${segment.receivedAt}`);
  }
  if (segment.type === undefined && isRecord(call) && 'batch' in call) {
    const parsed = parseWith(segmentBatchSchema, call);
    if (!parsed.ok) return { ok: false, issues: [...parsed.issues] };
    const { batch, ...inherited } = parsed.value;
    return withLinks(
      batch.map((item, index) => ({ call: item, at: `batch.${index}` })),
      inherited,
      segment,
    );
  }
  const typed =
    segment.type !== undefined && isRecord(call) ? { ...call, type: segment.type } : call;
  const parsed = parseWith(segmentCallSchema, typed);
  if (!parsed.ok) return { ok: false, issues: [...parsed.issues] };
  return withLinks([{ call: parsed.value, at: '' }], {}, segment);
}

function withLinks(
  calls: readonly { call: SegmentCall; at: string }[],
  inherited: Inherited,
  segment: SegmentContext,
): SegmentAdapted {
  const links: SegmentLink[] = [];
  const issues: Issue[] = [];
  for (const { call, at } of calls) {
    const link = linkOf(call, at);
    if (link === undefined) continue;
    if ('issues' in link) issues.push(...link.issues);
    else links.push(link);
  }
  const settled = settle(
    calls.map(({ call, at }) => toCandidate(call, at, inherited, segment)),
    issues,
  );
  return settled.ok ? { ...settled, links } : settled;
}

/**
 * The link a call makes, if any: an `identify` naming both ids merges the anonymous one into the
 * user (Segment's own identity resolution), an `alias` merges `previousId` into the user. Ids
 * are held to the canonical id rules, as the customerId of an event is.
 */
function linkOf(call: SegmentCall, at: string): SegmentLink | { issues: Issue[] } | undefined {
  const pair =
    call.type === 'identify' && call.userId != null && call.anonymousId != null
      ? { from: call.anonymousId, fromPath: 'anonymousId', via: 'segment.identify' as const }
      : call.type === 'alias'
        ? { from: call.previousId, fromPath: 'previousId', via: 'segment.alias' as const }
        : undefined;
  const into = call.userId ?? call.anonymousId;
  if (pair === undefined || into == null) return undefined;
  const from = IdSchema.safeParse(pair.from);
  const survivor = IdSchema.safeParse(into);
  if (!from.success) {
    const path = [at, pair.fromPath].filter((part) => part !== '').join('.');
    return { issues: from.error.issues.map((issue) => ({ path, message: issue.message })) };
  }
  if (!survivor.success || from.data === survivor.data) return undefined;
  return { from: from.data, into: survivor.data, via: pair.via, at };
}

interface Inherited {
  readonly sentAt?: string | undefined;
  readonly context?: z.infer<typeof context> | undefined;
}

function toCandidate(
  call: SegmentCall,
  at: string,
  inherited: Inherited,
  segment: SegmentContext,
): Candidate {
  const described = describe(call);
  const time = occurredAt(call, inherited.sentAt, segment.receivedAt);
  const worth = valueOf(described.properties);
  const named = namedChannel(call, inherited);
  return {
    at,
    draft: {
      eventId: call.messageId,
      customerId: call.userId ?? call.anonymousId,
      channel: channelOf(named?.channel, segment.defaultChannel),
      type: described.type,
      direction: 'inbound',
      initiator: 'customer',
      occurredAt: time.instant,
      value: worth?.value,
      properties: described.properties,
    },
    sources: {
      type: described.typeSource,
      channel: named?.source,
      occurredAt: time.source,
      value: worth?.source,
      properties: described.propertiesSource,
    },
  };
}

interface Described {
  readonly type: string;
  readonly typeSource?: string;
  readonly properties: Properties | undefined;
  readonly propertiesSource?: string;
}

function describe(call: SegmentCall): Described {
  switch (call.type) {
    case 'track': {
      const rapportType = call.properties?.rapportType;
      return {
        ...(rapportType === undefined
          ? { type: `track.${slug(call.event)}`, typeSource: 'event' }
          : { type: rapportType, typeSource: 'properties.rapportType' }),
        properties: call.properties,
        propertiesSource: 'properties',
      };
    }
    case 'page':
    case 'screen':
      return {
        type: `${call.type}.viewed`,
        properties: compact({ name: call.name, category: call.category, ...call.properties }),
        propertiesSource: 'properties',
      };
    case 'identify':
      return { type: 'profile.identified', properties: call.traits, propertiesSource: 'traits' };
    case 'group':
      return {
        type: 'profile.grouped',
        properties: { ...call.traits, groupId: call.groupId },
        propertiesSource: 'traits',
      };
    case 'alias':
      return { type: 'profile.aliased', properties: { previousId: call.previousId } };
  }
}

/** The channel the call names, and where; a batch-wide one lies outside the item's path. */
function namedChannel(
  call: SegmentCall,
  inherited: Inherited,
): { channel: string; source?: string } | undefined {
  if (call.context?.channel !== undefined) {
    return { channel: call.context.channel, source: 'context.channel' };
  }
  if (call.channel !== undefined) return { channel: call.channel, source: 'channel' };
  const batchChannel = inherited.context?.channel;
  return batchChannel === undefined ? undefined : { channel: batchChannel };
}

/**
 * Segment's channel names the kind of library, not where the customer was: a server library
 * speaks for whatever channel the business configured as the default.
 */
const SEGMENT_CHANNELS = new Map([
  ['browser', 'web'],
  ['mobile', 'app'],
]);
const SERVER_CHANNELS = new Set(['server', 'sources']);

function channelOf(channel: string | undefined, defaultChannel: string): string {
  if (channel === undefined || SERVER_CHANNELS.has(channel)) return defaultChannel;
  return SEGMENT_CHANNELS.get(channel) ?? slug(channel);
}

/** The device's time of the call, and the field it came from. */
function clientTime(call: SegmentCall): { time: string; source: string } | undefined {
  if (call.timestamp !== undefined) return { time: call.timestamp, source: 'timestamp' };
  if (call.originalTimestamp === undefined) return undefined;
  return { time: call.originalTimestamp, source: 'originalTimestamp' };
}

function occurredAt(
  call: SegmentCall,
  batchSentAt: string | undefined,
  receivedAt: string,
): { instant: string; source?: string } {
  const client = clientTime(call);
  if (client === undefined) return { instant: receivedAt };
  const sentAt = call.sentAt ?? batchSentAt;
  if (sentAt === undefined) return { instant: client.time, source: client.source };
  // Both come from the device's clock, so their difference is exact whatever that clock's skew;
  // instants the schema accepted keep the result well inside the range a Date can print.
  const ms = instantMs(receivedAt) - (instantMs(sentAt) - instantMs(client.time));
  return { instant: new Date(ms).toISOString(), source: client.source };
}

function valueOf(
  properties: Properties | undefined,
): { value: number; source: string } | undefined {
  for (const key of ['value', 'revenue']) {
    const candidate = properties?.[key];
    if (typeof candidate === 'number' && candidate >= 0) {
      return { value: candidate, source: `properties.${key}` };
    }
  }
  return undefined;
}
