import { seededRandom } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import { entriesOf, framedAs } from './logs.js';
import { decodeTimelineEntry, encodeTimelineEntry } from './timeline.js';
import { TimelineEntrySchema } from './views.js';

/** What the layout before served for an event: its JSON without customer and properties, parsed. */
function servedBefore(event: StampedInteraction): string {
  const { customerId: _customerId, properties: _properties, ...entry } = event;
  return JSON.stringify(TimelineEntrySchema.parse(JSON.parse(JSON.stringify(entry))));
}

const served = (event: StampedInteraction) =>
  JSON.stringify(decodeTimelineEntry({ legacy: false, bytes: encodeTimelineEntry(event) }));

const base: StampedInteraction = {
  eventId: 'bench-9f7bee73-1-123456',
  customerId: 'customer-1',
  channel: 'email',
  type: 'email.replied',
  direction: 'inbound',
  occurredAt: '2026-10-14T08:31:12.345Z',
  receivedAt: '2026-12-06T18:26:38.110Z',
  source: 'http',
};

/** Events with every field in every form the schema lets through, drawn at random. */
function randomEvents(count: number, seed: number): StampedInteraction[] {
  const next = seededRandom(seed);
  const pick = <T>(options: readonly T[]): T =>
    options[Math.floor(next() * options.length)] ?? (options[0] as T);
  const maybe = <T>(value: T) => (next() < 0.5 ? value : undefined);
  const instant = (ms: number) =>
    pick([
      new Date(ms).toISOString(),
      `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`,
      `${new Date(ms).toISOString().slice(0, 19)}.123456+02:00`,
      `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}.000Z`,
    ]);
  return Array.from({ length: count }, (_, index) => {
    const occurred = Math.floor(next() * 4_000_000_000_000);
    const event: Record<string, unknown> = {
      eventId: pick([
        crypto.randomUUID(),
        `evt_${index}${Math.floor(next() * 1e9).toString(36)}`,
        `übung-${index}`,
        `commande 🧾 #${index}`,
        'x'.repeat(256),
      ]),
      customerId: 'c',
      channel: pick(['email', 'support', 'in_app', 'kiosk-7']),
      type: pick(['email.replied', 'sla.met', 'acme.custom_thing', 'followup.started']),
      direction: pick(['inbound', 'outbound']),
      occurredAt: instant(occurred),
      receivedAt: instant(Math.max(0, occurred + Math.floor((next() - 0.1) * 9e9))),
      source: pick(['http', 'engine', 'segment', 'http:csv', 'webhook:stripe']),
      initiator: maybe(pick(['customer', 'business'])),
      value: maybe(pick([0, 12.5, 1e12, next() * 1000])),
      sentiment: maybe(pick([0, -0, 0.35, -1, 1, 1 / 3, Math.round(next() * 200 - 100) / 100])),
      threadId: maybe(pick(['t-7', crypto.randomUUID(), 'fil n°9'])),
      expectsResponse: maybe(pick([true, false])),
      outcome: maybe(pick(['kept', 'broken'])),
      appeal: maybe(pick(['ethos', 'pathos', 'logos'])),
      properties: maybe({ plan: 'pro' }),
    };
    for (const key of Object.keys(event)) if (event[key] === undefined) delete event[key];
    return event as unknown as StampedInteraction;
  });
}

describe('a timeline entry', () => {
  it('gives back exactly what the JSON gave, field by field and in order, for any event', () => {
    for (const event of randomEvents(2_000, 7)) expect(served(event)).toBe(servedBefore(event));
  });

  it('takes about 34 bytes for a typical event, where its JSON took about 200', () => {
    const bytes = encodeTimelineEntry({ ...base, sentiment: 0.35 });
    expect(bytes.length).toBeLessThanOrEqual(36);
    expect(servedBefore(base).length).toBeGreaterThan(180);
  });

  it('reads the JSON entries of the layout before as it did', () => {
    const json = Buffer.from(JSON.stringify({ ...base, customerId: undefined, extra: 1 }));
    expect(JSON.stringify(decodeTimelineEntry({ legacy: true, bytes: json }))).toBe(
      servedBefore(base),
    );
  });

  it('refuses bytes it did not write', () => {
    const bytes = encodeTimelineEntry(base);
    expect(() => decodeTimelineEntry({ legacy: false, bytes: bytes.subarray(0, -1) })).toThrow();
    expect(() =>
      decodeTimelineEntry({ legacy: false, bytes: Buffer.concat([bytes, Buffer.of(1)]) }),
    ).toThrow(/left over/);
    expect(() =>
      decodeTimelineEntry({ legacy: false, bytes: Buffer.of(0xff, 0xff, 0x7f) }),
    ).toThrow(/flags/);
  });
});

describe('a log of entries', () => {
  it('frames entries and gives them back in order', () => {
    const entries = randomEvents(30, 8).map(encodeTimelineEntry);
    const log = framedAs(entries, false);
    expect(log.count).toBe(30);
    expect(entriesOf(log).map(({ bytes }) => Buffer.from(bytes))).toEqual(entries);
    expect(entriesOf(log).every(({ legacy }) => !legacy)).toBe(true);
    expect(() => entriesOf({ ...log, count: 31 })).toThrow();
    expect(() => entriesOf({ ...log, count: 29 })).toThrow(/left over/);
  });
});
