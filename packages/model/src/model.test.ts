import { describe, expect, it } from 'vitest';
import { DERIVED_EVENT_TYPES } from '@rapport/schema';
import {
  CatalogEntrySchema,
  DEFAULT_CATALOG,
  DEFAULT_CHANNELS,
  OTHER,
  UNKNOWN_EVENT,
} from './catalog.js';
import { ModelError } from './errors.js';
import { ByteWriter } from './bytes.js';
import { busyCustomer, DAY, inbound, outbound } from './fixtures.js';
import { stateDifference } from './compare.js';
import { createModel, type Model } from './model.js';
import { encodeState } from './state-bytes.js';
import type { FoldableEvent } from './state.js';

const model = createModel();
const START = Date.UTC(2024, 0, 1);

function errorOf(run: () => unknown): ModelError {
  try {
    run();
  } catch (error) {
    if (error instanceof ModelError) return error;
    throw error;
  }
  throw new Error('expected a ModelError');
}

const ledgerOf = (event: FoldableEvent, using = model) =>
  using.at(using.single(event), START).ledger;

describe('the value catalog', () => {
  it('validates every default entry and covers the common types of each channel', () => {
    for (const entry of Object.values(DEFAULT_CATALOG)) CatalogEntrySchema.parse(entry);
    expect(Object.keys(DEFAULT_CATALOG)).toEqual(
      expect.arrayContaining([
        'page.viewed',
        'email.sent',
        'email.opened',
        'email.replied',
        'support.ticket_opened',
        'support.ticket_resolved',
        'chat.message',
        'social.mention',
        'purchase.completed',
        'referral.made',
        'review.posted',
        'call.completed',
        'store.visit',
        'subscription.renewed',
        'subscription.cancelled',
      ]),
    );
    expect(Object.keys(DEFAULT_CHANNELS).sort()).toEqual([
      'app',
      'billing',
      'chat',
      'community',
      'email',
      'phone',
      'sales',
      'sms',
      'social',
      'store',
      'support',
      'web',
    ]);
  });

  it('treats the engine’s derived events as signals: SLA verdicts are warmth, bookkeeping is nothing', () => {
    for (const type of DERIVED_EVENT_TYPES) {
      const entry = DEFAULT_CATALOG[type];
      expect(entry?.kind, type).toBe('signal');
      expect([entry?.inbound, entry?.outbound, entry?.competence], type).toEqual([0, 0, 0]);
    }
    expect(DEFAULT_CATALOG['sla.met']?.warmth).toBe(1);
    expect(DEFAULT_CATALOG['sla.missed']?.warmth).toBe(-1);
    const bookkeeping = model.single(outbound('followup.started', 'email', START, { value: 9 }));
    const reading = model.at(bookkeeping, START);
    expect([
      reading.ledger.received,
      reading.trust.confidence,
      reading.ledger.counts.signals,
    ]).toEqual([0, 0, 1]);
  });

  it('gives unknown types the documented default instead of failing, pooled as "*"', () => {
    const unknown = inbound('quest.completed', 'kiosk', START);
    expect(ledgerOf(unknown).attention).toBe(UNKNOWN_EVENT.inbound);
    expect(ledgerOf({ ...unknown, direction: 'outbound' }).received).toBe(UNKNOWN_EVENT.outbound);
    const json = model.toJSON(model.single({ ...unknown, direction: 'outbound' }));
    expect(Object.keys(json.k)).toEqual([OTHER]);
    expect(json.c).toEqual({ [OTHER]: 1 });
  });

  it('lets an event override its catalog value, and configuration override the catalog', () => {
    expect(ledgerOf(inbound('purchase.completed', 'store', START, { value: 129.5 })).given).toBe(
      129.5,
    );
    const configured = createModel({
      catalog: {
        'purchase.completed': { inbound: 50 },
        'quest.completed': { kind: 'engagement', inbound: 4 },
      },
      channels: { kiosk: { public: true } },
    });
    expect(ledgerOf(inbound('purchase.completed', 'store', START), configured).given).toBe(50);
    const quest = configured.single(inbound('quest.completed', 'kiosk', START));
    expect(configured.at(quest, START).ledger.given).toBe(4);
    expect(configured.at(quest, START).dimensions.public).toBeCloseTo(5 / 6, 12);
    expect(configured.toJSON(quest).c).toEqual({ kiosk: 1 });
  });
});

describe('exchanges', () => {
  const bothSides = (event: FoldableEvent, using: Model = model) => {
    const { given, attention, received } = ledgerOf(event, using);
    return { given, attention, received };
  };

  it('feeds both sides: the own direction its weight, the other side the reciprocal', () => {
    expect(bothSides(inbound('purchase.completed', 'store', START))).toEqual({
      given: 10,
      attention: 0,
      received: 5,
    });
    for (const type of ['subscription.started', 'subscription.renewed']) {
      expect(bothSides(inbound(type, 'billing', START))).toMatchObject({ given: 10, received: 5 });
    }
    for (const type of ['invoice.paid', 'billing.invoice_paid']) {
      expect(bothSides(inbound(type, 'billing', START))).toMatchObject({ given: 2, received: 1 });
    }
    // Outbound, the reciprocal is the customer's: taking delivery of what they ordered.
    expect(bothSides(outbound('order.delivered', 'web', START))).toMatchObject({
      given: 1,
      received: 3,
    });
    expect(bothSides(inbound('email.replied', 'email', START))).toMatchObject({ received: 0 });
  });

  it('scales the reciprocal with the event value, in proportion to its own weight', () => {
    expect(bothSides(inbound('purchase.completed', 'store', START, { value: 129 }))).toEqual({
      given: 129,
      attention: 0,
      received: 64.5,
    });
    expect(bothSides(outbound('order.delivered', 'web', START, { value: 0 }))).toMatchObject({
      given: 0,
      received: 0,
    });
    // No own weight to keep a ratio to: the reciprocal stays as the catalog says.
    expect(bothSides(outbound('purchase.completed', 'store', START, { value: 7 }))).toMatchObject({
      given: 10 / 2,
      received: 7,
    });
    const { lifetime } = model.at(
      model.single(inbound('purchase.completed', 'store', START, { value: 30 })),
      START,
    ).ledger;
    expect(lifetime).toEqual({ given: 30, attention: 0, received: 15 });
  });

  it('lets configuration declare exchanges and patch a reciprocal without losing the rest', () => {
    const configured = createModel({
      catalog: {
        'ticket.bought': { kind: 'engagement', inbound: 6, reciprocal: 4 },
        'class.attended': { reciprocal: 2 },
        'purchase.completed': { inbound: 20 },
        'invoice.paid': { reciprocal: 0 },
      },
    });
    const side = (event: FoldableEvent) => bothSides(event, configured);
    expect(side(inbound('ticket.bought', 'web', START))).toEqual({
      given: 6,
      attention: 0,
      received: 4,
    });
    // A new type patches UNKNOWN_EVENT: inbound showing up (attention), with the business giving.
    expect(side(inbound('class.attended', 'store', START))).toEqual({
      given: 0,
      attention: 0.5,
      received: 2,
    });
    expect(side(inbound('purchase.completed', 'store', START))).toMatchObject({
      given: 20,
      received: 5,
    });
    expect(side(inbound('invoice.paid', 'billing', START))).toMatchObject({ received: 0 });
  });

  it('carries no value on signals, whatever their reciprocal', () => {
    const configured = createModel({ catalog: { 'sla.met': { reciprocal: 3 } } });
    expect(bothSides(outbound('sla.met', 'support', START), configured)).toEqual({
      given: 0,
      attention: 0,
      received: 0,
    });
  });
});

describe('stateDifference', () => {
  it('agrees up to rounding and names what differs', () => {
    const events = [
      inbound('purchase.completed', 'store', START),
      outbound('email.sent', 'email', START + DAY),
      inbound('email.replied', 'email', START + 2 * DAY, { sentiment: 0.3 }),
    ];
    const folded = (list: FoldableEvent[]) =>
      model.toJSON(list.reduce((state, event) => model.apply(state, event), model.empty()));
    expect(stateDifference(folded(events), folded([...events].reverse()))).toBeNull();
    const other = folded([...events, outbound('email.sent', 'email', START + DAY)]);
    expect(stateDifference(folded(events), other)).toMatch(/^v, n, t/);
    const nudged = folded(events);
    nudged.l[1] = (nudged.l[1] ?? 0) * (1 + 1e-6); // voluntary: the customer replied
    expect(stateDifference(folded(events), nudged)).toMatch(/^l\[1\]/);
  });
});

describe('bounded state', () => {
  it('stores a busy customer (10,000 events, every channel, 23 kinds) in 416 B, 1.1 KB as JSON', () => {
    const state = busyCustomer(10_000).reduce((s, event) => model.apply(s, event), model.empty());
    const writer = new ByteWriter();
    encodeState(writer, state);
    // The stored form (the read model's record): 16 B of it are the business's side of its
    // purchases and renewals (exchanges), 17 B its rhythm (docs/model.md §11).
    expect(writer.written().length).toBeLessThanOrEqual(416);
    expect(JSON.stringify(model.toJSON(state)).length).toBeLessThanOrEqual(1120);
  });

  const everyType = Object.keys(DEFAULT_CATALOG).flatMap((type, i) => [
    inbound(type, 'web', START + i * DAY, { value: 1 + i, sentiment: 0.5 }),
    outbound(type, 'email', START + i * DAY, { value: 2 + i }),
  ]);

  it('keeps rows for the best-ranked types only, pooling the rest without losing any value', () => {
    const wide = createModel({ trackedTypes: 32 });
    const fold = (using: Model) =>
      everyType.reduce((state, event) => using.apply(state, event), using.empty());
    const [bounded, unbounded] = [fold(model), fold(wide)];
    const rows = Object.keys(model.toJSON(bounded).k);
    expect(rows).toHaveLength(model.params.trackedTypes + 1);
    expect(rows).toContain(OTHER);
    expect(rows).toContain('purchase.completed');
    expect(rows).not.toContain('page.viewed');
    const [narrow, full] = [model.at(bounded, START), wide.at(unbounded, START)];
    expect(narrow.engagement).toBeCloseTo(full.engagement, 9);
    expect(narrow.trust).toEqual(full.trust);
  });
});

describe('errors', () => {
  it('refuses invalid parameters with every issue and its path', () => {
    const error = errorOf(() =>
      createModel({
        halfLifeDays: -1,
        thresholds: { engaged: 10, atRisk: 20 },
        catalog: { Bad: {} },
      }),
    );
    expect(error.code).toBe('MODEL_PARAMS_INVALID');
    expect(error.retriable).toBe(false);
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'catalog.Bad',
      'halfLifeDays',
      'thresholds.engaged',
    ]);
  });

  it('refuses a stored state it cannot read', () => {
    const stored = model.toJSON(model.single(inbound('chat.message', 'chat', START)));
    for (const bad of [{ ...stored, v: 3 }, { ...stored, l: [1] }, { ...stored, n: 0 }, 'x']) {
      expect(errorOf(() => model.fromJSON(bad)).code).toBe('MODEL_STATE_INVALID');
    }
  });

  it('refuses an event time or read time that is not an instant', () => {
    const event = inbound('chat.message', 'chat', START);
    expect(errorOf(() => model.apply(model.empty(), { ...event, occurredAt: 'soon' })).code).toBe(
      'MODEL_INPUT_INVALID',
    );
    expect(errorOf(() => model.at(model.empty(), Number.NaN)).code).toBe('MODEL_INPUT_INVALID');
  });
});
