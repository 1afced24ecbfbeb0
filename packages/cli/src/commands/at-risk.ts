import { CustomerListSchema, type CustomerSummary } from '@rapport/read-model';
import { API_USAGE, defineCommand, wholeNumber } from '../command.js';
import { fixed, table, toMinute } from '../output.js';

export function formatSummaries(items: readonly CustomerSummary[]): string {
  return table(
    ['customer', 'status', 'stage', 'engagement', 'trust', 'at risk', 'dormant'],
    items.map((item) => [
      item.customerId,
      item.status,
      item.stage,
      fixed(item.engagement),
      fixed(item.trust, 2),
      toMinute(item.predictions.atRiskAt),
      toMinute(item.predictions.dormantAt),
    ]),
  );
}

export const atRiskCommand = defineCommand({
  name: 'at-risk',
  synopsis: 'at-risk',
  summary: 'Customers at risk now, and those who will cross next.',
  usage: `Usage: rapport at-risk [--limit N] [--json]

Customers at risk now, the most recently crossed first (those never above the at-risk band
last), then the customers who will cross next, soonest first.

${API_USAGE}`,
  server: 'api',
  flags: {
    limit: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
  async run({ flags, api }) {
    const limit = wholeNumber('--limit', flags.limit, 1, 200);
    const [atRisk, next] = await Promise.all([
      api.get(`/v1/customers?status=at_risk&sort=-at_risk_at&limit=${limit}`, CustomerListSchema),
      api.get(
        `/v1/customers?status=engaged,cooling&sort=at_risk_at&limit=${limit}`,
        CustomerListSchema,
      ),
    ]);
    if (flags.json) {
      console.log(JSON.stringify({ atRisk: atRisk.items, next: next.items }, null, 2));
      return 0;
    }
    console.log(`at risk now (${atRisk.items.length}${atRisk.nextCursor ? '+' : ''}):`);
    console.log(atRisk.items.length > 0 ? formatSummaries(atRisk.items) : '  none');
    console.log(`\nnext to cross into at risk:`);
    console.log(next.items.length > 0 ? formatSummaries(next.items) : '  none');
    return 0;
  },
});
