import { createModel, type Stage } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../shared/definitions.js';
import { derivedEventId } from '../shared/ids.js';
import {
  EngagementSettingsSchema,
  type EngagementSettingsInput,
  type Trigger,
} from '../shared/settings.js';
import { Engagement, offsetAfter } from './engine.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2027, 0, 4, 9);
const model = createModel();

const playbook = (name: string, triggers: Trigger[], stages?: Stage[]) => ({
  name,
  when: { triggers, ...(stages === undefined ? {} : { stages }) },
  steps: [{ kind: 'wait' as const, upToMs: DAY }],
});

function engine(overrides: Partial<EngagementSettingsInput> = {}, customerId = 'c1') {
  const settings = EngagementSettingsSchema.parse({
    sla: { defaultMs: 4 * HOUR, byChannel: { chat: 15 * 60_000 } },
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
  return new Engagement(settings, customerId);
}

let sequence = 0;
function event(
  at: number,
  fields: Partial<StampedInteraction> & Pick<StampedInteraction, 'type' | 'direction'>,
  customerId = 'c1',
): StampedInteraction {
  sequence += 1;
  const instant = new Date(at).toISOString();
  return {
    eventId: `e${sequence}`,
    customerId,
    channel: 'email',
    occurredAt: instant,
    receivedAt: instant,
    source: 'http',
    ...fields,
  };
}

let offset = 0;
const deliveries = (...events: StampedInteraction[]): Delivery[] =>
  events.map((item) => ({ partition: 0, offset: String(offset++), event: item }));

/** A customer with a two-way relationship: engagement well above the at-risk band. */
function engaged(subject: Engagement): StampedInteraction[] {
  const events = [
    event(T0, { type: 'purchase.completed', direction: 'inbound' }),
    event(T0 + DAY, { type: 'onboarding.completed', direction: 'inbound' }),
    event(T0 + 2 * DAY, { type: 'email.replied', direction: 'inbound' }),
    event(T0 + 2 * DAY + HOUR, { type: 'email.replied', direction: 'outbound' }),
  ];
  subject.ingest(deliveries(...events), T0 + 2 * DAY + HOUR);
  return events;
}

describe('Engagement.ingest', () => {
  it('applies each event once: redeliveries by watermark, log duplicates by eventId', () => {
    const subject = engine();
    const first = event(T0, { type: 'email.replied', direction: 'inbound' });
    const second = event(T0 + HOUR, { type: 'email.sent', direction: 'outbound' });
    const batch: Delivery[] = [
      { partition: 3, offset: '9', event: first },
      { partition: 3, offset: '10', event: second },
    ];
    subject.ingest(batch, T0 + HOUR);
    subject.ingest(batch, T0 + HOUR);
    subject.ingest([{ partition: 3, offset: '11', event: first }], T0 + HOUR);
    subject.ingest(
      [
        {
          partition: 0,
          offset: '0',
          event: event(T0, { type: 'x.y', direction: 'inbound' }, 'c2'),
        },
      ],
      T0 + HOUR,
    );
    const view = subject.view(T0 + HOUR);
    expect(view.counts).toEqual({ applied: 2, duplicates: 3, rejected: 1 });
    expect(view.watermarks).toEqual({ 3: '11' });
    expect(view.state).toEqual(
      model.toJSON(model.apply(model.apply(model.empty(), first), second)),
    );
  });

  it('folds derived events from the log without acting on them', () => {
    const subject = engine();
    const now = T0 + HOUR;
    const verdict = event(now, {
      type: 'sla.missed',
      direction: 'outbound',
      source: 'engine',
      threadId: 't',
    });
    const effects = subject.ingest(deliveries(verdict), now);
    expect(effects).toEqual({ detections: [] });
    expect(subject.view(now).reading.trust.value).toBeLessThan(0.5);
    expect(subject.unpublished(10)).toEqual([]);
  });
});

describe('response deadlines', () => {
  it('a reply on the thread by the deadline publishes sla.met once, with a deterministic id', () => {
    const subject = engine();
    const request = event(T0, {
      type: 'chat.message',
      direction: 'inbound',
      channel: 'chat',
      threadId: 't1',
      expectsResponse: true,
    });
    subject.ingest(deliveries(request), T0);
    expect(subject.view(T0).openRequests).toEqual([
      {
        threadId: 't1',
        requestEventId: request.eventId,
        channel: 'chat',
        openedAt: T0,
        deadline: T0 + 15 * 60_000,
      },
    ]);
    expect(subject.nextCheck(T0)).toEqual({ reason: 'sla', at: T0 + 16 * 60_000 });
    const reply = event(T0 + 60_000, {
      type: 'chat.message',
      direction: 'outbound',
      channel: 'chat',
      threadId: 't1',
    });
    subject.ingest(deliveries(reply), T0 + 60_000);
    expect(subject.unpublished(10)).toEqual([
      expect.objectContaining({
        eventId: derivedEventId('sla.met', 'c1', request.eventId),
        type: 'sla.met',
        occurredAt: reply.occurredAt,
        source: 'engine',
        threadId: 't1',
        channel: 'chat',
      }),
    ]);
    expect(subject.view(T0).openRequests).toEqual([]);
  });

  it('the deadline passing is a miss; with little evidence it breaches trust', () => {
    const subject = engine();
    subject.ingest(
      deliveries(
        event(T0, {
          type: 'support.ticket_opened',
          direction: 'inbound',
          channel: 'support',
          threadId: 't2',
          expectsResponse: true,
        }),
      ),
      T0,
    );
    expect(subject.due(T0 + 4 * HOUR)).toEqual([]); // within the arrival grace
    const detections = subject.due(T0 + 4 * HOUR + 60_000);
    expect(detections).toEqual([
      expect.objectContaining({ trigger: 'trust_breach', at: T0 + 4 * HOUR, stage: 'prospect' }),
    ]);
    expect(subject.unpublished(10).map((item) => [item.type, item.occurredAt])).toEqual([
      ['sla.missed', new Date(T0 + 4 * HOUR).toISOString()],
    ]);
    // Decided once: the late reply finds nothing open.
    subject.ingest(
      deliveries(
        event(T0 + 5 * HOUR, {
          type: 'support.ticket_replied',
          direction: 'outbound',
          threadId: 't2',
        }),
      ),
      T0 + 5 * HOUR,
    );
    expect(subject.unpublished(10)).toHaveLength(1);
  });

  it('a complaint that leaves trust low is a breach', () => {
    const subject = engine();
    const effects = subject.ingest(
      deliveries(event(T0, { type: 'support.complaint', direction: 'inbound' })),
      T0,
    );
    expect(effects.detections).toEqual([
      expect.objectContaining({ trigger: 'trust_breach', at: T0 }),
    ]);
  });
});

describe('drops', () => {
  it('fires the predicted threshold crossing once, at its instant, and re-arms on new value', () => {
    const subject = engine();
    const events = engaged(subject);
    const state = events.reduce((s, item) => model.apply(s, item), model.empty());
    const crossing = model.predictedCrossingTime(state, 20) ?? 0;
    expect(subject.nextCheck(T0 + 3 * DAY)).toEqual({ reason: 'threshold', at: crossing });
    expect(subject.due(crossing - 1)).toEqual([]);
    const [detection] = subject.due(crossing);
    expect(detection).toMatchObject({ trigger: 'threshold', at: crossing, stage: 'active' });
    expect(detection?.engagement).toBeCloseTo(20, 9);
    expect(subject.due(crossing + DAY).map((item) => item.trigger)).not.toContain('threshold');

    subject.ingest(
      deliveries(
        event(crossing + DAY, { type: 'call.completed', direction: 'inbound' }),
        event(crossing + DAY, { type: 'call.completed', direction: 'outbound' }),
      ),
      crossing + DAY,
    );
    expect(subject.nextCheck(crossing + DAY)?.reason).toBe('threshold');
    expect(subject.nextCheck(crossing + DAY)?.at).toBeGreaterThan(crossing + DAY);
  });

  it('does not act on an instant that passed long before it was seen (a backfill)', () => {
    const subject = engine();
    engaged(subject);
    expect(subject.due(T0 + 3 * 365 * DAY)).toEqual([]);
    expect(subject.nextCheck(T0 + 3 * 365 * DAY)).toBeNull();
  });

  it('an onboarding customer who goes quiet is a silence after the onboarding window', () => {
    const subject = engine();
    subject.ingest(deliveries(event(T0, { type: 'purchase.completed', direction: 'inbound' })), T0);
    expect(subject.nextCheck(T0)).toEqual({ reason: 'silence', at: T0 + 7 * DAY });
    expect(subject.due(T0 + 7 * DAY)).toEqual([
      expect.objectContaining({ trigger: 'silence', stage: 'onboarding' }),
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
    subject.ingest(deliveries(...purchases), last);
    const overdue = last + 21 * DAY;
    expect(subject.nextCheck(last)).toEqual({ reason: 'overdue', at: overdue });
    expect(subject.due(overdue - 1)).toEqual([]);
    const [detection] = subject.due(overdue);
    expect(detection).toMatchObject({ trigger: 'overdue', at: overdue, stage: 'active' });
    expect(subject.admit(detection!, overdue)).toMatchObject({
      decision: 'started',
      playbook: { name: 'win-back' },
    });
    // Fired once; the next purchase moves the instant on by the rhythm.
    expect(subject.nextCheck(overdue)?.reason).toBe('silence');
    subject.ingest(
      deliveries(event(overdue + DAY, { type: 'purchase.completed', direction: 'inbound' })),
      overdue + DAY,
    );
    expect(subject.nextCheck(overdue + DAY)?.reason).toBe('overdue');

    // The same purchases with rhythms off: the fall of their engagement is the drop, as before.
    const off = engine({ relativeDrop, model: { rhythm: { enabled: false } } });
    off.ingest(
      deliveries(...purchases.map((item) => ({ ...item, eventId: `${item.eventId}-off` }))),
      last,
    );
    expect(off.nextCheck(last)?.reason).toBe('relative_drop');
  });

  it('a relative drop follows the recent peak', () => {
    const subject = engine({ relativeDrop: { share: 0.9, windowMs: 30 * DAY } });
    engaged(subject);
    const next = subject.nextCheck(T0 + 3 * DAY);
    expect(next?.reason).toBe('relative_drop');
    const [detection] = subject.due(next?.at ?? 0);
    const peak = subject.view(T0 + 2 * DAY + HOUR).reading.engagement;
    expect(detection?.engagement).toBeCloseTo(0.9 * peak, 6);
  });
});

describe('follow-ups', () => {
  const breach = {
    trigger: 'trust_breach',
    at: T0,
    stage: 'active',
    engagement: 40,
    trust: 0.3,
  } as const;

  it('starts one per customer, then none within the cooldown after it finished', () => {
    const subject = engine();
    const first = subject.admit(breach, T0);
    expect(first).toMatchObject({ decision: 'started', playbook: { name: 'trust' } });
    const id = first.decision === 'started' ? first.followUp.id : '';
    expect(subject.admit({ ...breach, at: T0 + 1 }, T0 + 1).decision).toBe('running');
    subject.followUpFinished({ followUpId: id, outcome: 'no_response', at: T0 + DAY });
    subject.followUpFinished({ followUpId: id, outcome: 're_engaged', at: T0 + 2 * DAY });
    expect(subject.followUps()[0]).toMatchObject({ outcome: 'no_response', finishedAt: T0 + DAY });
    expect(subject.admit({ ...breach, at: T0 + 14 * DAY }, T0 + 14 * DAY).decision).toBe(
      'cooldown',
    );
    expect(subject.admit({ ...breach, at: T0 + 15 * DAY }, T0 + 15 * DAY).decision).toBe('started');
    expect(subject.admit({ ...breach, trigger: 'silence', stage: 'prospect' }, T0).decision).toBe(
      'running',
    );
    expect(subject.view(T0).drops.map((drop) => drop.decision)).toEqual([
      'started',
      'running',
      'cooldown',
      'started',
      'running',
    ]);
    expect(subject.unpublished(10).map((item) => item.type)).toEqual(
      Array(5).fill('engagement.drop_detected'),
    );
  });

  it('chooses no playbook for a trigger and stage none covers', () => {
    const subject = engine();
    expect(subject.admit({ ...breach, trigger: 'silence', stage: 'prospect' }, T0).decision).toBe(
      'no_playbook',
    );
  });

  it('tells the running follow-up when the customer gives value again, and cancels it on churn', () => {
    const subject = engine();
    const admission = subject.admit(breach, T0);
    const id = admission.decision === 'started' ? admission.followUp.id : '';
    const opened = event(T0 + HOUR, { type: 'email.opened', direction: 'inbound' });
    expect(subject.ingest(deliveries(opened), T0 + HOUR).reengaged).toBeUndefined();
    const reply = event(T0 + 2 * HOUR, { type: 'email.replied', direction: 'inbound' });
    expect(subject.ingest(deliveries(reply), T0 + 2 * HOUR).reengaged).toEqual({
      followUpId: id,
      eventId: reply.eventId,
      at: T0 + 2 * HOUR,
    });
    const churn = [
      event(T0 + 3 * HOUR, { type: 'purchase.completed', direction: 'inbound' }),
      event(T0 + 4 * HOUR, { type: 'subscription.cancelled', direction: 'inbound' }),
    ];
    const effects = subject.ingest(deliveries(...churn), T0 + 4 * HOUR);
    expect(effects.cancel).toBe(id);
    expect(effects.reengaged).toBeUndefined(); // told once
  });
});

describe('hand-over', () => {
  it('a snapshot restores the same engine', () => {
    const subject = engine();
    engaged(subject);
    subject.admit(
      { trigger: 'threshold', at: T0 + 3 * DAY, stage: 'active', engagement: 20, trust: 0.6 },
      T0 + 3 * DAY,
    );
    const settings = EngagementSettingsSchema.parse({
      sla: { defaultMs: 4 * HOUR },
      relativeDrop: { share: 0.1, windowMs: 30 * DAY },
      onboardingSilenceMs: 7 * DAY,
      trustBreachBelow: 0.5,
      followUpCooldownMs: 14 * DAY,
    });
    const restored = new Engagement(settings, 'ignored', subject.snapshot());
    expect(restored.snapshot()).toEqual(subject.snapshot());
    expect(JSON.parse(JSON.stringify(subject.snapshot()))).toEqual(subject.snapshot());
  });
});

describe('offsetAfter', () => {
  it('orders 64-bit decimal offsets', () => {
    expect(offsetAfter('10', '9')).toBe(true);
    expect(offsetAfter('9', '10')).toBe(false);
    expect(offsetAfter('9223372036854775807', '9223372036854775806')).toBe(true);
    expect(offsetAfter('5', '5')).toBe(false);
  });
});
