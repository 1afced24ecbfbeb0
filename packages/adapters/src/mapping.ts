import { z } from 'zod';
import { ChannelSchema, InteractionSchema, type ParseResult } from '@rapport/schema';
import {
  isList,
  itemsOf,
  settle,
  WebhookSignatureSchema,
  type AdaptContext,
  type Candidate,
  type ChannelAdapter,
  type Item,
} from './adapter.js';
import { issuePath, PathSchema, resolvePath, type CompiledPath } from './path.js';
import { instantAt } from './wire.js';
import { fileIssue, parseYaml } from './yaml-document.js';

/**
 * Declarative channels: a JSON or YAML file that says where each canonical field sits in a
 * channel's payload, so a new source needs a file rather than code. The CSV importer uses the same
 * mappings, one row object at a time. README.md documents the format; in short:
 *
 * ```yaml
 * channel: community
 * events: "$.posts"            # optional: where the array of events is; else the payload is one
 *                              # event, or an array of them
 * fields:
 *   eventId: { path: "$.id" }  # each field is { path, map?, default? } or { const }
 *   type: { path: "$.kind", map: { post: community.posted }, default: community.activity }
 *   occurredAt: { path: "$.created_at", format: unix-seconds }   # iso (default), unix-ms
 *   properties: { pick: { title: "$.title" } }
 * signature: { header: x-community-signature, encoding: hex }   # or { scheme: slack }
 * ```
 *
 * Constants, map values and defaults are checked against the canonical schema when the file is
 * loaded, so a mistake in the file is reported once, naming the file and the field. Values read
 * from payloads are checked per event by the canonical schema and reported at the payload path
 * they were read from.
 */

const TIME_FORMATS = ['iso', 'unix-seconds', 'unix-ms'] as const;
type TimeFormat = (typeof TIME_FORMATS)[number];

const shape = InteractionSchema.shape;

/** A field either reads the payload (`path`, then `map`, then `default`) or is a constant. */
function fieldShape<T extends z.ZodType>(value: T) {
  return {
    path: PathSchema.optional(),
    const: value.optional(),
    map: z.record(z.string(), value).optional(),
    default: value.optional(),
  };
}

interface FieldRule {
  readonly path?: CompiledPath | undefined;
  readonly const?: unknown;
  readonly map?: Readonly<Record<string, unknown>> | undefined;
  readonly default?: unknown;
  readonly format?: TimeFormat | undefined;
}

function oneSource<T extends z.ZodType<FieldRule>>(schema: T): T {
  return schema.superRefine((rule, context) => {
    if ((rule.path === undefined) === (rule.const === undefined)) {
      context.addIssue({ code: 'custom', message: 'expected either "path" or "const"' });
    }
    if (rule.const === undefined) return;
    for (const key of ['map', 'default', 'format'] as const) {
      if (rule[key] !== undefined) {
        context.addIssue({ code: 'custom', path: [key], message: 'applies to "path" only' });
      }
    }
  });
}

const field = <T extends z.ZodType>(value: T) => oneSource(z.strictObject(fieldShape(value)));

const fieldsSchema = z.strictObject({
  eventId: field(shape.eventId),
  customerId: field(shape.customerId),
  type: field(shape.type),
  direction: field(shape.direction),
  /** Absent: the time the gateway received the payload. */
  occurredAt: oneSource(
    z.strictObject({ ...fieldShape(shape.occurredAt), format: z.enum(TIME_FORMATS).optional() }),
  ).optional(),
  initiator: field(shape.initiator.unwrap()).optional(),
  value: field(shape.value.unwrap()).optional(),
  sentiment: field(shape.sentiment.unwrap()).optional(),
  threadId: field(shape.threadId.unwrap()).optional(),
  expectsResponse: field(shape.expectsResponse.unwrap()).optional(),
  outcome: field(shape.outcome.unwrap()).optional(),
  appeal: field(shape.appeal.unwrap()).optional(),
  properties: z.strictObject({ pick: z.record(z.string(), PathSchema) }).optional(),
});

/**
 * How the channel's webhooks are signed: the generic HMAC-SHA256 of the body in a header of the
 * file's choosing, or a verification scheme of the gateway's registry by name (`{ scheme: slack }`,
 * checked against the registry where the file is loaded; its secrets in the channels file).
 */
const MappingSignatureSchema = z.union([
  WebhookSignatureSchema,
  z.strictObject({
    scheme: z
      .string()
      .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'expected a scheme name such as "slack"'),
  }),
]);

export const channelMappingSchema = z.strictObject({
  channel: ChannelSchema,
  events: PathSchema.optional(),
  fields: fieldsSchema,
  signature: MappingSignatureSchema.optional(),
});
export type ChannelMapping = z.infer<typeof channelMappingSchema>;

export type ChannelMappingResult =
  | { ok: true; mapping: ChannelMapping }
  | { ok: false; errors: string[] };

/** Reads a mapping file (YAML, or JSON, which YAML reads too); every error names file and field. */
export function parseChannelMapping(text: string, fileName: string): ChannelMappingResult {
  const parsed = parseYaml(text, channelMappingSchema);
  if (parsed.ok) return { ok: true, mapping: parsed.value };
  return { ok: false, errors: parsed.issues.map((issue) => fileIssue(fileName, issue)) };
}

/** A mapping's adapter; a scheme the file names is the gateway's to apply, not the adapter's. */
export function adapterFromMapping(mapping: ChannelMapping): ChannelAdapter {
  const { signature } = mapping;
  return {
    channel: mapping.channel,
    ...(signature !== undefined && !('scheme' in signature) && { signature }),
    adapt(body, context) {
      const items = itemsAt(body, mapping.events);
      if (!items.ok) return { ok: false, issues: [...items.issues] };
      return settle(items.value.map((item) => candidateOf(mapping, item, context)));
    },
  };
}

function itemsAt(body: unknown, events: CompiledPath | undefined): ParseResult<Item[]> {
  if (events === undefined) return { ok: true, value: itemsOf(body) };
  const list = resolvePath(body, events.segments);
  const at = issuePath(events.segments);
  if (isList(list)) return { ok: true, value: itemsOf(list, at) };
  return {
    ok: false,
    issues: [{ path: at, message: `expected an array of events at ${events.text}` }],
  };
}

type FieldName = Exclude<keyof ChannelMapping['fields'], 'properties'>;

/**
 * Payload values are coerced to the field's canonical type when the intent is unambiguous, so a
 * CSV row (all strings) and a JSON payload with numeric ids map alike. Anything else is left for
 * the canonical schema to refuse with its path.
 */
const COERCE: Readonly<Record<FieldName, (raw: unknown, rule: FieldRule) => unknown>> = {
  eventId: toText,
  customerId: toText,
  type: toText,
  direction: toText,
  initiator: toText,
  threadId: toText,
  outcome: toText,
  appeal: toText,
  value: toNumber,
  sentiment: toNumber,
  expectsResponse: toBoolean,
  occurredAt: (raw, rule) => toInstant(raw, rule.format ?? 'iso'),
};

// The record's type makes its keys exactly the field names, so it is the list to walk.
const FIELD_NAMES = Object.keys(COERCE) as readonly FieldName[];

function toText(raw: unknown): unknown {
  return typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function toNumber(raw: unknown): unknown {
  return typeof raw === 'string' && NUMERIC.test(raw.trim()) ? Number(raw) : raw;
}

function toBoolean(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const word = raw.trim().toLowerCase();
  return word === 'true' ? true : word === 'false' ? false : raw;
}

function toInstant(raw: unknown, format: TimeFormat): unknown {
  const number = format === 'iso' ? raw : toNumber(raw);
  if (typeof number !== 'number') return raw;
  return instantAt(format === 'unix-seconds' ? number * 1000 : number) ?? raw;
}

/** Absent, `null` and the empty string (an empty CSV cell) all mean "not given". */
function given(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function read(rule: FieldRule, item: unknown, coerce: (raw: unknown) => unknown): unknown {
  if (rule.path === undefined) return rule.const;
  const raw = resolvePath(item, rule.path.segments);
  if (!given(raw)) return rule.default;
  if (rule.map === undefined) return coerce(raw);
  const key = String(raw);
  return (Object.hasOwn(rule.map, key) ? rule.map[key] : undefined) ?? rule.default ?? coerce(raw);
}

function candidateOf(
  mapping: ChannelMapping,
  { at, item }: Item,
  context: AdaptContext,
): Candidate {
  const draft: Record<string, unknown> = {
    channel: mapping.channel,
    occurredAt: context.receivedAt,
  };
  const sources: Record<string, string> = {};
  for (const name of FIELD_NAMES) {
    const rule: FieldRule | undefined = mapping.fields[name];
    if (rule === undefined) continue;
    draft[name] = read(rule, item, (raw) => COERCE[name](raw, rule));
    if (rule.path !== undefined) sources[name] = issuePath(rule.path.segments);
  }
  const picked = Object.entries(mapping.fields.properties?.pick ?? {}).flatMap(([key, path]) => {
    const value = resolvePath(item, path.segments);
    sources[`properties.${key}`] = issuePath(path.segments);
    return value === undefined ? [] : [[key, value] as const];
  });
  if (picked.length > 0) draft.properties = Object.fromEntries(picked);
  return { at, draft, sources };
}
