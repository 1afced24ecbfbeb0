import { createModel, type State } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import { EngagementSettingsSchema, type EngagementSettingsInput } from '../../shared/settings.js';
import { DropDetector } from './drop-detector.js';

/** What a snapshot is after continue-as-new: its JSON. */
const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2027, 0, 4, 9);
const model = createModel();

const settings = (overrides: Partial<EngagementSettingsInput> = {}) =>
  EngagementSettingsSchema.parse({
    sla: { defaultMs: 4 * HOUR },
    relativeDrop: { share: 0.9, windowMs: 30 * DAY },
    onboardingSilenceMs: 7 * DAY,
    trustBreachBelow: 0.5,
    followUpCooldownMs: 14 * DAY,
    ...overrides,
  });

const event = (
  at: number,
  type: string,
  direction: 'inbound' | 'outbound' = 'inbound',
): StampedInteraction => ({
  eventId: `${type}@${at}`,
  customerId: 'c1',
  channel: 'email',
  type,
  direction,
  occurredAt: new Date(at).toISOString(),
  receivedAt: new Date(at).toISOString(),
  source: 'http',
});

/** Folds the events in order, telling the detector after each, as the engine does. */
function settle(detector: DropDetector, events: StampedInteraction[], from = model.empty()) {
  return events.reduce((state, item) => {
    const next = model.apply(state, item);
    detector.noteEvent(next, Date.parse(item.occurredAt));
    return next;
  }, from);
}

/** An active customer: converted, activated, a two-way exchange. */
const active = () => [
  event(T0, 'purchase.completed'),
  event(T0 + DAY, 'onboarding.completed'),
  event(T0 + 2 * DAY, 'email.replied'),
  event(T0 + 2 * DAY + HOUR, 'email.replied', 'outbound'),
];

describe('DropDetector', () => {
  it('predicts nothing for no events', () => {
    expect(new DropDetector(model, settings()).next(model.empty())).toBeNull();
  });

  it('predicts the threshold crossing, at the configured threshold or the at-risk band', () => {
    const relativeDrop = { share: 0.01, windowMs: 30 * DAY };
    for (const [threshold, expected] of [
      [undefined, 20],
      [35, 35],
    ] as const) {
      const detector = new DropDetector(
        model,
        settings({ dropThreshold: threshold, relativeDrop }),
      );
      const state = settle(detector, active());
      expect(detector.next(state)).toEqual({
        trigger: 'threshold',
        at: model.predictedCrossingTime(state, expected),
      });
    }
  });

  it('predicts the fall below a share of the recent peak, and fires each instant once', () => {
    const detector = new DropDetector(model, settings());
    const state = settle(detector, active());
    const peak = model.headline(state, T0 + 2 * DAY + HOUR).engagement;
    const next = detector.next(state);
    expect(next).toEqual({
      trigger: 'relative_drop',
      at: model.predictedCrossingTime(state, 0.9 * peak),
    });
    const detection = detector.detect(state, 'relative_drop', next?.at ?? 0);
    expect(detection).toMatchObject({ trigger: 'relative_drop', at: next?.at, stage: 'active' });
    expect(detection.engagement).toBeCloseTo(0.9 * peak, 6);
    expect(detector.next(state)?.trigger).toBe('threshold'); // spent: the next one
    expect(detector.snapshot().spent).toEqual({ relative_drop: next?.at });
  });

  it('forgets peaks older than the window before the latest event', () => {
    const detector = new DropDetector(
      model,
      settings({ relativeDrop: { share: 0.9, windowMs: DAY } }),
    );
    let state = settle(detector, active());
    expect(detector.snapshot().peaks.length).toBeGreaterThan(0);
    state = settle(detector, [event(T0 + 40 * DAY, 'email.opened')], state);
    const peaks = detector.snapshot().peaks;
    expect(peaks.map(([at]) => at)).toEqual([T0 + 40 * DAY]);
    // The peak is now what engagement was just after the open.
    expect(peaks[0]?.[1]).toBe(model.headline(state, T0 + 40 * DAY).engagement);
  });

  it('judges a customer with a rhythm by it: overdue replaces the engagement drops', () => {
    const detector = new DropDetector(model, settings());
    const purchases = [0, 7, 14].map((day) => event(T0 + day * DAY, 'purchase.completed'));
    const state = settle(detector, purchases);
    const overdue = model.predictedOverdueTime(state);
    expect(overdue).toBe(T0 + 14 * DAY + 21 * DAY);
    // Still onboarding: a week's silence comes first; then no engagement drop, only overdue.
    expect(detector.next(state)).toEqual({ trigger: 'silence', at: T0 + 21 * DAY });
    detector.detect(state, 'silence', T0 + 21 * DAY);
    expect(detector.next(state)).toEqual({ trigger: 'overdue', at: overdue });
    expect(model.predictedCrossingTime(state, 20)).not.toBeNull();
  });

  it('an onboarding customer is silent after the onboarding window; others when dormant', () => {
    const onboarding = new DropDetector(model, settings());
    const state = settle(onboarding, [event(T0, 'purchase.completed')]);
    onboarding.detect(state, 'relative_drop', onboarding.next(state)?.at ?? 0);
    expect(onboarding.next(state)).toEqual({ trigger: 'silence', at: T0 + 7 * DAY });

    const prospect = new DropDetector(model, settings());
    const quiet = settle(prospect, [event(T0, 'email.opened')]);
    expect(prospect.next(quiet)).toEqual({
      trigger: 'silence',
      at: model.predictedDormancyTime(quiet),
    });
  });

  it('reads a detection at its instant, with the stage just before it', () => {
    const detector = new DropDetector(model, settings());
    const state = settle(detector, [event(T0, 'purchase.completed')]);
    const at = T0 + 30 * DAY; // the onboarding window ends at this instant
    expect(detector.detect(state, 'silence', at)).toEqual({
      trigger: 'silence',
      at,
      stage: 'onboarding',
      engagement: model.at(state, at).engagement,
      trust: model.at(state, at).trust.value,
    });
  });

  it('a breach is trust falling below the floor', () => {
    const detector = new DropDetector(model, settings());
    const before = model.empty();
    const after = model.apply(before, event(T0, 'support.complaint'));
    const [b, a] = [model.headline(before, T0), model.headline(after, T0)];
    expect(a.trust.value).toBeLessThan(0.5);
    expect(detector.breach(b, a, T0, 'complaint-1')).toEqual({
      trigger: 'trust_breach',
      at: T0,
      stage: b.stage,
      engagement: a.engagement,
      trust: a.trust.value,
      cause: 'complaint-1',
    });
    expect(detector.breach(a, b, T0, 'x')).toBeUndefined(); // rising
    expect(detector.breach(a, a, T0, 'x')).toBeUndefined(); // not falling
    const lenient = new DropDetector(model, settings({ trustBreachBelow: a.trust.value }));
    expect(lenient.breach(b, a, T0, 'x')).toBeUndefined(); // not below the floor
  });

  it('is carried by its snapshot', () => {
    const detector = new DropDetector(model, settings());
    const state: State = settle(detector, active());
    detector.detect(state, 'relative_drop', detector.next(state)?.at ?? 0);
    const restored = new DropDetector(model, settings(), throughJson(detector.snapshot()));
    expect(restored.snapshot()).toEqual(detector.snapshot());
    expect(restored.next(state)).toEqual(detector.next(state));
  });
});
