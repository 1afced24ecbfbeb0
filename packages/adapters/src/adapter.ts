import { z } from 'zod';
import {
  parseInteraction,
  parseWith,
  type Interaction,
  type Issue,
  type ParseResult,
} from '@rapport/schema';

/**
 * Every adapter answers with all the canonical events of a payload or with every problem in it,
 * never a mix: the gateway sends a refused payload whole to the dead-letter topic with its issues,
 * so that a fix can replay it exactly.
 */
export type AdapterResult = { ok: true; events: Interaction[] } | { ok: false; issues: Issue[] };

export interface AdaptContext {
  /** When the gateway received the payload (RFC 3339 with an offset). Adapters never read a clock. */
  readonly receivedAt: string;
}

/**
 * How a provider signs its webhooks, for the gateway to check an HMAC-SHA256 of the raw body under
 * the channel's secret: `<prefix><digest in encoding>` in `header`.
 */
export const WebhookSignatureSchema = z.strictObject({
  header: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'expected an HTTP header name such as "x-community-signature"'),
  encoding: z.enum(['hex', 'base64']),
  // exactOptional: the type reads `prefix?: string`, absent rather than `undefined`.
  prefix: z.string().min(1).exactOptional(),
});
export type WebhookSignature = z.infer<typeof WebhookSignatureSchema>;

/**
 * What the built-in adapters ask for when a channel is configured with `RAPPORT_CHANNEL_SECRETS`:
 * the generic HMAC-SHA256 of the body, as a relay (or a provider's custom-header feature) signs.
 * Providers' own schemes (Stripe's `t.body`, SendGrid's ECDSA, …) are verified by the gateway for
 * channels of the channels file that name the provider (`@rapport/adapters/node`, `providers.ts`).
 */
export const GENERIC_SIGNATURE: WebhookSignature = {
  header: 'x-rapport-signature',
  encoding: 'hex',
};

export interface ChannelAdapter {
  /** The canonical channel slug the events carry. */
  readonly channel: string;
  readonly signature?: WebhookSignature;
  adapt(body: unknown, context: AdaptContext): AdapterResult;
}

export type JsonValue = NonNullable<Interaction['properties']>[string];
export type Properties = Record<string, JsonValue>;

/**
 * An event under construction: each canonical field is present in the type (so a builder cannot
 * forget one) but may still be `undefined` (a provider field that was absent).
 */
type Draft = { [K in keyof Interaction]: Interaction[K] | undefined };
/** What a provider rule builds; the adapter adds its own channel. */
export type EventDraft = Omit<Draft, 'channel'>;

export interface Candidate {
  /** Where the event's payload item sits in the body (`''` for the body itself, `'3'`, `'posts.3'`). */
  readonly at: string;
  /** The canonical fields as read; unchecked, because a declarative mapping reads unknown data. */
  readonly draft: Readonly<Record<string, unknown>>;
  /**
   * Where in the item a canonical field was read from, by canonical path (`type`,
   * `properties.title`), so that an issue points at the data the sender can fix rather than at a
   * field of an event they never wrote.
   */
  readonly sources?: Readonly<Record<string, string | undefined>>;
}

/**
 * Large enough for any call Segment itself accepts (32 KB), small enough that one event cannot
 * bloat a Kafka batch or a replay. Counted in UTF-16 code units of the serialised JSON.
 */
export const MAX_PROPERTIES_LENGTH = 32_768;

/** Checks every candidate against the canonical schema and gathers all issues. */
export function settle(
  candidates: readonly Candidate[],
  earlier: readonly Issue[] = [],
): AdapterResult {
  const events: Interaction[] = [];
  const issues = [...earlier];
  for (const candidate of candidates) {
    const checked = check(candidate);
    if (checked.ok) events.push(checked.value);
    else issues.push(...checked.issues);
  }
  return issues.length === 0 ? { ok: true, events } : { ok: false, issues };
}

function check({ at, draft, sources = {} }: Candidate): ParseResult<Interaction> {
  const parsed = parseInteraction(withoutUndefined(draft));
  if (!parsed.ok) return { ok: false, issues: parsed.issues.map((issue) => locate(issue)) };
  const { properties } = parsed.value;
  if (properties !== undefined && JSON.stringify(properties).length > MAX_PROPERTIES_LENGTH) {
    const message = `larger than ${MAX_PROPERTIES_LENGTH} characters once serialised`;
    return { ok: false, issues: [locate({ path: 'properties', message })] };
  }
  return parsed;

  /** An issue at a field read from the item moves to where it was read, naming the field. */
  function locate(issue: Issue): Issue {
    const [field = '', ...rest] = issue.path.split('.');
    const whole = sources[field];
    const source =
      sources[issue.path] ?? (whole === undefined ? undefined : joinPath(whole, ...rest));
    if (source === undefined) return { path: joinPath(at, issue.path), message: issue.message };
    return { path: joinPath(at, source), message: `${issue.path}: ${issue.message}` };
  }
}

/** zod keeps keys whose value is `undefined`, and the canonical schema is strict about keys. */
function withoutUndefined(draft: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(draft).filter(([, value]) => value !== undefined));
}

/** Properties from named values, leaving out the absent ones; `undefined` when none is left. */
export function compact(
  values: Readonly<Record<string, JsonValue | undefined>>,
): Properties | undefined {
  const entries = Object.entries(values).filter(
    (entry): entry is [string, JsonValue] => entry[1] !== undefined,
  );
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

function joinPath(...parts: readonly string[]): string {
  return parts.filter((part) => part !== '').join('.');
}

/** Parses one item of a payload, reporting issues at their path within the whole body. */
function parseAt<T>(schema: z.ZodType<T>, value: unknown, at: string): ParseResult<T> {
  const parsed = parseWith(schema, value);
  if (parsed.ok) return parsed;
  return {
    ok: false,
    issues: parsed.issues.map((issue) => ({ ...issue, path: joinPath(at, issue.path) })),
  };
}

export interface Item {
  readonly at: string;
  readonly item: unknown;
}

/** Providers post one event or an array of them; each item keeps its index as its path. */
export function itemsOf(body: unknown, base = ''): Item[] {
  if (!isList(body)) return [{ at: base, item: body }];
  return body.map((item, index) => ({ at: joinPath(base, String(index)), item }));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

/**
 * One provider event kind that means something to Rapport: the schema of that kind in the
 * provider's documented format, and the canonical event it becomes (`undefined` for an instance
 * that carries no interaction, such as an internal note or a status change to "pending").
 */
export type Rule = (item: unknown, at: string) => ParseResult<EventDraft | undefined>;

export function rule<T>(schema: z.ZodType<T>, build: (event: T) => EventDraft | undefined): Rule {
  return (item, at) => {
    const parsed = parseAt(schema, item, at);
    return parsed.ok ? { ok: true, value: build(parsed.value) } : parsed;
  };
}

export interface ProviderSpec {
  readonly channel: string;
  readonly signature?: WebhookSignature;
  /** Reads the provider's name for the kind of an event (`event`, `type`, `topic`, ...). */
  readonly kind: z.ZodType<string>;
  /**
   * Kinds without a rule are accepted and produce nothing: providers send many kinds that carry
   * no interaction (SendGrid's `deferred`, Stripe's `customer.created`), and refusing them would
   * make the provider retry and eventually disable the endpoint.
   */
  readonly rules: Readonly<Record<string, Rule>>;
}

/** The one shape of every built-in adapter: split the body, dispatch on the kind, check. */
export function providerAdapter(spec: ProviderSpec): ChannelAdapter {
  // A Map, so that a kind named like an Object.prototype member (`constructor`) finds no rule.
  const rules = new Map(Object.entries(spec.rules));
  return {
    channel: spec.channel,
    ...(spec.signature !== undefined && { signature: spec.signature }),
    adapt(body) {
      const candidates: Candidate[] = [];
      const issues: Issue[] = [];
      for (const { at, item } of itemsOf(body)) {
        const kind = parseAt(spec.kind, item, at);
        if (!kind.ok) {
          issues.push(...kind.issues);
          continue;
        }
        const drafted = rules.get(kind.value)?.(item, at);
        if (drafted?.ok === false) issues.push(...drafted.issues);
        else if (drafted?.value !== undefined) {
          candidates.push({ at, draft: { channel: spec.channel, ...drafted.value } });
        }
      }
      return settle(candidates, issues);
    },
  };
}
