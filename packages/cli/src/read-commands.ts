import { loadConfig } from '@rapport/config';
import {
  ChangeSchema,
  CustomerListSchema,
  CustomerViewSchema,
  type Change,
  type CustomerSummary,
  type CustomerView,
} from '@rapport/read-model';
import { API_FLAGS, API_USAGE, ApiClient, apiTarget } from './api-client.js';
import { usageError } from './cli-errors.js';
import { parseFlags, runCommand } from './command.js';

const SHOW_USAGE = `Usage: rapport show <customer id> [--at <ISO instant>] [--json]

One customer's engagement, trust, ledger, dimensions, stage and predictions, read now (decay
applied at read time) or at --at.

${API_USAGE}`;

const AT_RISK_USAGE = `Usage: rapport at-risk [--limit N] [--json]

Customers at risk now, the most recently crossed first (those never above the at-risk band
last), then the customers who will cross next, soonest first.

${API_USAGE}`;

const TAIL_USAGE = `Usage: rapport tail [--customer <id>] [--status engaged|cooling|at_risk|dormant]

State changes as they happen (Ctrl-C stops); a dropped connection resumes where it left off.

${API_USAGE}`;

const fixed = (value: number, digits = 1) => value.toFixed(digits);
/** An instant to the minute, in UTC as the API gives it. */
const day = (iso: string | null) => (iso === null ? '—' : `${iso.slice(0, 16).replace('T', ' ')}Z`);

export function formatCustomer(view: CustomerView): string {
  const { trust, ledger, dimensions, predictions } = view;
  const explained = view.explanation.engagement
    .map((part) => `${part.type} ${fixed(part.points)}`)
    .join(', ');
  const channels = view.channels
    .map((channel) => `${channel.channel} ${channel.interactions} (last ${day(channel.lastAt)})`)
    .join(', ');
  return [
    `customer ${view.customerId} · as of ${day(view.asOf)} · ${view.events} events · revision ${view.revision}`,
    `status       ${view.status}, stage ${view.stage}`,
    `engagement   ${fixed(view.engagement)}   participation ${fixed(view.participation)}`,
    `trust        ${fixed(trust.value, 2)} (confidence ${fixed(trust.confidence, 2)}; warmth ${fixed(trust.warmth, 2)}, competence ${fixed(trust.competence, 2)})`,
    `ledger       given ${fixed(ledger.given)} · attention ${fixed(ledger.attention)} · received ${fixed(ledger.received)} (lifetime ${fixed(ledger.lifetime.given)} / ${fixed(ledger.lifetime.received)}; ${ledger.counts.inbound} in, ${ledger.counts.outbound} out)`,
    `dimensions   ${Object.entries(dimensions)
      .map(([name, value]) => `${name} ${fixed(value, 2)}`)
      .join(' · ')}`,
    `predicted    cooling ${day(predictions.coolingAt)} · at risk ${day(predictions.atRiskAt)} · dormant ${day(predictions.dormantAt)}`,
    `explanation  ${explained || '—'}`,
    `channels     ${channels || '—'}`,
    `follow-ups   ${view.followUps.started} started, ${view.followUps.finished} finished${view.followUps.active ? ' (one running)' : ''}; drops detected ${view.drops.detected}`,
  ].join('\n');
}

export function formatSummaries(items: readonly CustomerSummary[]): string {
  const rows = items.map((item) => [
    item.customerId,
    item.status,
    item.stage,
    fixed(item.engagement),
    fixed(item.trust, 2),
    day(item.predictions.atRiskAt),
    day(item.predictions.dormantAt),
  ]);
  const header = ['customer', 'status', 'stage', 'engagement', 'trust', 'at risk', 'dormant'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  return [header, ...rows]
    .map((row) =>
      `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd(),
    )
    .join('\n');
}

export function formatChange(change: Change): string {
  return [
    change.changedAt.slice(11, 19),
    change.customerId,
    change.status.padEnd(8),
    change.stage.padEnd(10),
    `engagement ${fixed(change.engagement).padStart(5)}`,
    `trust ${fixed(change.trust, 2)}`,
    change.eventId === null ? '' : `(${change.eventId})`,
  ]
    .join('  ')
    .trimEnd();
}

export async function showCommand(args: readonly string[]): Promise<number> {
  return runCommand('show', SHOW_USAGE, async () => {
    const { values, positionals } = parseFlags(args, {
      ...API_FLAGS,
      at: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (values.help) return help(SHOW_USAGE);
    const [id, ...rest] = positionals;
    if (id === undefined || rest.length > 0) throw usageError('give exactly one customer id');
    const client = new ApiClient(apiTarget(loadConfig(), values));
    const query = values.at === undefined ? '' : `?at=${encodeURIComponent(values.at)}`;
    const view = await client.get(
      `/v1/customers/${encodeURIComponent(id)}${query}`,
      CustomerViewSchema,
    );
    console.log(values.json ? JSON.stringify(view, null, 2) : formatCustomer(view));
    return 0;
  });
}

export async function atRiskCommand(args: readonly string[]): Promise<number> {
  return runCommand('at-risk', AT_RISK_USAGE, async () => {
    const { values, positionals } = parseFlags(args, {
      ...API_FLAGS,
      limit: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
    });
    if (values.help) return help(AT_RISK_USAGE);
    const limit = Number(values.limit);
    if (positionals.length > 0 || !Number.isInteger(limit) || limit < 1 || limit > 200) {
      throw usageError('--limit takes a whole number from 1 to 200');
    }
    const client = new ApiClient(apiTarget(loadConfig(), values));
    const [atRisk, next] = await Promise.all([
      client.get(
        `/v1/customers?status=at_risk&sort=-at_risk_at&limit=${limit}`,
        CustomerListSchema,
      ),
      client.get(
        `/v1/customers?status=engaged,cooling&sort=at_risk_at&limit=${limit}`,
        CustomerListSchema,
      ),
    ]);
    if (values.json) {
      console.log(JSON.stringify({ atRisk: atRisk.items, next: next.items }, null, 2));
      return 0;
    }
    console.log(`at risk now (${atRisk.items.length}${atRisk.nextCursor ? '+' : ''}):`);
    console.log(atRisk.items.length > 0 ? formatSummaries(atRisk.items) : '  none');
    console.log(`\nnext to cross into at risk:`);
    console.log(next.items.length > 0 ? formatSummaries(next.items) : '  none');
    return 0;
  });
}

export async function tailCommand(args: readonly string[]): Promise<number> {
  return runCommand('tail', TAIL_USAGE, async () => {
    const { values, positionals } = parseFlags(args, {
      ...API_FLAGS,
      customer: { type: 'string' },
      status: { type: 'string' },
    });
    if (values.help) return help(TAIL_USAGE);
    if (positionals.length > 0) throw usageError(`unexpected ${positionals.join(' ')}`);
    const query = new URLSearchParams();
    if (values.customer !== undefined) query.set('customer', values.customer);
    if (values.status !== undefined) query.set('status', values.status);
    const client = new ApiClient(apiTarget(loadConfig(), values));
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const suffix = query.size > 0 ? `?${query.toString()}` : '';
      for await (const event of client.events(`/v1/stream${suffix}`, stop.signal)) {
        if (event.event === 'gap') {
          console.log('  (some changes were trimmed from the stream while disconnected)');
          continue;
        }
        const change = ChangeSchema.safeParse(JSON.parse(event.data));
        if (change.success) console.log(formatChange(change.data));
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  });
}

function help(usage: string): number {
  console.log(usage);
  return 0;
}
