import { createModel } from '@rapport/model';
import { describe, expect, it } from 'vitest';
import { EMPTY_EXTRAS, extrasFolder } from './extras.js';

const fold = extrasFolder(createModel({ channels: { kiosk: { public: true } } }));
const event = (type: string, channel: string, occurredAt: string) => ({
  type,
  channel,
  direction: 'inbound' as const,
  occurredAt,
});

describe('extras', () => {
  const events = [
    event('email.replied', 'email', '2026-01-02T00:00:00Z'),
    event('email.opened', 'email', '2026-01-01T00:00:00Z'),
    event('store.visit', 'kiosk', '2026-01-03T00:00:00Z'),
    event('chat.message', 'telegram', '2026-01-04T00:00:00Z'),
    event('sla.met', 'support', '2026-01-05T00:00:00Z'),
    event('followup.started', 'email', '2026-01-06T00:00:00Z'),
    event('followup.finished', 'email', '2026-01-07T00:00:00Z'),
    event('followup.started', 'email', '2026-01-08T00:00:00Z'),
    event('engagement.drop_detected', 'email', '2026-01-05T12:00:00Z'),
  ];

  it('keeps the latest interaction per catalog channel, pooling the others, ignoring signals', () => {
    const extras = events.reduce(fold, EMPTY_EXTRAS);
    expect(extras.ch).toEqual({
      email: Date.parse('2026-01-02T00:00:00Z'),
      kiosk: Date.parse('2026-01-03T00:00:00Z'),
      '*': Date.parse('2026-01-04T00:00:00Z'),
    });
    expect(extras.fu).toEqual([
      2,
      1,
      Date.parse('2026-01-08T00:00:00Z'),
      Date.parse('2026-01-07T00:00:00Z'),
    ]);
    expect(extras.dr).toEqual([1, Date.parse('2026-01-05T12:00:00Z')]);
  });

  it('does not depend on the order of events', () => {
    const forward = events.reduce(fold, EMPTY_EXTRAS);
    const backward = [...events].reverse().reduce(fold, EMPTY_EXTRAS);
    expect(backward).toEqual(forward);
  });
});
