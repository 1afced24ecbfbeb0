import { describe, expect, it } from 'vitest';
import recorded from './samples/social-listening.json' with { type: 'json' };
import { socialAdapter } from './social.js';
import { CONTEXT, eventsOf, pathsOf } from './testing.js';

const HEARD = { channel: 'social', direction: 'inbound', initiator: 'customer' };

describe('socialAdapter (generic social listening)', () => {
  it('maps a recorded export to exactly these events, skipping kinds it does not know', () => {
    expect(eventsOf(socialAdapter.adapt(recorded, CONTEXT))).toEqual([
      {
        ...HEARD,
        eventId: 'm-90211',
        customerId: 'x:1450122',
        type: 'social.mention',
        occurredAt: '2024-05-01T09:30:00Z',
        sentiment: 0.8,
        properties: {
          network: 'x',
          visibility: 'public',
          url: 'https://x.com/ada_builds/status/1785612345678901234',
        },
      },
      {
        ...HEARD,
        eventId: 'm-90212',
        customerId: 'x:1450122',
        type: 'social.reply',
        occurredAt: '2024-05-01T09:42:00Z',
        sentiment: 0,
        threadId: '1785610000000000000',
        properties: { network: 'x', visibility: 'public' },
      },
      {
        ...HEARD,
        eventId: 'm-90213',
        customerId: 'cus_42',
        type: 'social.direct_message',
        occurredAt: '2024-05-01T10:05:00+02:00',
        sentiment: -1,
        threadId: 't_3491',
        expectsResponse: true,
        properties: { network: 'instagram', visibility: 'private' },
      },
    ]);
  });

  it('keeps the visibility the tool reports', () => {
    const [mention] = recorded;
    const [event] = eventsOf(socialAdapter.adapt({ ...mention, visibility: 'private' }, CONTEXT));
    expect(event?.properties).toMatchObject({ visibility: 'private' });
  });

  it('reports out-of-range sentiment and a bad network at their index', () => {
    const [mention, reply] = recorded;
    const result = socialAdapter.adapt(
      [mention, { ...reply, sentiment: 3 }, { ...mention, network: 'X / Twitter' }],
      CONTEXT,
    );
    expect(pathsOf(result)).toEqual(['1.sentiment', '2.network']);
  });
});
