import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adapterFromMapping, parseChannelMapping, type ChannelMapping } from './mapping.js';
import { CONTEXT, eventsOf, issuesOf } from './testing.js';

const mappingFile = (name: string) =>
  readFileSync(new URL(`../mappings/${name}`, import.meta.url), 'utf8');

function load(text: string, fileName = 'test.yaml'): ChannelMapping {
  const parsed = parseChannelMapping(text, fileName);
  expect(parsed.ok ? [] : parsed.errors).toEqual([]);
  if (!parsed.ok) throw new Error('unreachable: the expectation above failed');
  return parsed.mapping;
}

function errorsOf(text: string, fileName = 'test.yaml'): string[] {
  const parsed = parseChannelMapping(text, fileName);
  return parsed.ok ? [] : parsed.errors;
}

const MINIMAL = `
channel: community
fields:
  eventId: { path: "$.id" }
  customerId: { path: "$.user" }
  type: { const: community.posted }
  direction: { const: inbound }
`;

describe('mappings/community.yaml', () => {
  const community = adapterFromMapping(load(mappingFile('community.yaml'), 'community.yaml'));
  const page = {
    posts: [
      {
        id: 'p-1',
        kind: 'post',
        topic_id: 88,
        title: 'Exporting archived projects',
        author: { external_id: 'cus_42', name: 'Ada' },
        created_at: '2024-05-01T09:30:00Z',
        score: 0.4,
      },
      {
        id: 'p-2',
        kind: 'reply',
        topic_id: 88,
        author: { external_id: 'cus_7' },
        created_at: '2024-05-01T09:45:00+02:00',
      },
      {
        id: 'p-3',
        kind: 'poll',
        topic_id: 90,
        author: { external_id: 'cus_42' },
        created_at: '2024-05-01T10:00:00Z',
      },
    ],
  };

  it('carries its channel and signature to the gateway', () => {
    expect(community.channel).toBe('community');
    expect(community.signature).toEqual({
      header: 'x-community-signature',
      encoding: 'hex',
      prefix: 'sha256=',
    });
  });

  it('maps a page of posts to exactly these events', () => {
    const posted = {
      channel: 'community',
      direction: 'inbound',
      initiator: 'customer',
      threadId: '88',
    };
    expect(eventsOf(community.adapt(page, CONTEXT))).toEqual([
      {
        ...posted,
        eventId: 'p-1',
        customerId: 'cus_42',
        type: 'community.posted',
        occurredAt: '2024-05-01T09:30:00Z',
        sentiment: 0.4,
        properties: { title: 'Exporting archived projects', topic: 88 },
      },
      {
        ...posted,
        eventId: 'p-2',
        customerId: 'cus_7',
        type: 'community.replied',
        occurredAt: '2024-05-01T09:45:00+02:00',
        properties: { topic: 88 },
      },
      {
        ...posted,
        threadId: '90',
        eventId: 'p-3',
        customerId: 'cus_42',
        type: 'community.activity',
        occurredAt: '2024-05-01T10:00:00Z',
        properties: { topic: 90 },
      },
    ]);
  });

  it('reports what does not fit the canonical event at the payload path it came from', () => {
    const [first, second] = page.posts;
    const result = community.adapt(
      {
        posts: [
          first,
          { ...second, author: {}, score: 2 },
          { ...first, created_at: '2024-05-01 09:30', title: { nested: [new Date(0)] } },
        ],
      },
      CONTEXT,
    );
    expect(issuesOf(result)).toEqual([
      {
        path: 'posts.1.author.external_id',
        message: 'customerId: Invalid input: expected string, received undefined',
      },
      { path: 'posts.1.score', message: 'sentiment: Too big: expected number to be <=1' },
      { path: 'posts.2.created_at', message: 'occurredAt: Invalid ISO datetime' },
      { path: 'posts.2.title', message: 'properties.title: Invalid input' },
    ]);
  });

  it('refuses a payload without the array of events', () => {
    expect(issuesOf(community.adapt({ posts: {} }, CONTEXT))).toEqual([
      { path: 'posts', message: 'expected an array of events at $.posts' },
    ]);
  });
});

describe('mappings/csv.yaml', () => {
  const csv = adapterFromMapping(load(mappingFile('csv.yaml'), 'csv.yaml'));
  const row = {
    eventId: 'r-1',
    customerId: 'cus_42',
    occurredAt: '2024-05-01T09:30:00Z',
    type: 'purchase.completed',
    direction: '',
    initiator: 'customer',
    value: '129.90',
    sentiment: '-0.25',
    threadId: '',
    expectsResponse: 'FALSE',
    'Store name': 'Leeds',
  };

  it('coerces the string cells of a row, and reads an empty cell as absent', () => {
    expect(eventsOf(csv.adapt(row, CONTEXT))).toEqual([
      {
        eventId: 'r-1',
        customerId: 'cus_42',
        channel: 'store',
        type: 'purchase.completed',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:30:00Z',
        value: 129.9,
        sentiment: -0.25,
        expectsResponse: false,
        properties: { store: 'Leeds' },
      },
    ]);
  });

  it('reports a cell that is not what its column needs, by column', () => {
    const result = csv.adapt(
      { ...row, value: '12,50', expectsResponse: 'maybe', customerId: '' },
      CONTEXT,
    );
    expect(issuesOf(result).map((issue) => issue.path)).toEqual([
      'customerId',
      'value',
      'expectsResponse',
    ]);
  });
});

describe('adapterFromMapping', () => {
  it('reads numeric ids as text, unix times, and the receipt time when no time is mapped', () => {
    const adapter = adapterFromMapping(
      load(`${MINIMAL}  occurredAt: { path: "$.at", format: unix-ms }\n`),
    );
    expect(eventsOf(adapter.adapt([{ id: 17, user: 42, at: 1714555800000 }], CONTEXT))).toEqual([
      {
        eventId: '17',
        customerId: '42',
        channel: 'community',
        type: 'community.posted',
        direction: 'inbound',
        occurredAt: '2024-05-01T09:30:00.000Z',
      },
    ]);
    const untimed = adapterFromMapping(load(MINIMAL));
    expect(eventsOf(untimed.adapt({ id: 'a', user: 'b' }, CONTEXT))[0]?.occurredAt).toBe(
      CONTEXT.receivedAt,
    );
  });

  it('passes a value missing from the map through when there is no default', () => {
    const adapter = adapterFromMapping(
      load(MINIMAL.replace('{ const: community.posted }', '{ path: "$.t", map: { a: x.y } }')),
    );
    const types = (t: unknown) =>
      eventsOf(adapter.adapt({ id: 'a', user: 'b', t }, CONTEXT)).map((event) => event.type);
    expect(types('a')).toEqual(['x.y']);
    expect(types('community.posted')).toEqual(['community.posted']);
    // Own keys only: `constructor` is not in the map, so it passes through and is refused.
    expect(issuesOf(adapter.adapt({ id: 'a', user: 'b', t: 'constructor' }, CONTEXT))).toEqual([
      { path: 't', message: 'type: expected dotted lowercase such as "email.replied"' },
    ]);
  });
});

describe('parseChannelMapping', () => {
  it('names the file and the field of each mistake', () => {
    const text = `
channel: Community
fields:
  eventId: { path: "id" }
  customerId: { path: "$.user", const: x }
  type: { path: "$.kind", map: { post: Community.Posted } }
  direction: { const: sideways }
  colour: { const: blue }
signature: { header: "x signature", encoding: hex }
`;
    expect(errorsOf(text, 'community.yaml')).toEqual([
      'community.yaml: channel: expected a lowercase slug such as "email" or "in_app"',
      'community.yaml: fields.eventId.path: expected a path such as "$.author.id", "$.items[0]" or "$[\\"Customer ID\\"]"',
      'community.yaml: fields.customerId: expected either "path" or "const"',
      'community.yaml: fields.type.map.post: expected dotted lowercase such as "email.replied"',
      'community.yaml: fields.direction.const: Invalid option: expected one of "inbound"|"outbound"',
      'community.yaml: fields.colour: unknown field',
      'community.yaml: signature.header: expected an HTTP header name such as "x-community-signature"',
    ]);
  });

  it('names missing fields and options that only apply to paths', () => {
    expect(
      errorsOf(`channel: c\nfields:\n  eventId: { const: e, default: f }\n`, 'c.json'),
    ).toEqual([
      'c.json: fields.eventId.default: applies to "path" only',
      'c.json: fields.customerId: Invalid input: expected object, received undefined',
      'c.json: fields.type: Invalid input: expected object, received undefined',
      'c.json: fields.direction: Invalid input: expected object, received undefined',
    ]);
  });

  it('reads JSON, and reports YAML syntax errors with the file name', () => {
    const json = JSON.stringify({
      channel: 'community',
      fields: {
        eventId: { path: '$.id' },
        customerId: { path: '$.user' },
        type: { const: 'community.posted' },
        direction: { const: 'inbound' },
      },
    });
    expect(parseChannelMapping(json, 'community.json').ok).toBe(true);
    const [error] = errorsOf('channel: [unclosed\n', 'broken.yaml');
    expect(error).toMatch(/^broken\.yaml: /);
    expect(errorsOf('channel: a\nchannel: b\n', 'twice.yaml')[0]).toMatch(/^twice\.yaml: .*unique/);
  });

  it('names a verification scheme instead of the generic header, left to the gateway', () => {
    const mapping = load(`${MINIMAL}signature: { scheme: slack }\n`);
    expect(mapping.signature).toEqual({ scheme: 'slack' });
    expect(adapterFromMapping(mapping).signature).toBeUndefined();
    expect(errorsOf(`${MINIMAL}signature: { scheme: Slack }\n`)).toEqual([
      'test.yaml: signature.scheme: expected a scheme name such as "slack"',
    ]);
  });
});
