import { createModel, type Model, type State } from '@rapport/model';
import { ENGINE_SOURCE, instantMs, mergeLinkOf, type StampedInteraction } from '@rapport/schema';
import type {
  Counts,
  CustomerView,
  Delivery,
  HeldDelivery,
  DropFacts,
  FollowUpFinished,
  FollowUpRecord,
  FollowUpRequest,
  NextCheck,
  Snapshot,
} from '../shared/definitions.js';
import type { DerivedEventSpec } from '../shared/derived.js';
import type { EngagementSettings, Playbook } from '../shared/settings.js';
import { DeliveryFilter } from './parts/delivery-filter.js';
import { DropDetector, type Detection } from './parts/drop-detector.js';
import { FollowUpPolicy } from './parts/follow-up-policy.js';
import { Outbox } from './parts/outbox.js';
import { Responsiveness, type Verdict } from './parts/responsiveness.js';

/**
 * Events held back until they settle; a longer burst ahead of the watermark settles in pieces
 * (its oldest first), which keeps a snapshot carried across continue-as-new small.
 */
const MAX_PENDING = 1_000;

/**
 * Deliveries of customer ids not merged in yet, held until their hand-over arrives (seconds after
 * the link, normally). Beyond it the oldest is dropped and counted `rejected`: an id whose link
 * never reaches this workflow must not grow its hand-over without end.
 */
const MAX_HELD_ALIASES = 1_000;

/** What the workflow does after an advance, in order. */
export type Action =
  | {
      readonly kind: 'start';
      readonly followUp: FollowUpRecord;
      readonly playbook: Playbook;
      readonly facts: DropFacts;
    }
  | {
      readonly kind: 'reengaged';
      readonly followUpId: string;
      readonly eventId: string;
      readonly at: number;
    }
  | { readonly kind: 'cancel'; readonly followUpId: string };

/** An event waiting to settle, with its instant parsed once. */
interface Held {
  readonly at: number;
  readonly event: StampedInteraction;
}

const held = (event: StampedInteraction): Held => ({ at: instantMs(event.occurredAt), event });

/** A customer's events in the order they happened: by time, a request before its reply. */
function happenedBefore(a: Held, b: Held): number {
  const [x, y] = [a.event, b.event];
  return (
    a.at - b.at ||
    (x.direction === y.direction ? 0 : x.direction === 'inbound' ? -1 : 1) ||
    (x.eventId < y.eventId ? -1 : x.eventId > y.eventId ? 1 : 0)
  );
}

/**
 * A customer's engagement as the workflow keeps it, deciding in event time: every verdict, drop
 * and follow-up is a function of the events and the instant they happened, not of the order or
 * batches they arrived in.
 *
 * Events wait (`pending`) until they settle, `lateArrivalGraceMs` (the allowed lateness, L)
 * after they happened: by then any event that happened before them has arrived too. The
 * watermark W = now − L moves forward only; a late arrival (an event dated L or more before it
 * arrived: a backfill, a slow webhook) holds it back until arrivals have been quiet for L, so a
 * history imported in many batches settles as a whole. Settling walks forward in time through
 * the events, the response deadlines and the predicted drops, in the order they happened, on the
 * settled state (the events up to that instant): so each decision reads the state it would have
 * read had everything arrived on time and in order. An event that arrives already behind the
 * watermark is counted (`late`) and folded, but judges nothing.
 *
 * The engine's own verdicts are folded when decided and skipped when their copy comes back through
 * the log. Pure and deterministic (time is passed in): the workflow replays it and tests drive it.
 */
export class Engagement {
  readonly customerId: string;
  readonly model: Model;
  readonly #lateness: number;
  #settled: State;
  readonly #pending: Held[];
  #watermark: number;
  #heldUntil: number;
  readonly #counts: Counts;
  readonly #filter: DeliveryFilter;
  readonly #responsiveness: Responsiveness;
  readonly #drops: DropDetector;
  readonly #policy: FollowUpPolicy;
  readonly #outbox: Outbox;
  /** Customer ids merged into this one, transitively, in the order they were absorbed. */
  readonly #aliases: string[];
  readonly #heldAliases: HeldDelivery[];
  /** Ids a link named, to be asked to merge into this one (by the workflow, see takeAsks). */
  readonly #asks: string[] = [];
  /** Set once this customer is merged into another (it hands over and completes). */
  #mergedInto: string | undefined;

  /** A new customer, or the one a previous run handed over. */
  constructor(settings: EngagementSettings, customerId: string, handedOver?: Snapshot) {
    this.model = createModel(settings.model);
    this.customerId = handedOver?.customerId ?? customerId;
    this.#lateness = settings.lateArrivalGraceMs;
    this.#settled = handedOver ? this.model.fromJSON(handedOver.model) : this.model.empty();
    this.#pending = (handedOver?.pending ?? []).map(held);
    this.#watermark = handedOver?.watermark ?? Number.NEGATIVE_INFINITY;
    this.#heldUntil = handedOver?.heldUntil ?? Number.NEGATIVE_INFINITY;
    this.#counts = handedOver
      ? { ...handedOver.counts }
      : { applied: 0, duplicates: 0, rejected: 0, late: 0 };
    this.#filter = new DeliveryFilter(handedOver);
    this.#responsiveness = new Responsiveness(settings.sla, handedOver?.openRequests);
    this.#drops = new DropDetector(this.model, settings, handedOver);
    this.#policy = new FollowUpPolicy(settings, this.customerId, handedOver);
    this.#outbox = new Outbox(this.customerId, handedOver?.outbox);
    this.#aliases = [...(handedOver?.aliases ?? [])];
    this.#heldAliases = (handedOver?.heldAliases ?? []).map((delivery) => ({ ...delivery }));
  }

  /**
   * Takes one signal's deliveries: each new event once, held until it settles. A delivery of
   * another customer id (the bridge routes the events of an id merged into this one here) is
   * taken once that id is absorbed, keyed by its id and partition, and held until then.
   * `forwarded`: forwarded by a workflow merged into this one (see DeliveryFilter.arrival).
   */
  receive(deliveries: readonly Delivery[], now: number, { forwarded = false } = {}): void {
    for (const delivery of deliveries) {
      const source = delivery.event.customerId;
      if (source === this.customerId || this.#aliases.includes(source)) {
        this.#arrive(delivery, now, forwarded);
      } else {
        this.#heldAliases.push({ ...delivery, ...(forwarded ? { forwarded } : {}) });
        if (this.#heldAliases.length > MAX_HELD_ALIASES) {
          this.#heldAliases.shift();
          this.#counts.rejected += 1;
        }
      }
    }
  }

  /**
   * The hand-over of `from`, a customer id merged into this one: its ledger folded into ours (the
   * model's merge), its waiting events among ours in the order they happened, its watermarks
   * re-keyed to its id, its ids, open requests (their deadlines decided here, once), instants
   * acted on, drops, follow-ups and unpublished events united with ours, its counts added; and
   * the deliveries held for it (and for the ids it had absorbed) taken. False, and nothing done,
   * when `from` is this customer or already absorbed (a repeated hand-over).
   */
  absorb(from: string, theirs: Snapshot, now: number): boolean {
    if (from === this.customerId || this.#aliases.includes(from)) return false;
    this.#settled = this.model.merge(this.#settled, this.model.fromJSON(theirs.model));
    for (const event of theirs.pending) this.#hold(event);
    if (theirs.heldUntil !== null) this.#heldUntil = Math.max(this.#heldUntil, theirs.heldUntil);
    this.#filter.absorb(from, theirs);
    this.#responsiveness.absorb(theirs.openRequests);
    this.#drops.absorb(theirs);
    this.#policy.absorb(theirs);
    this.#outbox.absorb(theirs.outbox);
    for (const key of ['applied', 'duplicates', 'rejected', 'late'] as const) {
      this.#counts[key] += theirs.counts[key];
    }
    for (const id of [from, ...(theirs.aliases ?? [])]) {
      if (id !== this.customerId && !this.#aliases.includes(id)) this.#aliases.push(id);
    }
    const held = [...this.#heldAliases, ...(theirs.heldAliases ?? [])];
    this.#heldAliases.length = 0;
    for (const { forwarded, ...delivery } of held) {
      this.receive([delivery], now, { forwarded: forwarded === true });
    }
    return true;
  }

  /** The ids links named since the last call: the workflow asks each to merge into this one. */
  takeAsks(): string[] {
    return this.#asks.splice(0).filter((id) => !this.#aliases.includes(id));
  }

  /**
   * This customer is merged into `into`: its running follow-up is cancelled (recorded so; the
   * survivor judges the merged ledger and starts its own if warranted). What to do about it.
   */
  mergedAway(into: string, now: number): Action[] {
    this.#mergedInto = into;
    const followUp = this.#policy.mergedAway(into, now);
    return followUp === undefined ? [] : [{ kind: 'cancel', followUpId: followUp.id }];
  }

  /** Customer ids merged into this one, transitively. */
  get aliases(): readonly string[] {
    return this.#aliases;
  }

  get mergedInto(): string | undefined {
    return this.#mergedInto;
  }

  /**
   * After the hand-over: what of `deliveries` to forward to the survivor. Those of this id and of
   * ids it absorbed go through its filter (redeliveries of what it had are not forwarded) and are
   * `filtered` (the survivor checks them by eventId only); those of other ids are not filtered.
   */
  forwardable(
    deliveries: readonly Delivery[],
    { forwarded = false } = {},
  ): { filtered: Delivery[]; unfiltered: Delivery[] } {
    const filtered: Delivery[] = [];
    const unfiltered: Delivery[] = [];
    for (const delivery of deliveries) {
      const source = delivery.event.customerId;
      if (source !== this.customerId && !this.#aliases.includes(source)) {
        unfiltered.push(delivery);
      } else if (this.#filter.arrival(delivery, { own: this.customerId, forwarded }) !== 'repeat') {
        filtered.push(delivery);
      }
    }
    return { filtered, unfiltered };
  }

  /** Settles what the watermark has passed, in the order it happened; what to do about it. */
  advance(now: number): Action[] {
    if (now >= this.#heldUntil) this.#watermark = Math.max(this.#watermark, now - this.#lateness);
    const overflow = this.#pending.at(-MAX_PENDING - 1);
    if (overflow !== undefined) this.#watermark = Math.max(this.#watermark, overflow.at);
    const actions: Action[] = [];
    for (;;) {
      const first = this.#pending[0];
      const eventAt = first?.at ?? Infinity;
      const deadline = this.#responsiveness.nextDeadline() ?? Infinity;
      const drop = this.#drops.next(this.#settled);
      const dropAt = drop?.at ?? Infinity;
      // At one instant: the event first (a reply at its deadline is in time), then the deadline.
      if (
        first !== undefined &&
        eventAt <= this.#watermark &&
        eventAt <= Math.min(deadline, dropAt)
      ) {
        this.#pending.shift();
        this.#settle(first.event, now, actions);
      } else if (deadline <= this.#watermark && deadline <= dropAt) {
        const miss = this.#responsiveness.expireNext();
        if (miss !== undefined) this.#verdict(miss, now, actions);
      } else if (drop !== null && dropAt <= this.#watermark) {
        const detection = this.#drops.detect(this.#settled, drop.trigger, drop.at);
        this.#admit(detection, this.#settled, now, actions);
      } else {
        this.#promptDrops(now, actions);
        return actions;
      }
    }
  }

  /**
   * A predicted drop is acted on at its instant, not the lateness after it: a follow-up starts
   * when the silence is reached. It reads every event taken by then (settled or not, all dated
   * before it), so an event that happened before the instant but arrives after it is too late to
   * prevent it. The settling walk then finds the same instant already acted on. Not while late
   * arrivals hold the watermark: a backfill's drops are decided as it settles, in time order.
   */
  #promptDrops(now: number, actions: Action[]): void {
    if (now < this.#heldUntil) return;
    for (;;) {
      const state = this.#everything();
      const drop = this.#drops.next(state);
      if (drop === null || drop.at > now) return;
      this.#admit(this.#drops.detect(state, drop.trigger, drop.at), state, now, actions);
    }
  }

  /**
   * The next instant that matters: an event or a response deadline once the allowed lateness has
   * passed it, a predicted drop at its instant (see #promptDrops), none before late arrivals stop
   * holding the watermark.
   */
  nextCheck(now: number): NextCheck | null {
    const first = this.#pending[0];
    const deadline = this.#responsiveness.nextDeadline();
    const drop = this.#drops.next(this.#everything());
    const checks: NextCheck[] = [
      ...(first === undefined
        ? []
        : [{ reason: 'settle' as const, at: first.at + this.#lateness }]),
      ...(deadline === null ? [] : [{ reason: 'sla' as const, at: deadline + this.#lateness }]),
      ...(drop === null ? [] : [{ reason: drop.trigger, at: drop.at }]),
    ];
    return checks.reduce<NextCheck | null>((earliest, check) => {
      const at = Math.max(check.at, this.#heldUntil, now);
      return earliest === null || at < earliest.at ? { reason: check.reason, at } : earliest;
    }, null);
  }

  /**
   * A person asked for a follow-up now: recorded and published as a `manual` drop at `now`, read
   * on every event taken so far (settled or not), and decided by the policy.
   */
  requestFollowUp(request: FollowUpRequest, now: number): Action[] {
    const state = this.#everything();
    const reading = this.model.headline(state, now);
    const actions: Action[] = [];
    this.#admit(
      {
        trigger: 'manual',
        at: Math.max(now, state.t),
        stage: reading.stage,
        engagement: reading.engagement,
        trust: reading.trust.value,
      },
      state,
      now,
      actions,
      { playbook: request.playbook },
    );
    return actions;
  }

  /** The follow-up ended (its own signal, or its result): idempotent. */
  followUpFinished(note: FollowUpFinished): void {
    this.#policy.finished(note);
  }

  /** A signal whose payload did not parse. */
  rejected(): void {
    this.#counts.rejected += 1;
  }

  get unpublishedCount(): number {
    return this.#outbox.size;
  }

  /** Derived events waiting for Kafka's acknowledgement, oldest first. */
  unpublished(limit: number): StampedInteraction[] {
    return this.#outbox.unpublished(limit);
  }

  /** Kafka acknowledged (or refused for good) the oldest `count` outbox events. */
  published(count: number): void {
    this.#outbox.published(count);
  }

  get activeFollowUp(): string | null {
    return this.#policy.active()?.id ?? null;
  }

  followUps(): FollowUpRecord[] {
    return this.#policy.snapshot().followUps;
  }

  /** Every event taken, settled or not, read at `now`; and the engine's bookkeeping. */
  view(now: number): CustomerView {
    const state = this.#everything();
    return {
      customerId: this.customerId,
      asOf: now,
      reading: this.model.at(state, now),
      state: this.model.toJSON(state),
      counts: { ...this.#counts },
      watermarks: this.#filter.snapshot().watermarks,
      settledThrough: Number.isFinite(this.#watermark) ? this.#watermark : null,
      pending: this.#pending.length,
      openRequests: this.#responsiveness.open,
      nextCheck: this.nextCheck(now),
      drops: this.#policy.snapshot().drops,
      activeFollowUp: this.activeFollowUp,
      unpublished: this.#outbox.size,
      ...(this.#aliases.length === 0 ? {} : { aliases: [...this.#aliases] }),
      ...(this.#heldAliases.length === 0 ? {} : { heldAliases: this.#heldAliases.length }),
      ...(this.#mergedInto === undefined ? {} : { mergedInto: this.#mergedInto }),
    };
  }

  snapshot(): Snapshot {
    return {
      customerId: this.customerId,
      model: this.model.toJSON(this.#settled),
      pending: this.#pending.map(({ event }) => event),
      watermark: Number.isFinite(this.#watermark) ? this.#watermark : null,
      heldUntil: Number.isFinite(this.#heldUntil) ? this.#heldUntil : null,
      ...this.#filter.snapshot(),
      ...this.#drops.snapshot(),
      openRequests: this.#responsiveness.open,
      ...this.#policy.snapshot(),
      outbox: this.#outbox.snapshot(),
      counts: { ...this.#counts },
      ...(this.#aliases.length === 0 ? {} : { aliases: [...this.#aliases] }),
      ...(this.#heldAliases.length === 0
        ? {}
        : { heldAliases: this.#heldAliases.map((delivery) => ({ ...delivery })) }),
    };
  }

  /** A delivery of this customer or of an id absorbed: taken once; a link names an id to ask. */
  #arrive(delivery: Delivery, now: number, forwarded: boolean): void {
    const arrival = this.#filter.arrival(delivery, { own: this.customerId, forwarded });
    if (arrival === 'repeat') this.#counts.duplicates += 1;
    if (arrival !== 'new') return;
    this.#take(delivery.event, now);
    const link = mergeLinkOf(delivery.event);
    if (
      link !== undefined &&
      link.from !== this.customerId &&
      !this.#aliases.includes(link.from) &&
      !this.#asks.includes(link.from)
    ) {
      this.#asks.push(link.from);
    }
  }

  /** Every event taken, settled or not. */
  #everything(): State {
    return this.#pending.reduce(
      (folded, { event }) => this.model.apply(folded, event),
      this.#settled,
    );
  }

  #take(event: StampedInteraction, now: number): void {
    this.#counts.applied += 1;
    const at = instantMs(event.occurredAt);
    const own = event.source === ENGINE_SOURCE;
    if (!own && at <= now - this.#lateness) {
      this.#heldUntil = Math.max(this.#heldUntil, now + this.#lateness);
    }
    // Strictly before: an event at the watermark's own instant still settles in its place.
    if (at < this.#watermark) {
      if (!own) this.#counts.late += 1;
      this.#settled = this.model.apply(this.#settled, event);
      return;
    }
    this.#hold(event);
  }

  /** Held in the order it happened, until it settles (found by bisection: a backfill is long). */
  #hold(event: StampedInteraction): void {
    const entry = held(event);
    let [low, high] = [0, this.#pending.length];
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = this.#pending[middle];
      if (other !== undefined && happenedBefore(other, entry) <= 0) low = middle + 1;
      else high = middle;
    }
    this.#pending.splice(low, 0, entry);
  }

  /**
   * An event at its time, on the state of everything before it. A derived event not decided here
   * (a follow-up's, or a verdict of the code before this engine) is folded and decides nothing.
   */
  #settle(event: StampedInteraction, now: number, actions: Action[]): void {
    if (event.source === ENGINE_SOURCE) {
      this.#settled = this.model.apply(this.#settled, event);
      return;
    }
    const at = instantMs(event.occurredAt);
    const before = this.model.headline(this.#settled, at);
    const active = this.#policy.active();
    const given = (state: State) => this.model.at(state, at).ledger.lifetime.given;
    const givenBefore = active === undefined ? 0 : given(this.#settled);
    this.#settled = this.model.apply(this.#settled, event);
    const after = this.model.headline(this.#settled, at);
    this.#drops.noteEvent(this.#settled, at);
    const verdict = this.#responsiveness.observe(event);
    if (verdict !== undefined) this.#verdict(verdict, now, actions);
    const breach = this.#drops.breach(before, after, at, event.eventId);
    if (breach !== undefined) {
      this.#admit(breach, this.#settled, now, actions, { causeType: event.type });
    }
    if (
      active !== undefined &&
      event.direction === 'inbound' &&
      given(this.#settled) > givenBefore
    ) {
      const followUp = this.#policy.reengaged(at);
      if (followUp !== undefined) {
        actions.push({ kind: 'reengaged', followUpId: followUp.id, eventId: event.eventId, at });
      }
    }
    if (after.stage === 'churned') {
      const followUp = this.#policy.cancelled();
      if (followUp !== undefined) actions.push({ kind: 'cancel', followUpId: followUp.id });
    }
  }

  /** Publishes a verdict and folds it; a miss that leaves trust low is a breach. */
  #verdict(verdict: Verdict, now: number, actions: Action[]): void {
    const { request, met, at } = verdict;
    const before = this.model.headline(this.#settled, at);
    this.#decide({
      type: met ? 'sla.met' : 'sla.missed',
      key: request.requestEventId,
      occurredAt: at,
      now,
      channel: request.channel,
      threadId: request.threadId,
      properties: {
        requestEventId: request.requestEventId,
        ...(verdict.replyEventId === undefined ? {} : { replyEventId: verdict.replyEventId }),
        deadline: request.deadline,
      },
    });
    if (met) return;
    const after = this.model.headline(this.#settled, at);
    const breach = this.#drops.breach(before, after, at, request.requestEventId);
    if (breach !== undefined) {
      this.#admit(breach, this.#settled, now, actions, { causeType: 'sla.missed' });
    }
  }

  /**
   * Records a detection read on `state`, decides what is done about it, and publishes the drop.
   * `playbook`: the one a person asked for; `causeType`: the type of what broke trust.
   */
  #admit(
    detection: Detection,
    state: State,
    now: number,
    actions: Action[],
    { playbook, causeType }: { playbook?: string | undefined; causeType?: string } = {},
  ): void {
    const { cause, ...drop } = detection;
    const admission = this.#policy.admit(drop, now, playbook);
    const followUpId = admission.decision === 'started' ? admission.followUp.id : null;
    this.#decide({
      type: 'engagement.drop_detected',
      key: `${detection.trigger}:${detection.at}${cause === undefined ? '' : `:${cause}`}`,
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
    if (admission.decision === 'started') {
      actions.push({
        kind: 'start',
        followUp: { ...admission.followUp },
        playbook: admission.playbook,
        facts: this.#facts(state, detection, causeType),
      });
    }
  }

  /** The customer at a detection in numbers, for the follow-up's notifications to say why. */
  #facts(state: State, detection: Detection, causeType: string | undefined): DropFacts {
    const { status, ledger, timeline, rhythm } = this.model.at(state, detection.at);
    return {
      engagement: detection.engagement,
      trust: detection.trust,
      status,
      given: ledger.given,
      received: ledger.received,
      lifetime: { given: ledger.lifetime.given, received: ledger.lifetime.received },
      lastHeardAt: timeline.lastInbound,
      rhythmDays: rhythm.intervalDays,
      ...(causeType === undefined ? {} : { cause: causeType }),
    };
  }

  /**
   * A derived event: published, its copy from the log skipped, and folded now, or when it settles
   * if it is dated ahead of the watermark (a follow-up a person asked for, dated now).
   */
  #decide(spec: Omit<DerivedEventSpec, 'customerId'>): void {
    const event = this.#outbox.publish(spec);
    this.#filter.decided(event.eventId);
    if (spec.occurredAt > this.#watermark) this.#hold(event);
    else this.#settled = this.model.apply(this.#settled, event);
  }
}
