import type { Headline, Model, Stage, State } from '@rapport/model';
import type { EngagementSettings, Trigger } from '../../shared/settings.js';

/** Peaks remembered for the relative drop; older ones cannot be the window's peak for long. */
const MAX_PEAKS = 64;

/** Something worth acting on, at the instant it happened. */
export interface Detection {
  readonly trigger: Trigger;
  readonly at: number;
  /** The lifecycle stage just before `at`: what the customer was when it happened. */
  readonly stage: Stage;
  readonly engagement: number;
  readonly trust: number;
  /**
   * What caused a trust breach (the event's, or the missed request's, eventId): two breaches at
   * one instant are two decisions. Predicted drops have none: one per trigger and instant.
   */
  readonly cause?: string;
}

export interface DropDetectorSnapshot {
  /** [instant, engagement] just after recent events, for the relative drop's peak. */
  readonly peaks: readonly (readonly [number, number])[];
  /** Per trigger, the latest instant already acted on, so one drop fires once. */
  readonly spent: Readonly<Partial<Record<Trigger, number>>>;
}

/**
 * When a customer's engagement drops, read from a state of the events up to an instant (the
 * engine's settled state): the instants the model predicts (so they need no storage and survive
 * continue-as-new), the relative drop's recent peak, and trust breaches.
 */
export class DropDetector {
  readonly #model: Model;
  readonly #settings: EngagementSettings;
  #peaks: [number, number][];
  readonly #spent: Partial<Record<Trigger, number>>;

  constructor(model: Model, settings: EngagementSettings, snapshot?: DropDetectorSnapshot) {
    this.#model = model;
    this.#settings = settings;
    this.#peaks = (snapshot?.peaks ?? []).map(([at, engagement]) => [at, engagement]);
    this.#spent = { ...snapshot?.spent };
  }

  /**
   * The earliest drop the state predicts that is not acted on yet. A customer with a rhythm is
   * judged by it: their engagement falls between exchanges by design, so its crossings are not
   * drops (as the model does not read them as at risk).
   */
  next(state: State): { trigger: Trigger; at: number } | null {
    const overdue = this.#model.predictedOverdueTime(state);
    const found: [Trigger, number | null][] =
      overdue === null ? this.#engagementDrops(state) : [['overdue', overdue]];
    found.push(['silence', this.#silenceAt(state)]);
    let earliest: { trigger: Trigger; at: number } | null = null;
    for (const [trigger, at] of found) {
      if (at === null || at <= (this.#spent[trigger] ?? -Infinity)) continue;
      if (earliest === null || at < earliest.at) earliest = { trigger, at };
    }
    return earliest;
  }

  /** The drop at `at` as the state reads it; it will not fire again. */
  detect(state: State, trigger: Trigger, at: number): Detection {
    this.#spent[trigger] = at;
    const reading = this.#model.at(state, at);
    return {
      trigger,
      at,
      stage: this.#model.at(state, at - 1).stage,
      engagement: reading.engagement,
      trust: reading.trust.value,
    };
  }

  /**
   * After one of the customer's own events, read at its time: engagement just after it is a
   * candidate peak. Between events engagement only falls, so its peak over a window is its
   * highest value just after an event; entries a later, higher one dominates are dropped.
   */
  noteEvent(state: State, at: number): void {
    const engagement = this.#model.headline(state, at).engagement;
    const horizon = at - this.#settings.relativeDrop.windowMs;
    this.#peaks = this.#peaks.filter(
      ([when, value]) => when >= horizon && !(when <= at && value <= engagement),
    );
    this.#peaks.push([at, engagement]);
    this.#peaks.sort((a, b) => a[0] - b[0]);
    if (this.#peaks.length > MAX_PEAKS) this.#peaks.shift();
  }

  /** Trust fell below the floor because of `cause` at `at` (a miss, a complaint, anger). */
  breach(before: Headline, after: Headline, at: number, cause: string): Detection | undefined {
    if (!(after.trust.value < this.#settings.trustBreachBelow)) return undefined;
    if (!(after.trust.value < before.trust.value)) return undefined;
    return {
      trigger: 'trust_breach',
      at,
      stage: before.stage,
      engagement: after.engagement,
      trust: after.trust.value,
      cause,
    };
  }

  /**
   * The instants a customer merged into this one already acted on: the later per trigger, so a
   * drop either of them acted on is not acted on again. Peaks stay ours: the merged ledger makes
   * new ones as events come.
   */
  absorb(theirs: DropDetectorSnapshot): void {
    for (const [trigger, at] of Object.entries(theirs.spent) as [Trigger, number][]) {
      this.#spent[trigger] = Math.max(this.#spent[trigger] ?? -Infinity, at);
    }
  }

  snapshot(): { peaks: [number, number][]; spent: Partial<Record<Trigger, number>> } {
    return { peaks: this.#peaks.map(([at, e]) => [at, e]), spent: { ...this.#spent } };
  }

  /** Engagement predicted to cross the drop threshold, or to fall below a share of its peak. */
  #engagementDrops(state: State): [Trigger, number | null][] {
    const threshold = this.#settings.dropThreshold ?? this.#model.params.thresholds.atRisk;
    const peak = this.#recentPeak(state.t);
    return [
      ['threshold', this.#model.predictedCrossingTime(state, threshold)],
      [
        'relative_drop',
        peak > 0
          ? this.#model.predictedCrossingTime(state, this.#settings.relativeDrop.share * peak)
          : null,
      ],
    ];
  }

  /** The highest engagement within the window before the latest event. */
  #recentPeak(latest: number): number {
    const horizon = latest - this.#settings.relativeDrop.windowMs;
    return this.#peaks.reduce(
      (peak, [at, value]) => (at >= horizon ? Math.max(peak, value) : peak),
      0,
    );
  }

  /** Dormancy by the model, or the shorter onboarding silence while onboarding. */
  #silenceAt(state: State): number | null {
    const dormant = this.#model.predictedDormancyTime(state);
    if (state.n === 0) return dormant;
    const reading = this.#model.headline(state, state.t);
    if (reading.stage !== 'onboarding') return dormant;
    const heard = reading.timeline.lastInbound ?? reading.timeline.firstSeen;
    if (heard === null) return dormant;
    const onboarding = heard + this.#settings.onboardingSilenceMs;
    return dormant === null ? onboarding : Math.min(dormant, onboarding);
  }
}
