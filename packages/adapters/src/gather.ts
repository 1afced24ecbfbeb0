import { parseWith, type Issue, type ParseResult } from '@rapport/schema';
import type { z } from 'zod';
import {
  isList,
  itemsOf,
  settle,
  type AdapterResult,
  type Candidate,
  type EventDraft,
  type Item,
} from './adapter.js';

/**
 * For providers whose one payload does not fit `providerAdapter`'s flat list of one channel's
 * events: Twilio's texts land on `sms` and its calls on `phone`; Meta nests events under
 * `entry[].messaging[]` and `entry[].changes[].value.messages[]`, pages' on `social` and
 * WhatsApp's on `sms`. Each item's rule gives its draft, and the channel it lands on.
 */
export interface Drafted {
  /** Where the item sits in the body (`entry.0.messaging.2`). */
  readonly at: string;
  readonly channel: string;
  /** The item's event, `undefined` for one that carries no interaction, or its issues. */
  readonly drafted: ParseResult<EventDraft | undefined>;
}

/** All the events of a payload, or every issue in it (with the payload's own, found before). */
export function gather(items: Iterable<Drafted>, earlier: readonly Issue[] = []): AdapterResult {
  const candidates: Candidate[] = [];
  const issues = [...earlier];
  for (const { at, channel, drafted } of items) {
    if (!drafted.ok) issues.push(...drafted.issues);
    else if (drafted.value !== undefined) {
      candidates.push({ at, draft: { channel, ...drafted.value } });
    }
  }
  return settle(candidates, issues);
}

/** Parses one part of a payload, its issues at their path within the whole body. */
export function parseAt<T>(schema: z.ZodType<T>, value: unknown, at: string): ParseResult<T> {
  const parsed = parseWith(schema, value);
  if (parsed.ok) return parsed;
  return {
    ok: false,
    issues: parsed.issues.map((issue) => ({
      ...issue,
      path: [at, issue.path].filter((part) => part !== '').join('.'),
    })),
  };
}

/** The items of the list under `key` of a record, with their paths; none when there is no list. */
export function listAt(record: Readonly<Record<string, unknown>>, key: string, at: string): Item[] {
  const list = record[key];
  return isList(list) ? itemsOf(list, `${at}.${key}`) : [];
}
