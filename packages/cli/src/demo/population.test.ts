import { createModel } from '@rapport/model';
import { parseInteraction } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import { plan } from './population.js';

const DAY = 86_400_000;
const END = Date.parse('2026-06-01T00:00:00Z');

describe('the demo population', () => {
  const history = plan(10, 90, END);

  it('is the same story every time, in time order, every event canonical and in the past', () => {
    expect(plan(10, 90, END)).toEqual(history);
    expect(history.map((event) => event.at)).toEqual(history.map((event) => event.at).sort());
    history.forEach((event, index) => {
      const parsed = parseInteraction({
        ...event.draft,
        eventId: `e-${index}`,
        customerId: event.customerId,
        occurredAt: new Date(event.at).toISOString(),
      });
      expect(parsed.ok, JSON.stringify(event)).toBe(true);
      expect(event.at).toBeLessThan(END);
    });
  });

  it('ends with each persona where the story says: engaged, one-way, at risk, won back', () => {
    const model = createModel();
    const states = new Map<string, ReturnType<typeof model.empty>>();
    for (const { customerId, draft, at } of history) {
      const event = { ...draft, occurredAt: new Date(at).toISOString() };
      states.set(customerId, model.apply(states.get(customerId) ?? model.empty(), event));
    }
    const read = (id: string) => model.at(states.get(id) ?? model.empty(), END);
    expect(read('demo-loyal-01').status).toBe('engaged');
    expect(read('demo-marketing-only-01').engagement).toBe(0);
    expect(read('demo-goes-silent-01')).toMatchObject({ status: 'at_risk', stage: 'at_risk' });
    expect(read('demo-won-back-01').status).toBe('engaged');
    expect(read('demo-slow-support-01').trust.value).toBeLessThan(
      read('demo-loyal-01').trust.value,
    );
    const silent = history.filter((event) => event.customerId === 'demo-goes-silent-01');
    expect(Math.max(...silent.map((event) => event.at))).toBeLessThan(END - 60 * DAY);
  });
});
