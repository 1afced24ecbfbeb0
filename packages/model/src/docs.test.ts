import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG, DEFAULT_CHANNELS } from './catalog.js';
import { DAY, HOUR, inbound, outbound } from './fixtures.js';
import { createModel, type Model } from './model.js';
import type { Reading } from './read.js';
import type { FoldableEvent } from './state.js';

/**
 * docs/model.md shows tables the code determines: the worked example, computed by the real
 * model, and the default catalogs. These tests render each table and fail if the doc does not
 * contain it cell for cell, so the doc cannot drift from the code.
 */
const model = createModel();
const MINUTE = 60_000;
/** The default catalog's exchanges, which the weekly buyer's first column turns off. */
const EXCHANGES = Object.keys(DEFAULT_CATALOG).filter(
  (type) => (DEFAULT_CATALOG[type]?.reciprocal ?? 0) > 0,
);
const START = Date.UTC(2024, 2, 4, 9); // Monday 4 March 2024, 09:00 UTC
const READ_AT = START + 12 * 7 * DAY; // twelve weeks later
const weeks = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => START + (from + i) * 7 * DAY);

const newsletter = (at: number, week: number): FoldableEvent =>
  outbound('email.sent', 'email', at, { appeal: week % 2 === 0 ? 'pathos' : 'logos' });

const supportThread = (at: number): FoldableEvent[] => [
  inbound('support.ticket_opened', 'support', at + 2 * HOUR),
  outbound('sla.met', 'support', at + 3 * HOUR),
  outbound('support.ticket_replied', 'support', at + 3 * HOUR),
  inbound('support.ticket_replied', 'support', at + 5 * HOUR, { sentiment: 0.6 }),
  outbound('support.ticket_resolved', 'support', at + DAY, { outcome: 'kept' }),
];

const customers: Record<string, FoldableEvent[]> = {
  'Newsletter only': [
    ...weeks(0, 12).map(newsletter),
    ...weeks(0, 4).map((at) => inbound('email.opened', 'email', at + HOUR)),
    inbound('email.clicked', 'email', START + 7 * DAY + HOUR),
  ],
  'Two-way support': [
    inbound('purchase.completed', 'store', START),
    ...weeks(0, 12).map(newsletter),
    ...weeks(0, 12).flatMap(supportThread),
  ],
  'Went silent': [
    inbound('purchase.completed', 'store', START),
    ...weeks(0, 12).map(newsletter),
    ...weeks(0, 4).flatMap(supportThread),
  ],
};

const fixed = (digits: number) => (x: number) => x.toFixed(digits);
const score = fixed(1);
const ratio = fixed(2);
const when = (ms: number | null) =>
  ms === null ? '—' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const parts = (items: ReadonlyArray<{ type: string; size: number; sides?: string }>) =>
  items.length === 0
    ? '—'
    : items.map((item) => `${item.type} ${score(item.size)}${item.sides ?? ''}`).join(', ');

/** An exchange's two sides, as points from the customer's side and from the business's. */
const sides = ({ given, received }: { given: number; received: number }) =>
  given > 0 && received > 0 ? ` (${score(given)} given + ${score(received)} received)` : '';

const rows: ReadonlyArray<[string, (r: Reading) => string]> = [
  ['engagement (0–100)', (r) => score(r.engagement)],
  ['participation (0–100)', (r) => score(r.participation)],
  ['given G / received R', (r) => `${ratio(r.ledger.given)} / ${ratio(r.ledger.received)}`],
  ['attention P', (r) => ratio(r.ledger.attention)],
  ['trust (confidence)', (r) => `${ratio(r.trust.value)} (${ratio(r.trust.confidence)})`],
  ['warmth / competence', (r) => `${ratio(r.trust.warmth)} / ${ratio(r.trust.competence)}`],
  [
    'voluntary / positive / intense',
    (r) =>
      [r.dimensions.voluntary, r.dimensions.positive, r.dimensions.intense].map(ratio).join(' / '),
  ],
  [
    'enduring / public / formal / symmetric',
    (r) =>
      [r.dimensions.enduring, r.dimensions.public, r.dimensions.formal, r.dimensions.symmetric]
        .map(ratio)
        .join(' / '),
  ],
  ['stage / status', (r) => `${r.stage} / ${r.status}`],
  [
    'appeal ethos / pathos / logos',
    (r) =>
      r.appeal === null
        ? '—'
        : [r.appeal.ethos, r.appeal.pathos, r.appeal.logos].map(ratio).join(' / '),
  ],
  [
    'engagement explained (points)',
    (r) =>
      parts(
        r.explanation.engagement.map((part) => ({
          type: part.type,
          size: part.points,
          sides: sides(part),
        })),
      ),
  ],
  [
    'trust explained (×100)',
    (r) => parts(r.explanation.trust.map(({ type, effect }) => ({ type, size: effect * 100 }))),
  ],
  [
    'exchanges / every (days) / confidence',
    ({ rhythm }) =>
      `${rhythm.exchanges} / ${rhythm.intervalDays === null ? '—' : score(rhythm.intervalDays)} / ${ratio(rhythm.confidence)}`,
  ],
  ['overdue from', (r) => when(r.predictions.overdueAt)],
  ['cooling from', (r) => when(r.predictions.coolingAt)],
  ['at risk from', (r) => when(r.predictions.atRiskAt)],
  ['dormant from', (r) => when(r.predictions.dormantAt)],
];

function markdownTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...body.map(line)].join('\n');
}

/** One column per customer, each folded by its own model, read at READ_AT. */
function readingsTable(columns: Record<string, { events: FoldableEvent[]; using: Model }>): string {
  const folded = Object.values(columns).map(({ events, using }) => ({
    using,
    state: events.reduce((state, event) => using.apply(state, event), using.empty()),
  }));
  const readings = folded.map(({ using, state }) => using.at(state, READ_AT));
  return markdownTable(
    [`read at ${when(READ_AT)} UTC`, ...Object.keys(columns)],
    [
      ...rows.map(([label, cell]) => [label, ...readings.map(cell)]),
      [
        'stored state (JSON bytes)',
        ...folded.map(({ using, state }) => String(JSON.stringify(using.toJSON(state)).length)),
      ],
    ],
  );
}

function exampleTable(): string {
  return readingsTable(
    Object.fromEntries(
      Object.entries(customers).map(([name, events]) => [name, { events, using: model }]),
    ),
  );
}

/** The model as it was before exchanges and rhythms. */
const before = createModel({
  catalog: Object.fromEntries(EXCHANGES.map((type) => [type, { reciprocal: 0 }])),
  rhythm: { enabled: false },
});
const withoutRhythms = createModel({ rhythm: { enabled: false } });

/** A store visit and a purchase in given weeks, inbound only, as a point-of-sale export sends them. */
const shopping = (from: number, to: number) =>
  weeks(from, to).flatMap((at) => [
    inbound('store.visit', 'store', at + 8 * HOUR),
    inbound('purchase.completed', 'store', at + 8 * HOUR + 20 * MINUTE),
  ]);

/** The weekly buyer, read by the model before exchanges and rhythms and by today's; and one who stopped. */
function weeklyBuyerTable(): string {
  return readingsTable({
    'Weekly buyer, before': { events: shopping(0, 12), using: before },
    'Weekly buyer': { events: shopping(0, 12), using: model },
    'Stopped after week 8': { events: shopping(0, 9), using: model },
  });
}

/** Subscribed on 25 March 2022, renewed on the same day in 2023 and 2024. */
const yearlyRenewer = [
  inbound('subscription.started', 'billing', Date.UTC(2022, 2, 25)),
  inbound('subscription.renewed', 'billing', Date.UTC(2023, 2, 25)),
  inbound('subscription.renewed', 'billing', Date.UTC(2024, 2, 25)),
];
/**
 * A SaaS customer since 1 June 2023 who pays a quarterly invoice on the 1st and uses the product
 * every weekday; the business sends Rapport nothing of its own.
 */
const saasPayer = [
  inbound('subscription.started', 'billing', Date.UTC(2023, 5, 1)),
  ...[Date.UTC(2023, 8, 1), Date.UTC(2023, 11, 1), Date.UTC(2024, 2, 1)].map((at) =>
    inbound('invoice.paid', 'billing', at),
  ),
  ...Array.from({ length: 360 }, (_, day) => Date.UTC(2023, 5, 1 + day, 14))
    .filter((at) => at < READ_AT && ![0, 6].includes(new Date(at).getUTCDay()))
    .map((at) => inbound('feature.used', 'app', at)),
];

/** Customers whose exchanges are far apart, with rhythms off and on. */
function rhythmTable(): string {
  return readingsTable({
    'Yearly renewer, no rhythms': { events: yearlyRenewer, using: withoutRhythms },
    'Yearly renewer': { events: yearlyRenewer, using: model },
    'SaaS payer, no rhythms': { events: saasPayer, using: withoutRhythms },
    'SaaS payer': { events: saasPayer, using: model },
  });
}

const signed = (x: number) => String(x).replace('-', '−');

function catalogTable(): string {
  return markdownTable(
    [
      'type',
      'kind',
      'inbound',
      'outbound',
      'reciprocal',
      'warmth',
      'competence',
      'initiator',
      'milestone',
    ],
    Object.entries(DEFAULT_CATALOG).map(([type, entry]) => [
      `\`${type}\``,
      entry.kind,
      String(entry.inbound),
      String(entry.outbound),
      String(entry.reciprocal),
      signed(entry.warmth),
      signed(entry.competence),
      entry.initiator ?? '',
      entry.milestone ?? '',
    ]),
  );
}

function channelTable(): string {
  const yesNo = (flag: boolean) => (flag ? 'yes' : 'no');
  return markdownTable(
    ['channel', 'public', 'formal'],
    Object.entries(DEFAULT_CHANNELS).map(([channel, traits]) => [
      channel,
      yesNo(traits.public),
      yesNo(traits.formal),
    ]),
  );
}

/** The formatter pads table cells to align columns; compare cell by cell instead. */
function normalized(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) =>
      line.startsWith('|')
        ? line
            .split('|')
            .map((cell) => cell.trim().replace(/^-+$/, '---'))
            .join('|')
        : line,
    )
    .join('\n');
}

describe('docs/model.md', () => {
  const doc = normalized(readFileSync(new URL('../../../docs/model.md', import.meta.url), 'utf8'));

  it.each([
    ['the worked example, exactly as the model computes it', exampleTable],
    ['the weekly buyer, exactly as the model computes it', weeklyBuyerTable],
    ['the yearly renewer and the SaaS payer, exactly as the model computes them', rhythmTable],
    ['the default value catalog', catalogTable],
    ['the default channel catalog', channelTable],
  ])('shows %s', (_what, render) => {
    const expected = render();
    expect(
      doc.includes(normalized(expected)),
      `docs/model.md should contain:\n\n${expected}\n`,
    ).toBe(true);
  });
});
