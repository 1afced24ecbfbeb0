import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_INSTANT_MS, MIN_INSTANT_MS } from '@rapport/schema';
import { ByteReader, ByteWriter } from './bytes.js';
import { DEFAULT_CATALOG, DEFAULT_CHANNELS, UNKNOWN_EVENT } from './catalog.js';
import { DAY, iso } from './fixtures.js';
import { stateDifference } from './compare.js';
import { createModel } from './model.js';
import { HeadlineSchema, type Reading } from './read.js';
import { decodeState, encodeState } from './state-bytes.js';
import type { FoldableEvent, State } from './state.js';

const model = createModel();
const YEAR = 365 * DAY;

const types = [...Object.keys(DEFAULT_CATALOG), 'custom.thing_done'];
const channels = [...Object.keys(DEFAULT_CHANNELS), 'kiosk'];

/** Instants inside one window: hours apart, months apart, or anywhere from 1970 to 2100. */
const instants = fc.constantFrom(DAY, 90 * DAY, 3 * YEAR, MAX_INSTANT_MS - 1).chain((span) =>
  fc.integer({ min: MIN_INSTANT_MS, max: MAX_INSTANT_MS - 1 - span }).map((start) => ({
    start,
    span,
  })),
);

function eventAt(
  window: { start: number; span: number },
  among: readonly string[] = types,
): fc.Arbitrary<FoldableEvent> {
  return fc.record(
    {
      type: fc.constantFrom(...among),
      channel: fc.constantFrom(...channels),
      direction: fc.constantFrom('inbound', 'outbound'),
      occurredAt: fc
        .integer({ min: 0, max: window.span })
        .map((offset) => iso(window.start + offset)),
      initiator: fc.constantFrom('customer', 'business'),
      value: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e12, noNaN: true })),
      sentiment: fc.double({ min: -1, max: 1, noNaN: true }),
      outcome: fc.constantFrom('kept', 'broken'),
      appeal: fc.constantFrom('ethos', 'pathos', 'logos'),
    },
    { requiredKeys: ['type', 'channel', 'direction', 'occurredAt'] },
  );
}

const eventLists = (maxLength: number, among: readonly string[] = types) =>
  instants.chain((window) => fc.array(eventAt(window, among), { maxLength }));

const fold = (events: readonly FoldableEvent[], from: State = model.empty(), using = model) =>
  events.reduce((state, event) => using.apply(state, event), from);

/** The default exchanges, a configured one, and a configured participation type that is one. */
const exchanging = createModel({
  catalog: {
    'ticket.bought': { kind: 'engagement', inbound: 6, reciprocal: 4 },
    'class.attended': { reciprocal: 2 },
  },
});
const exchanges = [
  ...Object.keys(DEFAULT_CATALOG).filter((type) => (DEFAULT_CATALOG[type]?.reciprocal ?? 0) > 0),
  'ticket.bought',
  'class.attended',
  'email.replied',
];

/** Equal within 1e-9 relative; `scale` covers sums that cancel (net trust evidence). */
function close(a: number | null, b: number | null, scale = 0): boolean {
  if (a === null || b === null) return a === b;
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), scale) + 1e-300;
}

function expectSameState(actual: State, expected: State): void {
  const [a, b] = [model.toJSON(actual), model.toJSON(expected)];
  expect(stateDifference(a, b), `${JSON.stringify(a)}\n${JSON.stringify(b)}`).toBeNull();
}

/** Every number anywhere in a reading. */
function numbersIn(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(numbersIn);
}

describe('the fold is a commutative monoid over events', () => {
  it('gives the same state for any order of the same events', () => {
    fc.assert(
      fc.property(
        eventLists(40).chain((events) =>
          fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
          ),
        ),
        ([events, shuffled]) => expectSameState(fold(shuffled), fold(events)),
      ),
      { numRuns: 300 },
    );
  });

  it('merges associatively and commutatively, with empty as identity', () => {
    fc.assert(
      fc.property(eventLists(15), eventLists(15), eventLists(15), (x, y, z) => {
        const [a, b, c] = [fold(x), fold(y), fold(z)];
        expectSameState(model.merge(model.merge(a, b), c), model.merge(a, model.merge(b, c)));
        expectSameState(model.merge(a, b), model.merge(b, a));
        expect(model.toJSON(model.merge(a, model.empty()))).toEqual(model.toJSON(a));
        expect(model.toJSON(model.merge(model.empty(), a))).toEqual(model.toJSON(a));
        expectSameState(model.merge(a, b), fold(y, a));
      }),
      { numRuns: 300 },
    );
  });

  it('applies an event exactly as merging its single state', () => {
    fc.assert(
      fc.property(
        eventLists(20).chain((events) => fc.tuple(fc.constant(events), instants.chain(eventAt))),
        ([events, event]) => {
          const state = fold(events);
          expect(model.toJSON(model.apply(state, event))).toEqual(
            model.toJSON(model.merge(state, model.single(event))),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips through JSON exactly', () => {
    fc.assert(
      fc.property(eventLists(20), (events) => {
        const json = model.toJSON(fold(events));
        const restored = model.fromJSON(JSON.parse(JSON.stringify(json)));
        expect(model.toJSON(restored)).toEqual(json);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips through bytes exactly, to the state JSON gives', () => {
    fc.assert(
      fc.property(eventLists(20), (events) => {
        const state = fold(events);
        const writer = new ByteWriter();
        encodeState(writer, state);
        const reader = new ByteReader(writer.written());
        const restored = decodeState(reader);
        reader.end();
        expect(restored).toEqual(model.fromJSON(JSON.parse(JSON.stringify(model.toJSON(state)))));
      }),
      { numRuns: 200 },
    );
  });
});

describe('exchanges keep the fold a commutative monoid', () => {
  const foldWith = (events: readonly FoldableEvent[]) =>
    fold(events, exchanging.empty(), exchanging);

  it('gives the same state for any order, merge and split of exchange events', () => {
    fc.assert(
      fc.property(
        eventLists(30, exchanges).chain((events) =>
          fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
            fc.nat(events.length),
          ),
        ),
        ([events, shuffled, cut]) => {
          const whole = foldWith(events);
          expectSameState(foldWith(shuffled), whole);
          const [a, b] = [foldWith(shuffled.slice(0, cut)), foldWith(shuffled.slice(cut))];
          expectSameState(exchanging.merge(a, b), whole);
          expectSameState(exchanging.merge(b, a), whole);
          const last = events.at(-1);
          if (last !== undefined) {
            const before = foldWith(events.slice(0, -1));
            expect(exchanging.toJSON(exchanging.apply(before, last))).toEqual(
              exchanging.toJSON(exchanging.merge(before, exchanging.single(last))),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('moves both sides: the own direction by the value, the other by the scaled reciprocal', () => {
    fc.assert(
      fc.property(
        instants.chain((window) => eventAt(window, exchanges)),
        (event) => {
          const base = DEFAULT_CATALOG[event.type] ?? UNKNOWN_EVENT;
          const patch = exchanging.params.catalog[event.type] ?? {};
          const entry = {
            kind: patch.kind ?? base.kind,
            inbound: patch.inbound ?? base.inbound,
            outbound: patch.outbound ?? base.outbound,
            reciprocal: patch.reciprocal ?? base.reciprocal,
          };
          const inbound = event.direction === 'inbound';
          const weight = inbound ? entry.inbound : entry.outbound;
          const { reciprocal } = entry;
          const own = event.value ?? weight;
          const other =
            event.value === undefined || weight === 0 ? reciprocal : (reciprocal * own) / weight;
          const { ledger } = exchanging.at(exchanging.single(event), Date.parse(event.occurredAt));
          const customer = entry.kind === 'engagement' ? ledger.given : ledger.attention;
          const [fromCustomer, fromBusiness] = inbound ? [own, other] : [other, own];
          expect(close(customer, fromCustomer)).toBe(true);
          expect(close(ledger.received, fromBusiness)).toBe(true);
          // Both sides move (values below 1e-300 may underflow on the scaled side).
          if (own > 1e-300 && reciprocal > 0) {
            expect(Math.min(customer, ledger.received)).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('reading with decay', () => {
  const threshold = fc.double({ min: 0.001, max: 99.999, noNaN: true });

  it("gives as the headline and the channel counts exactly the reading's own", () => {
    fc.assert(
      fc.property(eventLists(20), fc.integer({ min: 0, max: 5 * YEAR }), (events, later) => {
        const state = fold(events);
        const t = Math.min(state.t + later, MAX_INSTANT_MS);
        expect(model.at(state, t)).toMatchObject(model.headline(state, t));
        expect(Object.keys(model.headline(state, t)).sort()).toEqual(
          Object.keys(HeadlineSchema.shape).sort(),
        );
        expect(model.channelCounts(state)).toEqual(model.at(state, t).ledger.counts.byChannel);
      }),
      { numRuns: 300 },
    );
  });

  it('reaches the threshold at the predicted crossing time', () => {
    fc.assert(
      fc.property(eventLists(20), threshold, (events, theta) => {
        const state = fold(events);
        const crossing = model.predictedCrossingTime(state, theta);
        if (crossing === null) {
          expect(model.at(state, state.t).engagement).toBeLessThan(theta + 1e-9);
        } else {
          expect(crossing).toBeGreaterThanOrEqual(state.t);
          expect(Math.abs(model.at(state, crossing).engagement - theta)).toBeLessThan(1e-6);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never raises a score between events: magnitudes fall, shares relax toward ½', () => {
    const magnitudes = (r: Reading) => [
      r.engagement,
      r.participation,
      r.ledger.given,
      r.ledger.attention,
      r.ledger.received,
      r.trust.confidence,
      r.dimensions.intense,
      r.dimensions.symmetric,
      r.dimensions.enduring,
    ];
    const certainty = (r: Reading) =>
      [
        r.trust.value,
        r.trust.warmth,
        r.trust.competence,
        r.dimensions.voluntary,
        r.dimensions.positive,
        r.dimensions.public,
        r.dimensions.formal,
      ].map((share) => Math.abs(share - 0.5));
    fc.assert(
      fc.property(
        // Values of subnormal size (below 1e-300) lose their relative precision in any sum, so
        // shares of them wobble by rounding alone; no value a client sends is that small.
        eventLists(20).map((events) =>
          events.map((event) =>
            event.value !== undefined && event.value < 1e-300 ? { ...event, value: 0 } : event,
          ),
        ),
        fc.integer({ min: 0, max: 200 * DAY }),
        fc.integer({ min: 0, max: 200 * DAY }),
        (events, first, second) => {
          const state = fold(events);
          const [early, late] = [
            model.at(state, state.t + first),
            model.at(state, state.t + first + second),
          ];
          for (const pick of [magnitudes, certainty]) {
            // Up to rounding: relative for magnitudes, and never finer than 1e-9 for shares.
            pick(late).forEach((x, i) => {
              const before = pick(early)[i] ?? NaN;
              expect(x).toBeLessThanOrEqual(before + 1e-9 * Math.max(1, Math.abs(before)));
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays finite for any instant from 1970 to 2100 and any value up to 1e12', () => {
    fc.assert(
      fc.property(
        eventLists(30),
        fc.integer({ min: MIN_INSTANT_MS, max: MAX_INSTANT_MS }),
        (events, t) => {
          const state = fold(events);
          for (const reading of [model.at(state, t), model.at(state, MAX_INSTANT_MS)]) {
            expect(numbersIn(reading).every(Number.isFinite)).toBe(true);
          }
          expect(numbersIn(model.toJSON(state)).every(Number.isFinite)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('folds ten thousand events on one customer, finite and bounded', () => {
    fc.assert(
      fc.property(
        instants.chain((window) =>
          fc.array(eventAt(window), { minLength: 10_000, maxLength: 10_000 }),
        ),
        (events) => {
          const state = fold(events);
          expect(state.n).toBe(10_000);
          expect(numbersIn(model.toJSON(state)).every(Number.isFinite)).toBe(true);
          for (const t of [MIN_INSTANT_MS, state.t, state.t + 10 * YEAR]) {
            expect(numbersIn(model.at(state, t)).every(Number.isFinite)).toBe(true);
          }
          const json = model.toJSON(state);
          expect(Object.keys(json.k).length).toBeLessThanOrEqual(model.params.trackedTypes + 1);
          expect(Object.keys(json.c).length).toBeLessThanOrEqual(channels.length);
        },
      ),
      { numRuns: 5 },
    );
  });
});

describe("each customer's rhythm", () => {
  const MIN_GAP_MS = 1_000;
  /**
   * The customer's exchanges among these types: purchases and paid invoices sent inbound, unless
   * valued at 0, and a delivery sent inbound with a value (its inbound weight is 0, so only a
   * value gives the customer's side; its reciprocal gives the business's).
   */
  const rhythmic = (event: FoldableEvent) =>
    event.direction === 'inbound' &&
    (['purchase.completed', 'invoice.paid'].includes(event.type)
      ? event.value === undefined || event.value > 0
      : event.type === 'order.delivered' && (event.value ?? 0) > 0);
  const histories = fc
    .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2090, 0, 1) })
    .chain((start) =>
      fc.array(
        fc.record(
          {
            type: fc.constantFrom(
              'purchase.completed',
              'invoice.paid',
              'support.ticket_opened',
              'email.sent',
              'order.delivered',
            ),
            channel: fc.constantFrom('store', 'billing', 'support', 'email'),
            direction: fc.constantFrom('inbound', 'outbound'),
            occurredAt: fc.integer({ min: 0, max: 3 * YEAR }).map((offset) => iso(start + offset)),
            value: fc.oneof(fc.constant(0), fc.double({ min: 0.5, max: 1e6, noNaN: true })),
          },
          { requiredKeys: ['type', 'channel', 'direction', 'occurredAt'] },
        ),
        { maxLength: 40 },
      ),
    );

  /** The same rule from the events themselves: gaps between sorted exchanges, their mean. */
  function bruteOverdue(events: readonly FoldableEvent[]): number | null {
    const times = events
      .filter(rhythmic)
      .map((event) => Date.parse(event.occurredAt))
      .sort((a, b) => a - b);
    const gaps = times.slice(1).map((time, i) => time - (times[i] ?? time));
    const total = gaps.reduce((sum, gap) => sum + gap, 0);
    if (gaps.length === 0 || total === 0) return null;
    const { floorDays, ceilingDays, overdueAfterIntervals } = model.params.rhythm;
    const span = Math.min(
      Math.max((total / gaps.length) * overdueAfterIntervals, floorDays * DAY),
      ceilingDays * DAY,
    );
    return (times.at(-1) ?? 0) + span;
  }

  it('predicts the overdue instant the events define, in any order, merged or split', () => {
    fc.assert(
      fc.property(histories, fc.nat(), (events, cut) => {
        const expected = bruteOverdue(events);
        const at = cut % (events.length + 1);
        const merged = model.merge(
          fold(events.slice(0, at)),
          fold([...events.slice(at)].reverse()),
        );
        for (const state of [fold(events), merged]) {
          const overdue = model.predictedOverdueTime(state);
          if (expected === null) expect(overdue).toBeNull();
          else expect(close(overdue, expected)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('turns at risk at the overdue instant a scan of the statuses finds, and not before', () => {
    fc.assert(
      fc.property(histories, (events) => {
        const state = fold(events);
        const overdue = model.predictedOverdueTime(state);
        const dormant = model.predictedDormancyTime(state);
        if (overdue === null || dormant === null) return;
        expect(dormant).toBeGreaterThan(overdue);
        const from = state.t;
        const step = Math.max(MIN_GAP_MS, Math.ceil((dormant - from) / 400));
        let found: number | null = null;
        for (let t = from; t < dormant && found === null; t += step) {
          if (model.headline(state, t).status === 'at_risk') found = t;
        }
        if (overdue < from) {
          expect(model.headline(state, from).status).toBe(from < dormant ? 'at_risk' : 'dormant');
        } else {
          expect(found).not.toBeNull();
          expect(found! - step).toBeLessThanOrEqual(overdue);
          expect(found!).toBeGreaterThan(overdue);
          expect(model.headline(state, overdue).status).not.toBe('at_risk');
          expect(model.headline(state, overdue + 1).status).toBe('at_risk');
        }
      }),
      { numRuns: 300 },
    );
  });

  it("orders the statuses by the predicted instants, the indexes' schedule", () => {
    const scheduled = ({ coolingAt, atRiskAt, dormantAt }: Reading['predictions'], t: number) => {
      if (dormantAt === null || t >= dormantAt) return 'dormant';
      if (t <= (coolingAt ?? -Infinity)) return 'engaged';
      return t <= (atRiskAt ?? -Infinity) ? 'cooling' : 'at_risk';
    };
    fc.assert(
      fc.property(
        fc.oneof(histories, eventLists(20)),
        fc.integer({ min: 0, max: 5 * YEAR }),
        (events, later) => {
          const state = fold(events);
          const t = Math.min(state.t + later, MAX_INSTANT_MS);
          const { predictions, status } = model.headline(state, t);
          // A crossing is exact only to rounding: instants within a second of one are left out.
          const boundaries = [predictions.coolingAt, predictions.atRiskAt, predictions.dormantAt];
          if (boundaries.some((at) => at !== null && Math.abs(at - t) < MIN_GAP_MS)) return;
          expect(status).toBe(scheduled(predictions, t));
        },
      ),
      { numRuns: 500 },
    );
  });
});
