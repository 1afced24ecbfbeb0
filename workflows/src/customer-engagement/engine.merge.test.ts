import { createModel, stateDifference } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Delivery, Snapshot } from '../shared/definitions.js';
import { EngagementSettingsSchema, type Trigger } from '../shared/settings.js';
import { Engagement, type Action } from './engine.js';
import {
  chatReply,
  chatRequest,
  DAY,
  EMAIL_IN,
  HOUR,
  linkFields,
  MINUTE,
  stamped,
  T0,
  type EventFields,
} from './testing.js';

/*
 * Identity merges (issue 21): a customer id merged into another hands its whole ledger over, and
 * the survivor goes on as if it had seen both ids' events itself, each exactly once.
 */

const L = MINUTE;
const model = createModel();

const steps = [{ kind: 'wait' as const, upToMs: DAY }];
const playbook = (name: string, triggers: Trigger[]) => ({ name, when: { triggers }, steps });
const settings = EngagementSettingsSchema.parse({
  lateArrivalGraceMs: L,
  sla: { defaultMs: 4 * HOUR, byChannel: { chat: 15 * MINUTE } },
  relativeDrop: { share: 0.1, windowMs: 30 * DAY },
  onboardingSilenceMs: 7 * DAY,
  trustBreachBelow: 0.5,
  followUpCooldownMs: 14 * DAY,
  playbooks: [
    playbook('trust', ['trust_breach']),
    playbook('cooling', ['threshold', 'relative_drop', 'silence', 'overdue', 'manual']),
  ],
});

let sequence = 0;
function event(customerId: string, at: number, fields: EventFields): StampedInteraction {
  sequence += 1;
  return stamped(`m${sequence}`, customerId, at, fields);
}

const link = (from: string, into: string, at: number) => event(into, at, linkFields(from, into));

/** As the bridge delivers: per customer id, partition 0, offsets counting up. */
function courier() {
  const offsets = new Map<string, number>();
  return (...events: StampedInteraction[]): Delivery[] =>
    events.map((item) => {
      const offset = offsets.get(item.customerId) ?? 0;
      offsets.set(item.customerId, offset + 1);
      return { partition: 0, offset: String(offset), event: item };
    });
}

const time = (item: StampedInteraction) => Date.parse(item.occurredAt);
const engine = (customerId: string) => new Engagement(settings, customerId);
const throughJson = (snapshot: Snapshot) => JSON.parse(JSON.stringify(snapshot)) as Snapshot;

/** Everything the engine published so far (acknowledged). */
function publishedOf(subject: Engagement): StampedInteraction[] {
  const batch = subject.unpublished(10_000);
  subject.published(batch.length);
  return batch;
}

/** Asleep until `until`, waking at every nextCheck on the way. */
function sleep(subject: Engagement, from: number, until: number): Action[] {
  const actions: Action[] = [];
  for (let now = from; ;) {
    const next = subject.nextCheck(now);
    now = next === null ? until : Math.min(until, Math.max(now + 1, Math.ceil(next.at)));
    actions.push(...subject.advance(now));
    if (now >= until) return actions;
  }
}

const fold = (events: readonly StampedInteraction[]) =>
  events.reduce((state, item) => model.apply(state, item), model.empty());

const EMAIL_OUT = { type: 'email.sent', direction: 'outbound' } as const;
const PURCHASE = { type: 'purchase.completed', direction: 'inbound', value: 40 } as const;

describe('Engagement.absorb', () => {
  it('the survivor of a merge holds the fold of both ids’ events, each once (any split)', () => {
    const kinds = [EMAIL_IN, EMAIL_OUT, PURCHASE, chatRequest('t1'), chatReply('t1')];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            who: fc.constantFrom('a', 'b'),
            kind: fc.constantFrom(...kinds),
            gap: fc.constantFrom(0, 30_000, HOUR, 6 * HOUR),
          }),
          { minLength: 1, maxLength: 24 },
        ),
        (plan) => {
          const deliver = courier();
          const [a, b] = [engine('a'), engine('b')];
          let at = T0;
          const events: StampedInteraction[] = [];
          for (const { who, kind, gap } of plan) {
            at += gap;
            const item = event(who, at, kind);
            events.push(item);
            const subject = who === 'a' ? a : b;
            subject.receive(deliver(item), at);
            subject.advance(at);
          }
          const now = at + L;
          a.advance(now);
          b.advance(now);
          const linked = link('a', 'b', now);
          b.receive(deliver(linked), now);
          expect(b.takeAsks()).toEqual(['a']);
          const derivedA = publishedOf(a);
          a.mergedAway('b', now);
          expect(b.absorb('a', throughJson(a.snapshot()), now)).toBe(true);
          const expected = fold([...events, linked, ...derivedA, ...publishedOf(b)]);
          const view = b.view(now);
          expect(stateDifference(view.state, model.toJSON(expected))).toBeNull();
          expect(view.counts).toEqual({
            applied: events.length + 1,
            duplicates: 0,
            rejected: 0,
            late: 0,
          });
          expect(view.aliases).toEqual(['a']);
          // Repeated: nothing changes.
          expect(b.absorb('a', throughJson(a.snapshot()), now)).toBe(false);
          expect(b.view(now).state).toEqual(view.state);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keys an absorbed id’s watermarks by its id: its redeliveries are repeats, ours unaffected', () => {
    const deliver = courier();
    const [a, b] = [engine('a'), engine('b')];
    const a1 = deliver(event('a', T0, EMAIL_IN));
    const a2 = deliver(event('a', T0 + HOUR, EMAIL_IN));
    a.receive([...a1, ...a2], T0 + HOUR);
    b.receive(deliver(event('b', T0, EMAIL_OUT)), T0 + HOUR);
    b.absorb('a', a.snapshot(), T0 + HOUR);
    expect(b.view(T0 + HOUR).watermarks).toEqual({ 0: '0', 'a/0': '1' });
    // The bridge, after a crash, redelivers a's events to b (its identity map routes them there).
    b.receive([...a1, ...a2], T0 + 2 * HOUR);
    expect(b.view(T0 + 2 * HOUR).counts).toMatchObject({ applied: 3, duplicates: 2 });
    // a's next offset is new; b's own partition 0 goes on by its own watermark.
    const a3 = deliver(event('a', T0 + 2 * HOUR, EMAIL_IN));
    const b2 = deliver(event('b', T0 + 2 * HOUR, EMAIL_OUT));
    b.receive([...a3, ...b2], T0 + 2 * HOUR);
    expect(b.view(T0 + 2 * HOUR).counts).toMatchObject({ applied: 5, duplicates: 2 });
    expect(b.view(T0 + 2 * HOUR).watermarks).toEqual({ 0: '1', 'a/0': '2' });
  });

  it('holds an id’s deliveries until its hand-over, then takes each once', () => {
    const deliver = courier();
    const [a, b] = [engine('a'), engine('b')];
    const counted = deliver(event('a', T0, EMAIL_IN));
    a.receive(counted, T0);
    const fresh = deliver(event('a', T0 + HOUR, EMAIL_IN));
    // Routed to b before b took the link (another partition): held, in the hand-over too.
    b.receive([...counted, ...fresh], T0 + HOUR);
    expect(b.view(T0 + HOUR)).toMatchObject({ heldAliases: 2, counts: { applied: 0 } });
    const restored = new Engagement(settings, 'b', throughJson(b.snapshot()));
    expect(restored.view(T0 + HOUR).heldAliases).toBe(2);
    restored.absorb('a', a.snapshot(), T0 + HOUR);
    const view = restored.view(T0 + HOUR);
    expect(view.heldAliases).toBeUndefined();
    expect(view.counts).toMatchObject({ applied: 2, duplicates: 1 });
    expect(view.state.n).toBe(2);
  });

  it('an id it had absorbed itself comes along: a→b, then b→c', () => {
    const deliver = courier();
    const [a, b, c] = [engine('a'), engine('b'), engine('c')];
    const fromA = deliver(event('a', T0, EMAIL_IN));
    a.receive(fromA, T0);
    b.receive(deliver(event('b', T0, EMAIL_IN), link('a', 'b', T0)), T0);
    b.absorb('a', a.snapshot(), T0);
    c.receive(deliver(event('c', T0, EMAIL_OUT), link('b', 'c', T0)), T0);
    expect(c.takeAsks()).toEqual(['b']);
    b.mergedAway('c', T0);
    c.absorb('b', b.snapshot(), T0);
    const view = c.view(T0);
    expect(view.aliases).toEqual(['b', 'a']);
    expect(view.watermarks).toEqual({ 0: '1', 'b/0': '1', 'a/0': '0' });
    // a's hand-over forwarded on to c after b merged: already in, ignored.
    expect(c.absorb('a', a.snapshot(), T0)).toBe(false);
    // a's events, routed to the root: a redelivery is a repeat.
    c.receive(fromA, T0 + HOUR);
    expect(c.view(T0 + HOUR).counts).toMatchObject({ applied: 5, duplicates: 1 });
    // A link naming an id already in asks nothing.
    c.receive(deliver(link('a', 'c', T0 + HOUR)), T0 + HOUR);
    expect(c.takeAsks()).toEqual([]);
  });

  it('asks only for a new link that names another id, not yet absorbed', () => {
    const deliver = courier();
    const b = engine('b');
    const linked = deliver(link('a', 'b', T0));
    b.receive(linked, T0);
    b.receive(linked, T0); // the same delivery again: a repeat
    expect(b.takeAsks()).toEqual(['a']);
    expect(b.takeAsks()).toEqual([]);
    // Routed to the root of a chain: the link names another survivor, the receiver asks for itself.
    b.receive(deliver({ ...link('x', 'y', T0), customerId: 'b' }), T0);
    expect(b.takeAsks()).toEqual([]); // into is not its customerId: not a link (mergeLinkOf)
  });

  it('decides an absorbed open request once, and a drop either acted on once', () => {
    const deliver = courier();
    const [a, b] = [engine('a'), engine('b')];
    // a: engaged, then a chat request that nobody answers.
    const history = [
      event('a', T0, PURCHASE),
      event('a', T0 + HOUR, EMAIL_IN),
      event('a', T0 + 2 * HOUR, chatRequest('t')),
    ];
    for (const item of history) a.receive(deliver(item), time(item));
    a.advance(T0 + 2 * HOUR + L);
    expect(a.view(T0 + 2 * HOUR + L).openRequests).toHaveLength(1);
    const now = T0 + 2 * HOUR + L;
    b.receive(deliver(event('b', T0, EMAIL_OUT)), now);
    b.advance(now);
    a.mergedAway('b', now);
    b.absorb('a', a.snapshot(), now);
    expect(b.view(now).openRequests).toHaveLength(1);
    sleep(b, now, now + 200 * DAY);
    const published = publishedOf(b);
    const missed = published.filter((item) => item.type === 'sla.missed');
    expect(missed).toHaveLength(1);
    expect(missed[0]?.properties?.['requestEventId']).toBe(history[2]?.eventId);
    const drops = published.filter((item) => item.type === 'engagement.drop_detected');
    const triggers = drops.map(
      (item) => `${JSON.stringify(item.properties?.['trigger'])}@${item.occurredAt}`,
    );
    expect(new Set(triggers).size).toBe(triggers.length);
    expect(triggers.some((trigger) => trigger.startsWith('"silence"@'))).toBe(true);
  });

  it('unites instants acted on: a drop a acted on does not fire again in b', () => {
    const deliver = courier();
    const [a, b] = [engine('a'), engine('b')];
    a.receive(deliver(event('a', T0, EMAIL_IN)), T0);
    sleep(a, T0, T0 + 120 * DAY);
    const silenceInA = a.snapshot().spent.silence;
    expect(silenceInA).toBeDefined();
    expect(publishedOf(a).map((item) => item.type)).toContain('engagement.drop_detected');
    const now = T0 + 120 * DAY;
    b.receive(deliver(event('b', T0 - DAY, EMAIL_OUT)), now);
    b.advance(now);
    publishedOf(b);
    a.mergedAway('b', now);
    b.absorb('a', a.snapshot(), now);
    expect(b.snapshot().spent.silence).toBe(silenceInA);
    sleep(b, now, now + DAY);
    const again = publishedOf(b).filter(
      (item) =>
        item.type === 'engagement.drop_detected' && Date.parse(item.occurredAt) === silenceInA,
    );
    expect(again).toEqual([]);
  });

  it('cancels the merged id’s follow-up; the survivor is not held by it', () => {
    const deliver = courier();
    const a = engine('a');
    a.receive(deliver(event('a', T0, PURCHASE)), T0);
    const started = sleep(a, T0, T0 + 120 * DAY).find((action) => action.kind === 'start');
    expect(started).toBeDefined();
    const now = T0 + 120 * DAY;
    const cancel = a.mergedAway('b', now);
    expect(cancel).toEqual([{ kind: 'cancel', followUpId: a.followUps()[0]?.id }]);
    expect(a.followUps()[0]).toMatchObject({
      outcome: 'cancelled',
      finishedAt: now,
      mergedInto: 'b',
    });
    expect(a.view(now).mergedInto).toBe('b');
    const b = engine('b');
    b.receive(deliver(event('b', now - 100 * DAY, EMAIL_IN)), now);
    b.absorb('a', a.snapshot(), now);
    expect(b.activeFollowUp).toBeNull();
    expect(b.followUps()).toHaveLength(1);
    // A person asks for one now: not refused as running; no cooldown for a merge's cancellation.
    const actions = b.requestFollowUp({}, now);
    expect(actions.map((action) => action.kind)).toEqual(['start']);
    // And b's own, once started, is the one running.
    expect(b.activeFollowUp).not.toBeNull();
  });

  it('forwards after its hand-over only what it has not taken', () => {
    const deliver = courier();
    const a = engine('a');
    const taken = deliver(event('a', T0, EMAIL_IN));
    a.receive(taken, T0);
    a.mergedAway('b', T0);
    const later = deliver(event('a', T0 + HOUR, EMAIL_IN));
    const stranger = deliver(event('z', T0 + HOUR, EMAIL_IN));
    expect(a.forwardable([...taken, ...later, ...stranger])).toEqual({
      filtered: later,
      unfiltered: stranger,
    });
  });

  it('takes forwarded deliveries by eventId: the bridge may have sent it later offsets first', () => {
    const deliver = courier();
    const [a, b] = [engine('a'), engine('b')];
    a.receive(deliver(event('a', T0, EMAIL_IN)), T0);
    a.mergedAway('b', T0);
    b.absorb('a', a.snapshot(), T0);
    const forwarded = deliver(event('a', T0 + HOUR, EMAIL_IN));
    const direct = deliver(event('a', T0 + 2 * HOUR, EMAIL_IN));
    b.receive(direct, T0 + 2 * HOUR);
    b.receive(forwarded, T0 + 2 * HOUR, { forwarded: true });
    b.receive(forwarded, T0 + 2 * HOUR, { forwarded: true });
    b.receive(direct, T0 + 2 * HOUR);
    expect(b.view(T0 + 2 * HOUR).counts).toMatchObject({ applied: 3, duplicates: 2 });
    expect(b.view(T0 + 2 * HOUR).watermarks).toEqual({ 'a/0': '2' });
  });

  it('reads a hand-over of before merges (no aliases, nothing held)', () => {
    const a = engine('a');
    a.receive(courier()(event('a', T0, EMAIL_IN)), T0);
    const { aliases, heldAliases, ...old } = a.snapshot();
    expect([aliases, heldAliases]).toEqual([undefined, undefined]);
    const restored = new Engagement(settings, 'a', old);
    expect(restored.aliases).toEqual([]);
    expect(restored.snapshot()).toEqual(a.snapshot());
  });
});
