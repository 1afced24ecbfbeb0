import { createModel } from '@rapport/model';
import { describe, expect, it } from 'vitest';
import { decodeData } from '../codec.js';
import { RECENT_EVENTS } from '../recent-events.js';
import type { StoredCustomer } from '../record.js';
import type { PositionedEvent } from './layers.js';
import { Planner, type PlanContext } from './plan.js';

const model = createModel();
const planner = new Planner(model);
const context: PlanContext = {
  now: Date.parse('2026-06-01T00:00:00Z'),
  announce: true,
  timelineLength: 50,
};

function positioned(eventId: string, offset: number): PositionedEvent {
  return {
    offset: String(offset),
    value: {
      eventId,
      customerId: 'c-1',
      channel: 'email',
      type: 'email.replied',
      direction: 'inbound',
      occurredAt: new Date(Date.parse('2026-05-01T00:00:00Z') + offset * 60_000).toISOString(),
      receivedAt: '2026-05-02T00:00:00.000Z',
      source: 'http',
    },
  } as PositionedEvent;
}

/** What the planned write would store, read back as the projection reads it. */
function storedAfter(plan: ReturnType<Planner['plan']>, previous?: StoredCustomer): StoredCustomer {
  const { written } = plan;
  if (!written) throw new Error('nothing written');
  return {
    revision: written.revision,
    offsets: written.offsets,
    ...decodeData(model, written.data),
    ...(previous?.mergedInto ? { mergedInto: previous.mergedInto } : {}),
  };
}

describe("a customer's plan", () => {
  it("skips the log's copies of a recent event, in the batch and across batches", () => {
    const first = planner.plan(
      'c-1',
      undefined,
      [positioned('a', 10), positioned('b', 11), positioned('a', 12)],
      0,
      context,
    );
    expect(first.duplicates).toBe(1);
    expect(first.write?.offset).toBe(12);
    expect(first.write?.timeline).toHaveLength(2);
    const stored = storedAfter(first);
    expect(stored.state.n).toBe(2);

    const second = planner.plan(
      'c-1',
      stored,
      [positioned('b', 13), positioned('c', 14)],
      0,
      context,
    );
    expect(second.duplicates).toBe(1);
    expect(storedAfter(second).state.n).toBe(3);
  });

  it('writes nothing for a batch of copies, and folds the same state as the events once', () => {
    const once = planner.plan(
      'c-1',
      undefined,
      [positioned('a', 1), positioned('b', 2)],
      0,
      context,
    );
    const copies = planner.plan('c-1', storedAfter(once), [positioned('a', 3)], 0, context);
    expect(copies.write).toBeUndefined();
    expect(copies.duplicates).toBe(1);
  });

  it(`folds an id again once ${RECENT_EVENTS} others came after it: the window is bounded`, () => {
    const events = Array.from({ length: RECENT_EVENTS + 1 }, (_, index) =>
      positioned(`e-${index}`, index),
    );
    const plan = planner.plan(
      'c-1',
      undefined,
      [...events, positioned('e-0', RECENT_EVENTS + 1)],
      0,
      context,
    );
    expect(plan.duplicates).toBe(0);
    expect(storedAfter(plan).recent).toHaveLength(RECENT_EVENTS);
  });
});
