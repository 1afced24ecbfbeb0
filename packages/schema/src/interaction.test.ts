import { describe, expect, it } from 'vitest';
import { parseInteraction, parseStampedInteraction } from './parse.js';

const valid = {
  eventId: 'evt-1',
  customerId: 'cus_42',
  channel: 'support',
  type: 'support.ticket_opened',
  direction: 'inbound',
  occurredAt: '2024-05-01T09:30:00.000+02:00',
};

function issuesOf(input: unknown) {
  const result = parseInteraction(input);
  return result.ok ? [] : result.issues;
}

describe('parseInteraction', () => {
  it('accepts the minimal event and every optional field', () => {
    const full = {
      ...valid,
      initiator: 'customer',
      value: 12.5,
      sentiment: -0.4,
      threadId: 'T-9',
      expectsResponse: true,
      outcome: 'kept',
      appeal: 'logos',
      properties: { plan: 'pro', seats: 3, tags: ['a'], nested: { ok: null } },
    };
    expect(parseInteraction(valid)).toEqual({ ok: true, value: valid });
    expect(parseInteraction(full)).toEqual({ ok: true, value: full });
  });

  it('lists every problem with its path instead of throwing', () => {
    const issues = issuesOf({
      ...valid,
      eventId: '',
      channel: 'E-Mail',
      type: 'replied',
      direction: 'sideways',
      occurredAt: '2024-05-01T09:30:00',
      value: -1,
      sentiment: 2,
      properties: { when: new Date(0) },
    });
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      'channel',
      'direction',
      'eventId',
      'occurredAt',
      'properties.when',
      'sentiment',
      'type',
      'value',
    ]);
    expect(issues.find((issue) => issue.path === 'type')?.message).toMatch(/dotted lowercase/);
  });

  it('names each unknown field, so a misspelt one does not vanish', () => {
    expect(issuesOf({ ...valid, occured_at: 'x', extra: 1 })).toEqual([
      { path: 'occured_at', message: 'unknown field' },
      { path: 'extra', message: 'unknown field' },
    ]);
  });

  it('reports a missing field and a non-object at their paths', () => {
    expect(issuesOf({ ...valid, customerId: undefined }).map((issue) => issue.path)).toEqual([
      'customerId',
    ]);
    expect(issuesOf('nope').map((issue) => issue.path)).toEqual(['']);
  });

  it.each([
    ['an instant before 1970', '1969-12-31T23:59:59Z'],
    ['an instant after 2100', '2101-01-01T00:00:00Z'],
    ['an impossible date', '2023-02-29T00:00:00Z'],
  ])('refuses %s', (_what, occurredAt) => {
    expect(issuesOf({ ...valid, occurredAt }).map((issue) => issue.path)).toEqual(['occurredAt']);
  });

  it('bounds identifiers and values', () => {
    expect(issuesOf({ ...valid, customerId: 'x'.repeat(257) })).toHaveLength(1);
    expect(issuesOf({ ...valid, eventId: 'a\nb' })).toHaveLength(1);
    expect(issuesOf({ ...valid, value: 1e13 })).toHaveLength(1);
    expect(issuesOf({ ...valid, value: Number.POSITIVE_INFINITY })).toHaveLength(1);
    expect(issuesOf({ ...valid, customerId: 'ada@example.com' })).toEqual([]);
  });

  it('keeps ids to one spelling that survives UTF-8 and Redis key structure', () => {
    const composed = parseInteraction({ ...valid, customerId: 'rene\u0301' });
    expect(composed.ok && composed.value.customerId).toBe('ren\u00e9');
    for (const customerId of ['a\ud800', '\udc00b', 'a{b', 'a}b', 'a\u0000b']) {
      expect(issuesOf({ ...valid, customerId }).map((issue) => issue.path)).toEqual(['customerId']);
    }
    expect(issuesOf({ ...valid, threadId: 'x{1}' }).map((issue) => issue.path)).toEqual([
      'threadId',
    ]);
    expect(issuesOf({ ...valid, customerId: '\ud83d\ude00' })).toEqual([]);
  });

  it('refuses the engine’s own types from clients', () => {
    for (const type of ['sla.met', 'sla.missed', 'engagement.drop_detected', 'followup.started']) {
      expect(issuesOf({ ...valid, type }).map((issue) => issue.path)).toEqual(['type']);
    }
    expect(issuesOf({ ...valid, type: 'support.sla_breached' })).toEqual([]);
  });
});

describe('parseStampedInteraction', () => {
  const stamped = { ...valid, receivedAt: '2024-05-01T07:30:01Z', source: 'segment' };

  it('requires the stamp', () => {
    const result = parseStampedInteraction(valid);
    expect(result.ok ? [] : result.issues.map((issue) => issue.path).sort()).toEqual([
      'receivedAt',
      'source',
    ]);
  });

  it('reads the engine’s types and ids accepted under the earlier id rule', () => {
    const engine = { ...stamped, type: 'sla.missed', customerId: 'legacy{id}', source: 'engine' };
    expect(parseStampedInteraction(engine)).toEqual({ ok: true, value: engine });
  });

  it('drops fields it does not know, so older consumers survive newer producers', () => {
    expect(parseStampedInteraction({ ...stamped, addedLater: 1 })).toEqual({
      ok: true,
      value: stamped,
    });
  });
});
