import { describe, expect, it } from 'vitest';
import { GENERIC_SIGNATURE } from './adapter.js';
import { builtInAdapters } from './builtins.js';
import { CONTEXT, eventsOf } from './testing.js';

describe('builtInAdapters', () => {
  it('has one adapter per channel, each signed with the generic header', () => {
    expect(builtInAdapters.map((adapter) => adapter.channel)).toEqual([
      'email',
      'support',
      'chat',
      'social',
      'billing',
    ]);
    for (const adapter of builtInAdapters) expect(adapter.signature).toEqual(GENERIC_SIGNATURE);
  });

  it.each(builtInAdapters.map((adapter) => [adapter.channel, adapter] as const))(
    '%s accepts kinds it does not map, even prototype names, and produces nothing',
    (_channel, adapter) => {
      for (const kind of ['account.deleted', 'constructor', '__proto__']) {
        const body = { event: kind, type: kind, topic: kind };
        expect(eventsOf(adapter.adapt(body, CONTEXT))).toEqual([]);
      }
    },
  );
});
