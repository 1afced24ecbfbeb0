import { createModel, type Stage } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import type { Delivery, Snapshot } from '../shared/definitions.js';
import { derivedEventId } from '../shared/ids.js';
import {
  EngagementSettingsSchema,
  type EngagementSettingsInput,
  type Trigger,
} from '../shared/settings.js';
import { Engagement, type Action } from './engine.js';
import {
  chatReply,
  chatRequest,
  DAY,
  EMAIL_IN,
  HOUR,
  MINUTE,
  stamped,
  T0,
  type EventFields,
} from './testing.js';

/** The default allowed lateness: verdicts come this long after their instant. */
const L = 60_000;
const model = createModel();

const playbook = (name: string, triggers: Trigger[], stages?: Stage[]) => ({
  name,
  when: { triggers, ...(stages === undefined ? {} : { stages }) },
  steps: [{ kind: 'wait' as const, upToMs: DAY }],
});

function settingsWith(overrides: Partial<EngagementSettingsInput> = {}) {
  return EngagementSettingsSchema.parse({
    sla: { defaultMs: 4 * HOUR, byChannel: { chat: 15 * MINUTE } },
    relativeDrop: { share: 0.1, windowMs: 30 * DAY },
    onboardingSilenceMs: 7 * DAY,
    trustBreachBelow: 0.5,
    followUpCooldownMs: 14 * DAY,
    playbooks: [
      playbook('trust', ['trust_breach']),
      playbook('onboarding', ['silence', 'threshold'], ['onboarding']),
      playbook('cooling', ['threshold', 'relative_drop', 'silence'], ['active']),
    ],
    ...overrides,
  });
}

function engine(overrides: Partial<EngagementSettingsInput> = {}, customerId = 'c1') {
  return new Engagement(settingsWith(overrides), customerId);
}

let sequence = 0;
function event(at: number, fields: EventFields, customerId = 'c1'): StampedInteraction {
  sequence += 1;
  return stamped(`e${sequence}`, customerId, at, fields);
}

let offset = 0;
const deliveries = (...events: StampedInteraction[]): Delivery[] =>
  events.map((item) => ({ partition: 0, offset: String(offset++), event: item }));

const iso = (at: number) => new Date(at).toISOString();
const time = (item: StampedInteraction) => Date.parse(item.occurredAt);

/** One signal at `now`, as the workflow takes it: receive, then advance. */
function signal(subject: Engagement, now: number, ...events: StampedInteraction[]): Action[] {
  subject.receive(deliveries(...events), now);
  return subject.advance(now);
}

/** Asleep until `until`, waking at every nextCheck on the way (whole milliseconds). */
function sleep(subject: Engagement, from: number, until: number): Action[] {
  const actions: Action[] = [];
  for (let now = from; ;) {
    const next = subject.nextCheck(now);
    const wake = next === null ? until : Math.min(until, Math.ceil(next.at));
    if (wake <= now && now !== from) throw new Error('nextCheck does not move on');
    now = wake;
    actions.push(...subject.advance(now));
    if (now >= until) return actions;
  }
}

/** Each event as a signal at the instant it happened, then asleep until `until`. */
function live(subject: Engagement, events: StampedInteraction[], until: number): Action[] {
  const actions = events.flatMap((item) => signal(subject, time(item), item));
  const last = events.at(-1);
  return [...actions, ...sleep(subject, last === undefined ? T0 : time(last), until)];
}

/** What the engine published since the last call, now acknowledged. */
function publishedOf(subject: Engagement): StampedInteraction[] {
  const batch = subject.unpublished(1_000);
  subject.published(batch.length);
  return batch;
}

const COMPLAINT = { type: 'support.complaint', direction: 'inbound', channel: 'support' } as const;

/** A customer with a two-way relationship: engagement well above the at-risk band. */
function engagedHistory(): StampedInteraction[] {
  return [
    event(T0, { type: 'purchase.completed', direction: 'inbound' }),
    event(T0 + DAY, { type: 'onboarding.completed', direction: 'inbound' }),
    event(T0 + 2 * DAY, { type: 'email.replied', direction: 'inbound' }),
    event(T0 + 2 * DAY + HOUR, { type: 'email.replied', direction: 'outbound' }),
  ];
}

const fold = (events: readonly StampedInteraction[]) =>
  events.reduce((state, item) => model.apply(state, item), model.empty());

describe('Engagement.receive', () => {
  it('takes each event once: redeliveries by watermark, log duplicates by eventId', () => {
    const subject = engine();
    const first = event(T0, { type: 'email.replied', direction: 'inbound' });
    const second = event(T0 + HOUR, { type: 'email.sent', direction: 'outbound' });
    const batch: Delivery[] = [
      { partition: 3, offset: '9', event: first },
      { partition: 3, offset: '10', event: second },
    ];
    subject.receive(batch, T0 + HOUR);
    subject.receive(batch, T0 + HOUR);
    subject.receive([{ partition: 3, offset: '11', event: first }], T0 + HOUR);
    const stranger = event(T0, { type: 'x.y', direction: 'inbound' }, 'c2');
    subject.receive([{ partition: 0, offset: '0', event: stranger }], T0 + HOUR);
    const view = subject.view(T0 + HOUR);
    // Another customer's event is held (an id not merged in yet), not counted.
    expect(view.counts).toEqual({ applied: 2, duplicates: 3, rejected: 0, late: 0 });
    expect(view.heldAliases).toBe(1);
    expect(view.watermarks).toEqual({ 3: '11' });
    // Read with what is pending, before anything settled.
    expect(view.state).toEqual(model.toJSON(fold([first, second])));
    expect(view).toMatchObject({ pending: 2, settledThrough: null });
    // An event dated the lateness before it arrived holds the watermark for the lateness.
    expect(subject.nextCheck(T0 + HOUR)).toEqual({ reason: 'settle', at: T0 + HOUR + L });
  });

  it('holds events until the lateness has passed them, then settles them in time order', () => {
    const subject = engine();
    const late = event(T0 + 10_000, { type: 'email.replied', direction: 'inbound' });
    const early = event(T0, { type: 'email.sent', direction: 'outbound' });
    signal(subject, T0 + 20_000, late, early);
    expect(subject.advance(T0 + L - 1)).toEqual([]);
    expect(subject.view(T0 + L - 1)).toMatchObject({ pending: 2, settledThrough: T0 - 1 });
    subject.advance(T0 + L);
    expect(subject.view(T0 + L)).toMatchObject({ pending: 1, settledThrough: T0 });
    expect(subject.nextCheck(T0 + L)).toEqual({ reason: 'settle', at: T0 + 10_000 + L });
    subject.advance(T0 + 10_000 + L);
    expect(subject.view(T0 + 10_000 + L)).toMatchObject({ pending: 0 });
  });

  it('folds derived events from the log without acting on them', () => {
    const subject = engine();
    const verdict = event(T0, {
      type: 'sla.missed',
      direction: 'outbound',
      source: 'engine',
      threadId: 't',
    });
    expect(signal(subject, T0, verdict)).toEqual([]);
    expect(sleep(subject, T0, T0 + DAY)).toEqual([]);
    expect(subject.view(T0 + DAY).reading.trust.value).toBeLessThan(0.5);
    expect(subject.view(T0 + DAY).drops).toEqual([]);
    expect(subject.unpublished(10)).toEqual([]);
  });

  it("skips the log's copy of its own verdicts: folded once, when decided", () => {
    const subject = engine();
    signal(subject, T0, event(T0, chatRequest('t')));
    signal(subject, T0 + MINUTE, event(T0 + MINUTE, chatReply('t')));
    sleep(subject, T0 + MINUTE, T0 + 2 * MINUTE);
    const [met] = publishedOf(subject);
    expect(met?.type).toBe('sla.met');
    const before = subject.view(T0 + 2 * MINUTE);
    signal(subject, T0 + 2 * MINUTE, met!, met!);
    const after = subject.view(T0 + 2 * MINUTE);
    expect(after.counts).toEqual(before.counts);
    expect(after.state).toEqual(before.state);
    expect(after.pending).toBe(0);
  });

  it('settles a burst of more than a thousand events in pieces, oldest first', () => {
    const subject = engine();
    const burst = Array.from({ length: 1_005 }, (_, index) =>
      event(T0 + index, { type: 'page.viewed', direction: 'inbound', channel: 'web' }),
    );
    signal(subject, T0 + 1_005, ...burst);
    expect(subject.view(T0 + 1_005)).toMatchObject({ pending: 1_000, settledThrough: T0 + 4 });
  });
});

describe('response deadlines', () => {
  it('a reply on the thread by the deadline publishes sla.met once, with a deterministic id', () => {
    const subject = engine();
    const request = event(T0, chatRequest('t1'));
    signal(subject, T0, request);
    expect(subject.view(T0).openRequests).toEqual([]); // not settled yet
    expect(subject.advance(T0 + L)).toEqual([]);
    expect(subject.view(T0 + L).openRequests).toEqual([
      {
        threadId: 't1',
        requestEventId: request.eventId,
        channel: 'chat',
        openedAt: T0,
        deadline: T0 + 15 * MINUTE,
      },
    ]);
    expect(subject.nextCheck(T0 + L)).toEqual({ reason: 'sla', at: T0 + 15 * MINUTE + L });
    const reply = event(T0 + 2 * MINUTE, chatReply('t1'));
    signal(subject, T0 + 2 * MINUTE, reply);
    expect(subject.unpublished(10)).toEqual([]); // within the lateness
    sleep(subject, T0 + 2 * MINUTE, T0 + DAY);
    expect(publishedOf(subject)).toEqual([
      expect.objectContaining({
        eventId: derivedEventId('sla.met', 'c1', request.eventId),
        type: 'sla.met',
        occurredAt: reply.occurredAt,
        receivedAt: iso(T0 + 2 * MINUTE + L),
        source: 'engine',
        threadId: 't1',
        channel: 'chat',
        properties: {
          requestEventId: request.eventId,
          replyEventId: reply.eventId,
          deadline: T0 + 15 * MINUTE,
        },
      }),
    ]);
    expect(subject.view(T0 + DAY).openRequests).toEqual([]);
  });

  it('the deadline passing is a miss at the deadline; with little evidence it breaches trust', () => {
    const subject = engine();
    const ticket = event(T0, {
      type: 'support.ticket_opened',
      direction: 'inbound',
      channel: 'support',
      threadId: 't2',
      expectsResponse: true,
    });
    signal(subject, T0, ticket);
    expect(sleep(subject, T0, T0 + 4 * HOUR + L - 1)).toEqual([]); // within the lateness
    expect(subject.unpublished(10)).toEqual([]);
    const actions = subject.advance(T0 + 4 * HOUR + L);
    expect(actions).toEqual([
      {
        kind: 'start',
        followUp: expect.objectContaining({
          trigger: 'trust_breach',
          dropAt: T0 + 4 * HOUR,
          stage: 'prospect',
        }) as unknown,
        playbook: expect.objectContaining({ name: 'trust' }) as unknown,
        facts: expect.objectContaining({
          lastHeardAt: T0,
          received: 0,
          rhythmDays: null,
          cause: 'sla.missed',
        }) as unknown,
      },
    ]);
    // The facts are the drop's figures, read on the state at the miss: the notifications' why.
    const [drop] = subject.view(T0 + 4 * HOUR + L).drops;
    const start = actions[0];
    expect(start?.kind === 'start' && start.facts).toMatchObject({
      engagement: drop?.engagement,
      trust: drop?.trust,
    });
    expect(
      publishedOf(subject).map((item) => [
        item.type,
        item.occurredAt,
        item.properties?.['decision'],
      ]),
    ).toEqual([
      ['sla.missed', iso(T0 + 4 * HOUR), undefined],
      ['engagement.drop_detected', iso(T0 + 4 * HOUR), 'started'],
    ]);
    // Decided once: a reply dated after the deadline finds nothing open.
    const reply = event(T0 + 5 * HOUR, {
      type: 'support.ticket_replied',
      direction: 'outbound',
      threadId: 't2',
    });
    signal(subject, T0 + 5 * HOUR, reply);
    sleep(subject, T0 + 5 * HOUR, T0 + 6 * HOUR);
    expect(subject.unpublished(10)).toEqual([]);
  });

  it('a reply at the very deadline is in time', () => {
    const subject = engine();
    const request = event(T0, chatRequest('t'));
    const reply = event(T0 + 15 * MINUTE, chatReply('t'));
    live(subject, [request, reply], T0 + HOUR);
    expect(publishedOf(subject).map((item) => [item.type, item.occurredAt])).toEqual([
      ['sla.met', reply.occurredAt],
    ]);
  });

  it('a complaint that leaves trust low is a breach at its instant', () => {
    const subject = engine();
    signal(subject, T0, event(T0, COMPLAINT));
    expect(subject.advance(T0 + L)).toEqual([
      expect.objectContaining({
        kind: 'start',
        followUp: expect.objectContaining({ trigger: 'trust_breach', dropAt: T0 }) as unknown,
        facts: expect.objectContaining({ cause: 'support.complaint', lastHeardAt: T0 }) as unknown,
      }),
    ]);
  });

  it('a reply that arrives before its request, in the same signal, meets it', () => {
    const subject = engine();
    const request = event(T0, chatRequest('t'));
    const reply = event(T0 + 10_000, chatReply('t'));
    signal(subject, T0 + 30_000, reply, request);
    sleep(subject, T0 + 30_000, T0 + HOUR);
    expect(publishedOf(subject)).toEqual([
      expect.objectContaining({
        type: 'sla.met',
        eventId: derivedEventId('sla.met', 'c1', request.eventId),
        occurredAt: reply.occurredAt,
      }),
    ]);
  });

  it('a reply that arrives before its request, in an earlier signal, meets it', () => {
    const subject = engine();
    const request = event(T0, chatRequest('t'));
    const reply = event(T0 + 10_000, chatReply('t'));
    signal(subject, T0 + 20_000, reply);
    signal(subject, T0 + 50_000, request);
    sleep(subject, T0 + 50_000, T0 + HOUR);
    expect(publishedOf(subject).map((item) => [item.type, item.occurredAt])).toEqual([
      ['sla.met', reply.occurredAt],
    ]);
    expect(subject.view(T0 + HOUR).counts).toMatchObject({ late: 0 });
  });

  it('a reply dated by the deadline that arrives after it, within the lateness, meets it', () => {
    const subject = engine({ lateArrivalGraceMs: 5 * MINUTE });
    const request = event(T0, chatRequest('t'));
    signal(subject, T0, request);
    expect(sleep(subject, T0, T0 + 17 * MINUTE)).toEqual([]); // the deadline's wall time passed
    expect(subject.unpublished(10)).toEqual([]);
    const reply = event(T0 + 14 * MINUTE, chatReply('t'));
    signal(subject, T0 + 17 * MINUTE, reply);
    sleep(subject, T0 + 17 * MINUTE, T0 + HOUR);
    expect(publishedOf(subject).map((item) => [item.type, item.occurredAt])).toEqual([
      ['sla.met', reply.occurredAt],
    ]);
  });

  it('a reply dated after the deadline, however soon it arrives, leaves a miss at the deadline', () => {
    const subject = engine({ lateArrivalGraceMs: 5 * MINUTE });
    signal(subject, T0, event(T0, chatRequest('t')));
    const reply = event(T0 + 15 * MINUTE + 1, chatReply('t'));
    signal(subject, T0 + 15 * MINUTE + 2, reply);
    sleep(subject, T0 + 15 * MINUTE + 2, T0 + HOUR);
    const verdicts = publishedOf(subject).filter((item) => item.type.startsWith('sla.'));
    expect(verdicts.map((item) => [item.type, item.occurredAt])).toEqual([
      ['sla.missed', iso(T0 + 15 * MINUTE)],
    ]);
  });
});

describe('drops', () => {
  it('fires the predicted threshold crossing once, at its instant, and re-arms on new value', () => {
    const subject = engine();
    const events = engagedHistory();
    live(subject, events, T0 + 3 * DAY);
    const crossing = model.predictedCrossingTime(fold(events), 20) ?? 0;
    expect(subject.nextCheck(T0 + 3 * DAY)).toEqual({ reason: 'threshold', at: crossing });
    expect(subject.advance(Math.ceil(crossing) - 1)).toEqual([]);
    const actions = subject.advance(Math.ceil(crossing));
    expect(actions).toEqual([
      expect.objectContaining({
        kind: 'start',
        followUp: expect.objectContaining({ trigger: 'threshold', dropAt: crossing }) as unknown,
      }),
    ]);
    const [drop] = subject.view(crossing).drops;
    expect(drop).toMatchObject({ trigger: 'threshold', at: crossing, stage: 'active' });
    expect(drop?.engagement).toBeCloseTo(20, 9);
    sleep(subject, Math.ceil(crossing), crossing + DAY);
    expect(subject.view(crossing + DAY).drops.map((item) => item.trigger)).toEqual(['threshold']);

    const later = Math.ceil(crossing) + DAY;
    signal(
      subject,
      later,
      event(later, { type: 'call.completed', direction: 'inbound' }),
      event(later, { type: 'call.completed', direction: 'outbound' }),
    );
    subject.advance(later + L);
    expect(subject.nextCheck(later + L)?.reason).toBe('threshold');
    expect(subject.nextCheck(later + L)?.at).toBeGreaterThan(later + L);
  });

  it('a relative drop follows the recent peak', () => {
    const subject = engine({ relativeDrop: { share: 0.9, windowMs: 30 * DAY } });
    const events = engagedHistory();
    live(subject, events, T0 + 2 * DAY + HOUR + L);
    const peak = model.at(fold(events), T0 + 2 * DAY + HOUR).engagement;
    const next = subject.nextCheck(T0 + 2 * DAY + HOUR + L);
    expect(next?.reason).toBe('relative_drop');
    subject.advance(Math.ceil(next?.at ?? 0));
    const [drop] = subject.view(next?.at ?? 0).drops;
    expect(drop).toMatchObject({ trigger: 'relative_drop', decision: 'started' });
    expect(drop?.engagement).toBeCloseTo(0.9 * peak, 6);
  });

  it('an onboarding customer who goes quiet is a silence after the onboarding window', () => {
    const subject = engine();
    signal(subject, T0, event(T0, { type: 'purchase.completed', direction: 'inbound' }));
    subject.advance(T0 + L);
    expect(subject.nextCheck(T0 + L)).toEqual({ reason: 'silence', at: T0 + 7 * DAY });
    expect(subject.advance(T0 + 7 * DAY)).toEqual([
      expect.objectContaining({
        kind: 'start',
        followUp: expect.objectContaining({ trigger: 'silence', stage: 'onboarding' }) as unknown,
        playbook: expect.objectContaining({ name: 'onboarding' }) as unknown,
      }),
    ]);
  });

  it('judges a customer with a rhythm by it: overdue at its instant, engagement falls are no drop', () => {
    // A drop to 90% of the peak comes days after a purchase: engagement halves every month.
    const relativeDrop = { share: 0.9, windowMs: 30 * DAY };
    const subject = engine({
      relativeDrop,
      playbooks: [
        playbook('win-back', ['overdue'], ['active']),
        playbook('cooling', ['relative_drop']),
      ],
    });
    const purchases = Array.from({ length: 6 }, (_, week) =>
      event(T0 + week * 7 * DAY, { type: 'purchase.completed', direction: 'inbound' }),
    );
    const last = T0 + 5 * 7 * DAY;
    live(subject, purchases, last + L);
    // One purchase is no rhythm yet: its fall is a drop. From the second on, none.
    const [cooling, ...none] = subject.view(last + L).drops;
    expect(cooling).toMatchObject({ trigger: 'relative_drop', decision: 'started' });
    expect(cooling?.at).toBeLessThan(T0 + 7 * DAY);
    expect(none).toEqual([]);
    const cooled = { followUpId: cooling?.followUpId ?? '', outcome: 're_engaged' } as const;
    subject.followUpFinished({ ...cooled, at: T0 + 8 * DAY });
    const overdue = last + 21 * DAY;
    expect(subject.nextCheck(last + L)).toEqual({ reason: 'overdue', at: overdue });
    expect(subject.advance(overdue - 1)).toEqual([]);
    expect(subject.advance(overdue)).toEqual([
      expect.objectContaining({
        kind: 'start',
        followUp: expect.objectContaining({ trigger: 'overdue', dropAt: overdue }) as unknown,
        playbook: expect.objectContaining({ name: 'win-back' }) as unknown,
      }),
    ]);
    // Fired once (its record settles the lateness after it); the next purchase moves the
    // instant on by the rhythm.
    expect(sleep(subject, overdue, overdue + L)).toEqual([]);
    expect(subject.nextCheck(overdue + L)?.reason).toBe('silence');
    signal(
      subject,
      overdue + DAY,
      event(overdue + DAY, { type: 'purchase.completed', direction: 'inbound' }),
    );
    subject.advance(overdue + DAY + L);
    expect(subject.nextCheck(overdue + DAY + L)?.reason).toBe('overdue');

    // The same purchases with rhythms off: the fall of their engagement is the next drop.
    const off = engine({ relativeDrop, model: { rhythm: { enabled: false } } });
    live(off, purchases, last + L);
    expect(off.nextCheck(last + L)?.reason).toBe('relative_drop');
  });

  it('records drops long past when seen (a backfill) as skipped, acting on none', () => {
    const subject = engine();
    const events = engagedHistory();
    const now = T0 + 3 * 365 * DAY;
    expect(signal(subject, now, ...events)).toEqual([]);
    expect(sleep(subject, now, now + DAY)).toEqual([]);
    const drops = subject.view(now + DAY).drops;
    expect(drops.map((drop) => drop.trigger)).toEqual(['threshold', 'silence']);
    expect(drops.every((drop) => drop.decision === 'skipped_backfill')).toBe(true);
    expect(subject.nextCheck(now + DAY)).toBeNull();
    expect(subject.activeFollowUp).toBeNull();
  });
});

describe('follow-ups', () => {
  it('starts one per customer, then none within the cooldown after it finished', () => {
    const subject = engine();
    const complaint = (at: number) => {
      signal(subject, at, event(at, COMPLAINT));
      return subject.advance(at + L);
    };
    const [first] = complaint(T0);
    expect(first).toMatchObject({ kind: 'start', playbook: { name: 'trust' } });
    const id = first?.kind === 'start' ? first.followUp.id : '';
    expect(subject.activeFollowUp).toBe(id);
    expect(complaint(T0 + HOUR)).toEqual([
      { kind: 'reengaged', followUpId: id, eventId: expect.any(String) as unknown, at: T0 + HOUR },
    ]);
    subject.followUpFinished({ followUpId: id, outcome: 'no_response', at: T0 + DAY });
    subject.followUpFinished({ followUpId: id, outcome: 're_engaged', at: T0 + 2 * DAY });
    expect(subject.followUps()[0]).toMatchObject({ outcome: 'no_response', finishedAt: T0 + DAY });
    expect(subject.activeFollowUp).toBeNull();
    expect(complaint(T0 + 14 * DAY)).toEqual([]);
    expect(complaint(T0 + 15 * DAY)).toEqual([expect.objectContaining({ kind: 'start' })]);
    expect(subject.view(T0 + 15 * DAY).drops.map((drop) => drop.decision)).toEqual([
      'started',
      'running',
      'cooldown',
      'started',
    ]);
    expect(publishedOf(subject).map((item) => [item.type, item.properties?.['decision']])).toEqual(
      ['started', 'running', 'cooldown', 'started'].map((decision) => [
        'engagement.drop_detected',
        decision,
      ]),
    );
  });

  it('starts a follow-up a person asks for, now, on every event taken (settled or not)', () => {
    const subject = engine();
    live(subject, engagedHistory(), T0 + 3 * DAY);
    const now = T0 + 3 * DAY;
    signal(subject, now, event(now, EMAIL_IN)); // pending: the lateness has not passed it
    const [start, ...rest] = subject.requestFollowUp({ playbook: 'cooling' }, now);
    expect(rest).toEqual([]);
    expect(start).toMatchObject({
      kind: 'start',
      followUp: { trigger: 'manual', playbook: 'cooling', dropAt: now, stage: 'active' },
    });
    expect(subject.requestFollowUp({}, now + MINUTE)).toEqual([]); // one runs already
    expect(subject.view(now + MINUTE).drops.map((drop) => [drop.trigger, drop.decision])).toEqual([
      ['manual', 'started'],
      ['manual', 'running'],
    ]);
    expect(
      publishedOf(subject)
        .filter((item) => item.type === 'engagement.drop_detected')
        .map((item) => item.properties?.['trigger']),
    ).toEqual(['manual', 'manual']);
  });

  it('chooses no playbook for a trigger and stage none covers', () => {
    const subject = engine();
    live(subject, [event(T0, EMAIL_IN)], T0 + 200 * DAY);
    expect(subject.view(T0 + 200 * DAY).drops).toEqual([
      expect.objectContaining({ trigger: 'silence', stage: 'prospect', decision: 'no_playbook' }),
    ]);
  });

  it('tells the running follow-up when the customer gives value again, and cancels it on churn', () => {
    const subject = engine();
    const [start] = live(subject, [event(T0, COMPLAINT)], T0 + L);
    const id = start?.kind === 'start' ? start.followUp.id : '';
    const opened = event(T0 + HOUR, { type: 'email.opened', direction: 'inbound' });
    expect(live(subject, [opened], T0 + HOUR + L)).toEqual([]);
    const reply = event(T0 + 2 * HOUR, EMAIL_IN);
    expect(live(subject, [reply], T0 + 2 * HOUR + L)).toEqual([
      { kind: 'reengaged', followUpId: id, eventId: reply.eventId, at: T0 + 2 * HOUR },
    ]);
    const churn = [
      event(T0 + 3 * HOUR, { type: 'purchase.completed', direction: 'inbound' }),
      event(T0 + 4 * HOUR, { type: 'subscription.cancelled', direction: 'inbound' }),
    ];
    // Told once; asked once to stop.
    expect(live(subject, churn, T0 + 5 * HOUR)).toEqual([{ kind: 'cancel', followUpId: id }]);
    expect(subject.followUps()[0]).toMatchObject({
      reengagedAt: T0 + 2 * HOUR,
      cancelRequested: true,
    });
  });
});

describe('late arrivals and backfills', () => {
  /** A history with a met request, a missed one, a complaint, and drops after. */
  function history(): StampedInteraction[] {
    return [
      ...engagedHistory(),
      event(T0 + 3 * DAY, chatRequest('a')),
      event(T0 + 3 * DAY + 5 * MINUTE, chatReply('a')),
      event(T0 + 4 * DAY, chatRequest('b')),
      event(T0 + 4 * DAY + HOUR, chatReply('b')),
      event(T0 + 5 * DAY, COMPLAINT),
    ];
  }
  const decided = (subject: Engagement) =>
    publishedOf(subject).map((item) => [item.eventId, item.type, item.occurredAt]);

  it('a backfill in batches decides what the same events decided in order, acting on none', () => {
    const events = history();
    const inOrder = engine();
    live(inOrder, events, T0 + 365 * DAY);
    const expected = decided(inOrder);
    expect(expected.map(([, type]) => type)).toEqual([
      'sla.met',
      'sla.missed',
      'engagement.drop_detected',
      'engagement.drop_detected',
      'engagement.drop_detected',
      'engagement.drop_detected',
    ]);

    const subject = engine();
    const now = T0 + 2 * 365 * DAY;
    // Newest first, in three signals, each within the lateness of the one before.
    expect(signal(subject, now, ...events.slice(6))).toEqual([]);
    expect(subject.nextCheck(now)).toEqual({ reason: 'settle', at: now + L });
    expect(signal(subject, now + L - 1, ...events.slice(3, 6))).toEqual([]);
    expect(signal(subject, now + 2 * L - 2, ...events.slice(0, 3))).toEqual([]);
    expect(subject.view(now + 2 * L - 2)).toMatchObject({ pending: 9, settledThrough: null });
    expect(subject.nextCheck(now + 2 * L - 2)).toEqual({ reason: 'settle', at: now + 3 * L - 2 });
    expect(subject.advance(now + 3 * L - 3)).toEqual([]);
    expect(subject.advance(now + 3 * L - 2)).toEqual([]);
    expect(sleep(subject, now + 3 * L - 2, now + 365 * DAY)).toEqual([]);

    expect(decided(subject)).toEqual(expected);
    const drops = subject.view(now).drops;
    expect(drops.map(({ trigger, at, stage }) => ({ trigger, at, stage }))).toEqual(
      inOrder.view(now).drops.map(({ trigger, at, stage }) => ({ trigger, at, stage })),
    );
    expect(drops.every((drop) => drop.decision === 'skipped_backfill')).toBe(true);
    expect(subject.followUps()).toEqual([]);
    expect(subject.view(now).state).toEqual(inOrder.view(now).state);
    expect(subject.view(now).counts).toEqual({ ...inOrder.view(now).counts, late: 0 });
  });

  it('publishes the stale drops with their decision', () => {
    const subject = engine();
    signal(subject, T0 + 365 * DAY, ...engagedHistory());
    sleep(subject, T0 + 365 * DAY, T0 + 366 * DAY);
    const drops = publishedOf(subject);
    expect(drops.length).toBeGreaterThan(0);
    for (const drop of drops) {
      expect(drop).toMatchObject({
        type: 'engagement.drop_detected',
        properties: { decision: 'skipped_backfill', followUpId: null },
      });
    }
  });

  it('folds an event that arrives behind the watermark but judges nothing by it', () => {
    const subject = engine();
    live(subject, [event(T0, EMAIL_IN), event(T0 + DAY, EMAIL_IN)], T0 + DAY + L);
    const request = event(T0 + HOUR, chatRequest('t'));
    const complaint = event(T0 + 2 * HOUR, COMPLAINT);
    expect(signal(subject, T0 + DAY + L, request, complaint)).toEqual([]);
    expect(sleep(subject, T0 + DAY + L, T0 + 3 * DAY)).toEqual([]);
    const view = subject.view(T0 + 3 * DAY);
    expect(view.openRequests).toEqual([]);
    expect(subject.unpublished(10)).toEqual([]);
    expect(view.drops).toEqual([]);
    expect(view.counts.late).toBeGreaterThan(0);
    expect(view.state.n).toBe(4);
  });

  it('counts an event that arrives behind the watermark once as late', () => {
    const subject = engine();
    live(subject, [event(T0 + DAY, EMAIL_IN)], T0 + DAY + L);
    signal(subject, T0 + DAY + L, event(T0, EMAIL_IN));
    expect(subject.view(T0 + DAY + L).counts).toEqual({
      applied: 2,
      duplicates: 0,
      rejected: 0,
      late: 1,
    });
  });
});

describe('hand-over', () => {
  it('a snapshot, through JSON, restores an engine that goes on exactly the same', () => {
    const subject = engine({ lateArrivalGraceMs: 10 * MINUTE });
    live(subject, engagedHistory(), T0 + 3 * DAY);
    // Mid-flight: an open request, a pending event that arrived late (it holds the watermark).
    signal(subject, T0 + 3 * DAY, event(T0 + 3 * DAY, chatRequest('t')));
    subject.advance(T0 + 3 * DAY + 10 * MINUTE);
    const now = T0 + 3 * DAY + 20 * MINUTE;
    subject.receive(deliveries(event(T0 + 3 * DAY + 5 * MINUTE, COMPLAINT)), now);
    const snapshot = subject.snapshot();
    expect(snapshot.openRequests).toHaveLength(1);
    expect(snapshot.pending).toHaveLength(1);
    expect(snapshot).toMatchObject({ watermark: T0 + 3 * DAY, heldUntil: now + 10 * MINUTE });
    const json = JSON.parse(JSON.stringify(snapshot)) as Snapshot;
    expect(json).toEqual(snapshot);
    const restored = new Engagement(settingsWith({ lateArrivalGraceMs: 10 * MINUTE }), 'x', json);
    expect(restored.customerId).toBe('c1');
    expect(restored.snapshot()).toEqual(snapshot);

    // A reply dated within the deadline that arrives late: pending, the watermark held.
    const reply = deliveries(event(T0 + 3 * DAY + 10 * MINUTE, chatReply('t')));
    const actions = [subject, restored].map((each) => {
      each.receive(reply, now + MINUTE);
      return [...each.advance(now + MINUTE), ...sleep(each, now + MINUTE, now + 365 * DAY)];
    });
    expect(actions[1]).toEqual(actions[0]);
    const [before, after] = [subject, restored].map((each) => each.snapshot());
    expect(after?.outbox.map(({ eventId, occurredAt }) => [eventId, occurredAt])).toEqual(
      before?.outbox.map(({ eventId, occurredAt }) => [eventId, occurredAt]),
    );
    expect(
      after?.outbox.map(({ type, properties }) => [type, properties?.['trigger'] ?? null]),
    ).toEqual([
      ['engagement.drop_detected', 'trust_breach'], // the complaint
      ['sla.met', null],
      ['engagement.drop_detected', 'threshold'],
      ['engagement.drop_detected', 'silence'],
    ]);
    // Equal but for the last bits of the figures read after it (see the next test).
    const figures = (drops: Snapshot['drops'] = []) =>
      drops.map(({ engagement, trust, ...drop }) => ({
        ...drop,
        engagement: Math.round(engagement * 1e6),
        trust,
      }));
    expect(figures(after?.drops)).toEqual(figures(before?.drops));
    expect({ ...after, drops: [], outbox: [] }).toEqual({ ...before, drops: [], outbox: [] });
  });

  // The model keeps type rows in key order, as its stored forms do, so a state read back sums
  // them in the same order to the last bit: an instant (and the ids built on it) cannot move.
  it('a hand-over does not move a predicted drop', () => {
    const valued = (type: string, eventId: string, value: number) => ({
      ...event(T0, { type, direction: 'outbound' }),
      eventId,
      value,
    });
    const subject = engine();
    signal(
      subject,
      T0,
      { ...event(T0, EMAIL_IN), eventId: 'a', value: 10 },
      valued('sms.sent', 'b', 47.6),
      valued('sales.proposal_sent', 'c', 3.3000000000000003),
      valued('email.sent', 'd', 5.4),
    );
    subject.advance(T0 + L);
    const restored = new Engagement(settingsWith(), 'c1', subject.snapshot());
    const drops = [subject, restored].map((each) => {
      sleep(each, T0 + L, T0 + 365 * DAY);
      return publishedOf(each).map(({ eventId, properties }) => [properties?.['trigger'], eventId]);
    });
    expect(drops[1]).toEqual(drops[0]);
  });
});

describe('publishing', () => {
  // Two breaches at one instant (two complaints, or a complaint at a deadline) are two decisions:
  // a breach's key names its cause.
  it('publishes each decision under its own eventId', () => {
    const subject = engine();
    signal(subject, T0, event(T0, COMPLAINT), event(T0, COMPLAINT));
    subject.advance(T0 + L);
    const ids = publishedOf(subject).map((item) => item.eventId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });
});
