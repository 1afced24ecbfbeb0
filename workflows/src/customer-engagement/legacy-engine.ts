import { createModel, type Model, type Reading, type State } from '@rapport/model';
import { ENGINE_SOURCE, instantMs, type StampedInteraction } from '@rapport/schema';
import type {
  Counts,
  CustomerView,
  Delivery,
  DropRecord,
  FollowUpFinished,
  FollowUpRecord,
  NextCheck,
  OpenRequest,
  Snapshot,
} from '../shared/definitions.js';
import { derivedEvent, type DerivedEventSpec } from '../shared/derived.js';
import { followUpWorkflowId } from '../shared/ids.js';
import { choosePlaybook, type EngagementSettings, type Trigger } from '../shared/settings.js';
import { pushBounded } from './parts/bounded.js';
import { offsetAfter } from './parts/delivery-filter.js';
import type { Detection } from './parts/drop-detector.js';
import type { Admission } from './parts/follow-up-policy.js';

export type { Detection };

/** Bounds that keep a snapshot small whatever a customer does (it is carried in history). */
const RECENT_IDS = 512;
const MAX_PEAKS = 64;
const MAX_OPEN_REQUESTS = 256;
const MAX_RECORDS = 50;

/** What the workflow must do after a batch, besides publishing the outbox. */
export interface IngestEffects {
  /** Tell the running follow-up that the customer gave value again. */
  readonly reengaged?: {
    readonly followUpId: string;
    readonly eventId: string;
    readonly at: number;
  };
  /** Cancel the running follow-up: the customer churned. */
  readonly cancel?: string;
  readonly detections: readonly Detection[];
}

function emptySnapshot(customerId: string, model: Model): Snapshot {
  return {
    customerId,
    model: model.toJSON(model.empty()),
    pending: [],
    watermark: null,
    heldUntil: null,
    watermarks: {},
    recentIds: [],
    decidedIds: [],
    peaks: [],
    openRequests: [],
    spent: {},
    drops: [],
    followUps: [],
    outbox: [],
    counts: { applied: 0, duplicates: 0, rejected: 0, late: 0 },
  };
}

/**
 * FROZEN: the engine of runs that began before verdicts were decided in event time
 * (`patched('event-time-verdicts')` in workflow.ts). Their replays must issue the commands they
 * issued, so this code does not change; it goes with the patch's deprecation, once no such run
 * remains (docs/workflows.md, Versioning). New runs use engine.ts.
 *
 * A customer's engagement as the workflow keeps it: the model state folded from the log, exactly
 * once per event, and the bookkeeping that turns it into timers and verdicts. Pure and
 * deterministic (time is passed in), so the workflow replays it and unit tests drive it directly.
 *
 * Derived events (SLA verdicts, drops, follow-ups) go to the outbox and are folded only when
 * they come back through the log; decisions that need their effect before then (a missed SLA
 * breaching trust) read a hypothetical state instead. They never trigger anything themselves,
 * so the engine cannot answer its own verdicts with more verdicts.
 */
export class LegacyEngagement {
  readonly customerId: string;
  readonly #model: Model;
  readonly #settings: EngagementSettings;
  #state: State;
  readonly #watermarks: Map<string, string>;
  readonly #recentIds: string[];
  readonly #recentIdSet: Set<string>;
  #peaks: [number, number][];
  readonly #openRequests: OpenRequest[];
  readonly #spent: Partial<Record<Trigger, number>>;
  readonly #drops: DropRecord[];
  readonly #followUps: FollowUpRecord[];
  readonly #outbox: StampedInteraction[];
  readonly #counts: Counts;

  /** A new customer, or the one a previous run handed over. */
  constructor(settings: EngagementSettings, customerId: string, handedOver?: Snapshot) {
    this.#settings = settings;
    this.#model = createModel(settings.model);
    const snapshot = handedOver ?? emptySnapshot(customerId, this.#model);
    this.customerId = snapshot.customerId;
    this.#state = this.#model.fromJSON(snapshot.model);
    this.#watermarks = new Map(Object.entries(snapshot.watermarks));
    this.#recentIds = [...snapshot.recentIds];
    this.#recentIdSet = new Set(this.#recentIds);
    this.#peaks = snapshot.peaks.map(([t, e]) => [t, e]);
    this.#openRequests = snapshot.openRequests.map((request) => ({ ...request }));
    this.#spent = { ...snapshot.spent };
    this.#drops = [...snapshot.drops];
    this.#followUps = snapshot.followUps.map((record) => ({ ...record }));
    this.#outbox = [...snapshot.outbox];
    this.#counts = { ...snapshot.counts };
  }

  /**
   * Folds one signal's deliveries. Each is applied at most once: a redelivery is at or below its
   * partition's watermark (the bridge sends a customer's events in offset order and never two
   * signals at once), and an eventId seen recently is a duplicate in the log itself.
   */
  ingest(deliveries: readonly Delivery[], now: number): IngestEffects {
    const derived: StampedInteraction[] = [];
    const primary: StampedInteraction[] = [];
    for (const delivery of deliveries) {
      if (delivery.event.customerId !== this.customerId) this.#counts.rejected += 1;
      else if (!this.#firstTime(delivery)) this.#counts.duplicates += 1;
      else (delivery.event.source === ENGINE_SOURCE ? derived : primary).push(delivery.event);
    }
    // The fold is order-independent, so derived events go first: what follows compares the state
    // before and after the customer's own events only.
    for (const event of derived) this.#state = this.#model.apply(this.#state, event);
    this.#counts.applied += derived.length + primary.length;
    if (primary.length === 0) return { detections: [] };
    const reference = this.#state;
    const detections: Detection[] = [];
    for (const event of primary) {
      this.#state = this.#model.apply(this.#state, event);
      const breach = this.#trackRequest(event, now);
      if (breach !== undefined) detections.push(breach);
    }
    const { breach, ...effects } = this.#afterPrimary(reference, primary, now);
    return { ...effects, detections: breach === undefined ? detections : [...detections, breach] };
  }

  /** Deadlines that passed and drops whose instant came, as of `now`. */
  due(now: number): Detection[] {
    const detections: Detection[] = [];
    const grace = this.#settings.lateArrivalGraceMs;
    for (const request of this.#openRequests.filter((open) => open.deadline + grace <= now)) {
      this.#closeRequest(request);
      const breach = this.#missed(request, now);
      if (breach !== undefined) detections.push(breach);
    }
    for (const candidate of this.#candidates(now)) {
      if (candidate.at > now) continue;
      this.#spent[candidate.trigger] = candidate.at;
      detections.push(this.#detection(candidate.trigger, candidate.at));
    }
    return detections.sort((a, b) => a.at - b.at);
  }

  /** The next instant that matters: the earliest drop candidate or verdict deadline. */
  nextCheck(now: number): NextCheck | null {
    const grace = this.#settings.lateArrivalGraceMs;
    const checks: NextCheck[] = [
      ...this.#candidates(now).map(({ trigger, at }) => ({ reason: trigger, at })),
      ...this.#openRequests.map((request) => ({
        reason: 'sla' as const,
        at: request.deadline + grace,
      })),
    ];
    return checks.reduce<NextCheck | null>(
      (earliest, check) => (earliest === null || check.at < earliest.at ? check : earliest),
      null,
    );
  }

  /**
   * Records a detection and decides whether it starts a follow-up: at most one runs per
   * customer, none starts within the cooldown after the previous one finished, and only a
   * trigger and stage that a playbook covers start one.
   */
  admit(detection: Detection, now: number): Admission {
    const admission = this.#decide(detection, now);
    const followUpId = admission.decision === 'started' ? admission.followUp.id : null;
    if (admission.decision === 'started') {
      pushBounded(this.#followUps, admission.followUp, MAX_RECORDS);
    }
    pushBounded(
      this.#drops,
      { ...detection, detectedAt: now, decision: admission.decision, followUpId },
      MAX_RECORDS,
    );
    this.#publish({
      type: 'engagement.drop_detected',
      key: `${detection.trigger}:${detection.at}`,
      occurredAt: detection.at,
      now,
      properties: {
        trigger: detection.trigger,
        stage: detection.stage,
        engagement: detection.engagement,
        trust: detection.trust,
        decision: admission.decision,
        followUpId,
      },
    });
    return admission;
  }

  /** The follow-up ended (its own signal, or its result): idempotent. */
  followUpFinished(finished: FollowUpFinished): void {
    const record = this.#followUps.find((followUp) => followUp.id === finished.followUpId);
    if (record === undefined || record.finishedAt !== null) return;
    record.finishedAt = finished.at;
    record.outcome = finished.outcome;
  }

  get model(): Model {
    return this.#model;
  }

  /** A signal whose payload did not parse. */
  rejected(): void {
    this.#counts.rejected += 1;
  }

  get unpublishedCount(): number {
    return this.#outbox.length;
  }

  /** Derived events waiting for Kafka's acknowledgement, oldest first. */
  unpublished(limit: number): StampedInteraction[] {
    return this.#outbox.slice(0, limit);
  }

  /** Kafka acknowledged (or refused for good) the oldest `count` outbox events. */
  published(count: number): void {
    this.#outbox.splice(0, count);
  }

  get activeFollowUp(): string | null {
    return this.#active()?.id ?? null;
  }

  followUps(): FollowUpRecord[] {
    return this.#followUps.map((record) => ({ ...record }));
  }

  view(now: number): CustomerView {
    return {
      customerId: this.customerId,
      asOf: now,
      reading: this.#model.at(this.#state, now),
      state: this.#model.toJSON(this.#state),
      counts: { ...this.#counts },
      watermarks: Object.fromEntries(this.#watermarks),
      settledThrough: null,
      pending: 0,
      openRequests: this.#openRequests.map((request) => ({ ...request })),
      nextCheck: this.nextCheck(now),
      drops: [...this.#drops],
      activeFollowUp: this.activeFollowUp,
      unpublished: this.#outbox.length,
    };
  }

  snapshot(): Snapshot {
    return {
      customerId: this.customerId,
      model: this.#model.toJSON(this.#state),
      pending: [],
      watermark: null,
      heldUntil: null,
      watermarks: Object.fromEntries(this.#watermarks),
      recentIds: [...this.#recentIds],
      decidedIds: [],
      peaks: this.#peaks.map(([t, e]) => [t, e]),
      openRequests: this.#openRequests.map((request) => ({ ...request })),
      spent: { ...this.#spent },
      drops: [...this.#drops],
      followUps: this.followUps(),
      outbox: [...this.#outbox],
      counts: { ...this.#counts },
    };
  }

  #firstTime({ partition, offset, event }: Delivery): boolean {
    const key = String(partition);
    const watermark = this.#watermarks.get(key);
    if (watermark !== undefined && !offsetAfter(offset, watermark)) return false;
    this.#watermarks.set(key, offset);
    if (this.#recentIdSet.has(event.eventId)) return false;
    this.#recentIds.push(event.eventId);
    this.#recentIdSet.add(event.eventId);
    if (this.#recentIds.length > RECENT_IDS)
      this.#recentIdSet.delete(this.#recentIds.shift() ?? '');
    return true;
  }

  #afterPrimary(
    reference: State,
    primary: readonly StampedInteraction[],
    now: number,
  ): Omit<IngestEffects, 'detections'> & { breach?: Detection } {
    const t = this.#state.t;
    const before = this.#model.at(reference, t);
    const after = this.#model.at(this.#state, t);
    this.#notePeak(t, after.engagement);
    const effects: { -readonly [K in keyof IngestEffects]?: IngestEffects[K] } = {};
    const active = this.#active();
    if (active !== undefined) {
      const giver = primary.findLast((event) => event.direction === 'inbound');
      if (
        active.reengagedAt === null &&
        giver !== undefined &&
        after.ledger.lifetime.given > before.ledger.lifetime.given
      ) {
        active.reengagedAt = instantMs(giver.occurredAt);
        effects.reengaged = {
          followUpId: active.id,
          eventId: giver.eventId,
          at: active.reengagedAt,
        };
      }
      if (after.stage === 'churned' && !active.cancelRequested) {
        active.cancelRequested = true;
        effects.cancel = active.id;
      }
    }
    const breach = this.#breach(before, after, t, now);
    return breach === undefined ? effects : { ...effects, breach };
  }

  /** Trust fell below the floor because of the customer's own events (a complaint, anger). */
  #breach(before: Reading, after: Reading, at: number, now: number): Detection | undefined {
    if (!(after.trust.value < this.#settings.trustBreachBelow)) return undefined;
    if (!(after.trust.value < before.trust.value)) return undefined;
    if (at < now - this.#settings.staleAfterMs) return undefined;
    return {
      trigger: 'trust_breach',
      at,
      stage: before.stage,
      engagement: after.engagement,
      trust: after.trust.value,
    };
  }

  /**
   * A request opens a deadline unless the customer is already waiting on that thread; a reply
   * on the thread closes it, met if dated by the deadline. Returns a breach if the reply came
   * too late and that leaves trust low.
   */
  #trackRequest(event: StampedInteraction, now: number): Detection | undefined {
    if (event.threadId === undefined) return undefined;
    const at = instantMs(event.occurredAt);
    const open = this.#openRequests.find((request) => request.threadId === event.threadId);
    if (event.direction === 'inbound') {
      if (event.expectsResponse !== true || open !== undefined) return undefined;
      pushBounded(
        this.#openRequests,
        {
          threadId: event.threadId,
          requestEventId: event.eventId,
          channel: event.channel,
          openedAt: at,
          deadline:
            at + (this.#settings.sla.byChannel[event.channel] ?? this.#settings.sla.defaultMs),
        },
        MAX_OPEN_REQUESTS,
      );
      return undefined;
    }
    // A message dated before the request does not answer it.
    if (open === undefined || at < open.openedAt) return undefined;
    this.#closeRequest(open);
    if (at > open.deadline) return this.#missed(open, now);
    this.#publish({
      type: 'sla.met',
      key: open.requestEventId,
      occurredAt: at,
      now,
      channel: open.channel,
      threadId: open.threadId,
      properties: {
        requestEventId: open.requestEventId,
        replyEventId: event.eventId,
        deadline: open.deadline,
      },
    });
    return undefined;
  }

  /** Publishes the miss; a breach if trust, with the miss folded in, falls below the floor. */
  #missed(request: OpenRequest, now: number): Detection | undefined {
    const miss = this.#publish({
      type: 'sla.missed',
      key: request.requestEventId,
      occurredAt: request.deadline,
      now,
      channel: request.channel,
      threadId: request.threadId,
      properties: { requestEventId: request.requestEventId, deadline: request.deadline },
    });
    const before = this.#model.at(this.#state, request.deadline);
    const after = this.#model.at(this.#model.apply(this.#state, miss), request.deadline);
    return this.#breach(before, after, request.deadline, now);
  }

  #closeRequest(request: OpenRequest): void {
    this.#openRequests.splice(this.#openRequests.indexOf(request), 1);
  }

  /**
   * The drop instants the model predicts from the state alone (so they survive continue-as-new
   * without being stored), minus those already acted on and those too old to act on.
   */
  #candidates(now: number): { trigger: Trigger; at: number }[] {
    const overdue = this.model.predictedOverdueTime(this.#state);
    // A customer with a rhythm is judged by it: their engagement falls between exchanges by
    // design, so its crossings are not drops (as the model does not read them as at risk).
    const found: [Trigger, number | null][] =
      overdue === null ? this.#engagementDrops() : [['overdue', overdue]];
    found.push(['silence', this.#silenceAt()]);
    return found.flatMap(([trigger, at]) =>
      at === null ||
      at <= (this.#spent[trigger] ?? -Infinity) ||
      at < now - this.#settings.staleAfterMs
        ? []
        : [{ trigger, at }],
    );
  }

  /** Engagement predicted to cross the drop threshold, or to fall below a share of its peak. */
  #engagementDrops(): [Trigger, number | null][] {
    const { model } = this;
    const threshold = this.#settings.dropThreshold ?? model.params.thresholds.atRisk;
    const peak = this.#recentPeak();
    return [
      ['threshold', model.predictedCrossingTime(this.#state, threshold)],
      [
        'relative_drop',
        peak > 0
          ? model.predictedCrossingTime(this.#state, this.#settings.relativeDrop.share * peak)
          : null,
      ],
    ];
  }

  /** Dormancy by the model, or the shorter onboarding silence while onboarding. */
  #silenceAt(): number | null {
    const dormant = this.#model.predictedDormancyTime(this.#state);
    if (this.#state.n === 0) return dormant;
    const reading = this.#model.at(this.#state, this.#state.t);
    if (reading.stage !== 'onboarding') return dormant;
    const heard = reading.timeline.lastInbound ?? reading.timeline.firstSeen;
    if (heard === null) return dormant;
    const onboarding = heard + this.#settings.onboardingSilenceMs;
    return dormant === null ? onboarding : Math.min(dormant, onboarding);
  }

  #detection(trigger: Trigger, at: number): Detection {
    const reading = this.#model.at(this.#state, at);
    return {
      trigger,
      at,
      stage: this.#model.at(this.#state, at - 1).stage,
      engagement: reading.engagement,
      trust: reading.trust.value,
    };
  }

  /**
   * Engagement right after recent updates. Between events engagement only falls, so its peak
   * over a window is its highest value just after an update; entries dominated by a later,
   * higher one can never be the peak again and are dropped.
   */
  #notePeak(t: number, engagement: number): void {
    const horizon = this.#state.t - this.#settings.relativeDrop.windowMs;
    this.#peaks = this.#peaks.filter(
      ([at, value]) => at >= horizon && !(at <= t && value <= engagement),
    );
    this.#peaks.push([t, engagement]);
    this.#peaks.sort((a, b) => a[0] - b[0]);
    if (this.#peaks.length > MAX_PEAKS) this.#peaks.shift();
  }

  /** The highest engagement within the window before the latest event. */
  #recentPeak(): number {
    const horizon = this.#state.t - this.#settings.relativeDrop.windowMs;
    return this.#peaks.reduce(
      (peak, [at, value]) => (at >= horizon ? Math.max(peak, value) : peak),
      0,
    );
  }

  #decide(detection: Detection, now: number): Admission {
    const last = this.#followUps.at(-1);
    if (last !== undefined) {
      if (last.finishedAt === null) return { decision: 'running' };
      if (now - last.finishedAt < this.#settings.followUpCooldownMs)
        return { decision: 'cooldown' };
    }
    const playbook = choosePlaybook(this.#settings.playbooks, detection.trigger, detection.stage);
    if (playbook === undefined) return { decision: 'no_playbook' };
    return {
      decision: 'started',
      playbook,
      followUp: {
        id: followUpWorkflowId(this.customerId, detection.trigger, detection.at),
        trigger: detection.trigger,
        stage: detection.stage,
        playbook: playbook.name,
        dropAt: detection.at,
        startedAt: now,
        reengagedAt: null,
        cancelRequested: false,
        finishedAt: null,
        outcome: null,
      },
    };
  }

  #active(): FollowUpRecord | undefined {
    const last = this.#followUps.at(-1);
    return last?.finishedAt === null ? last : undefined;
  }

  #publish(spec: Omit<DerivedEventSpec, 'customerId'>): StampedInteraction {
    const event = derivedEvent({ ...spec, customerId: this.customerId });
    this.#outbox.push(event);
    return event;
  }
}
