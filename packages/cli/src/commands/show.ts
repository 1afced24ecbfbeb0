import { CustomerViewSchema, type CustomerView } from '@rapport/read-model';
import { API_USAGE, defineCommand } from '../command.js';
import { fixed, toMinute } from '../output.js';

export function formatCustomer(view: CustomerView): string {
  const { trust, ledger, dimensions, predictions } = view;
  // An exchange shows its two sides, as docs/model.md does.
  const explained = view.explanation.engagement
    .map(({ type, points, given, received }) =>
      given > 0 && received > 0
        ? `${type} ${fixed(points)} (${fixed(given)} given + ${fixed(received)} received)`
        : `${type} ${fixed(points)}`,
    )
    .join(', ');
  const channels = view.channels
    .map(
      (channel) => `${channel.channel} ${channel.interactions} (last ${toMinute(channel.lastAt)})`,
    )
    .join(', ');
  return [
    `customer ${view.customerId} · as of ${toMinute(view.asOf)} · ${view.events} events · revision ${view.revision}`,
    `status       ${view.status}, stage ${view.stage}`,
    `engagement   ${fixed(view.engagement)}   participation ${fixed(view.participation)}`,
    `trust        ${fixed(trust.value, 2)} (confidence ${fixed(trust.confidence, 2)}; warmth ${fixed(trust.warmth, 2)}, competence ${fixed(trust.competence, 2)})`,
    `ledger       given ${fixed(ledger.given)} · attention ${fixed(ledger.attention)} · received ${fixed(ledger.received)} (lifetime ${fixed(ledger.lifetime.given)} / ${fixed(ledger.lifetime.received)}; ${ledger.counts.inbound} in, ${ledger.counts.outbound} out)`,
    `dimensions   ${Object.entries(dimensions)
      .map(([name, value]) => `${name} ${fixed(value, 2)}`)
      .join(' · ')}`,
    `rhythm       ${formatRhythm(view.rhythm)}`,
    `predicted    cooling ${toMinute(predictions.coolingAt)} · at risk ${toMinute(predictions.atRiskAt)} · dormant ${toMinute(predictions.dormantAt)} · overdue ${toMinute(predictions.overdueAt)}`,
    `explanation  ${explained || '—'}`,
    `channels     ${channels || '—'}`,
    `follow-ups   ${view.followUps.started} started, ${view.followUps.finished} finished${view.followUps.active ? ' (one running)' : ''}; drops detected ${view.drops.detected}${view.drops.skipped > 0 ? ` (${view.drops.skipped} more skipped: over before they were seen)` : ''}`,
  ].join('\n');
}

function formatRhythm({
  exchanges,
  intervalDays,
  confidence,
  lastExchange,
}: CustomerView['rhythm']) {
  const made = `${exchanges} exchange${exchanges === 1 ? '' : 's'}`;
  if (intervalDays === null)
    return exchanges === 0 ? '—' : `${made}, last ${toMinute(lastExchange)}`;
  return `${made}, one every ${fixed(intervalDays)} days (confidence ${fixed(confidence, 2)}), last ${toMinute(lastExchange)}`;
}

export const showCommand = defineCommand({
  name: 'show',
  synopsis: 'show <id>',
  summary: "One customer's engagement, trust, ledger and predictions, read now.",
  usage: `Usage: rapport show <customer id> [--at <ISO instant>] [--json]

One customer's engagement, trust, ledger, dimensions, stage and predictions, read now (decay
applied at read time) or at --at.

${API_USAGE}`,
  server: 'api',
  operand: 'customer id',
  flags: {
    at: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run({ flags, operand, api }) {
    const query = flags.at === undefined ? '' : `?at=${encodeURIComponent(flags.at)}`;
    const view = await api.get(
      `/v1/customers/${encodeURIComponent(operand)}${query}`,
      CustomerViewSchema,
    );
    console.log(flags.json ? JSON.stringify(view, null, 2) : formatCustomer(view));
    return 0;
  },
});
