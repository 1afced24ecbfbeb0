import { describe, expect, it } from 'vitest';
import { DAY, HOUR, inbound, outbound } from './fixtures.js';
import { createModel, type Model } from './model.js';
import { ReadingSchema } from './read.js';
import type { FoldableEvent, State } from './state.js';

const model = createModel();
const START = Date.UTC(2024, 0, 1);

function fold(events: readonly FoldableEvent[], using: Model = model): State {
  return events.reduce((state, event) => using.apply(state, event), using.empty());
}

/** `count` of something, one every `interval` ms from START. */
function repeated<T>(interval: number, count: number, make: (at: number) => T): T[] {
  return Array.from({ length: count }, (_, i) => make(START + i * interval));
}

const weekly = <T>(count: number, make: (at: number) => T) => repeated(7 * DAY, count, make);

const supportThread = (at: number): FoldableEvent[] => [
  inbound('support.ticket_opened', 'support', at),
  outbound('sla.met', 'support', at + HOUR),
  outbound('support.ticket_replied', 'support', at + HOUR),
  inbound('support.ticket_replied', 'support', at + 2 * HOUR),
  outbound('support.ticket_resolved', 'support', at + DAY),
];

describe('engagement and participation', () => {
  it('reads zero engagement for a one-way blast, however long, while opens show participation', () => {
    const state = fold([
      ...weekly(20, (at) => outbound('email.sent', 'email', at)),
      ...weekly(20, (at) => inbound('email.opened', 'email', at + HOUR)),
    ]);
    const reading = model.at(state, state.t);
    expect(reading.engagement).toBe(0);
    expect(reading.participation).toBeGreaterThan(20);
    expect(reading.ledger.received).toBeGreaterThan(0);
    expect(reading.explanation.engagement).toEqual([]);
    expect(reading.dimensions.symmetric).toBe(0);
  });

  it('reads zero engagement for one-way usage, even substantive', () => {
    const state = fold(weekly(20, (at) => inbound('form.submitted', 'web', at)));
    expect(model.at(state, state.t).engagement).toBe(0);
  });

  it('is high when value flows both ways, and balanced flows read symmetric', () => {
    const state = fold(weekly(12, (at) => supportThread(at)).flat());
    const reading = model.at(state, state.t);
    expect(reading.engagement).toBeGreaterThan(90);
    expect(reading.status).toBe('engaged');
    expect(reading.dimensions.symmetric).toBeGreaterThan(0.8);
  });

  it('explains engagement by type, and the parts add up to the engagement', () => {
    const everything = createModel({ explain: 20 });
    const state = fold(weekly(8, (at) => supportThread(at)).flat(), everything);
    const reading = everything.at(state, state.t + 5 * DAY);
    const total = reading.explanation.engagement.reduce((sum, part) => sum + part.points, 0);
    expect(total).toBeCloseTo(reading.engagement, 9);
    // The customer gives less (4 points a thread) than they receive (7), so their side is the
    // scarce one and each point of it counts for more: the opening outranks the resolution.
    expect(model.at(state, state.t).explanation.engagement.map((part) => part.type)).toEqual([
      'support.ticket_replied',
      'support.ticket_opened',
      'support.ticket_resolved',
    ]);
  });

  it('halves the ledger every half-life and predicts the crossing in closed form', () => {
    const state = fold(weekly(4, (at) => supportThread(at)).flat());
    const now = model.at(state, state.t);
    const later = model.at(state, state.t + 30 * DAY);
    expect(later.ledger.given / now.ledger.given).toBeCloseTo(0.5, 12);
    expect(later.ledger.received / now.ledger.received).toBeCloseTo(0.5, 12);
    const crossing = model.predictedCrossingTime(state, 20);
    expect(crossing).not.toBeNull();
    expect(model.at(state, crossing ?? 0).engagement).toBeCloseTo(20, 9);
    expect(now.predictions.atRiskAt).toBe(crossing);
    expect(model.predictedCrossingTime(state, now.engagement + 1)).toBeNull();
    expect(model.predictedCrossingTime(state, 0)).toBeNull();
    expect(model.predictedCrossingTime(state, 100)).toBeNull();
  });

  it('reads the past as the latest event: decay runs forward only', () => {
    const state = fold(supportThread(START));
    expect(model.at(state, START - 10 * DAY)).toEqual(model.at(state, state.t));
  });
});

describe('exchanges', () => {
  const shopping = (at: number): FoldableEvent[] => [
    inbound('store.visit', 'store', at),
    inbound('purchase.completed', 'store', at + HOUR),
  ];

  it('reads a weekly buyer with nothing outbound as engaged: a purchase gives both ways', () => {
    const state = fold(weekly(12, shopping).flat());
    const reading = model.at(state, START + 12 * 7 * DAY);
    expect(reading.ledger.received).toBeCloseTo(reading.ledger.given / 2, 9);
    expect(reading.status).toBe('engaged');
    expect(reading.stage).toBe('active');
    const withoutExchanges = createModel({ catalog: { 'purchase.completed': { reciprocal: 0 } } });
    const oneWay = withoutExchanges.at(fold(weekly(12, shopping).flat(), withoutExchanges), 0);
    expect([oneWay.engagement, oneWay.status]).toEqual([0, 'at_risk']);
  });

  it('explains both sides of an exchange, and the sides add up to its points', () => {
    const everything = createModel({ explain: 20 });
    const events = [
      ...weekly(6, shopping).flat(),
      ...weekly(6, (at) => outbound('order.delivered', 'web', at + DAY)),
      ...weekly(6, (at) => outbound('email.sent', 'email', at)),
    ];
    const reading = everything.at(fold(events, everything), START + 6 * 7 * DAY);
    const parts = reading.explanation.engagement;
    for (const part of parts) expect(part.given + part.received).toBeCloseTo(part.points, 12);
    const total = parts.reduce((sum, part) => sum + part.points, 0);
    expect(total).toBeCloseTo(reading.engagement, 9);
    const byType = new Map(parts.map((part) => [part.type, part]));
    for (const type of ['purchase.completed', 'order.delivered']) {
      expect(byType.get(type)?.given).toBeGreaterThan(0);
      expect(byType.get(type)?.received).toBeGreaterThan(0);
    }
    expect(byType.get('email.sent')?.given).toBe(0);
  });
});

describe('rhythm', () => {
  const purchase = (at: number) => inbound('purchase.completed', 'store', at);
  const renewal = (at: number) => inbound('subscription.renewed', 'billing', at);

  it("reads a weekly buyer's rhythm, and makes them at risk only once three weeks overdue", () => {
    const state = fold(weekly(12, purchase));
    const last = START + 11 * 7 * DAY;
    const reading = model.at(state, last + DAY);
    expect(reading.rhythm).toMatchObject({ exchanges: 12, lastExchange: last, intervalDays: 7 });
    expect(reading.rhythm.confidence).toBeCloseTo(11 / 13, 12);
    const overdue = last + 21 * DAY;
    expect(model.predictedOverdueTime(state)).toBe(overdue);
    expect(reading.predictions.overdueAt).toBe(overdue);
    expect(reading.predictions.atRiskAt).toBe(overdue);
    expect(model.at(state, overdue).status).not.toBe('at_risk');
    expect(model.at(state, overdue + 1)).toMatchObject({ status: 'at_risk', stage: 'at_risk' });
    // Silence still ends in dormancy, 90 days after the last word.
    expect(model.at(state, last + 90 * DAY).status).toBe('dormant');
  });

  it('keeps a yearly renewer out of the at-risk list between renewals, and not dormant', () => {
    const state = fold(repeated(365 * DAY, 3, renewal));
    const renewed = START + 2 * 365 * DAY;
    const twoMonths = model.at(state, renewed + 60 * DAY);
    expect(twoMonths.engagement).toBeLessThan(model.params.thresholds.atRisk);
    expect([twoMonths.status, twoMonths.stage]).toEqual(['cooling', 'active']);
    expect(model.at(state, renewed + 200 * DAY).status).toBe('cooling');
    // Three years of silence is capped at the 400-day ceiling: a missed renewal shows in weeks.
    expect(model.predictedOverdueTime(state)).toBe(renewed + 400 * DAY);
    expect(model.at(state, renewed + 401 * DAY).status).toBe('at_risk');
    expect(model.predictedDormancyTime(state)).toBe(renewed + 800 * DAY);
    const off = createModel({ rhythm: { enabled: false } });
    expect(off.at(fold(repeated(365 * DAY, 3, renewal), off), renewed + 60 * DAY).status).toBe(
      'at_risk',
    );
  });

  it('holds a daily buyer to the floor, and counts only exchanges the customer makes', () => {
    const daily = fold(repeated(DAY, 30, purchase));
    expect(model.predictedOverdueTime(daily)).toBe(START + 29 * DAY + 7 * DAY);
    // Messages are not exchanges: writing every week unanswered keeps no rhythm to shield them.
    const unanswered = fold(weekly(12, (at) => inbound('support.ticket_opened', 'support', at)));
    expect(model.at(unanswered, START + 12 * 7 * DAY).rhythm.exchanges).toBe(0);
    expect(model.at(unanswered, START + 12 * 7 * DAY).status).toBe('at_risk');
    // Deliveries are exchanges the business makes; a one-off buyer has no rhythm yet.
    const once = fold([purchase(START), outbound('order.delivered', 'web', START + DAY)]);
    expect(model.at(once, START + 2 * DAY).rhythm).toMatchObject({
      exchanges: 1,
      intervalDays: null,
    });
    expect(model.predictedOverdueTime(once)).toBeNull();
  });

  it('needs the configured number of exchanges, and scales the overdue span by its factor', () => {
    const strict = createModel({ rhythm: { minExchanges: 4, overdueAfterIntervals: 2 } });
    expect(strict.predictedOverdueTime(fold(weekly(3, purchase), strict))).toBeNull();
    expect(strict.predictedOverdueTime(fold(weekly(4, purchase), strict))).toBe(
      START + 3 * 7 * DAY + 14 * DAY,
    );
  });
});

describe('trust', () => {
  it('starts at ½ with no confidence and grows with being heard and promises kept', () => {
    expect(model.at(model.empty(), START).trust).toEqual({
      value: 0.5,
      confidence: 0,
      warmth: 0.5,
      competence: 0.5,
    });
    const trust = model.at(fold(weekly(10, (at) => supportThread(at)).flat()), START).trust;
    expect(trust.value).toBeGreaterThan(0.85);
    expect(trust.warmth).toBeGreaterThan(0.85);
    expect(trust.competence).toBeGreaterThan(0.85);
    expect(trust.confidence).toBeGreaterThan(0.85);
  });

  it('falls with missed SLAs (warmth) and broken promises (competence) separately', () => {
    const ignored = model.at(
      fold(weekly(5, (at) => outbound('sla.missed', 'support', at))),
      START,
    ).trust;
    expect(ignored.warmth).toBeCloseTo(1 / 7, 1);
    expect(ignored.competence).toBe(0.5);
    const broken = model.at(
      fold(weekly(5, (at) => outbound('order.delivered', 'store', at, { outcome: 'broken' }))),
      START,
    ).trust;
    expect(broken.competence).toBeLessThan(0.2);
    expect(broken.warmth).toBe(0.5);
  });

  it('counts complaints, unsubscribes and negative sentiment against it', () => {
    for (const event of [
      inbound('support.complaint', 'support', START),
      inbound('email.unsubscribed', 'email', START),
      inbound('chat.message', 'chat', START, { sentiment: -1 }),
    ]) {
      expect(model.at(model.single(event), START).trust.value).toBeCloseTo(1 / 3, 12);
    }
  });

  it('explains trust by type: effects add up to trust − ½', () => {
    const everything = createModel({ explain: 20 });
    const state = fold(
      [
        ...weekly(6, (at) => supportThread(at)).flat(),
        outbound('sla.missed', 'support', START + 3 * DAY),
        inbound('review.posted', 'web', START + 4 * DAY, { sentiment: 0.6 }),
      ],
      everything,
    );
    const reading = everything.at(state, state.t + 40 * DAY);
    const total = reading.explanation.trust.reduce((sum, part) => sum + part.effect, 0);
    expect(total).toBeCloseTo(reading.trust.value - 0.5, 12);
    expect(
      reading.explanation.trust.find((part) => part.type === 'sla.missed')?.effect,
    ).toBeLessThan(0);
  });
});

describe('dimensions', () => {
  it('reads who initiates, in which register and in public', () => {
    const state = fold([
      ...weekly(10, (at) => inbound('social.mention', 'social', at)),
      ...weekly(10, (at) => inbound('community.posted', 'community', at)),
    ]);
    const { dimensions } = model.at(state, state.t);
    expect(dimensions.voluntary).toBeGreaterThan(0.9);
    expect(dimensions.public).toBeGreaterThan(0.9);
    expect(dimensions.formal).toBeLessThan(0.1);
    const formal = model.at(
      fold(weekly(10, (at) => outbound('invoice.sent', 'billing', at))),
      START,
    ).dimensions;
    expect(formal.formal).toBeGreaterThan(0.5);
    expect(formal.voluntary).toBeLessThan(0.5);
  });

  it('starts shares at ½ and magnitudes at 0', () => {
    expect(model.at(model.empty(), START).dimensions).toEqual({
      voluntary: 0.5,
      positive: 0.5,
      intense: 0,
      enduring: 0,
      public: 0.5,
      formal: 0.5,
      symmetric: 0,
    });
  });

  it('reads enduring from tenure: ½ after a year by default', () => {
    const state = fold([
      inbound('chat.message', 'chat', START),
      inbound('chat.message', 'chat', START + 365 * DAY),
    ]);
    expect(model.at(state, state.t).dimensions.enduring).toBeCloseTo(0.5, 12);
  });

  it('reads positive from sentiment', () => {
    const happy = fold(weekly(10, (at) => inbound('review.posted', 'web', at, { sentiment: 0.9 })));
    expect(model.at(happy, START).dimensions.positive).toBeGreaterThan(0.85);
  });
});

describe('lifecycle', () => {
  const stage = (events: readonly FoldableEvent[], t: number) => model.at(fold(events), t).stage;
  const purchase = (at: number) => inbound('purchase.completed', 'store', at);

  it('is a prospect before any conversion, onboarding for 30 days after it, then active', () => {
    const thread = weekly(8, (at) => supportThread(at)).flat();
    expect(stage(thread, START + 50 * DAY)).toBe('prospect');
    expect(stage([...thread, purchase(START + 40 * DAY)], START + 50 * DAY)).toBe('onboarding');
    expect(stage([...thread, purchase(START)], START + 50 * DAY)).toBe('active');
  });

  it('ends onboarding early on activation, and flags at-risk customers after it', () => {
    const bought = [purchase(START), inbound('onboarding.completed', 'app', START + DAY)];
    expect(stage(bought, START + 2 * DAY)).toBe('active');
    // One purchase is an exchange that reads cooling (48.7) and fades below 20 after 47 days.
    expect(stage(bought, START + 60 * DAY)).toBe('at_risk');
  });

  it('is dormant after 90 days of customer silence; outbound mail does not break it', () => {
    const events = [
      purchase(START),
      ...weekly(12, (at) => outbound('email.sent', 'email', at + DAY)),
    ];
    const state = fold(events);
    expect(model.predictedDormancyTime(state)).toBe(START + 90 * DAY);
    expect(model.at(state, START + 90 * DAY - 1).status).not.toBe('dormant');
    expect(model.at(state, START + 90 * DAY).stage).toBe('dormant');
    expect(model.at(model.empty(), START).status).toBe('dormant');
  });

  it('is churned when the latest milestone is a churn, until the customer converts again', () => {
    const cancelled = [
      purchase(START),
      inbound('subscription.cancelled', 'billing', START + 40 * DAY),
    ];
    expect(stage(cancelled, START + 41 * DAY)).toBe('churned');
    const back = [...cancelled, purchase(START + 50 * DAY), ...supportThread(START + 51 * DAY)];
    expect(stage(back, START + 52 * DAY)).toBe('active');
  });

  it('uses configurable thresholds', () => {
    const strict = createModel({ thresholds: { engaged: 99, atRisk: 98 } });
    const state = fold(weekly(4, (at) => supportThread(at)).flat(), strict);
    expect(strict.at(state, state.t).status).toBe('at_risk');
  });
});

describe('appeal mix', () => {
  it('shares outbound value by appeal among the events that carry one', () => {
    const state = fold([
      outbound('email.sent', 'email', START, { appeal: 'logos' }),
      outbound('email.sent', 'email', START, { appeal: 'logos' }),
      outbound('email.sent', 'email', START, { appeal: 'pathos' }),
      outbound('sales.proposal_sent', 'sales', START, { appeal: 'ethos' }),
      outbound('email.sent', 'email', START),
    ]);
    // Points: ethos 2 (a proposal), logos 2 × 0.5, pathos 0.5; the plain email carries none.
    expect(model.at(state, START).appeal).toEqual({ ethos: 4 / 7, pathos: 1 / 7, logos: 2 / 7 });
    expect(model.at(model.empty(), START).appeal).toBeNull();
  });
});

describe('the read view', () => {
  it('validates against ReadingSchema and counts per channel and direction', () => {
    const state = fold([
      ...supportThread(START),
      inbound('page.viewed', 'kiosk', START),
      outbound('engagement.drop_detected', 'support', START),
    ]);
    const reading = ReadingSchema.parse(model.at(state, START + DAY));
    expect(reading.ledger.counts).toEqual({
      inbound: 3,
      outbound: 2,
      signals: 2,
      byChannel: { '*': 1, support: 4 },
    });
  });
});
